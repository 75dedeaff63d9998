#!/usr/bin/env bash
# One recv gateway per organisation of the native network (docs/gateway.md).
#   scripts/gateways.sh up       start `recv serve` for every org in $RECV_NET_DIR/network.json, wait for /readyz
#   scripts/gateways.sh down     stop the gateways this script started (by their PID files); their
#                                state stays (tokens, idempotency records): `up` starts them again
#   scripts/gateways.sh kill ORG [SIGNAL]  send one gateway a signal by its PID file (default KILL):
#                                fault injection for tests; `up` restarts a killed one
#   scripts/gateways.sh status   each gateway: running, ready
#   scripts/gateways.sh console  each organisation's web console URL and how to sign in (docs/console.md)
# State per org in $RECV_NET_DIR/gateways/<org>/: recv.pid, gateway.log, token-hashes.json, wallet/,
# tokens/<user>.token (0600, the bearer tokens of network.json's users). Running `up` twice is safe.
# The gateways of RECV_BEACON_ORGS (MSP IDs, default CoreMSP) advance the network's time beacon every
# RECV_BEACON_INTERVAL (default 60s; 0s: none) as their admin (docs/security.md, "No back-dating").
# The gateways of RECV_BEACON_STANDBY_ORGS (default AuditorMSP; empty: none) stand by: they read the
# beacon and tick only when it is older than 1.5 intervals (`recv serve --beacon-standby`), so the
# beacon keeps going while the core enterprise's gateway is down, without doubling the ticks.
set -euo pipefail
# Owner-only state: tokens, logs and pid files are the organisation's business (docs/security.md).
umask 077
cd "$(dirname "$0")/.."
ROOT=$(pwd)
NET=$(realpath -m "${RECV_NET_DIR:-$ROOT/.recv-net}")
RECV=$(realpath -m "${RECV_BIN:-$ROOT/bin/recv}")
LOGCAP=$ROOT/bin/logcap
LOG_MAX_SIZE=${RECV_LOG_MAX_SIZE:-20MiB}
LOG_KEEP=${RECV_LOG_KEEP:-4}
READY_TIMEOUT=${RECV_READY_TIMEOUT:-60}
BEACON_ORGS=${RECV_BEACON_ORGS:-CoreMSP}
BEACON_STANDBY_ORGS=${RECV_BEACON_STANDBY_ORGS-AuditorMSP}
BEACON_INTERVAL=${RECV_BEACON_INTERVAL:-60s}
# recv serve reads these as its flags' defaults: the flags below decide which gateways tick, so that
# RECV_BEACON_INTERVAL set for this script does not make every gateway tick.
unset RECV_BEACON_INTERVAL RECV_BEACON_STANDBY
export RECV_NET_DIR=$NET

die() { echo "gateways: $*" >&2; exit 1; }

orgs() { "$RECV" netinfo --network "$NET/network.json"; }

# running DIR MSP: the PID in DIR/recv.pid is alive and is a `recv serve` for MSP.
running() {
	local pidfile=$1/recv.pid pid
	[ -f "$pidfile" ] || return 1
	pid=$(cat "$pidfile")
	[ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "serve .*--org $2" || return 1
}

ready() { curl -fsS --max-time 3 "http://$1/readyz" >/dev/null 2>&1; }

up() {
	[ -f "$NET/network.json" ] || die "no $NET/network.json: run scripts/network.sh up first"
	# Any input of the binary counts: Go sources, go.mod/go.sum, the console's embedded templates
	# and assets, and the wire contract it shares with the chaincode.
	if [ ! -x "$RECV" ] || [ -n "$(find gateway chaincode/wire -type f ! -name '*_test.go' -newer "$RECV" -print -quit)" ]; then
		echo "building $RECV"
		# The gateway module builds on its own (GOWORK=off): no need for the other modules.
		(cd gateway && GOWORK=off go build -o "$RECV" ./cmd/recv)
	fi
	[ -x "$LOGCAP" ] || scripts/fabric-bin/build.sh tools
	local msp name addr dir
	local -a started=()
	while read -r msp name addr; do
		dir=$NET/gateways/$name
		mkdir -p "$dir"
		chmod 700 "$dir"
		if running "$dir" "$msp"; then
			echo "gateway $name ($msp): already running, pid $(cat "$dir/recv.pid"), http://$addr"
			continue
		fi
		local beacon=()
		case " $BEACON_ORGS " in
		*" $msp "*) beacon=(--beacon-interval "$BEACON_INTERVAL") ;;
		*) case " $BEACON_STANDBY_ORGS " in *" $msp "*) beacon=(--beacon-interval "$BEACON_INTERVAL" --beacon-standby) ;; esac ;;
		esac
		# The log is bounded as the nodes' are (bin/logcap: RECV_LOG_MAX_SIZE, RECV_LOG_KEEP).
		(exec nohup "$RECV" serve --network "$NET/network.json" --org "$msp" --listen "$addr" \
			--state-dir "$dir" "${beacon[@]}" > >(exec setsid "$LOGCAP" -max-size "$LOG_MAX_SIZE" -keep "$LOG_KEEP" \
			"$dir/gateway.log" >/dev/null 2>&1) 2>&1 </dev/null) &
		echo $! >"$dir/recv.pid"
		started+=("$msp $name $addr")
	done < <(orgs)

	local deadline=$((SECONDS + READY_TIMEOUT)) entry
	for entry in "${started[@]}"; do
		read -r msp name addr <<<"$entry"
		dir=$NET/gateways/$name
		until ready "$addr"; do
			if ! running "$dir" "$msp"; then
				tail -n 30 "$dir/gateway.log" >&2
				die "gateway $name exited; log: $dir/gateway.log"
			fi
			[ $SECONDS -lt $deadline ] || die "gateway $name not ready after ${READY_TIMEOUT}s; log: $dir/gateway.log"
			sleep 0.3
		done
		echo "gateway $name ($msp): ready, pid $(cat "$dir/recv.pid"), http://$addr, tokens in $dir/tokens"
	done
}

down() {
	local pidfile dir pid i
	shopt -s nullglob
	for pidfile in "$NET"/gateways/*/recv.pid; do
		dir=$(dirname "$pidfile")
		pid=$(cat "$pidfile")
		if serves "$dir" "$pid"; then
			kill -TERM "$pid" 2>/dev/null || true
			for i in $(seq 1 50); do
				[ -d "/proc/$pid" ] || break
				sleep 0.2
			done
			if [ -d "/proc/$pid" ]; then
				kill -KILL "$pid" 2>/dev/null || true
			fi
			echo "gateway $(basename "$dir"): stopped pid $pid"
		fi
		rm -f "$pidfile"
	done
}

# serves DIR PID: PID is a `recv serve` with state folder DIR (the gateway this script started there).
serves() { [ -n "$2" ] && [ -r "/proc/$2/cmdline" ] && tr '\0' ' ' <"/proc/$2/cmdline" | grep -q -- "serve .*--state-dir $1"; }

# kill_one NAME [SIGNAL]: the signal to the gateway of org NAME (core, bank1, ...), only while its
# PID file names the `recv serve` this script started there; after KILL, waits until it is gone.
kill_one() {
	local name=${1:-} sig=${2:-KILL} dir pid i
	[ -n "$name" ] || die "usage: $0 kill ORG [SIGNAL]"
	dir=$NET/gateways/$name
	pid=$(cat "$dir/recv.pid" 2>/dev/null || true)
	serves "$dir" "$pid" || die "gateway $name is not running"
	kill -s "$sig" "$pid" || die "kill -s $sig $pid (gateway $name) failed"
	if [ "${sig#SIG}" = KILL ]; then
		for i in $(seq 1 100); do
			[ -d "/proc/$pid" ] && [ "$(sed -n 's/^[0-9]* (.*) \([A-Za-z]\) .*/\1/p' "/proc/$pid/stat" 2>/dev/null)" != Z ] || break
			sleep 0.05
		done
	fi
	echo "gateway $name: sent SIG${sig#SIG} to pid $pid"
}

# console: where each organisation's people open the web console, and the token file each user
# signs in with (the file's name, never the token: it stays owner-only).
console() {
	[ -f "$NET/network.json" ] || die "no $NET/network.json"
	local msp name addr user dir
	echo "Web console of each organisation: open its URL and sign in with a user's token (the content of its file):"
	while read -r msp name addr; do
		dir=$(realpath -m --relative-base="$ROOT" "$NET/gateways/$name/tokens")
		for user in $(jq -r --arg m "$msp" '.orgs[$m].users | keys[] | select(. != "admin")' "$NET/network.json"); do
			printf '  %-12s http://%-18s %-11s %s\n' "$msp" "$addr/" "$user" "$dir/$user.token"
		done
	done < <(orgs)
}

status() {
	[ -f "$NET/network.json" ] || die "no $NET/network.json"
	local msp name addr dir state
	while read -r msp name addr; do
		dir=$NET/gateways/$name
		if running "$dir" "$msp"; then
			state="running pid $(cat "$dir/recv.pid")"
			if ready "$addr"; then state+=", ready"; else state+=", NOT ready"; fi
		else
			state="stopped"
		fi
		printf '%-10s %-12s http://%-22s %s\n' "$name" "$msp" "$addr" "$state"
	done < <(orgs)
}

case ${1:-status} in
up) up ;;
down) down ;;
status) status ;;
console) console ;;
kill) kill_one "${2:-}" "${3:-}" ;;
*) echo "usage: $0 up|down|status|console|kill ORG [SIGNAL]" >&2; exit 2 ;;
esac

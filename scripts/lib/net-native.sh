# shellcheck shell=bash disable=SC2034 # the backend settings are read by lib/net-common.sh
# The native backend (scripts/network.sh): every node is a local process in its own session, with
# its log in logs/NAME.log and its PID in pids/NAME.pid, listening on this host's loopback at the
# default port plus RECV_PORT_OFFSET. Processes are only ever signalled by the PID this network
# recorded, and only while their environment carries this network's tag. The hooks are described
# at the top of lib/net-common.sh.

# Owner-only state: everything this backend creates under the state folder (keys, CA databases,
# ledgers, logs, PID files, rendered configuration) and everything the nodes and tools it starts
# create there (they inherit it) is readable by this user only (docs/security.md, "A local user on
# a member's host"; test/security: TestStateFolder_OwnerOnly).
umask 077

MARKER=.recv-net-state
STATE_WHAT="recv network state folder"
NODE_CONF=config
GATEWAY_NODES=0
STARTED=()

# Addressing: one loopback address for every viewer; files are where they are.
node_host() { echo "$HOST"; }
port_offset() { echo "$OFFSET"; }
node_path() { echo "$2"; }

# PIDS_DIR (default $NET/pids) holds the PID files; a chaincode upgrade starts the next servers
# with PIDS_DIR=$NET/pids/next beside the running ones (cc_handover_start).
pid_file() { echo "${PIDS_DIR:-$NET/pids}/$1.pid"; }

# node_running NAME: the PID in the node's file is alive and is the process this network started
# (its environment carries this network's tag), never some other process that reused the PID.
node_running() {
	local f pid
	f=$(pid_file "$1")
	[ -f "$f" ] || return 1
	pid=$(cat "$f")
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
	# No pipe into grep -q: with pipefail, tr's SIGPIPE after an early match reads as "no".
	local environ
	environ=$(tr '\0' '\n' 2>/dev/null <"/proc/$pid/environ") || return 1
	grep -qxF "RECV_NODE=$NET#$1" <<<"$environ"
}

node_log() {
	local f
	f=$(log_file "$1")
	[ -f "$f" ] || return 1
	case $2 in
	all) cat "$f" ;;
	-f) tail -n 100 -F "$f" ;;
	*) tail -n "$2" "$f" ;;
	esac
}

# The CA writes its root into its home, orgs/ORG/ca/ca-cert.pem, itself.
ca_root() { [ -s "$(ca_cert "$1")" ]; }

node_start() {
	local n dir
	for n in "$@"; do
		dir=$(node_dir "$n")
		case $n in
		ca.*) spawn "$n" env -C "$dir" "$BIN/fabric-ca-server" start --home "$dir" ;;
		orderer[0-9])
			mkdir -p "$dir/data"
			spawn "$n" env FABRIC_CFG_PATH="$dir/config" FABRIC_LOGGING_SPEC="$LOG_SPEC" "$BIN/orderer"
			;;
		peer0.*)
			mkdir -p "$dir/data"
			spawn "$n" env FABRIC_CFG_PATH="$dir/config" FABRIC_LOGGING_SPEC="$LOG_SPEC" "$BIN/peer" node start
			;;
		chaincode.* | chaincode-*.*) with_server_chaincode "$n" start_cc_server "$n" ;;
		*) die "$n is no node of the native network (the gateways: scripts/gateways.sh)" ;;
		esac
	done
}

# start_cc_server NAME: (re)starts the chaincode server NAME (CC_SERVER.ORG) of ORG for ORG's
# package id (CC_PACKAGE_IDS[ORG], else the deployed one). With TLS it serves the org's server pair
# and one client certificate only, its peer's (the one in ORG's connection.json, issued by ORG's
# CA): another organisation's peer, and any other certificate of ORG's CA, fail the handshake.
start_cc_server() {
	local name=$1 org=${1##*.} addr tls pkg_id
	addr=$(cc_address self "$name")
	tls=$(cc_tls_dir "$org")
	pkg_id=${CC_PACKAGE_IDS[$org]:-$(cc_state "package_id.$org")}
	[ -n "$pkg_id" ] || die "no package id for $name: deploy the chaincode first"
	stop_nodes "$name"
	if [ "$CC_TLS" = true ]; then
		spawn "$name" env CHAINCODE_SERVER_ADDRESS="$addr" CHAINCODE_ID="$pkg_id" CHAINCODE_TLS_DISABLED=false \
			CHAINCODE_TLS_CERT="$tls/server/tls/cert.pem" CHAINCODE_TLS_KEY="$tls/server/tls/key.pem" \
			CHAINCODE_CLIENT_CA_CERT="$tls/client/tls/ca.pem" CHAINCODE_CLIENT_CERT="$tls/client/tls/cert.pem" \
			"$(cc_bin)"
	else
		spawn "$name" env CHAINCODE_SERVER_ADDRESS="$addr" CHAINCODE_ID="$pkg_id" "$(cc_bin)"
	fi
}

abort_up() {
	say "network: logs in $NET/logs" >&2
	[ ${#STARTED[@]} -eq 0 ] || stop_nodes "${STARTED[@]}"
}

# spawn NAME CMD...: starts a node in its own session with its log and PID file. The caller
# sets the environment with `env VAR=...` in CMD.
spawn() {
	local name=$1
	shift
	mkdir -p "$(dirname "$(pid_file "$name")")" "$NET/logs"
	run_logged "$(log_file "$name")" env RECV_NODE="$NET#$name" setsid "$@" </dev/null &
	echo $! >"$(pid_file "$name")"
	STARTED+=("$name")
	# Until the forked shell has exec'd, /proc/PID/environ lacks the tag and node_running says no:
	# wait for the exec so that callers never mistake a starting node for a dead one.
	local i
	for ((i = 0; i < 100; i++)); do
		node_running "$name" && return 0
		kill -0 "$!" 2>/dev/null || return 0
		sleep 0.02
	done
}

# run_logged LOG CMD...: CMD in place of this (sub)shell, its output and errors into LOG through
# bin/logcap, which rotates LOG past LOG_MAX_SIZE and keeps LOG_KEEP old files, in a session of its
# own (a signal to the caller's process group does not end it; it ends when CMD's output does).
# Without bin/logcap (a state folder of an older build), LOG grows as before.
run_logged() {
	local log=$1
	shift
	if [ -x "$BIN/logcap" ]; then
		# logcap's own output goes nowhere: it must not hold the caller's (a pipe its reader waits on).
		exec "$@" > >(exec setsid "$BIN/logcap" -max-size "$LOG_MAX_SIZE" -keep "$LOG_KEEP" "$log" >/dev/null 2>&1) 2>&1
	fi
	exec "$@" >>"$log" 2>&1
}

# stop_nodes NAME...: TERM to each that runs, up to 15 s for all to exit, then KILL to the rest;
# only PIDs this network recorded and whose environment carries its tag when signalled.
stop_nodes() {
	local name pid i
	local -A pids=()
	for name in "$@"; do
		if node_running "$name"; then
			pid=$(cat "$(pid_file "$name")")
			kill -TERM "$pid" 2>/dev/null || true
			pids[$name]=$pid
		fi
	done
	for ((i = 0; i < 150; i++)); do
		any_alive "${pids[@]}" || break
		sleep 0.1
	done
	for name in "$@"; do
		pid=${pids[$name]:-}
		if [ -n "$pid" ]; then
			if any_alive "$pid"; then
				kill -KILL "$pid" 2>/dev/null || true
				say "killed $name (pid $pid): it did not stop within 15 s"
			else
				say "stopped $name (pid $pid)"
			fi
		fi
		rm -f "$(pid_file "$name")"
	done
	for ((i = 0; i < 50; i++)); do
		any_alive "${pids[@]}" || return 0
		sleep 0.1
	done
	say "still alive after KILL: ${pids[*]}" >&2
	return 1
}

# any_alive PID...: one of the PIDs is a live (not zombie) process.
any_alive() {
	local pid state
	for pid in "$@"; do
		state=$(sed -n 's/^[0-9]* (.*) \([A-Za-z]\) .*/\1/p' "/proc/$pid/stat" 2>/dev/null || true)
		[ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ] && return 0
	done
	return 1
}

# Chaincode upgrade without a failed call (deploy_chaincode, sequence > 1, servers running): the
# next package's servers start beside the running ones, on the other port slot (node_port's
# CC_SLOT), their PID files in $NET/pids/next; the peers keep endorsing with the running servers
# until the next definition commits, then with the next ones (their package's connection.json
# names the other slot); then the old servers stop and the next ones take their PID files.

# cc_handover_start: the next servers (CC_PACKAGE_IDS, CC_SLOT set by the caller) started and
# listening, the running ones untouched.
cc_handover_start() {
	# shellcheck disable=SC2046
	PIDS_DIR="$NET/pids/next" start_and_wait $(cc_servers) || { cc_handover_abort; return 1; }
}

# cc_handover_finish: the next definition is committed on every peer (commit_definition waited for
# it), so the peers endorse with the next servers only: after a drain of endorsements begun on the
# old ones (a proposal takes milliseconds; 2 s is ample), the old servers stop and the next ones
# are the servers from now on, at slot CC_SLOT. Once it ran, a failure aborts nothing
# (cc_handover_abort finds no next server).
cc_handover_finish() {
	sleep 2
	local n
	for n in $(cc_servers); do
		stop_nodes "$n"
		mv "$NET/pids/next/$n.pid" "$(pid_file "$n")"
	done
	echo "$CC_SLOT" >"$(CC_DIR)/slot"
}

# cc_handover_abort: the next servers stopped (the running ones keep serving the deployed package).
cc_handover_abort() {
	local f names=()
	for f in "$NET"/pids/next/*.pid; do
		[ -e "$f" ] && names+=("$(basename "$f" .pid)")
	done
	[ ${#names[@]} -eq 0 ] || PIDS_DIR="$NET/pids/next" stop_nodes "${names[@]}"
}

# cc_servers_running: every server of the deployed chaincode runs, so a new definition can hand
# over (upgrade, and add-org, whose joining organisation has no server yet: its first one starts
# with the next servers, at the next slot).
cc_servers_running() {
	local org any=0
	for org in "${ORGS[@]}"; do
		[ -n "$(cc_state "package_id.$org")" ] || continue
		node_running "$CC_SERVER.$org" || return 1
		any=1
	done
	[ $any = 1 ]
}

# shellcheck shell=bash
# Shared settings and helpers of scripts/network.sh: layout of the state folder, ports, template
# rendering and the processes the network starts (tracked by PID files, stopped only by PID).

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=$ROOT/bin
TEMPLATES=$ROOT/network/native
BUILDER_DIR=$ROOT/network/builder

NET=$(realpath -m "${RECV_NET_DIR:-$ROOT/.recv-net}")
OFFSET=${RECV_PORT_OFFSET:-0}
HOST=127.0.0.1
DOMAIN=recv.local
CHANNEL=receivables
CC_NAME=receivables
BATCH_TIMEOUT=${RECV_BATCH_TIMEOUT:-150ms}
BATCH_MAX_MESSAGES=${RECV_BATCH_MAX_MESSAGES:-100}
# The obligor's org plus one holder-side org (docs/network.md explains the choice).
CC_POLICY=${RECV_CC_POLICY:-"AND('CoreMSP.peer',OR('SupplierMSP.peer','Bank1MSP.peer','Bank2MSP.peer'))"}
# Mutual TLS on the peers' and orderers' main listeners (off: see docs/network.md). The orderer
# admin endpoint and Raft cluster links are mutually authenticated either way.
CLIENT_AUTH=${RECV_CLIENT_AUTH:-false}
READY_TIMEOUT=${RECV_READY_TIMEOUT:-60}
MARKER=.recv-net-state

ORGS=(core supplier bank1 bank2 auditor)
ORDERERS=(orderer1 orderer2 orderer3)
declare -A MSP=([core]=CoreMSP [supplier]=SupplierMSP [bank1]=Bank1MSP [bank2]=Bank2MSP [auditor]=AuditorMSP [orderer]=OrdererMSP)
declare -A ORG_INDEX=([core]=0 [supplier]=1 [bank1]=2 [bank2]=3 [auditor]=4 [orderer]=5)
# Named users per org as name:role; every org also has "admin" (role admin, Fabric admin OU).
declare -A USERS=(
	[core]="treasurer:issuer"
	[supplier]="supplier-a:supplier supplier-b:supplier supplier-c:supplier"
	[bank1]="officer:financier"
	[bank2]="officer:financier"
	[auditor]="auditor:auditor"
	[orderer]=""
)

# Ports: every default below plus RECV_PORT_OFFSET. Defaults are distinct modulo 1000, so networks
# with offsets that are multiples of 1000 never collide.
p() { echo $(($1 + OFFSET)); }
peer_port() { p $((7051 + 100 * ORG_INDEX[$1])); }
peer_cc_port() { p $((7052 + 100 * ORG_INDEX[$1])); }
peer_ops_port() { p $((9541 + ORG_INDEX[$1])); }
ca_port() { p $((7054 + 100 * ORG_INDEX[$1])); }
ca_ops_port() { p $((9641 + ORG_INDEX[$1])); }
gateway_port() { p $((8801 + ORG_INDEX[$1])); }
orderer_num() { echo "${1#orderer}"; }
orderer_port() { p $((7050 + 10 * ($(orderer_num "$1") - 1))); }
orderer_admin_port() { p $((7053 + 10 * ($(orderer_num "$1") - 1))); }
orderer_ops_port() { p $((8443 + $(orderer_num "$1") - 1)); }
cc_port() { p 7900; }

org_dir() { echo "$NET/orgs/$1"; }
ca_cert() { echo "$NET/orgs/$1/ca/ca-cert.pem"; }
tls_bundle() { echo "$NET/tls-bundle.pem"; }
peer_host() { echo "peer0.$1.$DOMAIN"; }
orderer_host() { echo "$1.orderer.$DOMAIN"; }

# All node names, in start order.
nodes() {
	local o
	for o in orderer "${ORGS[@]}"; do echo "ca.$o"; done
	for o in "${ORDERERS[@]}"; do echo "$o"; done
	for o in "${ORGS[@]}"; do echo "peer0.$o"; done
	echo chaincode
}

STEP=""
STEP_STARTED=0
RUN_STARTED=$SECONDS
STARTED=()

say() { printf '%s\n' "$*"; }
die() {
	printf 'network: %s\n' "$*" >&2
	exit 1
}
step() {
	STEP=$1
	STEP_STARTED=$SECONDS
	printf '==> %s\n' "$STEP"
}
step_done() { printf '    done in %ss\n' "$((SECONDS - STEP_STARTED))"; }

ensure_tool() {
	local cmd=$1 pkg=$2
	command -v "$cmd" >/dev/null 2>&1 && return 0
	say "installing $pkg (for $cmd)"
	apt-get install -y "$pkg" >/dev/null || die "could not install $pkg"
}

rand_secret() { head -c 48 /dev/urandom | base64 -w0 | tr -dc 'A-Za-z0-9' | cut -c1-24; }

# render TEMPLATE OUT VAR...: substitutes only the named ${VAR}s, so any other $ stays as it is.
render() {
	local tpl=$1 out=$2
	shift 2
	local vars="" v
	for v in "$@"; do vars+="\${$v} "; done
	(
		for v in "$@"; do export "${v?}"; done
		envsubst "$vars" <"$tpl" >"$out"
	)
}

pid_file() { echo "$NET/pids/$1.pid"; }
log_file() { echo "$NET/logs/$1.log"; }

# is_running NAME: the PID in the node's file is alive and is the process this network started
# (its environment carries this network's tag), never some other process that reused the PID.
is_running() {
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

# start_node NAME CMD...: starts a node in its own session with its log and PID file. The caller
# sets the environment with `env VAR=...` in CMD.
start_node() {
	local name=$1
	shift
	mkdir -p "$NET/pids" "$NET/logs"
	RECV_NODE="$NET#$name" setsid "$@" >>"$(log_file "$name")" 2>&1 </dev/null &
	echo $! >"$(pid_file "$name")"
	STARTED+=("$name")
	# Until the forked shell has exec'd, /proc/PID/environ lacks the tag and is_running says no:
	# wait for the exec so that callers never mistake a starting node for a dead one.
	local i
	for ((i = 0; i < 100; i++)); do
		is_running "$name" && return 0
		kill -0 "$!" 2>/dev/null || return 0
		sleep 0.02
	done
}

# stop_nodes NAME...: TERM to each that runs, up to 15 s for all to exit, then KILL to the rest;
# only PIDs this network recorded and whose environment carries its tag when signalled.
stop_nodes() {
	local name pid i
	local -A pids=()
	for name in "$@"; do
		if is_running "$name"; then
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

stop_node() { stop_nodes "$1"; }

# wait_until DESCRIPTION NODE TIMEOUT CMD...: polls CMD every 0.2 s; fails early when NODE died.
wait_until() {
	local what=$1 node=$2 timeout=$3
	shift 3
	local deadline=$((SECONDS + timeout))
	until "$@" >/dev/null 2>&1; do
		if [ -n "$node" ] && ! is_running "$node"; then
			say "$node exited while waiting for $what; last lines of its log:" >&2
			tail -n 30 "$(log_file "$node")" >&2 || true
			return 1
		fi
		if [ $SECONDS -ge $deadline ]; then
			say "timed out after ${timeout}s waiting for $what" >&2
			[ -n "$node" ] && tail -n 30 "$(log_file "$node")" >&2
			return 1
		fi
		sleep 0.2
	done
}

# healthy HOSTPORT CAFILE: the operations endpoint's /healthz answers 200 over TLS.
healthy() { curl -sf --max-time 5 --cacert "$2" "https://$1/healthz" >/dev/null; }

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

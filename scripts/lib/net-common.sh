# shellcheck shell=bash disable=SC2034 # the settings here are read by the other files of lib/
# Shared settings and helpers of scripts/network.sh and scripts/docker.sh: layout of the state
# folder, ports and addresses, template rendering, waiting, and the per-organisation parallel loop.
#
# Where a node runs (a local process, a container) is the business of a backend, loaded after this
# file by lib/net.sh: lib/net-native.sh or lib/net-compose.sh. Every other file calls only these
# hooks, which each backend defines, and nothing is redefined:
#
#   Addressing: a node is seen FROM "host" (the tools on this machine: peer CLI, osnadmin, curl,
#   fabric-ca-client, network.json), from "net" (the other nodes: channel configuration, gossip,
#   the chaincode package's connection.json) or from "self" (where the node's own listener binds).
#     node_host FROM NODE    host name of NODE seen FROM; empty when NODE is not reachable from there
#     port_offset FROM       what is added to the default ports of node_port, seen FROM
#     node_path NODE PATH    a file of the state folder as NODE's process sees it
#     NODE_CONF              the folder (in the node's folder) of a peer's or orderer's own config;
#                            when it is not "config", config/ gets a copy for the peer CLI on this host
#   Lifecycle:
#     node_start NAME...     start nodes whose configuration is rendered; returns without waiting
#     node_running NAME      the node's process or container runs
#     node_log NAME HOW      its log: HOW is "all", a number of last lines, or -f (follow)
#     ca_root ORG            the CA's self-signed root is at $(ca_cert ORG) (the native CA writes it
#                            there; a container's is copied out)
#     abort_up               after a failed `up`: stop and remove what this run started
#   Settings: MARKER (the state folder's marker file), STATE_WHAT (what the folder is called in
#   messages), GATEWAY_NODES (1: the gateways are nodes of this backend), CA_OPS_FROM_HOST (0: the
#   CAs' operations endpoints are not reachable from this host; default 1).
#
# Waiting is the same for every backend: wait_until polls a check and fails early, showing the
# node's log, when the node stopped; node_ready says what "ready" means for each kind of node.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=$ROOT/bin
TEMPLATES=$ROOT/network/native
BUILDER_DIR=$ROOT/network/builder
SCRIPT=$(basename "$0")

NET=$(realpath -m "${RECV_NET_DIR:-$ROOT/.recv-net}")
OFFSET=${RECV_PORT_OFFSET:-0}
HOST=127.0.0.1
DOMAIN=recv.local
CHANNEL=receivables
CC_NAME=receivables
# Log levels of the peers and orderers (FABRIC_LOGGING_SPEC): INFO, except the loggers that write a
# line per gRPC call, endorsement or broadcast (docs/PERFORMANCE.md, "Tuning": they cost CPU per
# transaction; per-block lines and every warning stay).
LOG_SPEC=${RECV_LOG_SPEC:-info:comm.grpc.server=warning:endorser=warning:gateway=warning:orderer.common.broadcast=warning}
BATCH_TIMEOUT=${RECV_BATCH_TIMEOUT:-150ms}
BATCH_MAX_MESSAGES=${RECV_BATCH_MAX_MESSAGES:-100}
# Mutual TLS on the peers' and orderers' main listeners (on by default; docs/network.md, "TLS").
# The orderer admin endpoint and Raft cluster links are mutually authenticated either way.
CLIENT_AUTH=${RECV_CLIENT_AUTH:-true}
READY_TIMEOUT=${RECV_READY_TIMEOUT:-60}
# Each node's log is bounded (native backend: bin/logcap): rotated past RECV_LOG_MAX_SIZE (20MiB),
# RECV_LOG_KEEP (4) rotated files kept beside it (NAME.log.1 ... .4), so at most 100 MiB a node.
LOG_MAX_SIZE=${RECV_LOG_MAX_SIZE:-20MiB}
LOG_KEEP=${RECV_LOG_KEEP:-4}

ORGS=(core supplier bank1 bank2 auditor)
ORDERERS=(orderer1 orderer2 orderer3)
declare -A MSP=([core]=CoreMSP [supplier]=SupplierMSP [bank1]=Bank1MSP [bank2]=Bank2MSP [auditor]=AuditorMSP [orderer]=OrdererMSP)
declare -A ORG_INDEX=([core]=0 [supplier]=1 [bank1]=2 [bank2]=3 [auditor]=4 [orderer]=5)
# The membership registry the chaincode is seeded with (InitRegistry, once, at the first deploy):
# each org's kind (it bounds the roles the org's identities may have), legal name and unified
# social credit code (统一社会信用代码, 18 characters, the last a GB 32100-2015 check character).
declare -A ORG_KIND=([core]=core [supplier]=supplier [bank1]=bank [bank2]=bank [auditor]=auditor)
declare -A ORG_LEGAL_NAME=(
	[core]="华东重工集团有限公司 East China Heavy Industry Group Co., Ltd."
	[supplier]="长江精密零部件有限公司 Changjiang Precision Parts Co., Ltd."
	[bank1]="第一商业银行股份有限公司 First Commercial Bank Co., Ltd."
	[bank2]="第二商业银行股份有限公司 Second Commercial Bank Co., Ltd."
	[auditor]="信诚会计师事务所 Xincheng Certified Public Accountants"
)
declare -A ORG_CREDIT_CODE=([core]=91310000MA1K3C0R0X [supplier]=91310000MA1K3G0P1U [bank1]=91310000MA1K3B1K2C
	[bank2]=91310000MA1K3B2K35 [auditor]=91310000MA1K3A0D4F)
# Named users per org as name:role; every org also has "admin" (role admin, Fabric admin OU).
declare -A USERS=(
	[core]="treasurer:issuer approver:approver"
	[supplier]="supplier-a:supplier supplier-b:supplier supplier-c:supplier"
	[bank1]="officer:financier"
	[bank2]="officer:financier"
	[auditor]="auditor:auditor"
	[orderer]=""
)

# Organisations that joined the running network (add-org, lib/net-org.sh), in the state folder so
# that every later command (status, down, gateways, deploy) treats them as members: one line each,
# tab-separated: NAME INDEX MSPID KIND CREDIT_CODE USERS LEGAL_NAME (USERS: name:role, space-separated).
ADDED_ORGS_FILE=$NET/orgs.added

# load_added_orgs: appends the joined organisations of ADDED_ORGS_FILE to the network definition.
load_added_orgs() {
	[ -f "$ADDED_ORGS_FILE" ] || return 0
	local name index msp kind code users legal
	while IFS=$'\t' read -r name index msp kind code users legal; do
		[ -n "$name" ] || continue
		case " ${ORGS[*]} " in *" $name "*) continue ;; esac
		ORGS+=("$name")
		ORG_INDEX[$name]=$index MSP[$name]=$msp ORG_KIND[$name]=$kind ORG_CREDIT_CODE[$name]=$code
		USERS[$name]=$users ORG_LEGAL_NAME[$name]=$legal
	done <"$ADDED_ORGS_FILE"
}
load_added_orgs

# cc_policy: the chaincode's endorsement policy, which governs every key a transaction creates (a
# key's own state-based policy governs its later changes: the chaincode sets it to the parties,
# docs/security.md "Who must endorse what"): every core enterprise, so that no one but the obligor
# can create its debt (an issued receivable, a split's pieces), plus one other member, so that two
# organisations ran the rules. The auditor counts as the other member, never in the obligor's
# place. A bank that joins is in it from the definition that follows its joining.
cc_policy() {
	local org cores="" others=""
	for org in "${ORGS[@]}"; do
		case ${ORG_KIND[$org]} in
		core) cores+="${cores:+,}'${MSP[$org]}.peer'" ;;
		*) others+="${others:+,}'${MSP[$org]}.peer'" ;;
		esac
	done
	echo "AND($cores,OR($others))"
}
CC_POLICY=${RECV_CC_POLICY:-$(cc_policy)}

# ---------------------------------------------------------------------------------------------
# Nodes, ports and addresses

# All node names, in start order (with the gateways when the backend runs them).
nodes() {
	local o
	for o in orderer "${ORGS[@]}"; do echo "ca.$o"; done
	for o in "${ORDERERS[@]}"; do echo "$o"; done
	for o in "${ORGS[@]}"; do echo "peer0.$o"; done
	for o in "${ORGS[@]}"; do echo "chaincode.$o"; done
	[ "${GATEWAY_NODES:-0}" != 1 ] || for o in "${ORGS[@]}"; do echo "gateway.$o"; done
}

# node_port NODE [KIND]: the default port of NODE's listener KIND (main, ops, admin, cc), before
# any offset. Defaults are distinct modulo 1000, so offsets that are multiples of 1000 never collide.
node_port() {
	local node=$1 kind=${2:-main} i
	case $node:$kind in
	ca.*:main) echo $((7054 + 100 * ORG_INDEX[${node#ca.}])) ;;
	ca.*:ops) echo $((9641 + ORG_INDEX[${node#ca.}])) ;;
	orderer[0-9]:*)
		i=$((${node#orderer} - 1))
		case $kind in
		main) echo $((7050 + 10 * i)) ;;
		admin) echo $((7053 + 10 * i)) ;;
		ops) echo $((8443 + i)) ;;
		*) return 1 ;;
		esac
		;;
	peer0.*:main) echo $((7051 + 100 * ORG_INDEX[${node#peer0.}])) ;;
	peer0.*:cc) echo $((7052 + 100 * ORG_INDEX[${node#peer0.}])) ;;
	peer0.*:ops) echo $((9541 + ORG_INDEX[${node#peer0.}])) ;;
	chaincode.*:main) echo $((7900 + 25 * $(cc_slot) + ORG_INDEX[${node#chaincode.}])) ;;
	chaincode-bare.*:main) echo $((7950 + ORG_INDEX[${node#chaincode-bare.}])) ;;
	gateway.*:main) echo $((8801 + ORG_INDEX[${node#gateway.}])) ;;
	*) return 1 ;;
	esac
}

# cc_slot: the receivables chaincode servers' port slot (0: 7900+i, 1: 7925+i): an upgrade starts
# the next servers on the other slot beside the running ones (CC_SLOT while it does), and the slot
# file records the one deployed.
cc_slot() {
	if [ -n "${CC_SLOT:-}" ]; then echo "$CC_SLOT"; else cat "$NET/chaincode/slot" 2>/dev/null || echo 0; fi
}

# port FROM NODE [KIND] and addr FROM NODE [KIND]: NODE's listener KIND as seen FROM (see above).
port() { echo $(($(node_port "$2" "${3:-main}") + $(port_offset "$1"))); }
addr() { echo "$(node_host "$1" "$2"):$(port "$@")"; }

# Shorthands for this host's view.
peer_port() { port host "peer0.$1"; }
peer_ops_port() { port host "peer0.$1" ops; }
ca_port() { port host "ca.$1"; }
gateway_port() { port host "gateway.$1"; }
orderer_port() { port host "$1"; }
orderer_admin_port() { port host "$1" admin; }
orderer_ops_port() { port host "$1" ops; }

# tls_name NODE: the name in NODE's TLS certificate (network.json's serverName).
tls_name() {
	case $1 in
	orderer[0-9]) echo "$1.orderer.$DOMAIN" ;;
	*) echo "$1.$DOMAIN" ;;
	esac
}
peer_host() { tls_name "peer0.$1"; }
orderer_host() { tls_name "$1"; }

org_dir() { echo "$NET/orgs/$1"; }
ca_cert() { echo "$NET/orgs/$1/ca/ca-cert.pem"; }
tls_bundle() { echo "$NET/tls-bundle.pem"; }

# node_dir NODE: the node's folder (identities and rendered configuration).
node_dir() {
	case $1 in
	ca.*) echo "$NET/orgs/${1#ca.}/ca" ;;
	orderer[0-9]) echo "$NET/orgs/orderer/$1" ;;
	peer0.*) echo "$NET/orgs/${1#peer0.}/peer0" ;;
	gateway.*) echo "$NET/orgs/${1#gateway.}/gateway" ;;
	chaincode.*) echo "$NET/orgs/${1#chaincode.}/ccaas/server" ;;
	esac
}

# host_path NODE PATH: PATH, as this host sees it (the counterpart of the hook node_path).
host_path() { echo "$2"; }

# ---------------------------------------------------------------------------------------------
# Certificates: the one reading of a certificate file for `status`, `certs` and the monitoring's
# expiry metrics (scripts/monitor.sh)

# RENEWED: the folder in a node's folder where a renewal keeps the pairs it replaced (lib/net-renew.sh).
RENEWED=renewed

# cert_files DIR...: the PEM files under each DIR that may hold a certificate, sorted, DIR by DIR:
# private keys (keystore/), the replaced pairs a renewal keeps ($RENEWED/) and a user's enrollment
# certificate its gateway renewed (`recv user renew`: the gateway signs with the one of its wallet
# entry, gateways/ORG/wallet/NAME/cert.pem, listed instead) left out.
cert_files() {
	local d f rel
	for d in "$@"; do
		[ -d "$d" ] || continue
		find "$d" \( -name keystore -o -name "$RENEWED" \) -prune -o -name '*.pem' -type f -print | sort
	done | while IFS= read -r f; do
		rel=${f#"$NET"/}
		if [[ $rel =~ ^orgs/([^/]+)/users/([^/]+)/msp/signcerts/cert\.pem$ ]] &&
			[ -f "$NET/gateways/${BASH_REMATCH[1]}/wallet/${BASH_REMATCH[2]}/cert.pem" ]; then
			continue
		fi
		printf '%s\n' "$f"
	done
}

# cert_info FILE: the first certificate in FILE as "NOT_AFTER<TAB>CN<TAB>SHA256_FINGERPRINT"
# (NOT_AFTER in seconds since the epoch); fails when FILE does not start with a certificate.
cert_info() {
	local head line end="" cn="" fpr=""
	IFS= read -r head <"$1" 2>/dev/null || return 1
	[ "$head" = "-----BEGIN CERTIFICATE-----" ] || return 1
	while IFS= read -r line; do
		case $line in
		notAfter=*) end=$(date -u -d "${line#notAfter=}" +%s 2>/dev/null) || return 1 ;;
		subject=*) [[ ${line#subject=} =~ (^|,)CN=([^,]*) ]] && cn=${BASH_REMATCH[2]} ;;
		*[Ff]ingerprint=*) fpr=${line#*=} ;;
		esac
	done < <(openssl x509 -in "$1" -noout -enddate -subject -nameopt RFC2253 -fingerprint -sha256 2>/dev/null)
	[ -n "$end" ] || return 1
	printf '%s\t%s\t%s\n' "$end" "$cn" "$fpr"
}

# time_left NOT_AFTER: how long until NOT_AFTER, in words: "364 days", "30 hours", "59 minutes",
# "expired".
time_left() {
	local left=$(($1 - $(date +%s)))
	if [ $left -lt 0 ]; then
		echo expired
	elif [ $left -ge 172800 ]; then
		echo "$((left / 86400)) days"
	elif [ $left -ge 7200 ]; then
		echo "$((left / 3600)) hours"
	elif [ $left -ge 3600 ]; then
		echo "1 hour"
	else
		echo "$((left / 60)) minutes"
	fi
}

# days_left NOT_AFTER: whole days until NOT_AFTER (seconds since the epoch), with the hours when
# fewer than two days are left (the minutes under an hour): "364", "1 (30h)", "0 (59m)", "-3".
days_left() {
	local left=$(($1 - $(date +%s)))
	if [ $left -lt 0 ] || [ $left -ge 172800 ]; then
		echo "$((left / 86400))"
	elif [ $left -ge 3600 ]; then
		echo "$((left / 86400)) ($((left / 3600))h)"
	else
		echo "0 ($((left / 60))m)"
	fi
}

# ---------------------------------------------------------------------------------------------
# Arguments: a verb refuses what it would ignore

# no_args VERB ARG...: a verb that takes no arguments refuses any.
no_args() {
	local verb=$1
	shift
	[ $# -eq 0 ] || die "'$verb' takes no arguments ($* given); see '$SCRIPT help'"
}

# max_args VERB N ARG...: a verb that takes at most N arguments refuses more.
max_args() {
	local verb=$1 n=$2
	shift 2
	[ $# -le "$n" ] || die "'$verb' takes at most $n argument(s) ($# given: $*); see '$SCRIPT help'"
}

# known_nodes NODE...: every NODE is one of the network's nodes (`nodes`), or the script stops.
known_nodes() {
	local n all
	all=" $(nodes | paste -sd' ') "
	for n in "$@"; do
		case $all in *" $n "*) ;; *) die "no node '$n'; nodes:$all" ;; esac
	done
}

# ---------------------------------------------------------------------------------------------
# Messages, tools, templates

STEP=""
STEP_STARTED=0
RUN_STARTED=$SECONDS

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

usage() {
	sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
	exit 2
}

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

log_file() { echo "$NET/logs/$1.log"; }

check_state_dir() {
	if [ -e "$NET" ] && [ ! -e "$NET/$MARKER" ] && [ -n "$(ls -A "$NET" 2>/dev/null)" ]; then
		die "$NET exists and is not a $STATE_WHAT; refusing to touch it"
	fi
}

# guard_up / unguard_up: while `up` runs, a failure or a signal says which step failed and lets
# the backend remove what this run started (abort_up).
guard_up() {
	trap on_up_exit EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}
unguard_up() { trap - EXIT INT TERM; }
on_up_exit() {
	local rc=$?
	[ $rc -eq 0 ] && return
	printf '\n%s: step "%s" failed (exit %s)\n' "${SCRIPT%.sh}" "$STEP" "$rc" >&2
	abort_up
	exit $rc
}

# ---------------------------------------------------------------------------------------------
# Waiting and parallel work

# wait_until DESCRIPTION NODE TIMEOUT CMD...: polls CMD every 0.2 s; fails early when NODE stopped.
wait_until() {
	local what=$1 node=$2 timeout=$3
	shift 3
	local deadline=$((SECONDS + timeout))
	until "$@" >/dev/null 2>&1; do
		if [ -n "$node" ] && ! node_running "$node"; then
			say "$node is not running while waiting for $what; the last lines of its log:" >&2
			node_log "$node" 30 >&2 || true
			return 1
		fi
		if [ $SECONDS -ge $deadline ]; then
			say "timed out after ${timeout}s waiting for $what" >&2
			[ -z "$node" ] || node_log "$node" 30 >&2 || true
			return 1
		fi
		sleep 0.2
	done
}

# healthy HOSTPORT CAFILE: the operations endpoint's /healthz answers 200 over TLS.
healthy() { curl -sf --max-time 5 --cacert "$2" "https://$1/healthz" >/dev/null; }

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

orderer_healthy() { healthy "$(addr host "$1" ops)" "$(ca_cert orderer)"; }
peer_healthy() { healthy "$(addr host "peer0.$1" ops)" "$(ca_cert "$1")"; }
# gateway_tls: the backend's gateways serve HTTPS with a certificate of their organisation's CA
# (GATEWAY_NODES: a gateway node listens beyond loopback, on its container's interface).
gateway_tls() { [ "${GATEWAY_NODES:-0}" = 1 ]; }
gateway_ready() {
	if gateway_tls; then
		curl -fsS --max-time 3 --cacert "$(ca_cert "$1")" "https://$(addr host "gateway.$1")/readyz" >/dev/null 2>&1
	else
		curl -fsS --max-time 3 "http://$(addr host "gateway.$1")/readyz" >/dev/null 2>&1
	fi
}

# cc_address FROM SERVER: the address of the chaincode server node SERVER (chaincode.ORG) seen FROM.
cc_address() { addr "$1" "$2"; }

# cc_listening SERVER: the chaincode server accepts connections (when this host can reach it at all).
cc_listening() {
	local a
	[ -n "$(node_host host "$1")" ] || return 0
	a=$(cc_address host "$1")
	port_open "${a%:*}" "${a##*:}"
}

# node_ready NAME: the node answers as it should: a CA its /cainfo (and its operations /healthz
# over TLS where this host reaches it), orderers and peers /healthz,
# the chaincode server its port, a gateway /readyz.
node_ready() {
	case $1 in
	ca.*) ca_root "${1#ca.}" && ca_ready "${1#ca.}" && ca_ops_healthy "${1#ca.}" ;;
	orderer[0-9]) orderer_healthy "$1" ;;
	peer0.*) peer_healthy "${1#peer0.}" ;;
	chaincode.* | chaincode-*.*) cc_listening "$1" ;;
	gateway.*) gateway_ready "${1#gateway.}" ;;
	*) return 1 ;;
	esac
}

# start_and_wait NAME...: starts the nodes (rendered before) and waits until each is ready.
start_and_wait() {
	local n
	node_start "$@"
	for n in "$@"; do
		wait_until "$n to be ready" "$n" "$READY_TIMEOUT" node_ready "$n"
	done
}

# all_ready: every node runs and answers.
all_ready() {
	local n
	while read -r n; do
		if ! node_running "$n" || ! node_ready "$n"; then return 1; fi
	done < <(nodes)
}

# network_complete: a finished `up` (network.json is written last) whose nodes all run and answer.
network_complete() {
	[ -f "$NET/network.json" ] && [ -n "$(cc_state sequence)" ] && all_ready
}

# per_org LOG WHAT "ORG..." CMD [ARGS...]: runs `CMD ORG ARGS...` for every ORG at once, each in
# the background with its output appended to $NET/logs/LOG.ORG.log; waits for all of them; says
# "WHAT (ORG) failed" with the last lines of the log of each that failed, and then fails.
per_org() {
	local log=$1 what=$2 orgs=$3 org failed=0
	shift 3
	local -A pids=()
	for org in $orgs; do
		(
			set -e
			"$1" "$org" "${@:2}"
		) >>"$NET/logs/$log.$org.log" 2>&1 &
		pids[$org]=$!
	done
	for org in $orgs; do
		wait "${pids[$org]}" && continue
		say "$what ($org) failed; last lines of $NET/logs/$log.$org.log:" >&2
		tail -n 20 "$NET/logs/$log.$org.log" >&2
		failed=1
	done
	return $failed
}

# ---------------------------------------------------------------------------------------------
# Commands both scripts share

# bring_up: the steps of `up` after the binaries or images and before anything backend-specific:
# identities, nodes, channel, chaincode, gossip.
bring_up() {
	step "certificate authorities and identities (6 CAs, nodes, admins, users with recv.role)"
	setup_identities
	step_done

	step "orderers (3 x Raft) and peers (5 orgs)"
	start_nodes
	step_done

	step "channel $CHANNEL: genesis block, orderers join (osnadmin), peers join"
	create_channel
	step_done

	step "chaincode $CC_NAME: a package and a server per org, install, approve x5, commit, seed the membership registry"
	deploy_chaincode 1
	step_done

	step "gossip: every peer sees the other orgs' peers (discovery can plan endorsements)"
	local org
	for org in "${ORGS[@]}"; do
		wait_until "peer0.$org to know the other peers" "peer0.$org" "$READY_TIMEOUT" gossip_complete "$org"
	done
	step_done
}

# node_height NAME: the channel's block height on an orderer or peer; the chaincode's sequence.
node_height() {
	case $1 in
	orderer[0-9]) orderer_height "$1" || true ;;
	peer0.*) peer_height "${1#peer0.}" || true ;;
	chaincode.*) echo "seq $(cc_state sequence -)" ;;
	esac
}

cmd_logs() {
	local n=${1:-} follow=${2:-}
	[ -n "$n" ] || die "usage: $SCRIPT logs NODE [-f]; nodes: $(nodes | paste -sd' ')"
	node_log "$n" "${follow:-all}" || die "no log for $n; nodes: $(nodes | paste -sd' ')"
}

cmd_env() {
	local org=${1:-} user=${2:-admin} dir
	[ -n "${MSP[${org:-none}]:-}" ] || die "usage: $SCRIPT env ORG [USER]; orgs: ${ORGS[*]}"
	dir=$(org_dir "$org")
	[ -d "$dir/users/$user/msp" ] || die "no identity $user in $org"
	# The TLS client pair the peers require: the identity's own TLS pair where it has one (admin),
	# else its enrollment pair (the org's CA, no extended key usage: valid for TLS client auth).
	local cert=$dir/users/$user/tls/cert.pem key=$dir/users/$user/tls/key.pem
	if [ ! -f "$cert" ]; then
		cert=$dir/users/$user/msp/signcerts/cert.pem
		key=$dir/users/$user/msp/keystore/key.pem
	fi
	cat <<EOF
export FABRIC_CFG_PATH=$dir/peer0/config
export CORE_PEER_LOCALMSPID=${MSP[$org]}
export CORE_PEER_MSPCONFIGPATH=$dir/users/$user/msp
export CORE_PEER_ADDRESS=$(addr host "peer0.$org")
export CORE_PEER_TLS_ENABLED=true
export CORE_PEER_TLS_ROOTCERT_FILE=$(ca_cert "$org")
export CORE_PEER_TLS_CLIENTAUTHREQUIRED=$CLIENT_AUTH
export CORE_PEER_TLS_CLIENTCERT_FILE=$cert
export CORE_PEER_TLS_CLIENTKEY_FILE=$key
export ORDERER_ADDRESS=$(addr host orderer1)
export ORDERER_CA=$(ca_cert orderer)
export ORDERER_CLIENT_CERT=$dir/users/admin/tls/cert.pem
export ORDERER_CLIENT_KEY=$dir/users/admin/tls/key.pem
EOF
}

#!/usr/bin/env bash
# The native recv network: Fabric CAs, 3 Raft orderers, 5 peer orgs, channel and chaincode as
# local processes on loopback ports, all state under $RECV_NET_DIR (default .recv-net).
#
#   network.sh up             build what is missing, start everything, deploy, write network.json
#   network.sh down           stop every process this network started (by PID) and remove its state
#   network.sh stop [NODE...] stop every node (by PID) and keep the state folder: ledgers, identities,
#                             CA databases, chaincode package (the gateways: scripts/gateways.sh down);
#                             with NODEs, stop only those ('start NODE...' brings them back)
#   network.sh start [NODE...] start a stopped network again from its state folder and wait until it
#                             answers; with NODEs, start those of them that are not running
#   network.sh kill NODE [SIGNAL] send a node a signal by its PID file (default KILL; STOP and CONT
#                             pause and resume it): fault injection for tests
#   network.sh height NODE    the channel's block height on a peer or an orderer
#   network.sh leader         the orderer that is the channel's Raft leader (from the orderers'
#                             operations endpoints, metric consensus_etcdraft_is_leader)
#   network.sh nodes          the node names
#   network.sh status         each node: running, /healthz, block height, certificates' expiry
#   network.sh certs [ORG]    every certificate of the organisation's state folder (default all):
#                             file, subject CN, notAfter, days left; the first to expire first
#   network.sh renew NODE     a peer's or an orderer's enrollment and TLS pairs reissued by its CA,
#                             an orderer's consenter entry updated, the node restarted and waited
#                             for; the replaced pairs kept in its folder's renewed/; for a CA
#                             (ca.ORG), its own TLS pair, which it issues itself at a restart; for
#                             a chaincode server (chaincode.ORG), its TLS pair, read again by the
#                             running server at its next handshake (no restart)
#   network.sh deploy         deploy the chaincode (sequence 1) when it is not committed yet
#   network.sh upgrade        rebuild the chaincode, commit sequence + 1 with new servers started
#                             beside the running ones (no call fails; docs/network.md)
#   network.sh logs NODE [-f] a node's log (names from `status`)
#   network.sh env ORG [USER] shell exports for the peer CLI as that identity (default admin)
#   network.sh invoke ORG/USER ORG[,ORG...] FN [ARG...]   the chaincode invoked with the peer CLI,
#                             endorsed by exactly the listed organisations' peers (a member without a gateway)
#   network.sh add-org NAME [LEGAL_NAME] [CREDIT_CODE]
#                             a bank joins the running network: its CA, identities and peer, the
#                             channel update, the chaincode definition, the registry, its gateway
#   network.sh revoke-user ORG NAME [REASON]
#                             revoke a user: its certificates at the org's CA (recv user revoke,
#                             through the org's gateway), the CA's CRL into the org's channel MSP
#   network.sh backup ORG [DEST] the org's CA (config, keys, database), MSP and identities, gateway
#                             folder and a ledger snapshot from its peer, into DEST (default: a dated
#                             folder under $RECV_BACKUP_DIR, default <state folder>.backups/ORG/)
#   network.sh restore-peer ORG [BACKUP] [--genesis]
#                             the org's peer rebuilt from the backup's snapshot (default: the latest
#                             backup), or from the genesis block, and caught up with the orderers
#   network.sh restore-ca ORG [BACKUP]
#                             the org's CA put back from the backup (its home, its database)
#   network.sh config-update WHAT JQ_FILTER [ORG...]
#                             change the channel configuration by a jq filter over its JSON, signed
#                             by the admins its policies require (or by ORG... only), submitted by
#                             the core enterprise's admin (or the first ORG)
#
# Environment: RECV_NET_DIR, RECV_BACKUP_DIR, RECV_LOG_MAX_SIZE, RECV_LOG_KEEP, RECV_PORT_OFFSET (added to every port), RECV_BATCH_TIMEOUT (150ms),
# RECV_BATCH_MAX_MESSAGES (100), RECV_LOG_SPEC (the nodes' FABRIC_LOGGING_SPEC), RECV_CC_POLICY,
# RECV_CC_BIN (a prebuilt chaincode server), RECV_CC_TLS (true: mutual TLS to the chaincode
# servers), RECV_CLIENT_AUTH (true: mutual TLS on peers and orderers), RECV_READY_TIMEOUT (seconds
# per readiness wait, 60), RECV_TLS_EXTRA_HOSTS (more TLS SANs), RECV_CERT_EXPIRY (the lifetime of the
# certificates the CAs issue, as a Go duration, 8760h; read when the network is made).
# See docs/network.md.
set -euo pipefail

# shellcheck source=lib/net.sh
. "$(cd "$(dirname "$0")" && pwd)/lib/net.sh" native

# STOPPED: the marker of a network that `stop` stopped and `start` may start again.
STOPPED=.stopped

cmd_up() {
	check_state_dir
	if [ -f "$NET/network.json" ] && network_complete; then
		say "already up: every node is healthy ($NET/network.json); 'network.sh down' first to start afresh"
		return 0
	fi
	if [ -e "$NET/$STOPPED" ] && [ -f "$NET/network.json" ]; then
		say "the network in $NET was stopped: starting it again from its state folder"
		cmd_start
		return
	fi
	if [ -e "$NET/$MARKER" ]; then
		say "a previous network in $NET is incomplete: removing it and starting afresh"
		cmd_down
	fi
	guard_up
	ensure_tool envsubst gettext-base
	ensure_tool curl curl

	step "binaries (built from pinned modules when missing)"
	"$ROOT/scripts/fabric-bin/build.sh" fabric
	"$ROOT/scripts/fabric-bin/build.sh" ca
	"$ROOT/scripts/fabric-bin/build.sh" tools
	build_chaincode
	step_done

	local t0=$SECONDS
	mkdir -p "$NET"
	touch "$NET/$MARKER"
	mkdir -p "$NET/logs" "$NET/pids"
	bring_up
	write_network_json
	unguard_up
	say ""
	say "network up in $((SECONDS - t0))s (from nothing to chaincode committed, binaries built; whole command $((SECONDS - RUN_STARTED))s)"
	say "network.json: $NET/network.json"
}

# started_nodes: every node, and any other node this network wrote a PID file for (the benchmarks'
# bare chaincode servers, which `start` starts again when the bare chaincode is deployed); each is still
# signalled only by PID and tag.
started_nodes() {
	local f n names
	names=" $(nodes | paste -sd' ') "
	nodes
	for f in "$NET"/pids/*.pid; do
		[ -e "$f" ] || continue
		n=$(basename "$f" .pid)
		case $names in *" $n "*) ;; *) echo "$n" ;; esac
	done
}

cmd_down() {
	if [ ! -e "$NET" ]; then
		say "nothing to stop: $NET does not exist"
		return 0
	fi
	check_state_dir
	local names=()
	cc_handover_abort # next chaincode servers of an upgrade that stopped halfway
	mapfile -t names < <(started_nodes)
	stop_nodes "${names[@]}"
	rm -rf "$NET"
	say "removed $NET"
}

# bin_version BINARY: the version a Fabric binary of bin/ reports ("-" without it).
bin_version() { "$BIN/$1" version 2>/dev/null | sed -n 's/^ *Version: *//p' | head -n1 | grep . || echo -; }

# node_version NODE: what the node runs: Fabric's or Fabric CA's version, the chaincode package.
node_version() {
	case $1 in
	peer0.*) echo "peer ${version[peer]}" ;;
	orderer[0-9]) echo "orderer ${version[orderer]}" ;;
	ca.*) echo "ca ${version[ca]}" ;;
	chaincode.*) cc_state label - ;;
	*) echo - ;;
	esac
}

# node_expiry NODE: the earliest expiry of the node's own certificates (its TLS pair, its
# enrollment certificate; a CA's root, TLS pair and operations TLS pair), with the days left.
node_expiry() {
	local d=$(node_dir "$1") f info first=""
	for f in "$d/tls/cert.pem" "$d/msp/signcerts/cert.pem" "$d/ca-cert.pem" "$d/tls-cert.pem" "$d/ops-tls/cert.pem"; do
		[ -f "$f" ] && info=$(cert_info "$f") || continue
		[ -n "$first" ] && [ "${info%%$'\t'*}" -ge "$first" ] || first=${info%%$'\t'*}
	done
	[ -n "$first" ] || { echo -; return; }
	echo "$(date -u -d "@$first" +%F) ($(time_left "$first"))"
}

# cmd_certs [ORG]: every certificate in the state folder of ORG (default: every organisation, the
# ordering one included) and of its gateway (gateways/ORG/), one line each, the first to expire
# first: its file, subject CN, notAfter and days left. A certificate copied to several files (the
# CA's root in every MSP, a user's in the gateway's wallet) is listed once, at its first file.
cmd_certs() {
	[ -e "$NET/$MARKER" ] || die "no network in $NET"
	local orgs=(orderer "${ORGS[@]}") org f info end cn fpr
	if [ -n "${1:-}" ]; then
		[ -n "${MSP[$1]:-}" ] || die "no organisation '$1'; organisations: orderer ${ORGS[*]}"
		orgs=("$1")
	fi
	printf '%-56s %-40s %-20s %s\n' FILE CN 'NOT AFTER (UTC)' 'DAYS LEFT'
	for org in "${orgs[@]}"; do
		cert_files "$(org_dir "$org")" "$NET/gateways/$org"
	done | while IFS= read -r f; do
		info=$(cert_info "$f") || continue
		printf '%s\t%s\n' "$info" "${f#"$NET"/}"
	done | sort -t$'\t' -k3,3 -s -u | sort -t$'\t' -k1,1n -s | while IFS=$'\t' read -r end cn fpr f; do
		printf '%-56s %-40s %-20s %s\n' "$f" "${cn:--}" "$(date -u -d "@$end" '+%F %R')" "$(days_left "$end")"
	done
}

cmd_status() {
	[ -e "$NET/$MARKER" ] || { say "no network in $NET"; return 1; }
	[ ! -e "$NET/$STOPPED" ] || say "stopped by 'network.sh stop'; 'network.sh start' resumes it"
	local n state health height bad=0
	local -A version=([peer]=$(bin_version peer) [orderer]=$(bin_version orderer) [ca]=$(bin_version fabric-ca-server))
	printf '%-18s %-8s %-8s %-7s %-8s %-16s %s\n' NODE PID STATE HEALTH HEIGHT VERSION 'CERTS EXPIRE'
	while read -r n; do
		state=stopped health=FAIL
		if node_running "$n"; then state=running; fi
		if node_ready "$n"; then health=ok; fi
		height=$(node_height "$n")
		[ "$state" = running ] && [ "$health" = ok ] || bad=1
		printf '%-18s %-8s %-8s %-7s %-8s %-16s %s\n' "$n" "$(cat "$(pid_file "$n")" 2>/dev/null || echo -)" "$state" "$health" \
			"${height:--}" "$(node_version "$n")" "$(node_expiry "$n")"
	done < <(nodes)
	return $bad
}

# cmd_stop [NODE...]: every node (SIGTERM, then SIGKILL after 15 s), the state folder kept; with
# NODEs, only those (an operator's node-level stop: `start NODE` brings each back).
cmd_stop() {
	[ -e "$NET/$MARKER" ] || die "no network in $NET"
	[ -f "$NET/network.json" ] || die "the network in $NET never came up completely: 'network.sh down', then 'up'"
	local t0=$SECONDS n names=()
	if [ $# -gt 0 ]; then
		known_nodes "$@"
		for n in "$@"; do
			node_running "$n" && names+=("$n") || say "$n is not running"
		done
		[ ${#names[@]} -eq 0 ] || stop_nodes "${names[@]}"
		say "stopped ${names[*]:-nothing} in $((SECONDS - t0))s ('network.sh start ${*}' starts them again)"
		return
	fi
	cc_handover_abort # next chaincode servers of an upgrade that stopped halfway
	mapfile -t names < <(started_nodes)
	stop_nodes "${names[@]}"
	touch "$NET/$STOPPED"
	say "stopped in $((SECONDS - t0))s; state kept in $NET ('network.sh start' resumes it, 'network.sh down' removes it)"
}

# cmd_start [NODE...]: every node (a stopped network), or the named ones, started unless running,
# each waited for; the whole network also needs a Raft leader and complete gossip.
cmd_start() {
	[ -e "$NET/$MARKER" ] && [ -f "$NET/network.json" ] || die "no complete network in $NET to start: 'network.sh up' makes one"
	local t0=$SECONDS n all names=() todo=()
	mapfile -t all < <(nodes)
	if [ $# -gt 0 ]; then names=("$@"); else names=("${all[@]}"); fi
	known_nodes "${names[@]}"
	for n in "${names[@]}"; do
		node_running "$n" || todo+=("$n")
	done
	# Each chaincode server serves the package its org's peer installed (start_cc_server reads it).
	[ ${#todo[@]} -eq 0 ] || start_and_wait "${todo[@]}"
	# A peer is started for its users when its organisation's gateway (if one is serving) can use
	# it again (its /readyz runs a query on that peer) and, every peer running, each peer's gossip
	# knows all the others again, so that every gateway's endorsement plans include it.
	local peers_started=0
	for n in "${todo[@]}"; do
		case $n in peer0.*) ;; *) continue ;; esac
		peers_started=1
		local a
		a=$(addr host "gateway.${n#peer0.}" 2>/dev/null) || continue
		port_open "${a%:*}" "${a##*:}" || continue
		wait_until "the ${n#peer0.} gateway to use $n" "$n" "$READY_TIMEOUT" gateway_ready "${n#peer0.}"
	done
	if [ $# -gt 0 ] && [ $peers_started = 1 ]; then
		local org all_peers=1
		for org in "${ORGS[@]}"; do node_running "peer0.$org" || all_peers=0; done
		if [ $all_peers = 1 ]; then
			for org in "${ORGS[@]}"; do
				wait_until "peer0.$org to know the other peers" "peer0.$org" "$READY_TIMEOUT" gossip_complete "$org"
			done
		fi
	fi
	if [ $# -eq 0 ]; then
		start_bare_servers
		wait_until "a Raft leader on $CHANNEL" "" "$READY_TIMEOUT" raft_leader_known
		local org
		for org in "${ORGS[@]}"; do
			wait_until "peer0.$org to know the other peers" "peer0.$org" "$READY_TIMEOUT" gossip_complete "$org"
		done
		rm -f "$NET/$STOPPED"
	fi
	say "started ${todo[*]:-nothing (all running)} in $((SECONDS - t0))s"
}

# cmd_kill NODE [SIGNAL]: the signal to the node's process, by its PID file and tag only; after
# KILL, waits until the process is gone so that its ports are free for a restart.
cmd_kill() {
	local n=${1:-} sig=${2:-KILL} pid i
	[ -n "$n" ] || die "usage: $SCRIPT kill NODE [SIGNAL]; nodes: $(nodes | paste -sd' ')"
	node_running "$n" || die "$n is not running"
	pid=$(cat "$(pid_file "$n")")
	kill -s "$sig" "$pid" || die "kill -s $sig $pid ($n) failed"
	if [ "${sig#SIG}" = KILL ]; then
		for ((i = 0; i < 100; i++)); do
			any_alive "$pid" || break
			sleep 0.05
		done
	fi
	say "sent SIG${sig#SIG} to $n (pid $pid)"
}

cmd_deploy() {
	[ -e "$NET/$MARKER" ] || die "no network in $NET: run 'network.sh up'"
	if [ -n "$(cc_state sequence)" ]; then
		say "chaincode $CC_NAME is already committed at sequence $(cc_state sequence); use 'network.sh upgrade'"
		return 0
	fi
	build_chaincode
	step "chaincode $CC_NAME: package, install, serve, approve x5, commit, seed the membership registry"
	deploy_chaincode 1
	step_done
	write_network_json
}

cmd_upgrade() {
	[ -e "$NET/$MARKER" ] || die "no network in $NET: run 'network.sh up'"
	local next=$(($(cc_state sequence 0) + 1))
	build_chaincode
	step "chaincode $CC_NAME: upgrade to sequence $next"
	# A failed upgrade leaves the deployed definition and its servers as they were.
	trap 'rc=$?; [ $rc -eq 0 ] || cc_handover_abort' EXIT
	deploy_chaincode "$next"
	trap - EXIT
	step_done
}

# org_gateway_up ORG: the native gateways run from scripts/gateways.sh, which starts every org's
# that is not running.
org_gateway_up() { RECV_BIN=${RECV_BIN:-$ROOT/bin/recv} "$ROOT/scripts/gateways.sh" up; }

cmd_add_org() {
	local name=${1:-}
	[ -n "$name" ] || die "usage: $SCRIPT add-org NAME [LEGAL_NAME] [CREDIT_CODE], e.g. add-org bank3"
	[ -f "$NET/network.json" ] && [ -n "$(cc_state sequence)" ] || die "no running network in $NET: run 'network.sh up'"
	ensure_tool jq jq
	"$ROOT/scripts/fabric-bin/build.sh" fabric
	build_chaincode
	# The recv CLI: its kit makes the join's files (a bin/recv older than the kit has no such verbs).
	[ -n "${RECV_BIN:-}" ] || (cd "$ROOT/gateway" && go build -o "$ROOT/bin/recv" ./cmd/recv)
	add_org "$@"
}

cmd_revoke_user() {
	[ -n "${1:-}" ] && [ -n "${2:-}" ] || die "usage: $SCRIPT revoke-user ORG NAME [REASON]"
	[ -f "$NET/network.json" ] || die "no network in $NET: run 'network.sh up'"
	ensure_tool jq jq
	step "${MSP[$1]:-$1}/$2: revoked at ca.$1, the CRL into the org's channel MSP"
	revoke_user "$@"
	step_done
}

# cmd_renew NODE: a peer's or an orderer's enrollment and TLS pairs reissued by its organisation's
# CA (new keys), the replaced ones kept in its folder's renewed/STAMP/; an orderer's consenter entry
# updated in the channel configuration; the node restarted and waited for: a peer until its
# gateway uses it and gossip knows it, an orderer until it is back in Raft. One node at a time:
# the other orderers keep the quorum. A restart that fails puts the replaced pairs back. A CA's
# TLS pair: renew_ca; a chaincode server's: renew_cc_server.
cmd_renew() {
	local node=${1:-} t0=$SECONDS org work bak old new
	[ -n "$node" ] || die "usage: $SCRIPT renew NODE (a peer, an orderer, a CA's or a chaincode server's TLS pair); nodes: $(nodes | grep -E '^(peer0|orderer|ca|chaincode)[.0-9]' | paste -sd' ')"
	[ -f "$NET/network.json" ] || die "no network in $NET: run 'network.sh up'"
	known_nodes "$node"
	case $node in
	peer0.* | orderer[0-9]) ;;
	ca.*)
		node_running "$node" || die "renew: $node is not running ('network.sh start $node' first)"
		renew_ca "${node#ca.}"
		return
		;;
	chaincode.*)
		renew_cc_server "${node#chaincode.}"
		return
		;;
	*) die "renew: $node is no peer, orderer, CA or chaincode server (users: docs/operations.md)" ;;
	esac
	node_running "$node" || die "renew: $node is not running ('network.sh start $node' first)"
	ensure_tool jq jq
	org=$(node_org "$node")
	old=$(served_cert "$node")
	step "$node: new enrollment and TLS pairs from ca.$org"
	RENEW_WORK=$(mktemp -d "$(node_dir "$node")/.renew.XXXXXX")
	trap 'rm -rf "$RENEW_WORK"' EXIT
	work=$RENEW_WORK
	renew_new_pairs "$node" "$work"
	step_done
	if [ "$org" = orderer ]; then
		step "$node: its consenter entry in the channel configuration names the new TLS certificate"
		consenter_update "$node" "$work/tls/cert.pem"
		step_done
	fi
	step "$node: restarted with the new pairs (the replaced ones in $RENEWED/)"
	bak=$(renew_install "$node" "$work")
	rm -rf "$work"
	RENEW_NODE=$node RENEW_BACKUP=$bak
	trap 'rc=$?; [ $rc -eq 0 ] || renew_failed "$RENEW_NODE" "$RENEW_BACKUP"' EXIT
	stop_nodes "$node"
	cmd_start "$node"
	if [ "$org" = orderer ]; then
		wait_until "$node to rejoin Raft on $CHANNEL" "$node" "$READY_TIMEOUT" orderer_rejoined "$node"
	fi
	new=$(served_cert "$node")
	[ -n "$new" ] && [ "$new" = "$(cert_fingerprint "$(node_dir "$node")/tls/cert.pem")" ] ||
		die "$node does not present its new TLS certificate (it presents ${new:-nothing})"
	trap - EXIT
	step_done
	say "$node renewed in $((SECONDS - t0))s: its TLS listener presents the new certificate (was ${old:0:23}..., now ${new:0:23}...)"
	say "    enrollment until $(cert_until "$(node_dir "$node")/msp/signcerts/cert.pem"), TLS until $(cert_until "$(node_dir "$node")/tls/cert.pem")"
	say "    replaced pairs: $bak"
}

# renew_cc_server ORG: the TLS pair of ORG's chaincode servers renewed in place, then checked: the
# running server presents the new certificate on a new connection (nothing restarts).
renew_cc_server() {
	local org=$1 t0=$SECONDS old bak dir
	node_running "$CC_SERVER.$org" || die "renew: $CC_SERVER.$org is not running ('network.sh start $CC_SERVER.$org' first)"
	[ "$CC_TLS" = true ] || die "renew: the chaincode servers serve no TLS on this network (CC_TLS=false)"
	dir=$(cc_tls_dir "$org")/server
	old=$(cc_served_cert "$org")
	step "chaincode.$org: a new TLS pair from ca.$org, read by the running server at its next handshake"
	bak=$(renew_in_place "$org" "$dir" "$(node_hosts "chaincode.$org")")
	renew_checked "chaincode.$org" "$dir" "$bak" cc_served_cert "$org"
	step_done
	say "chaincode.$org renewed in $((SECONDS - t0))s without a restart (was ${old:0:23}..., now $(cert_fingerprint "$dir/tls/cert.pem" | cut -c1-23)...)"
	say "    TLS until $(cert_until "$dir/tls/cert.pem"); replaced pair: $bak"
}

# cert_until FILE: the certificate's notAfter (UTC) with the days left.
cert_until() {
	local end
	end=$(cert_info "$1" | cut -f1)
	echo "$(date -u -d "@$end" '+%F %R') UTC ($(time_left "$end"))"
}

# renew_failed NODE BACKUP: after a failed restart, the node's replaced pairs back and the node
# started with them (an orderer's former TLS certificate has the same key as the one its consenter
# entry names now, which is all Raft compares).
renew_failed() {
	local node=$1 bak=$2
	say "$node did not come back with its new pairs: putting back those of $bak" >&2
	renew_restore "$node" "$bak"
	stop_nodes "$node" >&2 || true
	start_and_wait "$node" >&2 || say "$node does not start with its former pairs either: its log, 'network.sh logs $node'" >&2
}

cmd_config_update() {
	local what=${1:-} filter=${2:-}
	[ -n "$what" ] && [ -n "$filter" ] || die "usage: $SCRIPT config-update WHAT JQ_FILTER [ORG...]"
	shift 2
	[ -e "$NET/$MARKER" ] || die "no network in $NET: run 'network.sh up'"
	ensure_tool jq jq
	local submitter=core
	if [ $# -gt 0 ]; then
		CONFIG_SIGNERS="$*"
		submitter=$1
	fi
	config_change "$what" "$submitter" jq_edit "$filter"
}

# cmd_invoke ORG/USER ORG[,ORG...] FUNCTION [ARG...]: the receivables chaincode's FUNCTION invoked
# with Fabric's own peer CLI as USER of ORG, endorsed by the peers of exactly the listed
# organisations, waiting for the commit: what any member can do without a gateway. The peer CLI
# prints the validation code; a write that leaves out a party it affects is ENDORSEMENT_POLICY_FAILURE.
cmd_invoke() {
	local who=${1:-} endorsers=${2:-} fn=${3:-}
	[ -n "$who" ] && [ -n "$endorsers" ] && [ -n "$fn" ] || die "usage: $SCRIPT invoke ORG/USER ORG[,ORG...] FUNCTION [ARG...]"
	shift 3
	[ -e "$NET/$MARKER" ] || die "no network in $NET: run 'network.sh up'"
	ensure_tool jq jq
	local org=${who%%/*} user=${who#*/} o flags=() args
	eval "$(cmd_env "$org" "$user")"
	for o in ${endorsers//,/ }; do
		[ -n "${MSP[$o]:-}" ] || die "no organisation $o; orgs: ${ORGS[*]}"
		flags+=(--peerAddresses "$(addr host "peer0.$o")" --tlsRootCertFiles "$(ca_cert "$o")")
	done
	args=$(jq -cn --arg f "$fn" '{function: $f, Args: $ARGS.positional}' --args "$@")
	FABRIC_LOGGING_SPEC=warning "$BIN/peer" chaincode invoke -C "$CHANNEL" -n "$CC_NAME" -c "$args" "${flags[@]}" \
		-o "$ORDERER_ADDRESS" --tls --cafile "$ORDERER_CA" --clientauth \
		--certfile "$CORE_PEER_TLS_CLIENTCERT_FILE" --keyfile "$CORE_PEER_TLS_CLIENTKEY_FILE" \
		--waitForEvent --waitForEventTimeout 60s
}

verb=${1:-}
[ $# -eq 0 ] || shift
case $verb in
up | down | status | deploy | upgrade | nodes | leader) no_args "$verb" "$@" ;;
kill | env | logs) max_args "$verb" 2 "$@" ;;
backup | restore-ca) max_args "$verb" 2 "$@" ;;
restore-peer) max_args "$verb" 3 "$@" ;;
height | renew | certs) max_args "$verb" 1 "$@" ;;
esac
case $verb in
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
deploy) cmd_deploy ;;
upgrade) cmd_upgrade ;;
stop) cmd_stop "$@" ;;
start) cmd_start "$@" ;;
kill) cmd_kill "${1:-}" "${2:-}" ;;
height)
	[ -n "${1:-}" ] || die "usage: $SCRIPT height NODE"
	node_height "$1"
	;;
nodes) nodes ;;
leader) raft_leader || die "no orderer reports itself the Raft leader of $CHANNEL" ;;
logs) cmd_logs "${1:-}" "${2:-}" ;;
env) cmd_env "${1:-}" "${2:-}" ;;
invoke) cmd_invoke "$@" ;;
add-org) cmd_add_org "$@" ;;
config-update) cmd_config_update "$@" ;;
revoke-user) cmd_revoke_user "$@" ;;
backup) cmd_backup "$@" ;;
restore-peer) cmd_restore_peer "$@" ;;
restore-ca) cmd_restore_ca "$@" ;;
certs) cmd_certs "$@" ;;
renew) cmd_renew "$@" ;;
*) usage ;;
esac

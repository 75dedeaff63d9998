#!/usr/bin/env bash
# The native recv network: Fabric CAs, 3 Raft orderers, 5 peer orgs, channel and chaincode as
# local processes on loopback ports, all state under $RECV_NET_DIR (default .recv-net).
#
#   network.sh up             build what is missing, start everything, deploy, write network.json
#   network.sh down           stop every process this network started (by PID) and remove its state
#   network.sh status         each node: running, /healthz, block height
#   network.sh deploy         deploy the chaincode (sequence 1) when it is not committed yet
#   network.sh upgrade        rebuild the chaincode, restart its server, commit sequence + 1
#   network.sh logs NODE [-f] a node's log (names from `status`)
#   network.sh env ORG [USER] shell exports for the peer CLI as that identity (default admin)
#   network.sh add-org NAME [LEGAL_NAME] [CREDIT_CODE]
#                             a bank joins the running network: its CA, identities and peer, the
#                             channel update, the chaincode definition, the registry, its gateway
#   network.sh config-update WHAT JQ_FILTER [ORG...]
#                             change the channel configuration by a jq filter over its JSON, signed
#                             by the admins its policies require (or by ORG... only), submitted by
#                             the core enterprise's admin (or the first ORG)
#
# Environment: RECV_NET_DIR, RECV_PORT_OFFSET (added to every port), RECV_BATCH_TIMEOUT (150ms),
# RECV_BATCH_MAX_MESSAGES (100), RECV_LOG_SPEC (the nodes' FABRIC_LOGGING_SPEC), RECV_CC_POLICY,
# RECV_CC_BIN (a prebuilt chaincode server), RECV_CC_TLS (true: mutual TLS to the chaincode
# server), RECV_CLIENT_AUTH (false), RECV_READY_TIMEOUT (seconds per readiness wait, 60),
# RECV_TLS_EXTRA_HOSTS (more TLS SANs).
# See docs/network.md.
set -euo pipefail

# shellcheck source=lib/net.sh
. "$(cd "$(dirname "$0")" && pwd)/lib/net.sh" native

cmd_up() {
	check_state_dir
	if [ -f "$NET/network.json" ] && network_complete; then
		say "already up: every node is healthy ($NET/network.json); 'network.sh down' first to start afresh"
		return 0
	fi
	if [ -e "$NET/$MARKER" ]; then
		say "a previous network in $NET is incomplete or stopped: removing it and starting afresh"
		cmd_down
	fi
	guard_up
	ensure_tool envsubst gettext-base
	ensure_tool curl curl

	step "binaries (built from pinned modules when missing)"
	"$ROOT/scripts/fabric-bin/build.sh" fabric
	"$ROOT/scripts/fabric-bin/build.sh" ca
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

cmd_down() {
	if [ ! -e "$NET" ]; then
		say "nothing to stop: $NET does not exist"
		return 0
	fi
	check_state_dir
	local f names=()
	mapfile -t names < <(nodes)
	# Any other PID file this network wrote (none expected), still only by PID and tag.
	for f in "$NET"/pids/*.pid; do
		[ -e "$f" ] || continue
		case " ${names[*]} " in *" $(basename "$f" .pid) "*) ;; *) names+=("$(basename "$f" .pid)") ;; esac
	done
	stop_nodes "${names[@]}"
	rm -rf "$NET"
	say "removed $NET"
}

cmd_status() {
	[ -e "$NET/$MARKER" ] || { say "no network in $NET"; return 1; }
	local n state health height bad=0
	printf '%-16s %-8s %-8s %-8s %s\n' NODE PID STATE HEALTH HEIGHT
	while read -r n; do
		state=stopped health=FAIL
		if node_running "$n"; then state=running; fi
		if node_ready "$n"; then health=ok; fi
		height=$(node_height "$n")
		[ "$state" = running ] && [ "$health" = ok ] || bad=1
		printf '%-16s %-8s %-8s %-8s %s\n' "$n" "$(cat "$(pid_file "$n")" 2>/dev/null || echo -)" "$state" "$health" "${height:--}"
	done < <(nodes)
	return $bad
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
	deploy_chaincode "$next"
	step_done
}

cmd_add_org() {
	local name=${1:-} legal=${2:-} code=${3:-}
	[ -n "$name" ] || die "usage: $SCRIPT add-org NAME [LEGAL_NAME] [CREDIT_CODE], e.g. add-org bank3"
	[ -f "$NET/network.json" ] && [ -n "$(cc_state sequence)" ] || die "no running network in $NET: run 'network.sh up'"
	ensure_tool jq jq
	"$ROOT/scripts/fabric-bin/build.sh" fabric
	build_chaincode
	local t0=$SECONDS
	if [ -z "$code" ]; then
		local first17
		first17=91310000MA1K3B$(printf '%03d' "$(($(printf '%s\n' "${ORG_INDEX[@]}" | sort -n | tail -n 1) + 1))")
		code=$first17$(credit_code_check "$first17")
	fi
	define_org "$name" bank "${legal:-${name^} Commercial Bank Co., Ltd.}" "$code"
	add_org_network "$name"
	write_network_json
	step "$name: gateway, and ${MSP[$name]} in the registry (set-org proposal, approved by a majority of the admins)"
	"$ROOT/scripts/gateways.sh" up
	org_registered "$name"
	step_done
	say ""
	say "${MSP[$name]} joined in $((SECONDS - t0))s: peer0.$name at $(addr host "peer0.$name"), gateway at $(addr host "gateway.$name")"
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

case ${1:-} in
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
deploy) cmd_deploy ;;
upgrade) cmd_upgrade ;;
logs) cmd_logs "${2:-}" "${3:-}" ;;
env) cmd_env "${2:-}" "${3:-}" ;;
add-org) cmd_add_org "${@:2}" ;;
config-update) cmd_config_update "${@:2}" ;;
*) usage ;;
esac

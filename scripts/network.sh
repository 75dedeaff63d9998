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
#
# Environment: RECV_NET_DIR, RECV_PORT_OFFSET (added to every port), RECV_BATCH_TIMEOUT (150ms),
# RECV_BATCH_MAX_MESSAGES (100), RECV_CC_POLICY, RECV_CC_BIN (a prebuilt chaincode server),
# RECV_CC_TLS (true: mutual TLS to the chaincode server), RECV_CLIENT_AUTH (false),
# RECV_READY_TIMEOUT (seconds per readiness wait, 60), RECV_TLS_EXTRA_HOSTS (more TLS SANs).
# See docs/network.md.
set -euo pipefail

lib=$(cd "$(dirname "$0")" && pwd)/lib
# shellcheck source=lib/net-common.sh
. "$lib/net-common.sh"
# shellcheck source=lib/net-crypto.sh
. "$lib/net-crypto.sh"
# shellcheck source=lib/net-nodes.sh
. "$lib/net-nodes.sh"
# shellcheck source=lib/net-chaincode.sh
. "$lib/net-chaincode.sh"
# shellcheck source=lib/net-json.sh
. "$lib/net-json.sh"

usage() {
	sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
	exit 2
}

# on_up_exit: when `up` fails part way, say which step and stop what this run started.
on_up_exit() {
	local rc=$?
	[ $rc -eq 0 ] && return
	printf '\nnetwork: step "%s" failed (exit %s); logs in %s/logs\n' "$STEP" "$rc" "$NET" >&2
	[ ${#STARTED[@]} -eq 0 ] || stop_nodes "${STARTED[@]}"
	exit $rc
}

# all_healthy: every node runs, and orderers and peers answer /healthz.
all_healthy() {
	local n o org
	while read -r n; do is_running "$n" || return 1; done < <(nodes)
	for o in "${ORDERERS[@]}"; do orderer_healthy "$o" || return 1; done
	for org in "${ORGS[@]}"; do peer_healthy "$org" || return 1; done
}

check_state_dir() {
	if [ -e "$NET" ] && [ ! -e "$NET/$MARKER" ] && [ -n "$(ls -A "$NET" 2>/dev/null)" ]; then
		die "$NET exists and is not a recv network state folder; refusing to touch it"
	fi
}

cmd_up() {
	check_state_dir
	if [ -f "$NET/network.json" ] && all_healthy && [ -n "$(cc_state sequence)" ]; then
		say "already up: every node is healthy ($NET/network.json); 'network.sh down' first to start afresh"
		return 0
	fi
	if [ -e "$NET/$MARKER" ]; then
		say "a previous network in $NET is incomplete or stopped: removing it and starting afresh"
		cmd_down
	fi
	trap on_up_exit EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
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

	step "certificate authorities and identities (6 CAs, nodes, admins, users with recv.role)"
	setup_identities
	step_done

	step "orderers (3 x Raft) and peers (5 orgs)"
	start_nodes
	step_done

	step "channel $CHANNEL: genesis block, orderers join (osnadmin), peers join"
	create_channel
	step_done

	step "chaincode $CC_NAME: package, install, serve, approve x5, commit"
	deploy_chaincode 1
	step_done

	step "gossip: every peer sees the other orgs' peers (discovery can plan endorsements)"
	local org
	for org in "${ORGS[@]}"; do
		wait_until "peer0.$org to know the other peers" "peer0.$org" "$READY_TIMEOUT" gossip_complete "$org"
	done
	step_done

	write_network_json
	trap - EXIT INT TERM
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
	local n o org state health height bad=0
	printf '%-16s %-8s %-8s %-8s %s\n' NODE PID STATE HEALTH HEIGHT
	while read -r n; do
		state=stopped health=- height=-
		if is_running "$n"; then state=running; fi
		case $n in
		orderer[0-9])
			if orderer_healthy "$n"; then health=ok; else health=FAIL; fi
			height=$(orderer_height "$n" || true)
			;;
		peer0.*)
			org=${n#peer0.}
			if peer_healthy "$org"; then health=ok; else health=FAIL; fi
			height=$(peer_height "$org" || true)
			;;
		ca.*)
			if ca_ready "${n#ca.}"; then health=ok; else health=FAIL; fi
			;;
		chaincode)
			if port_open "${HOST}" "$(cc_port)"; then health=ok; else health=FAIL; fi
			height="seq $(cc_state sequence -)"
			;;
		esac
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
	step "chaincode $CC_NAME: package, install, serve, approve x5, commit"
	deploy_chaincode 1
	step_done
	write_network_json
}

cmd_upgrade() {
	[ -e "$NET/$MARKER" ] || die "no network in $NET: run 'network.sh up'"
	local next=$(($(cc_state sequence 0) + 1))
	step "chaincode $CC_NAME: upgrade to sequence $next"
	deploy_chaincode "$next"
	step_done
}

cmd_logs() {
	local n=${1:-} follow=${2:-}
	[ -n "$n" ] || die "usage: network.sh logs NODE [-f]; nodes: $(nodes | paste -sd' ')"
	[ -f "$(log_file "$n")" ] || die "no log for $n in $NET/logs; nodes: $(nodes | paste -sd' ')"
	if [ "$follow" = -f ]; then
		tail -n 100 -f "$(log_file "$n")"
	else
		cat "$(log_file "$n")"
	fi
}

cmd_env() {
	local org=${1:-} user=${2:-admin} dir
	[ -n "$org" ] && [ -n "${MSP[$org]:-}" ] || die "usage: network.sh env ORG [USER]; orgs: ${ORGS[*]}"
	dir=$(org_dir "$org")
	[ -d "$dir/users/$user/msp" ] || die "no identity $user in $org"
	cat <<EOF
export FABRIC_CFG_PATH=$dir/peer0/config
export CORE_PEER_LOCALMSPID=${MSP[$org]}
export CORE_PEER_MSPCONFIGPATH=$dir/users/$user/msp
export CORE_PEER_ADDRESS=$HOST:$(peer_port "$org")
export CORE_PEER_TLS_ENABLED=true
export CORE_PEER_TLS_ROOTCERT_FILE=$(ca_cert "$org")
export ORDERER_ADDRESS=$HOST:$(orderer_port orderer1)
export ORDERER_CA=$(ca_cert orderer)
export ORDERER_CLIENT_CERT=$dir/users/admin/tls/cert.pem
export ORDERER_CLIENT_KEY=$dir/users/admin/tls/key.pem
EOF
}

case ${1:-} in
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
deploy) cmd_deploy ;;
upgrade) cmd_upgrade ;;
logs) cmd_logs "${2:-}" "${3:-}" ;;
env) cmd_env "${2:-}" "${3:-}" ;;
*) usage ;;
esac

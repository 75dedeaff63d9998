#!/usr/bin/env bash
# The network benchmark and the soak, against the running native network (docs/PERFORMANCE.md):
#   bench-network.sh [ARGS]       make bench-network: `load bench ARGS` (test/load): every write
#                                 transaction and the bare chaincode, concurrency raised to the knee
#   bench-network.sh soak [ARGS]  make soak: `load soak ARGS`, mixed load with the memory of every
#                                 process sampled
# Both first deploy the bare chaincode (chaincode/cmd/bare) beside the receivables chaincode when
# it is not there yet, with the same library function, on the same channel, with the same
# endorsement policy and collections, as its own chaincode server; and start the gateways when they are not up.
# Results go to $BENCH_OUT (default .bench/ in the repository). Environment: RECV_NET_DIR,
# RECV_PORT_OFFSET as for network.sh. `bench-network.sh -smoke` is CI's check that it works.
set -euo pipefail

# shellcheck source=lib/net.sh
. "$(cd "$(dirname "$0")" && pwd)/lib/net.sh" native

# deploy_bare: the bare chaincode committed and its server running. A definition from before the
# same-shape twins (no collections) gets the next sequence, with the collections and new servers.
deploy_bare() {
	with_bare_chaincode build_chaincode >/dev/null
	local seq
	seq=$(with_bare_chaincode cc_state sequence)
	if [ -n "$seq" ] && [ -e "$(with_bare_chaincode CC_DIR)/collections.json" ]; then
		start_bare_servers
		return 0
	fi
	if [ -n "$seq" ]; then
		step "bare chaincode: redefined with the receivables' collections (sequence $((seq + 1))), new servers"
		# shellcheck disable=SC2046
		stop_nodes $(with_bare_chaincode cc_servers)
		with_bare_chaincode deploy_chaincode $((seq + 1))
		step_done
		return 0
	fi
	step "bare chaincode: package, install, serve, approve x${#ORGS[@]}, commit (beside $CC_NAME, policy $CC_POLICY)"
	with_bare_chaincode deploy_chaincode 1
	step_done
}

mode=bench
case ${1:-} in
bench | soak) mode=$1 && shift ;;
esac
network_complete || die "no running network in $NET: 'make up' first (or set RECV_NET_DIR and RECV_PORT_OFFSET)"
deploy_bare
"$ROOT/scripts/gateways.sh" up | grep -v 'already running' || true
out=${BENCH_OUT:-$ROOT/.bench}
cd "$ROOT/test"
exec go run ./load "$mode" -net "$NET" -out "$out" "$@"

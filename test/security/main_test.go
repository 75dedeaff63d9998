// Package security proves on a real native network what keeps one member's operators, and a local
// user of a member's host, out of another organisation's nodes and state (issue 17, points 1 and 6;
// docs/security.md, "Another member's operator" and "A local user on a member's host"):
//
//   - the state folder holds nothing readable by group or others (TestStateFolder_OwnerOnly);
//   - a peer's and an orderer's operations endpoint serve /metrics and /logspec to their own
//     organisation's operator only (TestOperations_OnlyTheNodesOwnOrganisation,
//     TestOperations_OrdererOnlyTheOrdererOrganisation), not to the organisation's own users
//     (issue 29: TestOperations_OnlyTheOrganisationsOperator); /healthz stays open;
//   - the CAs' operations endpoints speak TLS only (TestCAOperations_TLSOnly);
//   - the core enterprise and every bank hold vetoes on chaincode definitions and channel changes
//     (issue 17, point 5: TestVeto_...); block cutting is the ordering organisation's
//     (TestOrdererConfig_BlockCuttingIsTheOrderingOrganisations); and a bank joins the running network under that rule
//     (issue 10, part 3: TestGrowth_ABankJoinsTheRunningNetwork; the network has six orgs after it);
//   - a member peer of a financing terms collection that was down while terms were written gets
//     them after its restart (issue 10: TestPrivacy_AMemberPeerDownWhileTermsAreWrittenGetsThemAfterRestart).
//
// The checks that hold on a compose network too (mutual TLS, operations endpoints, chaincode
// servers, identities) live in test/internal/securitycheck, which test/docker runs on the compose
// network; the tests here call them on the native network.
//
// The network comes from the harness (test/internal/testnet): a fresh one on ports
// RECV_PORT_OFFSET (default 5000: below the ephemeral port range, so no outgoing connection holds one of its ports), or the running one RECV_TEST_NET_DIR names. The tests change
// a peer's log level (and set it back) and, in TestGrowth_ABankJoinsTheRunningNetwork, add a bank.
package security

import (
	"testing"

	"github.com/recv-ledger/recv/test/internal/testnet"
)

var nw *testnet.Network // the network under test

func TestMain(m *testing.M) {
	testnet.Main(m, testnet.Config{Kind: testnet.Native, Gateways: true, RecvCLI: true, PortOffset: 5000},
		func(n *testnet.Network) { nw = n })
}

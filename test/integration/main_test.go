// Package integration drives the receivables chaincode on a real native Fabric network through
// the fabric-gateway Go SDK, each organisation's user speaking to its own organisation's peer:
// the lifecycle across three supplier tiers and two banks, events, history, trace, the
// conservation invariant, refusals by organisation and role, the contract metadata Fabric's
// peer CLI reads, and agreement of every peer.
//
// The network comes from the harness (test/internal/testnet): a fresh one on ports
// RECV_PORT_OFFSET (default 4000), or the running one RECV_TEST_NET_DIR names (scripts/test.sh
// shares one with test/gateway). The tests write only receivables with fresh ids and never
// assume an empty ledger or a given block height.
package integration

import (
	"testing"

	"github.com/recv-ledger/recv/gateway/network"
	"github.com/recv-ledger/recv/test/internal/testnet"
)

var (
	nw  *testnet.Network     // the network under test
	net *network.Description // its network.json
)

func TestMain(m *testing.M) {
	testnet.Main(m, testnet.Config{Kind: testnet.Native, PortOffset: 4000},
		func(n *testnet.Network) { nw, net = n, n.Desc })
}

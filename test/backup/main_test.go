// Package backup is the live test of backup and restore (issue 26; docs/operations.md, "Backup and
// restore"): on a native network with its gateways, an organisation's backup (`network.sh backup`:
// its CA's home and database, its MSP and identities, a ledger snapshot from its peer) brings back
// a peer whose whole folder was deleted (from the snapshot, then caught up with the orderers; the
// private financing terms from before the snapshot pulled from the other members' peers) and a CA
// whose home was deleted (it issues and revokes as before). The times to restore a peer from the
// snapshot and from the genesis block are printed (docs/operations.md, "Restoring a peer").
//
// The network comes from the harness (test/internal/testnet) on ports RECV_PORT_OFFSET (default
// 5000, as test/security, test/fault and test/monitor: the suites run one after the other).
package backup

import (
	"testing"

	"github.com/recv-ledger/recv/test/internal/testnet"
)

var nw *testnet.Network // the network under test

func TestMain(m *testing.M) {
	testnet.Main(m, testnet.Config{Kind: testnet.Native, Gateways: true, RecvCLI: true, PortOffset: 5000},
		func(n *testnet.Network) { nw = n })
}

// Package backup is the live test of backup and restore (issue 26; docs/operations.md, "Backup and
// restore"): on a native network with its gateways, an organisation's backup (`network.sh backup`:
// its CA's home and database, its MSP and identities, a ledger snapshot from its peer) brings back
// a peer whose whole folder was deleted (from the snapshot, then caught up with the orderers; the
// private financing terms from before the snapshot pulled from the other members' peers) and a CA
// whose home was deleted (it issues and revokes as before). The times to restore a peer from the
// snapshot and from the genesis block are printed (docs/operations.md, "Restoring a peer").
//
// The suite also checks that the nodes' logs stay bounded (bin/logcap): its network runs with
// RECV_LOG_MAX_SIZE=64KiB and RECV_LOG_KEEP=2, so that the peers' logs rotate during the suite.
//
// It also renews a user's enrollment certificate through its gateway while the user writes
// (`recv user renew`, renew_test.go): its network's CAs issue certificates for two hours
// (RECV_CERT_EXPIRY, unless the environment sets it), so the renewal replaces a short-lived
// certificate with one that visibly runs longer.
//
// The network comes from the harness (test/internal/testnet) on ports RECV_PORT_OFFSET (default
// 5000, as test/security, test/fault and test/monitor: the suites run one after the other).
package backup

import (
	"os"
	"testing"

	"github.com/recv-ledger/recv/test/internal/testnet"
)

var nw *testnet.Network // the network under test

// Small logs, so that they rotate within the suite (a network the environment names keeps its own).
const (
	logMaxSize = 64 << 10
	logKeep    = 2
)

func TestMain(m *testing.M) {
	os.Setenv("RECV_LOG_MAX_SIZE", "64KiB")
	os.Setenv("RECV_LOG_KEEP", "2")
	if os.Getenv("RECV_CERT_EXPIRY") == "" {
		os.Setenv("RECV_CERT_EXPIRY", "2h")
	}
	testnet.Main(m, testnet.Config{Kind: testnet.Native, Gateways: true, RecvCLI: true, PortOffset: 5000},
		func(n *testnet.Network) { nw = n })
}

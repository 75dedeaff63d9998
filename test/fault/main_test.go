// Package fault breaks the nodes of a real native network one at a time while a steady mixed load
// of writes runs through the REST gateways with idempotency keys, and proves after each fault that
// nothing the gateways acknowledged was lost or applied twice (issue 16; docs/reliability.md):
//
//   - TestFaults_UnderLoad: an orderer, then the Raft leader, killed and restarted; the endorsing
//     peer of the core enterprise killed and restarted; a peer paused (SIGSTOP) and resumed; the
//     chaincode server killed and restarted; a gateway killed mid-request and restarted, its
//     clients retrying with the same keys; the whole network stopped and started again from its
//     state folder (make stop / make start); the ordering service without a quorum for longer than
//     a client's attempt; every gateway killed at once; planned changes, where no attempt may
//     fail: the chaincode upgraded, a peer's and the Raft leader's certificates renewed (network.sh
//     renew; the node must then present the new certificate), and the core enterprise's peer's,
//     which every write needs while it restarts (the gateways wait for it). After each: every acknowledged transaction
//     is valid exactly once in every peer's blocks, no write applied twice, no answer that said a
//     transaction failed while the ledger has it valid, every peer at the same height, last block
//     hash and rebuilt state, conservation on every root; the stall of commits and the faulted
//     node's catch-up are measured and printed as docs/reliability.md's rows.
//   - TestAvailability_EachPeerDown: each organisation's peer stopped in turn, every write of the
//     lifecycle tried once: it works unless the stopped peer's organisation is one of its parties,
//     and then it is answered 503 unavailable; printed as docs/reliability.md's availability table.
//   - TestGatewayStateDisk_Full: a gateway whose state folder is on a full filesystem answers a
//     keyed write 503 (kind unavailable) and submits nothing; once space returns the same key
//     runs, and the records written before are intact.
//
// The network comes from the harness (test/internal/testnet): a fresh one on ports
// RECV_PORT_OFFSET (default 5000, as test/security: the suites run one after the other), never a
// shared one, since the faults restart its nodes. RECV_FAULT_PAUSE sets how long the paused peer
// stays stopped (default 30s). The network's CAs issue certificates for two hours
// (RECV_CERT_EXPIRY, unless the environment sets it), so the renewal rounds replace short-lived
// certificates with short-lived ones.
package fault

import (
	"os"
	"testing"

	"github.com/recv-ledger/recv/test/internal/testnet"
)

var nw *testnet.Network // the network under test

func TestMain(m *testing.M) {
	if os.Getenv("RECV_CERT_EXPIRY") == "" {
		_ = os.Setenv("RECV_CERT_EXPIRY", "2h")
	}
	testnet.Main(m, testnet.Config{Kind: testnet.Native, Gateways: true, RecvCLI: true, PortOffset: 5000},
		func(n *testnet.Network) { nw = n })
}

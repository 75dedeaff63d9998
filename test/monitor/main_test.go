// Package monitor is the live test of the monitoring (issue 26; docs/operations.md): on a native
// network with its gateways, `scripts/monitor.sh up` (make monitor) starts Prometheus,
// Alertmanager, node-exporter and blackbox-exporter; every peer, orderer, gateway and CA is
// scraped up with the credentials each requires; a peer killed is reported by Alertmanager as
// NodeDown within a bound, and resolved once it is back. The time to alert and to resolve are
// printed (docs/operations.md, "Time to alert").
//
// The network comes from the harness (test/internal/testnet) on ports RECV_PORT_OFFSET (default
// 5000, as test/security and test/fault: the suites run one after the other); the monitoring's
// ports are 9090/9093/9100/9115 + the same offset. It needs Debian's prometheus packages, which
// scripts/monitor.sh installs when they are missing.
package monitor

import (
	"testing"

	"github.com/recv-ledger/recv/test/internal/testnet"
)

var nw *testnet.Network // the network under test

func TestMain(m *testing.M) {
	testnet.Main(m, testnet.Config{Kind: testnet.Native, Gateways: true, RecvCLI: true, PortOffset: 5000},
		func(n *testnet.Network) { nw = n })
}

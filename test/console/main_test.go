// Package console_test drives the web console of the recv gateways in Chromium: the five people of
// the lifecycle (the core enterprise's treasurer, two suppliers, a bank officer, the auditor), each
// signed in to their own organisation's gateway in a browser context of their own, click the whole
// lifecycle through; a refusal is shown; the session cookie, CSRF and cross-organisation rules are
// checked over plain HTTP; each main page is saved as a screenshot (RECV_CONSOLE_SHOTS, default
// $TEST_LOG_DIR/console-shots).
//
// The network comes from the harness (test/internal/testnet): the running one RECV_TEST_NET_DIR
// names (scripts/test.sh shares one with test/integration and test/gateway) or a fresh one on
// ports RECV_PORT_OFFSET (default 2500). Chromium is Debian's package `chromium`: scripts/test.sh
// installs it when it is missing; RECV_CHROMIUM names another binary.
package console_test

import (
	"testing"

	"github.com/recv-ledger/recv/test/internal/testnet"
)

var nw *testnet.Network // the network under test and its gateways

func TestMain(m *testing.M) {
	testnet.Main(m, testnet.Config{Kind: testnet.Native, Gateways: true, PortOffset: 2500},
		func(n *testnet.Network) { nw = n })
}

// Package gateway_test drives the recv gateways and the recv CLI against a real native network:
// the lifecycle story through REST and through the CLI binary (test/internal/story, told to the
// compose gateways too), offline signing, idempotent retries, authentication, the event stream
// and admin registration.
//
// The network comes from the harness (test/internal/testnet): a fresh one with a gateway per
// organisation on ports RECV_PORT_OFFSET (default 3000), or the running one RECV_TEST_NET_DIR
// names, with its gateways up (scripts/test.sh shares one with test/integration).
package gateway_test

import (
	"fmt"
	"net/http"
	"os"
	"testing"

	"github.com/recv-ledger/recv/test/internal/testnet"
)

var nw *testnet.Network // the network under test, its gateways and the recv binary

func TestMain(m *testing.M) {
	described, err := newDescribedAPI(http.DefaultTransport)
	if err != nil {
		fmt.Println("docs/openapi.yaml:", err)
		os.Exit(1)
	}
	http.DefaultTransport = described
	testnet.Main(m, testnet.Config{Kind: testnet.Native, Gateways: true, RecvCLI: true, PortOffset: 3000, Check: described.check},
		func(n *testnet.Network) { nw = n })
}

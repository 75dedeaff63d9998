// Package docker_test is the end-to-end suite of the docker compose network: the lifecycle story
// through the gateway containers' REST API and the recv CLI (test/internal/story, the same story
// test/gateway tells the native gateways), and containers (a peer, an orderer, a gateway) stopped
// or restarted while the others keep working, until they catch up; and the security checks of
// test/security that hold on containers (test/internal/securitycheck: mutual TLS, operations
// endpoints, chaincode servers, identities), against the compose network's published listeners.
//
// The network comes from the harness (test/internal/testnet): a fresh compose network under its
// own project and ports (RECV_TEST_DOCKER_PROJECT, default recvtest; RECV_TEST_DOCKER_PORT_OFFSET,
// default 6000), or the running one RECV_TEST_DOCKER_DIR names. Without a Docker engine the suite
// prints "SKIPPED: no Docker engine" and passes.
package docker_test

import (
	"testing"

	"github.com/recv-ledger/recv/test/internal/testnet"
)

var nw *testnet.Network // the compose network under test and the recv binary

func TestMain(m *testing.M) {
	testnet.Main(m, testnet.Config{Kind: testnet.Compose, RecvCLI: true}, func(n *testnet.Network) { nw = n })
}

// Package testnet is the one test harness of the suites in test/: it brings a recv network up for
// a `go test` run, or reuses a running one, and takes down what it started however the run ends;
// and it holds what every suite and tool needs to reach the network (the repository root, the TLS
// connection to an organisation's peer, a fabric-gateway connection as an enrolled user, the peer
// CLI as an organisation's admin).
//
// A new suite (faults, browser, growth, ...) starts from it in a few lines:
//
//	var nw *testnet.Network
//
//	func TestMain(m *testing.M) {
//		testnet.Main(m, testnet.Config{Kind: testnet.Native, Gateways: true, RecvCLI: true, PortOffset: 5000},
//			func(n *testnet.Network) { nw = n })
//	}
//
// then uses nw.Dir (network.json, the gateways' tokens: gwtest.As(t, nw.Dir, "CoreMSP/treasurer")),
// nw.Desc, nw.RecvBin, nw.Script("status") or nw.PeerEnv and nw.Peer for Fabric's peer CLI, and
// can tell the shared lifecycle story with story.REST(t, nw) and story.CLI(t, nw).
//
// Which network:
//   - Native (scripts/network.sh, plus scripts/gateways.sh with Gateways): a fresh network in a
//     temporary folder on ports RECV_PORT_OFFSET (default: the suite's Config.PortOffset), or the
//     running one RECV_TEST_NET_DIR names (its gateways must be up when the suite needs them).
//   - Compose (scripts/docker.sh, gateways included): a fresh compose network under project
//     RECV_TEST_DOCKER_PROJECT (default recvtest) on ports RECV_TEST_DOCKER_PORT_OFFSET (default
//     6000), or the running one RECV_TEST_DOCKER_DIR names. Without a Docker engine the suite
//     prints "SKIPPED: no Docker engine" and passes.
//
// Main prints "network up in ..." ("compose network up in ..." for compose) with the bring-up
// time, which scripts/test.sh reports. A network the harness started is taken down when the tests
// end, fail, panic, time out (go test -timeout), or on SIGINT/SIGTERM (a bring-up in progress is
// stopped first): a small reaper process waits on a pipe that only the test binary holds, so it
// runs even when the binary dies without running its deferred calls. A reused network is never
// taken down. Up and Down (and the testnet command in test/internal/cmd/testnet) keep a network
// up across several suites: scripts/test.sh brings one native network up for test/integration and
// test/gateway that way.
package testnet

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/network"
)

// FindRoot returns the repository root: the first folder at or above the working directory
// that holds go.work.
func FindRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.work above the working directory")
		}
		dir = parent
	}
}

// DialPeer opens a TLS connection to the peer of organisation mspID, verified against the
// organisation's TLS CA and the peer's host name, presenting the organisation's TLS client pair
// (the peers require one: mutual TLS).
func DialPeer(desc *network.Description, mspID string) (*grpc.ClientConn, error) {
	org, ok := desc.Orgs[mspID]
	if !ok {
		return nil, fmt.Errorf("no organisation %s in network.json", mspID)
	}
	cfg, err := org.Peer.TLSConfig()
	if err != nil {
		return nil, err
	}
	return grpc.NewClient(org.Peer.Address, grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
}

// Connect returns a fabric-gateway connection over conn that signs as account (MSPID/user),
// with its certificate and key from network.json.
func Connect(desc *network.Description, account string, conn grpc.ClientConnInterface, opts ...client.ConnectOption) (*client.Gateway, error) {
	mspID, name, ok := wire.SplitAccount(account)
	if !ok {
		return nil, fmt.Errorf("account %q is not MSPID/user", account)
	}
	u, ok := desc.Orgs[mspID].Users[name]
	if !ok {
		return nil, fmt.Errorf("no user %s in network.json", account)
	}
	certPEM, err := os.ReadFile(u.Cert)
	if err != nil {
		return nil, err
	}
	cert, err := identity.CertificateFromPEM(certPEM)
	if err != nil {
		return nil, err
	}
	id, err := identity.NewX509Identity(mspID, cert)
	if err != nil {
		return nil, err
	}
	keyPEM, err := os.ReadFile(u.Key)
	if err != nil {
		return nil, err
	}
	key, err := identity.PrivateKeyFromPEM(keyPEM)
	if err != nil {
		return nil, err
	}
	sign, err := identity.NewPrivateKeySign(key)
	if err != nil {
		return nil, err
	}
	return client.Connect(id, append([]client.ConnectOption{client.WithSign(sign), client.WithClientConnection(conn)}, opts...)...)
}

// Package testnet holds what the suites and tools in test/ share to reach a running recv network:
// the repository root, the TLS connection to an organisation's peer and a fabric-gateway
// connection as one of the enrolled users listed in network.json.
package testnet

import (
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

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
// organisation's TLS CA and the peer's host name.
func DialPeer(desc *network.Description, mspID string) (*grpc.ClientConn, error) {
	org, ok := desc.Orgs[mspID]
	if !ok {
		return nil, fmt.Errorf("no organisation %s in network.json", mspID)
	}
	pem, err := os.ReadFile(org.Peer.TLSCACert)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("no certificate in the TLS CA file of %s", mspID)
	}
	return grpc.NewClient(org.Peer.Address,
		grpc.WithTransportCredentials(credentials.NewClientTLSFromCert(pool, org.Peer.ServerName)))
}

// Connect returns a fabric-gateway connection over conn that signs as account (MSPID/user),
// with its certificate and key from network.json.
func Connect(desc *network.Description, account string, conn grpc.ClientConnInterface, opts ...client.ConnectOption) (*client.Gateway, error) {
	mspID, name, ok := strings.Cut(account, "/")
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

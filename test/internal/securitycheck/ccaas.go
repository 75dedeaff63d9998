package securitycheck

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/test/internal/testnet"
)

// orgNames are the short names of the member organisations (the state folder's orgs/ and the
// chaincode servers' nodes chaincode.<org>).
var orgNames = map[string]string{"CoreMSP": "core", "SupplierMSP": "supplier", "Bank1MSP": "bank1", "Bank2MSP": "bank2", "AuditorMSP": "auditor"}

// connection is what an organisation's CCaaS package tells its peer: where its chaincode server is,
// the server's root, and the client pair the peer presents.
type connection struct {
	Address    string `json:"address"`
	RootCert   string `json:"root_cert"`
	ClientCert string `json:"client_cert"`
	ClientKey  string `json:"client_key"`
	TLS        bool   `json:"tls_required"`
	ClientAuth bool   `json:"client_auth_required"`
}

// untar returns the file name of the tar.gz in data.
func untar(t *testing.T, data []byte, name string) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	require.NoError(t, err)
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		require.NoError(t, err, "no %s in the package", name)
		if h.Name == name {
			b, err := io.ReadAll(tr)
			require.NoError(t, err)
			return b
		}
	}
}

// packageOf reads the organisation's installed package of the deployed chaincode (the one its peer
// got) and checks that only its owner may read it.
func packageOf(t *testing.T, nw *testnet.Network, org string) connection {
	t.Helper()
	label, err := os.ReadFile(filepath.Join(nw.Dir, "chaincode", "label"))
	require.NoError(t, err, "no deployed chaincode in %s", nw.Dir)
	path := filepath.Join(nw.Dir, "chaincode", strings.TrimSpace(string(label))+"."+org+".tar.gz")
	st, err := os.Stat(path)
	require.NoError(t, err, "no package of %s", org)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm(), "%s holds %s's peer's chaincode client key", path, org)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var c connection
	require.NoError(t, json.Unmarshal(untar(t, untar(t, data, "code.tar.gz"), "connection.json"), &c))
	require.True(t, c.TLS && c.ClientAuth, "%s's connection.json: %+v", org, c)
	return c
}

func pairOf(t *testing.T, c connection) *tls.Certificate {
	t.Helper()
	pair, err := tls.X509KeyPair([]byte(c.ClientCert), []byte(c.ClientKey))
	require.NoError(t, err)
	return &pair
}

// ChaincodeServers: each organisation's peer dials its own chaincode server, whose TLS pair its
// own CA issued (its package, 0600, names the server and that root), and that server serves one
// client certificate only, its peer's chaincode client certificate (the one in the organisation's
// connection.json): another certificate of its own organisation's CA (the peer's own TLS pair, the
// organisation admin's), another organisation's peer's certificate (or admin's), a stranger's and
// none are refused at the TLS handshake.
//
// A compose network's chaincode servers are not published: the check dials them at their
// containers' addresses on the compose network (Network.HostAddress), which a Docker engine on
// this host routes to; where this host reaches no container (Docker Desktop, a remote engine) only
// the packages are checked and the check says so as a skip.
func ChaincodeServers(t *testing.T, nw *testnet.Network) {
	conns := map[string]connection{}
	addrs := map[string]string{}
	for mspID, org := range orgNames {
		c := packageOf(t, nw, org)
		require.Empty(t, addrs[c.Address], "%s and %s share the chaincode server %s", org, addrs[c.Address], c.Address)
		addrs[c.Address] = org
		conns[mspID] = c
		caPEM, err := os.ReadFile(nw.Desc.Orgs[mspID].Peer.TLSCACert)
		require.NoError(t, err)
		require.Equal(t, strings.TrimSpace(string(caPEM)), strings.TrimSpace(c.RootCert), "%s's chaincode server's root is not %s's CA", org, org)
	}
	ids := nw.Desc.MSPIDs()
	dial := map[string]string{}
	for _, mspID := range ids {
		org := orgNames[mspID]
		addr, err := nw.HostAddress("chaincode."+org, conns[mspID].Address)
		require.NoError(t, err)
		if conn, err := net.DialTimeout("tcp", addr, 3*time.Second); err != nil {
			require.NotEqual(t, testnet.Native, nw.Kind, "%s's chaincode server at %s: %v", org, addr, err)
			t.Skipf("the packages are checked; %s's chaincode server (%s at %s) is not reachable from this host: %v", org, conns[mspID].Address, addr, err)
		} else {
			conn.Close()
		}
		dial[mspID] = addr
	}
	for i, mspID := range ids {
		org, c, addr := orgNames[mspID], conns[mspID], dial[mspID]
		name := "chaincode." + org + ".recv.local"
		root := []byte(c.RootCert)
		require.NoError(t, servesPEM(t, addr, name, root, pairOf(t, c)), "%s's server refused its own peer", org)
		// Certificates of the organisation's own CA, which the server names as its acceptable
		// client CA (so a client sends them), that are not its peer's chaincode client certificate.
		orgDir := filepath.Join(nw.Dir, "orgs", org)
		for _, own := range []struct{ what, cert, key string }{
			{"its admin's TLS pair", nw.Desc.Orgs[mspID].Peer.TLSClientCert, nw.Desc.Orgs[mspID].Peer.TLSClientKey},
			{"its peer's own TLS pair", filepath.Join(orgDir, "peer0", "tls", "cert.pem"), filepath.Join(orgDir, "peer0", "tls", "key.pem")},
			{"its admin's enrollment pair", filepath.Join(orgDir, "users", "admin", "msp", "signcerts", "cert.pem"), filepath.Join(orgDir, "users", "admin", "msp", "keystore", "key.pem")},
		} {
			require.Error(t, servesPEM(t, addr, name, root, loadPair(t, own.cert, own.key)),
				"%s's chaincode server served %s, not its peer's chaincode client certificate", org, own.what)
		}
		other := ids[(i+1)%len(ids)]
		require.Error(t, servesPEM(t, addr, name, root, pairOf(t, conns[other])),
			"%s's chaincode server served %s's peer's certificate", org, other)
		otherAdmin := nw.Desc.Orgs[other].Peer // the other org's admin's TLS pair
		require.Error(t, servesPEM(t, addr, name, root, loadPair(t, otherAdmin.TLSClientCert, otherAdmin.TLSClientKey)),
			"%s's chaincode server served %s's admin", org, other)
		require.Error(t, servesPEM(t, addr, name, root, nil), "%s's chaincode server served a client without a certificate", org)
		require.Error(t, servesPEM(t, addr, name, root, strangerPair(t)), "%s's chaincode server served a stranger", org)
	}
}

// ChaincodeServerCert is the certificate org's running chaincode server (org: "core", "bank1", ...)
// presents to its peer: dialled at the address its package names with the package's client pair,
// verified against the package's root.
func ChaincodeServerCert(t *testing.T, nw *testnet.Network, org string) *x509.Certificate {
	t.Helper()
	c := packageOf(t, nw, org)
	addr, err := nw.HostAddress("chaincode."+org, c.Address)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM([]byte(c.RootCert)))
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", addr, &tls.Config{RootCAs: pool,
		ServerName: "chaincode." + org + ".recv.local", MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{*pairOf(t, c)}})
	require.NoError(t, err, "TLS handshake with %s's chaincode server at %s", org, addr)
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0]
}

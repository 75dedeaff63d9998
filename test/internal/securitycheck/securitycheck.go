// Package securitycheck holds the security checks that hold on every kind of recv network, native
// or compose (issue 17; docs/security.md): each takes the *testnet.Network under test and proves a
// defence through what this host reaches of it (network.json's published addresses, the state
// folder's identities). test/security calls them on a native network and test/docker on the
// compose network, so both prove the same defence with the same code.
//
// What a check needs that only one kind of network offers is named in its doc comment: the CAs'
// operations endpoints are published by the native network only (CAOperationsTLSOnly), and a
// compose network's chaincode servers are reached at their containers' addresses when this host
// routes to the compose network (ChaincodeServers).
package securitycheck

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/test/internal/testnet"
)

// serves says whether the gRPC listener at addr serves a TLS client that presents pair (nil: no
// certificate): after the handshake a gRPC server sends its HTTP/2 settings at once, a server that
// requires another client certificate ends the connection instead (at the handshake with TLS 1.2,
// with the first read with TLS 1.3).
func serves(t *testing.T, addr, serverName, caFile string, pair *tls.Certificate) error {
	t.Helper()
	pem, err := os.ReadFile(caFile)
	require.NoError(t, err)
	return servesPEM(t, addr, serverName, pem, pair)
}

// servesPEM is serves with the server's root given as PEM.
func servesPEM(t *testing.T, addr, serverName string, rootPEM []byte, pair *tls.Certificate) error {
	t.Helper()
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(rootPEM))
	cfg := &tls.Config{RootCAs: pool, ServerName: serverName, MinVersion: tls.VersionTLS12, NextProtos: []string{"h2"}}
	if pair != nil {
		cfg.Certificates = []tls.Certificate{*pair}
	}
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	// The client's HTTP/2 preface, then the server's first frame.
	if _, err := conn.Write([]byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")); err != nil {
		return err
	}
	buf := make([]byte, 9)
	_, err = conn.Read(buf)
	return err
}

func loadPair(t *testing.T, cert, key string) *tls.Certificate {
	t.Helper()
	pair, err := tls.LoadX509KeyPair(cert, key)
	require.NoError(t, err)
	return &pair
}

// strangerPair is a self-signed TLS client pair of no organisation of the network.
func strangerPair(t *testing.T) *tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "stranger"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	require.NoError(t, err)
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// ordererAdminTLS is the TLS pair of the orderer organisation's admin in the state folder.
func ordererAdminTLS(nw *testnet.Network) (cert, key string) {
	dir := filepath.Join(nw.Dir, "orgs", "orderer", "users", "admin", "tls")
	return filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
}

// operatorTLS is the TLS client pair of the operator of the organisation mspID (OrdererMSP: the
// ordering organisation), the one leaf of its operations CA: orgs/<org>/ops/operator/ in the state
// folder (scripts/lib/net-crypto.sh, write_ops_identities).
func operatorTLS(t *testing.T, nw *testnet.Network, mspID string) (cert, key string) {
	t.Helper()
	name := "orderer"
	if mspID != "OrdererMSP" {
		org, ok := nw.Desc.Orgs[mspID]
		require.True(t, ok, "no organisation %s in network.json", mspID)
		name = org.Name
	}
	dir := filepath.Join(nw.Dir, "orgs", name, "ops", "operator")
	return filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
}

// operatorClient is opsClient with the operator's pair of the organisation mspID.
func operatorClient(t *testing.T, nw *testnet.Network, mspID, caFile string) *http.Client {
	t.Helper()
	cert, key := operatorTLS(t, nw, mspID)
	return opsClient(t, caFile, cert, key)
}

// opsClient is an HTTPS client that trusts caFile and, when certFile is set, presents that TLS
// client certificate.
func opsClient(t *testing.T, caFile, certFile, keyFile string) *http.Client {
	t.Helper()
	pem, err := os.ReadFile(caFile)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(pem), "no certificate in %s", caFile)
	cfg := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if certFile != "" {
		pair, err := tls.LoadX509KeyPair(certFile, keyFile)
		require.NoError(t, err)
		cfg.Certificates = []tls.Certificate{pair}
	}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg, DisableKeepAlives: true}}
}

// call does METHOD https://addr/path with body; the status, or an error when the TLS handshake or
// the connection failed.
func call(c *http.Client, method, addr, path, body string) (int, string, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, "https://"+addr+path, rd)
	if err != nil {
		return 0, "", err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

// refused: the endpoint did not serve the call (the TLS handshake failed, or 401/403).
func refused(t *testing.T, what string, code int, body string, err error) {
	t.Helper()
	if err != nil {
		t.Logf("%s: refused at the connection: %v", what, err)
		return
	}
	require.Contains(t, []int{http.StatusUnauthorized, http.StatusForbidden}, code, "%s was served: %d %s", what, code, body)
}

// userTLS is the TLS pair of an identity: its TLS client certificate (users/NAME/tls) when it has
// one, else its enrollment certificate, which its organisation's CA signed as well.
func userTLS(t *testing.T, nw *testnet.Network, mspID, name string) (cert, key string) {
	t.Helper()
	u, ok := nw.Desc.Orgs[mspID].Users[name]
	require.True(t, ok, "no user %s/%s in network.json", mspID, name)
	tlsDir := filepath.Join(filepath.Dir(filepath.Dir(filepath.Dir(u.Cert))), "tls")
	if _, err := os.Stat(filepath.Join(tlsDir, "cert.pem")); err == nil {
		return filepath.Join(tlsDir, "cert.pem"), filepath.Join(tlsDir, "key.pem")
	}
	return u.Cert, u.Key
}

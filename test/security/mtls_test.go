package security

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
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

// Every peer and every orderer requires a TLS client certificate of a member organisation on its
// main listener (mutual TLS by default): a client without one, or with a certificate of no member's
// CA, is cut off before any gRPC call; the organisation's own pair of network.json is served.
func TestMutualTLS_PeersAndOrderersRefuseClientsWithoutAMembersCertificate(t *testing.T) {
	stranger := strangerPair(t)
	for _, mspID := range nw.Desc.MSPIDs() {
		p := nw.Desc.Orgs[mspID].Peer
		require.NotEmpty(t, p.TLSClientCert, "network.json names no TLS client pair for %s's peer", mspID)
		require.Error(t, serves(t, p.Address, p.ServerName, p.TLSCACert, nil), "%s served a client without a certificate", p.Name)
		require.Error(t, serves(t, p.Address, p.ServerName, p.TLSCACert, stranger), "%s served a stranger's certificate", p.Name)
		require.NoError(t, serves(t, p.Address, p.ServerName, p.TLSCACert, loadPair(t, p.TLSClientCert, p.TLSClientKey)),
			"%s refused its own organisation's TLS client pair", p.Name)
	}
	admin := filepath.Join(nw.Dir, "orgs", "orderer", "users", "admin", "tls")
	bank := nw.Desc.Orgs["Bank1MSP"].Peer
	for _, o := range nw.Desc.Orderers {
		require.Error(t, serves(t, o.Address, o.ServerName, o.TLSCACert, nil), "%s served a client without a certificate", o.Name)
		require.Error(t, serves(t, o.Address, o.ServerName, o.TLSCACert, stranger), "%s served a stranger's certificate", o.Name)
		require.NoError(t, serves(t, o.Address, o.ServerName, o.TLSCACert,
			loadPair(t, filepath.Join(admin, "cert.pem"), filepath.Join(admin, "key.pem"))), "%s refused the orderer admin", o.Name)
		require.NoError(t, serves(t, o.Address, o.ServerName, o.TLSCACert, loadPair(t, bank.TLSClientCert, bank.TLSClientKey)),
			"%s refused a member's (Bank1MSP) TLS client pair: its peers and gateways could not submit", o.Name)
	}
}

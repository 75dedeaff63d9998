package ccserver

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
)

// servedBy dials the server as the pinned peer would and returns the certificate it presented.
func servedBy(t *testing.T, addr string, roots *x509.CertPool, pair tls.Certificate) *x509.Certificate {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: roots, ServerName: testServerName, MinVersion: tls.VersionTLS12,
		Certificates: []tls.Certificate{pair}})
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.Handshake())
	return conn.ConnectionState().PeerCertificates[0]
}

// A server pair renewed in place (its files replaced: network.sh renew chaincode.ORG) is served
// from the next handshake on, with no restart; while the files are half replaced (the certificate
// new, the key not yet) the last good pair is served, and the server keeps serving the pinned peer
// throughout.
func TestServedPair_ARenewedPairIsServedFromTheNextHandshake(t *testing.T) {
	org1 := newTestCA(t, "org1")
	server := org1.issue(t, testServerName, x509.ExtKeyUsageServerAuth)
	pinned := org1.issue(t, "ccaas-client.org1", x509.ExtKeyUsageClientAuth)
	pinnedEnv(t, org1, server, pinned)
	logs := captureLog(t)
	addr := startPinned(t)
	roots := x509.NewCertPool()
	roots.AddCert(org1.cert)
	require.Equal(t, server.cert.Raw, servedBy(t, addr, roots, pinned.pair).Raw)

	renewed := org1.issue(t, testServerName, x509.ExtKeyUsageServerAuth)
	time.Sleep(10 * time.Millisecond) // a modification time of its own, on any file system
	require.NoError(t, os.WriteFile(os.Getenv("CHAINCODE_TLS_CERT"), renewed.certPEM, 0o600))
	require.Equal(t, server.cert.Raw, servedBy(t, addr, roots, pinned.pair).Raw, "the new certificate with the old key: the old pair is served")
	require.Contains(t, logs.String(), "changed but does not load")
	require.NoError(t, os.WriteFile(os.Getenv("CHAINCODE_TLS_KEY"), renewed.keyPEM, 0o600))
	require.Equal(t, renewed.cert.Raw, servedBy(t, addr, roots, pinned.pair).Raw, "the renewed pair, without a restart")
	require.Contains(t, logs.String(), "serving the renewed TLS certificate")

	msg, err := register(t, addr, roots, &pinned.pair)
	require.NoError(t, err)
	require.Equal(t, peer.ChaincodeMessage_REGISTER, msg.GetType())
}

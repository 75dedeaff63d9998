package ccserver

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"log"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/protobuf/proto"
)

const (
	testCCID       = "receivables_v1:0123abcd"
	testServerName = "chaincode.org1.test"
)

// testCA is a certificate authority that issues TLS certificates for the tests.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

// issued is a certificate with its key: as PEM files' contents and as a TLS pair.
type issued struct {
	cert    *x509.Certificate
	certPEM []byte
	keyPEM  []byte
	pair    tls.Certificate
}

var serial int64

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return key
}

func newTestCA(t *testing.T, name string) *testCA {
	t.Helper()
	key := newKey(t)
	serial++
	tpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name, Organization: []string{name}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return &testCA{cert: cert, key: key}
}

func (ca *testCA) pem() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw})
}

// issue signs a certificate for name with the given extended key usage (and name as DNS name).
func (ca *testCA) issue(t *testing.T, name string, usage x509.ExtKeyUsage) issued {
	t.Helper()
	key := newKey(t)
	serial++
	tpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name, Organization: ca.cert.Subject.Organization},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), DNSNames: []string{name},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage}}
	der, err := x509.CreateCertificate(rand.Reader, tpl, ca.cert, &key.PublicKey, ca.key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	require.NoError(t, err)
	return issued{cert: cert, certPEM: certPEM, keyPEM: keyPEM, pair: pair}
}

func writeFile(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, b, 0o600))
	return path
}

func fingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:])
}

// syncBuffer is the log's output, written by the server's goroutines and read by the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func captureLog(t *testing.T) *syncBuffer {
	t.Helper()
	buf := &syncBuffer{}
	out, flags := log.Writer(), log.Flags()
	log.SetOutput(buf)
	t.Cleanup(func() { log.SetOutput(out); log.SetFlags(flags) })
	return buf
}

// noop is a chaincode that answers nothing; the tests stop at the shim's REGISTER message.
type noop struct{}

func (noop) Init(shim.ChaincodeStubInterface) *peer.Response   { return shim.Success(nil) }
func (noop) Invoke(shim.ChaincodeStubInterface) *peer.Response { return shim.Success(nil) }

// pinnedEnv sets the chaincode server's TLS environment as the network scripts do: the server's
// pair of org1's CA, org1's CA for clients, and peer, the pinned client certificate.
func pinnedEnv(t *testing.T, org1 *testCA, server, pinned issued) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("CHAINCODE_TLS_DISABLED", "false")
	t.Setenv("CHAINCODE_TLS_CERT", writeFile(t, dir, "server-cert.pem", server.certPEM))
	t.Setenv("CHAINCODE_TLS_KEY", writeFile(t, dir, "server-key.pem", server.keyPEM))
	t.Setenv("CHAINCODE_CLIENT_CA_CERT", writeFile(t, dir, "ca.pem", org1.pem()))
	t.Setenv("CHAINCODE_CLIENT_CERT", writeFile(t, dir, "client-cert.pem", pinned.certPEM))
}

// startPinned serves noop as Run does with the environment pinnedEnv set, on a loopback port.
func startPinned(t *testing.T) string {
	t.Helper()
	props, err := tlsFromEnv()
	require.NoError(t, err)
	pin, err := clientPinFromEnv(props)
	require.NoError(t, err)
	require.NotNil(t, pin)
	files, err := newServedPair(os.Getenv("CHAINCODE_TLS_CERT"), os.Getenv("CHAINCODE_TLS_KEY"))
	require.NoError(t, err)
	srv, err := newPinnedServer("test", &shim.ChaincodeServer{CCID: testCCID, CC: noop{}, TLSProps: props}, pin, files)
	require.NoError(t, err)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return lis.Addr().String()
}

// register connects to the chaincode server at addr as a peer does (gRPC over TLS, the server
// checked against roots) presenting pair, or no certificate when pair is nil, and returns the
// server's first message.
func register(t *testing.T, addr string, roots *x509.CertPool, pair *tls.Certificate) (*peer.ChaincodeMessage, error) {
	t.Helper()
	cfg := &tls.Config{RootCAs: roots, ServerName: testServerName, MinVersion: tls.VersionTLS12,
		// Sent whatever CAs the server names as acceptable: a Go client would otherwise send no
		// certificate of another CA, and the test would not prove the server refuses one.
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			if pair == nil {
				return &tls.Certificate{}, nil
			}
			return pair, nil
		}}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
	require.NoError(t, err)
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stream, err := peer.NewChaincodeClient(conn).Connect(ctx)
	if err != nil {
		return nil, err
	}
	return stream.Recv()
}

// The chaincode server with CHAINCODE_CLIENT_CERT completes the TLS handshake with the client
// holding that certificate only: another certificate of the same CA, a certificate of another CA
// and no certificate are refused before any gRPC call, and each refusal is logged with the client's
// address and the refused certificate's subject and fingerprint.
func TestPinnedServer_ServesOnlyThePinnedClientCertificate(t *testing.T) {
	org1, org2 := newTestCA(t, "org1"), newTestCA(t, "org2")
	server := org1.issue(t, testServerName, x509.ExtKeyUsageServerAuth)
	pinned := org1.issue(t, "ccaas-client.org1", x509.ExtKeyUsageClientAuth)
	sameCA := org1.issue(t, "peer0.org1", x509.ExtKeyUsageClientAuth)
	otherCA := org2.issue(t, "ccaas-client.org2", x509.ExtKeyUsageClientAuth)
	pinnedEnv(t, org1, server, pinned)
	logs := captureLog(t)
	addr := startPinned(t)
	roots := x509.NewCertPool()
	roots.AddCert(org1.cert)

	msg, err := register(t, addr, roots, &pinned.pair)
	require.NoError(t, err, "the pinned peer's certificate was refused")
	require.Equal(t, peer.ChaincodeMessage_REGISTER, msg.GetType())
	var id peer.ChaincodeID
	require.NoError(t, proto.Unmarshal(msg.GetPayload(), &id))
	require.Equal(t, testCCID, id.GetName())

	for _, tc := range []struct {
		name   string
		pair   *tls.Certificate
		logged []string
	}{
		{"another certificate of the same CA", &sameCA.pair, []string{`"CN=peer0.org1,O=org1"`, fingerprint(sameCA.cert), "not the pinned one"}},
		{"a certificate of another CA", &otherCA.pair, []string{`"CN=ccaas-client.org2,O=org2"`, fingerprint(otherCA.cert)}},
		{"no certificate", nil, []string{"didn't provide a certificate"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := register(t, addr, roots, tc.pair)
			require.Error(t, err, "served %s", tc.name)
			require.Eventually(t, func() bool {
				for _, want := range append([]string{"test chaincode: refused the TLS client 127.0.0.1:"}, tc.logged...) {
					if !strings.Contains(logs.String(), want) {
						return false
					}
				}
				return true
			}, 5*time.Second, 20*time.Millisecond, "no refusal logged for %s: %s", tc.name, logs.String())
		})
	}
	require.NotContains(t, logs.String(), fingerprint(pinned.cert), "the pinned certificate was logged as refused")

	// A TCP connection closed before its TLS hello (the compose health check, probe -tcp) is no
	// refusal worth a log line every few seconds.
	before := strings.Count(logs.String(), "refused")
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	require.NoError(t, conn.Close())
	require.Never(t, func() bool { return strings.Count(logs.String(), "refused") != before },
		300*time.Millisecond, 20*time.Millisecond, "a TCP probe was logged: %s", logs.String())
	msg, err = register(t, addr, roots, &pinned.pair)
	require.NoError(t, err, "the pinned peer's certificate was refused after the refusals")
	require.Equal(t, peer.ChaincodeMessage_REGISTER, msg.GetType())
	require.NotContains(t, logs.String(), "PRIVATE KEY")
	t.Logf("the server's log:\n%s", logs.String())
}

func TestClientPinFromEnv(t *testing.T) {
	org1 := newTestCA(t, "org1")
	dir := t.TempDir()
	certPath := writeFile(t, dir, "cert.pem", org1.issue(t, "ccaas-client.org1", x509.ExtKeyUsageClientAuth).certPEM)
	withTLS := shim.TLSProperties{Key: []byte("k"), Cert: []byte("c"), ClientCACerts: org1.pem()}

	t.Setenv("CHAINCODE_CLIENT_CERT", "")
	pin, err := clientPinFromEnv(withTLS)
	require.NoError(t, err)
	require.Nil(t, pin, "no pin without CHAINCODE_CLIENT_CERT: any client certificate of the CA, as before")

	t.Setenv("CHAINCODE_CLIENT_CERT", certPath)
	pin, err = clientPinFromEnv(withTLS)
	require.NoError(t, err)
	require.Equal(t, "ccaas-client.org1", pin.Subject.CommonName)

	for _, tc := range []struct {
		name  string
		path  string
		props shim.TLSProperties
		want  string
	}{
		{"TLS disabled", certPath, shim.TLSProperties{Disabled: true}, "CHAINCODE_CLIENT_CERT needs TLS"},
		{"no client CA", certPath, shim.TLSProperties{Key: []byte("k"), Cert: []byte("c")}, "needs CHAINCODE_CLIENT_CA_CERT"},
		{"missing file", filepath.Join(dir, "missing.pem"), withTLS, "CHAINCODE_CLIENT_CERT"},
		{"no certificate", writeFile(t, dir, "junk.pem", []byte("not a certificate")), withTLS, "holds no PEM certificate"},
		{"a key, not a certificate", writeFile(t, dir, "key.pem", org1.issue(t, "x", x509.ExtKeyUsageClientAuth).keyPEM), withTLS, "holds no PEM certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("CHAINCODE_CLIENT_CERT", tc.path)
			_, err := clientPinFromEnv(tc.props)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

// A pin that no client could satisfy (not issued by the client CA, or not for TLS clients) stops
// the server at start instead of refusing every peer.
func TestNewPinnedServer_PinMustBeAClientCertificateOfTheClientCA(t *testing.T) {
	org1, org2 := newTestCA(t, "org1"), newTestCA(t, "org2")
	server := org1.issue(t, testServerName, x509.ExtKeyUsageServerAuth)
	props := shim.TLSProperties{Key: server.keyPEM, Cert: server.certPEM, ClientCACerts: org1.pem()}
	cs := &shim.ChaincodeServer{CCID: testCCID, CC: noop{}, TLSProps: props}

	_, err := newPinnedServer("test", cs, org1.issue(t, "ccaas-client.org1", x509.ExtKeyUsageClientAuth).cert, nil)
	require.NoError(t, err)

	_, err = newPinnedServer("test", cs, org2.issue(t, "ccaas-client.org2", x509.ExtKeyUsageClientAuth).cert, nil)
	require.ErrorContains(t, err, "is no TLS client certificate of CHAINCODE_CLIENT_CA_CERT")
	_, err = newPinnedServer("test", cs, org1.issue(t, "server-only.org1", x509.ExtKeyUsageServerAuth).cert, nil)
	require.ErrorContains(t, err, "is no TLS client certificate of CHAINCODE_CLIENT_CA_CERT")

	_, err = newPinnedServer("test", &shim.ChaincodeServer{CCID: testCCID, TLSProps: props}, server.cert, nil)
	require.ErrorContains(t, err, "no chaincode")
	bad := props
	bad.Key = org2.pem()
	_, err = newPinnedServer("test", &shim.ChaincodeServer{CCID: testCCID, CC: noop{}, TLSProps: bad}, server.cert, nil)
	require.ErrorContains(t, err, "CHAINCODE_TLS_CERT and CHAINCODE_TLS_KEY")
}

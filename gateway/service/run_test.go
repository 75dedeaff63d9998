package service

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/api"
	"github.com/recv-ledger/recv/gateway/ca"
	"github.com/recv-ledger/recv/gateway/client"
	"github.com/recv-ledger/recv/gateway/config"
	"github.com/recv-ledger/recv/gateway/fabric"
	"github.com/recv-ledger/recv/gateway/network"
)

// writeIdentity writes a self-signed certificate and its key to dir/name-{cert,key}.pem.
func writeIdentity(t *testing.T, dir, name string) (certPath, keyPath string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name}, IsCA: true,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	certPath, keyPath = filepath.Join(dir, name+"-cert.pem"), filepath.Join(dir, name+"-key.pem")
	require.NoError(t, os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600))
	return certPath, keyPath
}

func freeAddress(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().String()
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestRun_ServesTheNetworksUsersUntilCancelled runs the whole service against a peer that is
// never dialled (the gRPC connection is lazy): wallet, token files, HTTP server and shutdown.
func TestRun_ServesTheNetworksUsersUntilCancelled(t *testing.T) {
	dir := t.TempDir()
	peerCA, _ := writeIdentity(t, dir, "peer-tls-ca")
	adminCert, adminKey := writeIdentity(t, dir, "admin")
	tCert, _ := writeIdentity(t, dir, "treasurer")
	addr := freeAddress(t)
	desc := network.Description{Channel: "receivables", Chaincode: "receivables", Orgs: map[string]network.Org{
		"CoreMSP": {Name: "core", Peer: network.Peer{Address: "127.0.0.1:1", ServerName: "peer0.core", TLSCACert: peerCA},
			Gateway: network.Gateway{Address: addr},
			CA:      network.CA{URL: "https://127.0.0.1:1", AdminCert: filepath.Join(dir, "none.pem")},
			Users: map[string]network.User{
				"admin":     {Role: wire.RoleAdmin, Cert: adminCert, Key: adminKey},
				"treasurer": {Role: wire.RoleIssuer, Cert: tCert, Key: filepath.Join(dir, "never-read.pem")},
			}},
	}}
	b, err := json.Marshal(desc)
	require.NoError(t, err)
	netFile := filepath.Join(dir, "network.json")
	require.NoError(t, os.WriteFile(netFile, b, 0o600))

	// A user added at run time before, saved in the wallet folder.
	stateDir := filepath.Join(dir, "gateways", "core")
	w := &wallet{dir: filepath.Join(stateDir, "wallet")}
	sCert, sKey := writeIdentity(t, dir, "supplier-d")
	certPEM, _ := os.ReadFile(sCert)
	keyPEM, _ := os.ReadFile(sKey)
	require.NoError(t, w.save("supplier-d", wire.RoleSupplier, certPEM, keyPEM))

	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	done := make(chan error, 1)
	cfg := config.Serve{Network: netFile, Org: "core", ServiceUser: "admin", OfflineUsers: []string{"treasurer"}, LogLevel: "info"}
	go func() { done <- Run(ctx, cfg, NewLogger(cfg, logs)) }()

	var c *client.Client
	require.Eventually(t, func() bool {
		c, err = client.As(dir, "CoreMSP/treasurer")
		if err != nil {
			return false
		}
		resp, err := c.Do(ctx, http.MethodGet, "/healthz", nil, nil)
		return err == nil && resp.OK()
	}, 10*time.Second, 20*time.Millisecond, "the gateway comes up and writes token files where client.As looks")
	me, err := c.WhoAmI(ctx)
	require.NoError(t, err)
	require.Equal(t, wire.WhoAmI{Name: "treasurer", Account: "CoreMSP/treasurer", Role: wire.RoleIssuer, OfflineOnly: true}, *me)

	_, err = c.AddUser(ctx, wire.NewUser{Name: "x", Role: "supplier"})
	require.ErrorIs(t, err, wire.ErrNotFound, "the CA registrar's files are missing: user administration is off")
	require.Contains(t, logs.String(), "user administration disabled")
	require.Contains(t, logs.String(), "supplier-d", "the saved user is back in the wallet")

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(15 * time.Second):
		t.Fatal("Run did not stop")
	}
	require.Contains(t, logs.String(), "stopped")

	// The idempotency records live in the state folder, and the file is released on shutdown.
	require.FileExists(t, filepath.Join(stateDir, "idempotency.db"))
	idem, err := api.OpenIdempotencyStore(filepath.Join(stateDir, "idempotency.db"), 0, 0)
	require.NoError(t, err)
	require.NoError(t, idem.Close())
}

func TestCAError_MapsRefusalsToKinds(t *testing.T) {
	tests := []struct {
		err  error
		kind wire.Kind
	}{
		{&ca.Error{Status: 400, Message: "Identity 'x' is already registered"}, wire.KindConflict},
		{&ca.Error{Status: 401, Message: "authentication failure"}, wire.KindForbidden},
		{&ca.Error{Status: 400, Message: "bad attribute"}, wire.KindInvalid},
	}
	for _, tt := range tests {
		var fe *fabric.Error
		require.ErrorAs(t, caError(tt.err), &fe)
		require.Equal(t, tt.kind, fe.Kind)
		require.Equal(t, "ca", fe.Stage)
	}
	plain := os.ErrDeadlineExceeded
	require.Equal(t, plain, caError(plain))
}

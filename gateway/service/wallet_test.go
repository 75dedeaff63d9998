package service

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/recv-ledger/recv/gateway/auth"
	"github.com/recv-ledger/recv/gateway/fabric"
)

// userPEM is a self-signed certificate and its key for name.
func userPEM(t *testing.T, name string) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
}

// testWallet is a wallet in dir over a Fabric client whose connection is never used.
func testWallet(t *testing.T, dir string) *wallet {
	t.Helper()
	conn, err := grpc.NewClient("passthrough:///127.0.0.1:1", grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	fc, err := fabric.New(conn, fabric.Options{Channel: "c", Chaincode: "cc", MSPID: "CoreMSP"})
	require.NoError(t, err)
	tokens, err := auth.OpenTokenStore("")
	require.NoError(t, err)
	return &wallet{dir: dir, mspID: "CoreMSP", fabric: fc, auth: &auth.Authenticator{Tokens: tokens}}
}

// TestWallet_ForgetRemovesTheUserAndItsKeyForGood: a user added at run time is registered (its
// role saved); forgetting it takes it out of the Fabric client and removes its folder with the
// private key; it is listed as revoked, so neither it nor a user the gateway was started with comes
// back at a restart.
func TestWallet_ForgetRemovesTheUserAndItsKeyForGood(t *testing.T) {
	dir := t.TempDir()
	w := testWallet(t, dir)
	certPEM, keyPEM := userPEM(t, "leaver")
	id, err := fabric.NewIdentity("CoreMSP", "leaver", "supplier", certPEM, keyPEM)
	require.NoError(t, err)
	require.NoError(t, w.save("leaver", "supplier", certPEM, keyPEM))
	require.NoError(t, w.add(id))
	role, ok := w.registered("leaver")
	require.True(t, ok)
	require.Equal(t, "supplier", role)
	_, ok = w.registered("supplier-a")
	require.False(t, ok, "a user the gateway was started with is not one it registered")
	require.FileExists(t, filepath.Join(dir, "leaver", "key.pem"))

	removed, err := w.forget("leaver")
	require.NoError(t, err)
	require.True(t, removed)
	_, ok = w.fabric.Identity("leaver")
	require.False(t, ok, "out of the Fabric client")
	_, err = os.Stat(filepath.Join(dir, "leaver"))
	require.ErrorIs(t, err, os.ErrNotExist, "its certificate and key are gone")
	_, ok = w.registered("leaver")
	require.False(t, ok)

	// A user of network.json: nothing saved here, but listed so that a restart leaves it out.
	supCert, supKey := userPEM(t, "supplier-a")
	sup, err := fabric.NewIdentity("CoreMSP", "supplier-a", "supplier", supCert, supKey)
	require.NoError(t, err)
	require.NoError(t, w.add(sup))
	removed, err = w.forget("supplier-a")
	require.NoError(t, err)
	require.True(t, removed)
	removed, err = w.forget("supplier-a")
	require.NoError(t, err)
	require.False(t, removed, "forgetting twice is harmless")

	removed, err = w.forget("nobody")
	require.NoError(t, err)
	require.False(t, removed)
	_, err = w.forget("../x")
	require.Error(t, err, "not a user name")

	restarted := testWallet(t, dir)
	gone, err := restarted.revoked()
	require.NoError(t, err)
	require.Equal(t, map[string]bool{"leaver": true, "supplier-a": true}, gone, "a name that was not there is not listed")
	require.NoError(t, restarted.loadSaved())
	require.Empty(t, restarted.fabric.Names())
}

package tlsfiles

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// selfSigned is a PEM certificate and key for name.
func selfSigned(t *testing.T, name string, serial int64) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), DNSNames: []string{name}}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	require.NoError(t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
}

func serialOf(t *testing.T, c *tls.Certificate) int64 {
	t.Helper()
	leaf, err := x509.ParseCertificate(c.Certificate[0])
	require.NoError(t, err)
	return leaf.SerialNumber.Int64()
}

// A renewed pair is served once both files are replaced; a half-replaced pair leaves the last
// good one served and is reported once; unchanged files are not read again.
func TestPair_ServesTheRenewedPairOnceBothFilesAreReplaced(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	cert1, key1 := selfSigned(t, "server", 1)
	require.NoError(t, os.WriteFile(certFile, cert1, 0o600))
	require.NoError(t, os.WriteFile(keyFile, key1, 0o600))
	p, err := Load(certFile, keyFile)
	require.NoError(t, err)
	var renewed []int64
	var bad []error
	p.Renewed = func(c *x509.Certificate) { renewed = append(renewed, c.SerialNumber.Int64()) }
	p.Bad = func(err error) { bad = append(bad, err) }
	serve := func() int64 {
		c, err := p.Certificate(nil)
		require.NoError(t, err)
		return serialOf(t, c)
	}
	require.EqualValues(t, 1, serve())

	cert2, key2 := selfSigned(t, "server", 2)
	time.Sleep(10 * time.Millisecond) // a modification time of its own on any file system
	require.NoError(t, os.WriteFile(certFile, cert2, 0o600))
	require.EqualValues(t, 1, serve(), "the new certificate with the old key: the old pair")
	require.EqualValues(t, 1, serve())
	require.Len(t, bad, 1, "a half-replaced pair is reported once")
	require.ErrorContains(t, bad[0], "does not load")
	require.NoError(t, os.WriteFile(keyFile, key2, 0o600))
	require.EqualValues(t, 2, serve(), "both files replaced: the renewed pair")
	require.Equal(t, []int64{2}, renewed)

	require.NoError(t, os.Remove(keyFile))
	require.EqualValues(t, 2, serve(), "a file missing while it is replaced: the last good pair")
	_, err = Load(certFile, keyFile)
	require.Error(t, err)
}

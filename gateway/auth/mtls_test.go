package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func selfSigned(t *testing.T, cn string) *x509.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn}, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return cert
}

func TestAuthenticator_ClientCertificateMustBeTheEnrollmentCertificate(t *testing.T) {
	enrolled := selfSigned(t, "supplier-a")
	sameName := selfSigned(t, "supplier-a")
	a := &Authenticator{}
	a.AddCertificate("supplier-a", enrolled)

	req := httptest.NewRequest("GET", "/", nil)
	req.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{enrolled}}
	id, ok := a.Identify(req)
	require.True(t, ok)
	require.Equal(t, "supplier-a", id)

	req.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{sameName}}
	_, ok = a.Identify(req)
	require.False(t, ok, "another certificate with the same name is not the identity")
}

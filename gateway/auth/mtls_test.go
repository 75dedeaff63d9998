package auth

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/gateway/certtest"
)

func TestAuthenticator_ClientCertificateMustBeTheEnrollmentCertificate(t *testing.T) {
	enrolled := certtest.New(t, "supplier-a").Cert
	sameName := certtest.New(t, "supplier-a").Cert
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

// TestAuthenticator_ForgetRefusesTheTokenAndTheCertificate: a forgotten identity authenticates
// with neither its token nor its client certificate; another identity is untouched.
func TestAuthenticator_ForgetRefusesTheTokenAndTheCertificate(t *testing.T) {
	s, _ := OpenTokenStore("")
	leaver, _ := s.Mint("leaver")
	stayer, _ := s.Mint("stayer")
	cert := certtest.New(t, "leaver").Cert
	a := &Authenticator{Tokens: s}
	a.AddCertificate("leaver", cert)

	removed, err := a.Forget("leaver")
	require.NoError(t, err)
	require.True(t, removed)
	for _, req := range []func() *http.Request{
		func() *http.Request {
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("Authorization", "Bearer "+leaver)
			return r
		},
		func() *http.Request {
			r := httptest.NewRequest("GET", "/", nil)
			r.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{cert}}
			return r
		},
	} {
		_, ok := a.Identify(req())
		require.False(t, ok)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+stayer)
	id, ok := a.Identify(r)
	require.True(t, ok)
	require.Equal(t, "stayer", id)
	removed, err = a.Forget("leaver")
	require.NoError(t, err)
	require.False(t, removed)
}

// TestAuthenticator_ARenewedCertificateReplacesTheOldOne: binding an identity's renewed
// enrollment certificate unbinds the one before it; its token and other identities are untouched.
func TestAuthenticator_ARenewedCertificateReplacesTheOldOne(t *testing.T) {
	s, _ := OpenTokenStore("")
	token, _ := s.Mint("clerk")
	old, renewed, other := certtest.New(t, "clerk").Cert, certtest.New(t, "clerk").Cert, certtest.New(t, "officer").Cert
	a := &Authenticator{Tokens: s}
	a.AddCertificate("clerk", old)
	a.AddCertificate("officer", other)
	a.AddCertificate("clerk", renewed)

	identify := func(cert *x509.Certificate) (string, bool) {
		r := httptest.NewRequest("GET", "/", nil)
		r.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{cert}}
		return a.Identify(r)
	}
	_, ok := identify(old)
	require.False(t, ok, "the certificate before the renewal is refused")
	id, ok := identify(renewed)
	require.True(t, ok)
	require.Equal(t, "clerk", id)
	id, ok = identify(other)
	require.True(t, ok)
	require.Equal(t, "officer", id)
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	id, ok = a.Identify(r)
	require.True(t, ok, "the token is bound to the name and keeps working")
	require.Equal(t, "clerk", id)
}

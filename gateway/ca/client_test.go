package ca

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/gateway/certtest"
)

func registrar(t *testing.T) (Registrar, *ecdsa.PublicKey) {
	p := certtest.New(t, "registrar")
	return Registrar{CertPEM: p.CertPEM, KeyPEM: p.KeyPEM}, &p.Key.PublicKey
}

// verifyToken checks a token the way the Fabric CA server does for ECDSA identities.
func verifyToken(t *testing.T, pub *ecdsa.PublicKey, token, method, uri string, body []byte) {
	b64cert, b64sig, ok := strings.Cut(token, ".")
	require.True(t, ok)
	sig, err := base64.StdEncoding.DecodeString(b64sig)
	require.NoError(t, err)
	payload := method + "." + base64.StdEncoding.EncodeToString([]byte(uri)) + "." + base64.StdEncoding.EncodeToString(body) + "." + b64cert
	d := sha256.Sum256([]byte(payload))
	require.True(t, ecdsa.VerifyASN1(pub, d[:], sig), "token signature verifies")
}

func TestRegisterAndEnroll_AgainstAFakeCA(t *testing.T) {
	reg, pub := registrar(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch r.URL.Path {
		case "/api/v1/register":
			verifyToken(t, pub, r.Header.Get("Authorization"), r.Method, r.URL.RequestURI(), body)
			var req Registration
			require.NoError(t, json.Unmarshal(body, &req))
			require.Equal(t, "supplier-d", req.Name)
			require.Equal(t, []Attribute{{Name: "recv.role", Value: "supplier", ECert: true}}, req.Attributes)
			_, _ = w.Write([]byte(`{"success":true,"result":{"secret":"s3"}}`))
		case "/api/v1/enroll":
			user, pass, ok := r.BasicAuth()
			require.True(t, ok)
			require.Equal(t, "supplier-d", user)
			require.Equal(t, "s3", pass)
			var req map[string]string
			require.NoError(t, json.Unmarshal(body, &req))
			block, _ := pem.Decode([]byte(req["certificate_request"]))
			csr, err := x509.ParseCertificateRequest(block.Bytes)
			require.NoError(t, err)
			require.NoError(t, csr.CheckSignature())
			require.Equal(t, "supplier-d", csr.Subject.CommonName)
			cert := base64.StdEncoding.EncodeToString(reg.CertPEM)
			_, _ = w.Write([]byte(`{"success":true,"result":{"Cert":"` + cert + `"}}`))
		default:
			w.WriteHeader(404)
		}
	}))
	defer srv.Close()
	c := &Client{URL: srv.URL, HTTP: srv.Client()}

	secret, err := c.Register(context.Background(), reg, Registration{Name: "supplier-d", Attributes: []Attribute{{Name: "recv.role", Value: "supplier", ECert: true}}})
	require.NoError(t, err)
	require.Equal(t, "s3", secret)
	cert, key, err := c.Enroll(context.Background(), "supplier-d", secret)
	require.NoError(t, err)
	require.Equal(t, reg.CertPEM, cert)
	_, err = identity.PrivateKeyFromPEM(key)
	require.NoError(t, err)
}

func TestRegister_RefusalCarriesTheCAMessage(t *testing.T) {
	reg, _ := registrar(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(400)
		_, _ = w.Write([]byte(`{"success":false,"errors":[{"code":74,"message":"Identity 'x' is already registered"}]}`))
	}))
	defer srv.Close()
	c := &Client{URL: srv.URL, HTTP: srv.Client()}
	_, err := c.Register(context.Background(), reg, Registration{Name: "x"})
	var ce *Error
	require.ErrorAs(t, err, &ce)
	require.Equal(t, 400, ce.Status)
	require.Contains(t, ce.Message, "already registered")
}

func TestRevoke_AsTheRegistrarReturnsTheCRL(t *testing.T) {
	reg, pub := registrar(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		require.Equal(t, "/api/v1/revoke", r.URL.Path)
		verifyToken(t, pub, r.Header.Get("Authorization"), r.Method, r.URL.RequestURI(), body)
		var req map[string]any
		require.NoError(t, json.Unmarshal(body, &req))
		require.Equal(t, "supplier-d", req["id"])
		require.Equal(t, "keycompromise", req["reason"])
		require.Equal(t, true, req["gencrl"], "the answer carries the new CRL")
		crl := base64.StdEncoding.EncodeToString([]byte("-----BEGIN X509 CRL-----\n"))
		_, _ = w.Write([]byte(`{"success":true,"result":{"RevokedCerts":[{"Serial":"0a1b","AKI":"ff"}],"CRL":"` + crl + `"}}`))
	}))
	defer srv.Close()
	c := &Client{URL: srv.URL, HTTP: srv.Client()}
	rev, err := c.Revoke(context.Background(), reg, "supplier-d", "keycompromise")
	require.NoError(t, err)
	require.Equal(t, []string{"0a1b"}, rev.Serials)
	require.Equal(t, "-----BEGIN X509 CRL-----\n", string(rev.CRL))
}

// TestReenroll_SignsWithTheCurrentEnrollmentForANewKey: the request is authorised by a token of
// the current certificate and key (no secret), its CSR names the identity and carries a key made
// here, other than the current one, and the answer is the CA's certificate with that new key.
func TestReenroll_SignsWithTheCurrentEnrollmentForANewKey(t *testing.T) {
	current, pub := registrar(t)
	var csrKey *ecdsa.PublicKey
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		require.Equal(t, "/api/v1/reenroll", r.URL.Path)
		_, _, basic := r.BasicAuth()
		require.False(t, basic, "no secret")
		verifyToken(t, pub, r.Header.Get("Authorization"), r.Method, r.URL.RequestURI(), body)
		var req map[string]string
		require.NoError(t, json.Unmarshal(body, &req))
		require.Equal(t, "ca.core", req["caname"])
		block, _ := pem.Decode([]byte(req["certificate_request"]))
		csr, err := x509.ParseCertificateRequest(block.Bytes)
		require.NoError(t, err)
		require.NoError(t, csr.CheckSignature())
		require.Equal(t, "clerk", csr.Subject.CommonName)
		csrKey = csr.PublicKey.(*ecdsa.PublicKey)
		cert := base64.StdEncoding.EncodeToString([]byte("-----BEGIN CERTIFICATE-----\nrenewed\n"))
		_, _ = w.Write([]byte(`{"success":true,"result":{"Cert":"` + cert + `"}}`))
	}))
	defer srv.Close()
	c := &Client{URL: srv.URL, CAName: "ca.core", HTTP: srv.Client()}
	key, err := identity.PrivateKeyFromPEM(current.KeyPEM)
	require.NoError(t, err)
	sign, err := identity.NewPrivateKeySign(key)
	require.NoError(t, err)

	cert, keyPEM, err := c.Reenroll(context.Background(), Enrolled{CertPEM: current.CertPEM, Sign: sign}, "clerk")
	require.NoError(t, err)
	require.Equal(t, "-----BEGIN CERTIFICATE-----\nrenewed\n", string(cert))
	newKey, err := identity.PrivateKeyFromPEM(keyPEM)
	require.NoError(t, err)
	require.True(t, newKey.(*ecdsa.PrivateKey).PublicKey.Equal(csrKey), "the key returned is the CSR's")
	require.False(t, pub.Equal(csrKey), "a new key, not the current one")
}

func TestReenroll_RefusalCarriesTheCAMessage(t *testing.T) {
	current, _ := registrar(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(401)
		_, _ = w.Write([]byte(`{"success":false,"errors":[{"code":71,"message":"Authentication failure"}]}`))
	}))
	defer srv.Close()
	c := &Client{URL: srv.URL, HTTP: srv.Client()}
	key, err := identity.PrivateKeyFromPEM(current.KeyPEM)
	require.NoError(t, err)
	sign, err := identity.NewPrivateKeySign(key)
	require.NoError(t, err)
	_, _, err = c.Reenroll(context.Background(), Enrolled{CertPEM: current.CertPEM, Sign: sign}, "clerk")
	var ce *Error
	require.ErrorAs(t, err, &ce)
	require.Equal(t, 401, ce.Status)
	require.Equal(t, "reenroll", ce.Endpoint)
}

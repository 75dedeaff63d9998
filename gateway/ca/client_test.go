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

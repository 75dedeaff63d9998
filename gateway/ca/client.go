// Package ca is a small client of the Fabric CA REST API: register a user with the registrar's
// token, enroll it with its secret and a certificate signing request, reenroll it with its
// current enrollment, and revoke it.
package ca

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/hyperledger/fabric-gateway/pkg/identity"
)

// Client talks to one Fabric CA server.
type Client struct {
	URL    string // https://host:port
	CAName string
	HTTP   *http.Client
}

// New returns a client trusting the CA server's TLS CA certificate file.
func New(caURL, caName, tlsCACertPath string) (*Client, error) {
	pemBytes, err := os.ReadFile(tlsCACertPath)
	if err != nil {
		return nil, fmt.Errorf("read CA TLS certificate: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		return nil, fmt.Errorf("no certificate in %s", tlsCACertPath)
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	return &Client{URL: strings.TrimRight(caURL, "/"), CAName: caName, HTTP: &http.Client{Transport: tr}}, nil
}

// Attribute is a registration attribute; ECert puts it into the enrollment certificate.
type Attribute struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	ECert bool   `json:"ecert"`
}

// Registration describes a new identity.
type Registration struct {
	Name           string      `json:"id"`
	Type           string      `json:"type"`
	Secret         string      `json:"secret,omitempty"`
	MaxEnrollments int         `json:"max_enrollments,omitempty"`
	Affiliation    string      `json:"affiliation"`
	Attributes     []Attribute `json:"attrs"`
	CAName         string      `json:"caname,omitempty"`
}

// Registrar is an enrolled identity allowed to register others: its certificate and key PEM.
type Registrar struct {
	CertPEM []byte
	KeyPEM  []byte
}

type response struct {
	Success bool            `json:"success"`
	Result  json.RawMessage `json:"result"`
	Errors  []struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"errors"`
}

// Register registers an identity and returns its enrollment secret.
func (c *Client) Register(ctx context.Context, reg Registrar, r Registration) (string, error) {
	if r.Type == "" {
		r.Type = "client"
	}
	r.CAName = c.CAName
	body, err := json.Marshal(r)
	if err != nil {
		return "", err
	}
	token, err := Token(reg, http.MethodPost, "/api/v1/register", body)
	if err != nil {
		return "", err
	}
	var out struct {
		Secret string `json:"secret"`
	}
	if err := c.do(ctx, "register", body, func(h http.Header) { h.Set("Authorization", token) }, &out); err != nil {
		return "", err
	}
	return out.Secret, nil
}

// Enroll enrolls an identity with its secret and a new P-256 key made here. It returns the
// certificate and key in PEM form; the key never leaves this process.
func (c *Client) Enroll(ctx context.Context, name, secret string) (certPEM, keyPEM []byte, err error) {
	return withNewKey(name, func(csr []byte) ([]byte, error) { return c.EnrollCSR(ctx, name, secret, csr) })
}

// Enrolled is an identity's current enrollment: its certificate (PEM) and the signer of the key
// the certificate is for (fabric.NewSigner).
type Enrolled struct {
	CertPEM []byte
	Sign    identity.Sign
}

// Reenroll renews the enrollment certificate of the identity name: a new P-256 key is made here
// and its certificate signing request is sent to the CA with a token signed by the current
// enrollment (no secret: the CA's are one-time). The CA issues the certificate for its profile's
// lifetime from now, with the identity's attributes as at enrollment (recv.role among them); it
// refuses a current certificate that has expired or is revoked. It returns the new certificate
// and key in PEM form; the key never leaves this process. The current certificate stays valid
// until it expires.
func (c *Client) Reenroll(ctx context.Context, current Enrolled, name string) (certPEM, keyPEM []byte, err error) {
	return withNewKey(name, func(csr []byte) ([]byte, error) {
		body, err := json.Marshal(map[string]string{"certificate_request": string(csr), "caname": c.CAName})
		if err != nil {
			return nil, err
		}
		token, err := token(current.CertPEM, current.Sign, http.MethodPost, "/api/v1/reenroll", body)
		if err != nil {
			return nil, err
		}
		var out struct {
			Cert string `json:"Cert"`
		}
		if err := c.do(ctx, "reenroll", body, func(h http.Header) { h.Set("Authorization", token) }, &out); err != nil {
			return nil, err
		}
		return decodeCert(out.Cert)
	})
}

// withNewKey makes a P-256 key, has enroll turn a CSR of it for name into a certificate, and
// returns the certificate and the key in PEM form.
func withNewKey(name string, enroll func(csrPEM []byte) ([]byte, error)) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	csr, err := NewCSR(name, key)
	if err != nil {
		return nil, nil, err
	}
	if certPEM, err = enroll(csr); err != nil {
		return nil, nil, err
	}
	keyPEM, err = identity.PrivateKeyToPEM(key)
	if err != nil {
		return nil, nil, err
	}
	return certPEM, keyPEM, nil
}

// NewCSR is a PEM certificate signing request for name (the common name) signed by key.
func NewCSR(name string, key *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: name}}, key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}), nil
}

// EnrollCSR enrolls an identity with its secret and a certificate signing request made by whoever
// holds the key (the user, on its own machine): the key is never here. It returns the certificate.
func (c *Client) EnrollCSR(ctx context.Context, name, secret string, csrPEM []byte) ([]byte, error) {
	body, _ := json.Marshal(map[string]string{"certificate_request": string(csrPEM), "caname": c.CAName})
	var out struct {
		Cert string `json:"Cert"`
	}
	basic := func(h http.Header) {
		h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(name+":"+secret)))
	}
	if err := c.do(ctx, "enroll", body, basic, &out); err != nil {
		return nil, err
	}
	return decodeCert(out.Cert)
}

// decodeCert is the certificate of an enroll or reenroll answer (base64 of PEM).
func decodeCert(b64 string) ([]byte, error) {
	certPEM, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("decode enrollment certificate: %w", err)
	}
	return certPEM, nil
}

// Revocation is what Revoke did: the serial numbers of the certificates it revoked and the CA's
// certificate revocation list that lists them (PEM), to be put into the organisation's MSP.
type Revocation struct {
	Serials []string
	CRL     []byte
}

// Revoke revokes every certificate of the identity name, and the identity itself, as the
// registrar (which needs hf.Revoker), with a reason (RFC 5280 name, e.g. "keycompromise"; empty:
// unspecified), and returns the CA's new CRL.
func (c *Client) Revoke(ctx context.Context, reg Registrar, name, reason string) (*Revocation, error) {
	body, err := json.Marshal(map[string]any{"id": name, "reason": reason, "gencrl": true, "caname": c.CAName})
	if err != nil {
		return nil, err
	}
	token, err := Token(reg, http.MethodPost, "/api/v1/revoke", body)
	if err != nil {
		return nil, err
	}
	var out struct {
		RevokedCerts []struct {
			Serial string `json:"Serial"`
		} `json:"RevokedCerts"`
		CRL string `json:"CRL"`
	}
	if err := c.do(ctx, "revoke", body, func(h http.Header) { h.Set("Authorization", token) }, &out); err != nil {
		return nil, err
	}
	crl, err := base64.StdEncoding.DecodeString(out.CRL)
	if err != nil {
		return nil, fmt.Errorf("decode the CRL: %w", err)
	}
	rev := &Revocation{CRL: crl}
	for _, r := range out.RevokedCerts {
		rev.Serials = append(rev.Serials, r.Serial)
	}
	return rev, nil
}

func (c *Client) do(ctx context.Context, endpoint string, body []byte, auth func(http.Header), out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL+"/api/v1/"+endpoint, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	auth(req.Header)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("CA %s: %w", endpoint, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	var r response
	if err := json.Unmarshal(raw, &r); err != nil {
		return fmt.Errorf("CA %s: HTTP %d: %s", endpoint, resp.StatusCode, strings.TrimSpace(string(raw)))
	}
	if !r.Success {
		msgs := make([]string, 0, len(r.Errors))
		for _, e := range r.Errors {
			msgs = append(msgs, fmt.Sprintf("%d %s", e.Code, e.Message))
		}
		return &Error{Endpoint: endpoint, Status: resp.StatusCode, Message: strings.Join(msgs, "; ")}
	}
	return json.Unmarshal(r.Result, out)
}

// Error is a refusal by the CA server.
type Error struct {
	Endpoint string
	Status   int
	Message  string
}

func (e *Error) Error() string {
	return fmt.Sprintf("CA %s refused (HTTP %d): %s", e.Endpoint, e.Status, e.Message)
}

// Token is the Fabric CA authorization token for a request signed by an enrolled identity:
// base64(cert) "." base64(signature), where the signature is ECDSA (low-S, DER) over the SHA-256
// of method "." base64(uri) "." base64(body) "." base64(cert).
func Token(reg Registrar, method, uri string, body []byte) (string, error) {
	key, err := identity.PrivateKeyFromPEM(reg.KeyPEM)
	if err != nil {
		return "", fmt.Errorf("registrar key: %w", err)
	}
	signer, err := identity.NewPrivateKeySign(key)
	if err != nil {
		return "", err
	}
	return token(reg.CertPEM, signer, method, uri, body)
}

// token is Token for the identity of certPEM whose key signs with signer.
func token(certPEM []byte, signer identity.Sign, method, uri string, body []byte) (string, error) {
	b64cert := base64.StdEncoding.EncodeToString(certPEM)
	payload := method + "." + base64.StdEncoding.EncodeToString([]byte(uri)) + "." +
		base64.StdEncoding.EncodeToString(body) + "." + b64cert
	digest := sha256Sum([]byte(payload))
	sig, err := signer(digest)
	if err != nil {
		return "", err
	}
	return b64cert + "." + base64.StdEncoding.EncodeToString(sig), nil
}

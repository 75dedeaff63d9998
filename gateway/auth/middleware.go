package auth

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"net/http"
	"strings"
	"sync"
)

type callerKey struct{}

// Caller returns the wallet identity the request acts as.
func Caller(ctx context.Context) (string, bool) {
	name, ok := ctx.Value(callerKey{}).(string)
	return name, ok
}

// WithCaller returns a context acting as the named identity (for tests and internal calls).
func WithCaller(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, callerKey{}, name)
}

// Authenticator finds the caller of a request from its bearer token or its TLS client
// certificate. A request with neither, or with an unknown one, is refused with 401.
type Authenticator struct {
	Tokens *TokenStore

	mu    sync.RWMutex
	certs map[string]string // hex SHA-256 of DER enrollment certificate -> identity
}

// AddCertificate binds an enrollment certificate to an identity for mutual-TLS callers.
func (a *Authenticator) AddCertificate(identity string, cert *x509.Certificate) {
	sum := sha256.Sum256(cert.Raw)
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.certs == nil {
		a.certs = map[string]string{}
	}
	a.certs[hex.EncodeToString(sum[:])] = identity
}

// Identify returns the identity of a request, or false.
func (a *Authenticator) Identify(r *http.Request) (string, bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		// The scheme is case-insensitive (RFC 9110 section 11.1).
		scheme, token, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || a.Tokens == nil {
			return "", false
		}
		return a.Tokens.Lookup(strings.TrimSpace(token))
	}
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		sum := sha256.Sum256(r.TLS.PeerCertificates[0].Raw)
		a.mu.RLock()
		defer a.mu.RUnlock()
		id, ok := a.certs[hex.EncodeToString(sum[:])]
		return id, ok
	}
	return "", false
}

// Require wraps next so that it runs only for an identified caller; deny writes the refusal.
func (a *Authenticator) Require(next http.Handler, deny func(http.ResponseWriter, *http.Request)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := a.Identify(r)
		if !ok {
			deny(w, r)
			return
		}
		next.ServeHTTP(w, r.WithContext(WithCaller(r.Context(), id)))
	})
}

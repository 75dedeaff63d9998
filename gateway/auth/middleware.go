package auth

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/recv-ledger/recv/chaincode/wire"
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
// certificate. A request with neither, or with an unknown one, is refused with 401; every refusal
// is logged (source, route, what was wrong, never the credential) and counted against its source
// by Limiter, which answers 429 to a source that failed too often.
type Authenticator struct {
	Tokens  *TokenStore
	Limiter *FailureLimiter // nil: no limit
	Log     *slog.Logger    // nil: refusals are not logged

	mu    sync.RWMutex
	certs map[string]string // hex SHA-256 of DER enrollment certificate -> identity
}

// AddCertificate binds an enrollment certificate to an identity for mutual-TLS callers, in
// place of the certificate bound to it before: an identity whose enrollment was renewed
// authenticates with its new certificate only.
func (a *Authenticator) AddCertificate(identity string, cert *x509.Certificate) {
	sum := sha256.Sum256(cert.Raw)
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.certs == nil {
		a.certs = map[string]string{}
	}
	for s, id := range a.certs {
		if id == identity {
			delete(a.certs, s)
		}
	}
	a.certs[hex.EncodeToString(sum[:])] = identity
}

// Forget stops an identity from authenticating at once: its token (and token file) and its bound
// certificates are removed. It reports whether there was anything to remove.
func (a *Authenticator) Forget(identity string) (bool, error) {
	removed := false
	a.mu.Lock()
	for sum, id := range a.certs {
		if id == identity {
			delete(a.certs, sum)
			removed = true
		}
	}
	a.mu.Unlock()
	if a.Tokens == nil {
		return removed, nil
	}
	had, err := a.Tokens.Remove(identity)
	return removed || had, err
}

// Identify returns the identity of a request, or false.
func (a *Authenticator) Identify(r *http.Request) (string, bool) {
	id, why := a.identify(r)
	return id, why == ""
}

// identify returns the identity of a request, or why there is none (never the credential).
func (a *Authenticator) identify(r *http.Request) (id, why string) {
	if h := r.Header.Get("Authorization"); h != "" {
		// The scheme is case-insensitive (RFC 9110 section 11.1).
		scheme, token, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || a.Tokens == nil {
			return "", "authorization header is not Bearer <token>"
		}
		if id, ok := a.Tokens.Lookup(strings.TrimSpace(token)); ok {
			return id, ""
		}
		return "", "unknown bearer token"
	}
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		sum := sha256.Sum256(r.TLS.PeerCertificates[0].Raw)
		a.mu.RLock()
		defer a.mu.RUnlock()
		if id, ok := a.certs[hex.EncodeToString(sum[:])]; ok {
			return id, ""
		}
		return "", "unknown client certificate"
	}
	return "", "no credential"
}

// Refusal is why a request was not authenticated: wire.KindUnauthenticated (401), or
// wire.KindRateLimited (429) with the time after which its source may try again.
type Refusal struct {
	Kind       wire.Kind
	RetryAfter time.Duration
}

// Authenticate returns the caller of r, a request for route (the pattern, never the raw path with
// its ids), or the refusal. A valid credential is accepted whatever its source's failures.
func (a *Authenticator) Authenticate(r *http.Request, route string) (string, *Refusal) {
	return a.authenticate(r, route, func() (string, string) { return a.identify(r) })
}

// AuthenticateToken is Authenticate for a token that came in some other way than the
// Authorization header (the web console's sign-in form, route "POST /signin"): the same limit per
// source, shared with the REST API's failures, the same log line and the same refusals.
func (a *Authenticator) AuthenticateToken(r *http.Request, route, token string) (string, *Refusal) {
	return a.authenticate(r, route, func() (string, string) { return a.identifyToken(token) })
}

// authenticate accepts a valid credential whatever its source did before: one client's failures
// must not lock out the other clients behind the same address (a proxy, a shared host). A failure
// is counted against the source and logged; a source over its limit gets 429 for its failures
// (one log line each, never the credential). Guessing gains nothing from the answers: a token is
// 48 random characters, so the limit is about floods, not about a guess that might succeed.
func (a *Authenticator) authenticate(r *http.Request, route string, identify func() (id, why string)) (string, *Refusal) {
	source := Source(r)
	id, why := identify()
	if why == "" {
		return id, nil
	}
	if blocked, wait := a.Limiter.Blocked(source); blocked {
		a.logRefusal("authentication refused: too many failures from this source", source, route, "retryAfter", wait.String())
		return "", &Refusal{Kind: wire.KindRateLimited, RetryAfter: wait}
	}
	a.Limiter.Fail(source)
	a.logRefusal("authentication failed", source, route, "reason", why)
	return "", &Refusal{Kind: wire.KindUnauthenticated}
}

// maxTokenLen bounds a token handed in a form; the gateway's tokens are 48 characters.
const maxTokenLen = 512

// identifyToken returns the identity a token is bound to, or why there is none (never the token).
func (a *Authenticator) identifyToken(token string) (id, why string) {
	if token == "" {
		return "", "no token"
	}
	if len(token) > maxTokenLen || strings.IndexFunc(token, func(c rune) bool { return c <= ' ' || c > '~' }) >= 0 {
		return "", "malformed token"
	}
	if a.Tokens != nil {
		if id, ok := a.Tokens.Lookup(token); ok {
			return id, ""
		}
	}
	return "", "unknown token"
}

func (a *Authenticator) logRefusal(msg, source, route string, args ...any) {
	if a.Log != nil {
		a.Log.Warn(msg, append([]any{"source", source, "route", route}, args...)...)
	}
}

// Require wraps next, the handler of route, so that it runs only for an authenticated caller;
// deny writes the refusal.
func (a *Authenticator) Require(route string, next http.Handler, deny func(http.ResponseWriter, *http.Request, *Refusal)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, refusal := a.Authenticate(r, route)
		if refusal != nil {
			if refusal.RetryAfter > 0 {
				w.Header().Set("Retry-After", strconv.Itoa(int(refusal.RetryAfter/time.Second)))
			}
			deny(w, r, refusal)
			return
		}
		next.ServeHTTP(w, r.WithContext(WithCaller(r.Context(), id)))
	})
}

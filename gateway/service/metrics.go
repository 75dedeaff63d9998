package service

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/auth"
)

// metricsPath is the gateway's Prometheus endpoint (package api serves it).
const metricsPath = "/metrics"

// guardMetrics serves /metrics only to a caller identified as an identity of role admin of this
// organisation (a bearer token or a mutual-TLS client certificate of the wallet), unless public
// (--metrics-public). The counters tell how many approvals, financing requests and refusals the
// organisation's users made: a bank's business, not anyone's who can reach the port. Without a
// credential the answer is 401, with another role's 403; every other path goes to next unchanged.
func guardMetrics(next http.Handler, authn *auth.Authenticator, roleOf func(name string) string, public bool, log *slog.Logger) http.Handler {
	if public {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != metricsPath {
			next.ServeHTTP(w, r)
			return
		}
		name, refusal := authn.Authenticate(r, "GET "+metricsPath)
		if refusal != nil && refusal.Kind == wire.KindRateLimited {
			w.Header().Set("Retry-After", strconv.Itoa(int(refusal.RetryAfter/time.Second)))
			writeProblem(w, r, wire.KindRateLimited, "rate_limited: too many failed authentications from this address")
			return
		}
		if refusal != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="recv"`)
			writeProblem(w, r, wire.KindUnauthenticated,
				"unauthenticated: /metrics needs Authorization: Bearer <token> of an admin of this organisation (or the gateway runs with --metrics-public)")
			return
		}
		if role := roleOf(name); role != "admin" {
			log.Info("metrics refused: not an admin", "source", r.RemoteAddr, "caller", name, "role", role)
			writeProblem(w, r, wire.KindForbidden, "forbidden: /metrics is for an admin of this organisation, not "+name)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func writeProblem(w http.ResponseWriter, r *http.Request, kind wire.Kind, msg string) {
	p := wire.NewProblem(kind, msg)
	p.Instance = r.URL.Path
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

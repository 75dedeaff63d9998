package service

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/gateway/auth"
)

// metricsFixture: a guarded handler whose /metrics and /healthz answer "counters" and "ok", with
// tokens for an admin and a financier.
func metricsFixture(t *testing.T, public bool) (h http.Handler, adminToken, officerToken string) {
	t.Helper()
	store, err := auth.OpenTokenStore(filepath.Join(t.TempDir(), "token-hashes.json"))
	require.NoError(t, err)
	adminToken, err = store.Mint("admin")
	require.NoError(t, err)
	officerToken, err = store.Mint("officer")
	require.NoError(t, err)
	roles := map[string]string{"admin": "admin", "officer": "financier"}
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/metrics" {
			_, _ = io.WriteString(w, "recv_gateway_requests_total 7\n")
			return
		}
		_, _ = io.WriteString(w, "ok")
	})
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	return guardMetrics(next, &auth.Authenticator{Tokens: store}, func(n string) string { return roles[n] }, public, log), adminToken, officerToken
}

func get(t *testing.T, srv *httptest.Server, path, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(body)
}

// The gateway's /metrics counts an organisation's approvals and refusals: by default only an admin
// of the organisation reads it; no credential is 401, a token of another role 403, a token nobody
// was given 401. Health and readiness stay open.
func TestMetrics_OnlyAnAdminOfTheOrganisation(t *testing.T) {
	h, adminToken, officerToken := metricsFixture(t, false)
	srv := httptest.NewServer(h)
	defer srv.Close()

	code, body := get(t, srv, "/metrics", "")
	require.Equal(t, http.StatusUnauthorized, code, body)
	require.NotContains(t, body, "recv_gateway_requests_total")
	require.Contains(t, body, "unauthenticated")

	code, body = get(t, srv, "/metrics", "not-a-token")
	require.Equal(t, http.StatusUnauthorized, code, body)
	require.NotContains(t, body, "recv_gateway_requests_total")

	code, body = get(t, srv, "/metrics", officerToken)
	require.Equal(t, http.StatusForbidden, code, body)
	require.NotContains(t, body, "recv_gateway_requests_total")
	require.Contains(t, body, "forbidden")

	code, body = get(t, srv, "/metrics", adminToken)
	require.Equal(t, http.StatusOK, code, body)
	require.Contains(t, body, "recv_gateway_requests_total 7")

	code, body = get(t, srv, "/healthz", "")
	require.Equal(t, http.StatusOK, code, body)
}

// With --metrics-public, /metrics needs no credential (a deployment that scrapes it from a
// trusted network only).
func TestMetrics_PublicWhenConfigured(t *testing.T) {
	h, _, _ := metricsFixture(t, true)
	srv := httptest.NewServer(h)
	defer srv.Close()
	code, body := get(t, srv, "/metrics", "")
	require.Equal(t, http.StatusOK, code, body)
	require.Contains(t, body, "recv_gateway_requests_total 7")
}

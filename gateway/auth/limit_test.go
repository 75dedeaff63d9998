package auth

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/stretchr/testify/require"
)

// limited is an Authenticator with one known token, a limiter of burst failures at once and
// perMinute a minute on a clock the test moves, and a log the test reads.
func limited(t *testing.T, burst, perMinute int) (h http.Handler, token string, clock *time.Time, log *bytes.Buffer) {
	t.Helper()
	s, _ := OpenTokenStore("")
	token, err := s.Mint("treasurer")
	require.NoError(t, err)
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	clock = &now
	l := NewFailureLimiter(burst, perMinute)
	l.now = func() time.Time { return *clock }
	log = &bytes.Buffer{}
	a := &Authenticator{Tokens: s, Limiter: l, Log: slog.New(slog.NewTextHandler(log, nil))}
	h = a.Require("POST /v1/receivables", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}), func(w http.ResponseWriter, r *http.Request, refusal *Refusal) {
		w.WriteHeader(refusal.Kind.Info().HTTPStatus)
	})
	return h, token, clock, log
}

func do(h http.Handler, from, authz string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", "/v1/receivables", nil)
	req.RemoteAddr = from
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestFailedAuthentications_LoggedWithSourceAndRouteNeverTheToken(t *testing.T) {
	h, token, _, log := limited(t, 5, 5)
	guess := "Bearer " + strings.Repeat("x", 40)
	require.Equal(t, 401, do(h, "192.0.2.7:40000", guess).Code)
	require.Equal(t, 401, do(h, "192.0.2.7:40001", "").Code)
	require.Equal(t, 204, do(h, "192.0.2.7:40002", "Bearer "+token).Code)
	out := log.String()
	require.Equal(t, 2, strings.Count(out, "authentication failed"), out)
	require.Contains(t, out, "source=192.0.2.7 ")
	require.Contains(t, out, `route="POST /v1/receivables"`)
	require.Contains(t, out, `reason="unknown bearer token"`)
	require.Contains(t, out, `reason="no credential"`)
	require.NotContains(t, out, strings.Repeat("x", 40), "the guessed token is never logged")
	require.NotContains(t, out, token, "a good token is never logged")
	require.NotContains(t, out, ":40000", "the source is the address, not the connection")
}

func TestFailedAuthentications_RateLimitedPerSource(t *testing.T) {
	h, token, clock, log := limited(t, 3, 6)
	bad := "Bearer wrong"
	for i := 0; i < 3; i++ {
		require.Equal(t, 401, do(h, "192.0.2.7:1", bad).Code, "failure %d is within the burst", i+1)
	}
	rec := do(h, "192.0.2.7:2", bad)
	require.Equal(t, 429, rec.Code, "the fourth failure in a row is over the limit")
	require.Equal(t, "10", rec.Header().Get("Retry-After"), "6 a minute: one more in 10 s")
	require.Equal(t, 204, do(h, "192.0.2.7:3", "Bearer "+token).Code,
		"a valid credential is never refused: another client behind the same address is not locked out")
	require.Equal(t, 429, do(h, "192.0.2.7:3", bad).Code, "the source's failures still are")
	require.Contains(t, log.String(), "too many failures from this source")

	require.Equal(t, 204, do(h, "198.51.100.1:1", "Bearer "+token).Code, "another source is not affected")
	require.Equal(t, 401, do(h, "198.51.100.1:1", bad).Code)

	*clock = clock.Add(10 * time.Second)
	require.Equal(t, 204, do(h, "192.0.2.7:4", "Bearer "+token).Code, "after Retry-After the source may try again")
	require.Equal(t, 401, do(h, "192.0.2.7:5", bad).Code)
	require.Equal(t, 429, do(h, "192.0.2.7:6", bad).Code, "one failure refilled, one spent")
}

func TestFailedAuthentications_GoodCredentialsNeverSpendTheBudget(t *testing.T) {
	h, token, _, _ := limited(t, 2, 1)
	for i := 0; i < 50; i++ {
		require.Equal(t, 204, do(h, "192.0.2.9:1", "Bearer "+token).Code)
	}
	require.Equal(t, 401, do(h, "192.0.2.9:1", "Bearer wrong").Code)
}

func TestFailureLimiter_OffAndBounded(t *testing.T) {
	var off *FailureLimiter = NewFailureLimiter(0, 10)
	require.Nil(t, off, "burst 0 turns limiting off")
	off.Fail("x")
	blocked, _ := off.Blocked("x")
	require.False(t, blocked)

	l := NewFailureLimiter(1, 1)
	for i := 0; i < maxSources+10; i++ {
		l.Fail(string(rune('a'+i%26)) + strings.Repeat("0", i%7) + time.Duration(i).String())
	}
	require.LessOrEqual(t, len(l.sources), maxSources, "the sources remembered are bounded")
}

func TestRefusal_KindsAreInTheWireTable(t *testing.T) {
	require.Equal(t, http.StatusTooManyRequests, wire.KindRateLimited.Info().HTTPStatus)
	require.Equal(t, http.StatusUnauthorized, wire.KindUnauthenticated.Info().HTTPStatus)
}

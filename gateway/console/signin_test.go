package console

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/auth"
)

// limitedGateway is a console and a REST handler sharing one authenticator, as the service wires
// them: one known token, a limit of burst failed authentications per source (refilled at one a
// minute, so not during a test) and a log the test reads.
type limitedGateway struct {
	console *Console
	rest    http.Handler // GET /v1/whoami behind the authenticator
	token   string       // the supplier's token
	log     *bytes.Buffer
}

func newLimitedGateway(t *testing.T, burst int) *limitedGateway {
	t.Helper()
	tokens, err := auth.OpenTokenStore("")
	require.NoError(t, err)
	token, err := tokens.Mint("supplier-a")
	require.NoError(t, err)
	log := &bytes.Buffer{}
	authn := &auth.Authenticator{Tokens: tokens, Limiter: auth.NewFailureLimiter(burst, 1), Log: slog.New(slog.NewTextHandler(log, nil))}
	whoami := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, _ := auth.Caller(r.Context())
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(wire.WhoAmI{Name: name, Account: "SupplierMSP/" + name, Role: wire.RoleSupplier})
	})
	rest := authn.Require("GET /v1/whoami", whoami, func(w http.ResponseWriter, r *http.Request, refusal *auth.Refusal) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(refusal.Kind.Info().HTTPStatus)
		_ = json.NewEncoder(w).Encode(wire.NewProblem(refusal.Kind, string(refusal.Kind)))
	})
	c, err := New(Config{API: rest, Auth: authn, MSPID: "SupplierMSP", OrgName: "supplier", SessionTTL: time.Hour})
	require.NoError(t, err)
	return &limitedGateway{console: c, rest: rest, token: token, log: log}
}

// restCall is a REST request from the browser's address (httptest's 192.0.2.1) with a token.
func (g *limitedGateway) restCall(token string) int {
	r := httptest.NewRequest("GET", origin+"/v1/whoami", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	g.rest.ServeHTTP(rec, r)
	return rec.Code
}

// anotherOrgsToken is a real token of another organisation's gateway.
func anotherOrgsToken(t *testing.T) string {
	t.Helper()
	other, err := auth.OpenTokenStore("")
	require.NoError(t, err)
	token, err := other.Mint("officer")
	require.NoError(t, err)
	return token
}

func TestConsole_SignInFailuresShareTheRESTLimitAndTheRightTokenStillSignsIn(t *testing.T) {
	g := newLimitedGateway(t, 4)
	b := newBrowser(t, g.console)
	require.Equal(t, http.StatusUnauthorized, g.restCall("recv_guess"), "a failure through the REST API")
	for name, token := range map[string]string{
		"wrong token":         "recv_" + strings.Repeat("A", 43),
		"another org's token": anotherOrgsToken(t),
		"malformed token":     "recv_\x01bad token",
	} {
		rec := b.signIn(token)
		require.Equal(t, http.StatusUnauthorized, rec.Code, name)
		require.Contains(t, rec.Body.String(), "Sign-in refused", name)
	}

	// Four failures from this address, one through the API and three through the console: the
	// budget is spent, and the next failure is 429, through either.
	rec := b.signIn("recv_" + strings.Repeat("B", 43))
	require.Equal(t, http.StatusTooManyRequests, rec.Code)
	require.Contains(t, rec.Body.String(), "Too many failed sign-ins from this address")
	wait := rec.Header().Get("Retry-After")
	require.Equal(t, "60", wait, "one failure a minute: the next in 60 s")
	require.NotContains(t, b.cookies, "recv_console_SupplierMSP", "no session")
	require.Equal(t, "/signin", b.do("GET", "/inbox", nil).Header().Get("Location"))
	require.Contains(t, g.log.String(), `msg="authentication refused: too many failures from this source" source=192.0.2.1 route="POST /signin"`)
	require.Equal(t, http.StatusTooManyRequests, g.restCall("recv_guess"), "the REST API refuses the address's failures too: one budget")
	// The right token still works from the same address: another person behind it is not locked out.
	require.Equal(t, http.StatusOK, g.restCall(g.token))
	require.Equal(t, http.StatusSeeOther, b.signIn(g.token).Code)
}

func TestConsole_SignInFailuresAreLoggedWithSourceAndRouteNeverTheToken(t *testing.T) {
	g := newLimitedGateway(t, 10)
	b := newBrowser(t, g.console)
	guess := "recv_" + strings.Repeat("Q", 43)
	other := anotherOrgsToken(t)
	b.signIn(guess)
	b.signIn(other)
	b.signIn("recv_\tspaced out")
	b.signIn("")
	require.Equal(t, http.StatusSeeOther, b.signIn(g.token).Code)

	out := g.log.String()
	require.Equal(t, 4, strings.Count(out, `msg="authentication failed" source=192.0.2.1 route="POST /signin"`), out)
	require.Equal(t, 2, strings.Count(out, `reason="unknown token"`), out)
	require.Contains(t, out, `reason="malformed token"`)
	require.Contains(t, out, `reason="no token"`)
	for _, secret := range []string{guess, other, "spaced out", g.token} {
		require.NotContains(t, out, secret, "no token is ever logged")
	}
}

func TestConsole_ASuccessfulSignInIsNotCounted(t *testing.T) {
	g := newLimitedGateway(t, 2)
	for i := 0; i < 5; i++ {
		b := newBrowser(t, g.console)
		require.Equal(t, http.StatusSeeOther, b.signIn(g.token).Code, "sign-in %d", i+1)
	}
	b := newBrowser(t, g.console)
	require.Equal(t, http.StatusUnauthorized, b.signIn("recv_wrong").Code)
	require.Equal(t, http.StatusSeeOther, b.signIn(g.token).Code, "one failure of two: still allowed, five sign-ins spent nothing")
	require.Equal(t, http.StatusUnauthorized, newBrowser(t, g.console).signIn("recv_wrong").Code)
	require.Equal(t, http.StatusTooManyRequests, newBrowser(t, g.console).signIn("recv_wrong").Code, "two failures: the third is over")
	require.Equal(t, http.StatusSeeOther, newBrowser(t, g.console).signIn(g.token).Code, "the right token is never refused")
}

func TestConsole_NeedsAnAuthenticatorForSignIns(t *testing.T) {
	_, err := New(Config{API: &fakeAPI{}, MSPID: "SupplierMSP"})
	require.ErrorContains(t, err, "no authenticator")
}

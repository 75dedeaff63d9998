package console

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/auth"
)

// recorder keeps the REST calls a fake gateway received, "METHOD /path body".
type recorder struct {
	mu    sync.Mutex
	calls []string
}

// record reads r's body and keeps the call.
func (f *recorder) record(r *http.Request) []byte {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, r.Method+" "+r.URL.Path+" "+string(body))
	return body
}

// posts are the calls that were POSTs.
func (f *recorder) posts() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.calls {
		if strings.HasPrefix(c, "POST ") {
			out = append(out, c)
		}
	}
	return out
}

// fakeAPI answers the REST calls the console makes for one supplier identity with token "good".
type fakeAPI struct{ recorder }

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.record(r)
	if r.Header.Get("Authorization") != "Bearer good" {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusUnauthorized)
		_ = json.NewEncoder(w).Encode(wire.NewProblem(wire.KindUnauthenticated, "unauthenticated"))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.URL.Path == "/v1/whoami":
		_ = json.NewEncoder(w).Encode(wire.WhoAmI{Name: "supplier-a", Account: "SupplierMSP/supplier-a", Role: wire.RoleSupplier})
	case r.Method == http.MethodGet && r.URL.Path == "/v1/receivables":
		_ = json.NewEncoder(w).Encode(wire.Page{Items: []*wire.Receivable{{ID: "R1", RootID: "R1", Status: wire.StatusPending,
			PendingHolder: "SupplierMSP/supplier-a", AmountFen: 125000000, MaturityDate: "2027-01-01"}}})
	case strings.HasSuffix(r.URL.Path, "/reject"):
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusConflict)
		_ = json.NewEncoder(w).Encode(wire.NewProblem(wire.KindConflict, "conflict: receivable R1 is ACTIVE, not PENDING"))
	case r.Method == http.MethodPost:
		_ = json.NewEncoder(w).Encode(wire.SubmitResponse{TransactionID: "tx0123456789", BlockNumber: 42, Result: json.RawMessage(`{"op":"Accept","items":[{"id":"R1"}]}`)})
	default:
		_, _ = w.Write([]byte(`{}`))
	}
}

// knownTokens checks sign-in tokens against a fixed set and limits nothing (the real check, with
// its limit, is auth.Authenticator: signin_test.go).
type knownTokens map[string]string

func (k knownTokens) AuthenticateToken(_ *http.Request, _, token string) (string, *auth.Refusal) {
	if id, ok := k[token]; ok {
		return id, nil
	}
	return "", &auth.Refusal{Kind: wire.KindUnauthenticated}
}

func newTestConsole(t *testing.T, msp string) (*Console, *fakeAPI) {
	t.Helper()
	api := &fakeAPI{}
	c, err := New(Config{API: api, Auth: knownTokens{"good": "supplier-a"}, MSPID: msp, OrgName: "supplier", SessionTTL: time.Hour})
	require.NoError(t, err)
	return c, api
}

const origin = "http://gw.test"

// browser is a cookie jar in front of a console, as one person's browser.
type browser struct {
	t       *testing.T
	c       *Console
	cookies map[string]*http.Cookie
}

func newBrowser(t *testing.T, c *Console) *browser {
	return &browser{t: t, c: c, cookies: map[string]*http.Cookie{}}
}

func (b *browser) do(method, path string, form url.Values, header ...string) *httptest.ResponseRecorder {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r := httptest.NewRequest(method, origin+path, body)
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	for _, ck := range b.cookies {
		r.AddCookie(ck)
	}
	rec := httptest.NewRecorder()
	b.c.ServeHTTP(rec, r)
	for _, ck := range rec.Result().Cookies() {
		if ck.MaxAge < 0 {
			delete(b.cookies, ck.Name)
		} else {
			b.cookies[ck.Name] = ck
		}
	}
	return rec
}

var hiddenCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, rec *httptest.ResponseRecorder) string {
	t.Helper()
	m := hiddenCSRF.FindStringSubmatch(rec.Body.String())
	require.NotNil(t, m, "a form with a CSRF token")
	return m[1]
}

// signIn signs in with token and returns the CSRF token of the first page.
func (b *browser) signIn(token string) *httptest.ResponseRecorder {
	page := b.do("GET", "/signin", nil)
	require.Equal(b.t, http.StatusOK, page.Code)
	return b.do("POST", "/signin", url.Values{"csrf": {csrfOf(b.t, page)}, "token": {token}}, "Origin", origin)
}

func TestConsole_EveryAnswerHasAStrictCSP(t *testing.T) {
	c, _ := newTestConsole(t, "SupplierMSP")
	b := newBrowser(t, c)
	for _, path := range []string{"/signin", "/", "/nowhere", "/static/app.js"} {
		rec := b.do("GET", path, nil)
		policy := rec.Header().Get("Content-Security-Policy")
		require.Contains(t, policy, "default-src 'none'", path)
		require.Contains(t, policy, "script-src 'self'", path)
		require.NotContains(t, policy, "unsafe-inline", path)
		require.Contains(t, policy, "frame-ancestors 'none'", path)
		require.Equal(t, "nosniff", rec.Header().Get("X-Content-Type-Options"), path)
	}
}

func TestConsole_PagesHaveNoInlineScriptOrStyle(t *testing.T) {
	c, _ := newTestConsole(t, "SupplierMSP")
	b := newBrowser(t, c)
	require.Equal(t, http.StatusSeeOther, b.signIn("good").Code)
	for _, path := range []string{"/signin", "/inbox", "/holdings", "/issue", "/issued", "/financing", "/book", "/approvals", "/audit", "/audit/trace/R1", "/audit/history/R1"} {
		body := b.do("GET", path, nil).Body.String()
		require.NotRegexp(t, `<script(?:\s+[^>]*)?>[^<]`, body, path)
		require.NotRegexp(t, `<script(?:[^>]*)?>`+"$", body, path)
		require.NotContains(t, body, "style=", path)
		require.NotContains(t, body, "onclick", path)
	}
}

func TestConsole_SignInSetsAStrictSessionCookie(t *testing.T) {
	c, _ := newTestConsole(t, "SupplierMSP")
	b := newBrowser(t, c)
	rec := b.signIn("good")
	require.Equal(t, http.StatusSeeOther, rec.Code)
	ck := b.cookies["recv_console_SupplierMSP"]
	require.NotNil(t, ck)
	require.True(t, ck.HttpOnly)
	require.Equal(t, http.SameSiteStrictMode, ck.SameSite)
	require.Equal(t, 3600, ck.MaxAge, "the cookie expires with the session")
	require.NotContains(t, ck.Value, "good", "the token never goes back to the browser")
	require.NotContains(t, rec.Body.String(), "good")
	require.Equal(t, "/inbox", b.do("GET", "/", nil).Header().Get("Location"), "a supplier starts at the inbox")
	require.Contains(t, b.do("GET", "/inbox", nil).Body.String(), "¥1,250,000.00")
}

func TestConsole_SignInRefusesAWrongToken(t *testing.T) {
	c, _ := newTestConsole(t, "SupplierMSP")
	b := newBrowser(t, c)
	rec := b.signIn("bad")
	require.Equal(t, http.StatusUnauthorized, rec.Code)
	require.Contains(t, rec.Body.String(), "Sign-in refused")
	require.NotContains(t, b.cookies, "recv_console_SupplierMSP")
	require.Equal(t, "/signin", b.do("GET", "/inbox", nil).Header().Get("Location"))
}

func TestConsole_SignInFormNeedsItsOwnCSRFCookie(t *testing.T) {
	c, api := newTestConsole(t, "SupplierMSP")
	b := newBrowser(t, c)
	// A form posted from elsewhere has no sign-in cookie of this console (login CSRF).
	rec := b.do("POST", "/signin", url.Values{"csrf": {"forged"}, "token": {"good"}})
	require.Equal(t, http.StatusForbidden, rec.Code)
	require.NotContains(t, b.cookies, "recv_console_SupplierMSP")
	require.Empty(t, api.calls, "the token is not even tried")
}

func TestConsole_FormsNeedTheSessionsCSRFToken(t *testing.T) {
	c, api := newTestConsole(t, "SupplierMSP")
	b := newBrowser(t, c)
	b.signIn("good")
	token := csrfOf(t, b.do("GET", "/inbox", nil))
	for name, tc := range map[string]struct {
		form   url.Values
		header []string
	}{
		"no token":        {url.Values{"id": {"R1"}}, nil},
		"wrong token":     {url.Values{"id": {"R1"}, "csrf": {"x" + token}}, nil},
		"another origin":  {url.Values{"id": {"R1"}, "csrf": {token}}, []string{"Origin", "http://evil.test"}},
		"another referer": {url.Values{"id": {"R1"}, "csrf": {token}}, []string{"Referer", "http://evil.test/page"}},
	} {
		t.Run(name, func(t *testing.T) {
			rec := b.do("POST", "/do/accept", tc.form, tc.header...)
			require.Equal(t, http.StatusForbidden, rec.Code)
			require.Empty(t, api.posts(), "nothing is submitted")
		})
	}
	rec := b.do("POST", "/do/accept", url.Values{"id": {"R1"}, "csrf": {token}, "back": {"/inbox"}, "key": {"k1"}}, "Origin", origin)
	require.Equal(t, http.StatusSeeOther, rec.Code)
	require.Equal(t, "/inbox", rec.Header().Get("Location"))
	require.Equal(t, []string{"POST /v1/receivables/R1/accept "}, api.posts())
	page := b.do("GET", "/inbox", nil).Body.String()
	require.Contains(t, page, "tx0123456789")
	require.Contains(t, page, "block <strong class=\"block\">42</strong>")
}

func TestConsole_ARefusalIsShownWithItsMessage(t *testing.T) {
	c, _ := newTestConsole(t, "SupplierMSP")
	b := newBrowser(t, c)
	b.signIn("good")
	token := csrfOf(t, b.do("GET", "/inbox", nil))
	b.do("POST", "/do/reject", url.Values{"id": {"R1"}, "csrf": {token}, "reason": {"no"}, "back": {"https://evil.test/"}}, "Origin", origin)
	page := b.do("GET", "/", nil)
	require.Equal(t, "/inbox", page.Header().Get("Location"), "a form never sends the browser elsewhere")
	body := b.do("GET", "/inbox", nil).Body.String()
	require.Contains(t, body, "conflict: receivable R1 is ACTIVE, not PENDING")
	require.Contains(t, body, `data-kind="conflict"`)
}

func TestConsole_ASessionIsRefusedAtAnotherOrganisationsConsole(t *testing.T) {
	supplier, _ := newTestConsole(t, "SupplierMSP")
	bank, _ := newTestConsole(t, "Bank1MSP")
	b := newBrowser(t, supplier)
	b.signIn("good")
	id := b.cookies["recv_console_SupplierMSP"].Value
	at := newBrowser(t, bank)
	for _, name := range []string{"recv_console_SupplierMSP", "recv_console_Bank1MSP"} {
		at.cookies = map[string]*http.Cookie{name: {Name: name, Value: id}}
		require.Equal(t, "/signin", at.do("GET", "/financing", nil).Header().Get("Location"), name)
		require.Equal(t, http.StatusUnauthorized, at.do("GET", "/events", nil).Code, name)
	}
}

func TestConsole_SessionsExpireAndSignOutEndsThem(t *testing.T) {
	c, _ := newTestConsole(t, "SupplierMSP")
	now := time.Now()
	c.sessions.now = func() time.Time { return now }
	b := newBrowser(t, c)
	b.signIn("good")
	require.Equal(t, http.StatusOK, b.do("GET", "/inbox", nil).Code)
	now = now.Add(time.Hour)
	require.Equal(t, "/signin", b.do("GET", "/inbox", nil).Header().Get("Location"), "expired")

	now = time.Now()
	b.signIn("good")
	id := b.cookies["recv_console_SupplierMSP"].Value
	token := csrfOf(t, b.do("GET", "/inbox", nil))
	require.Equal(t, http.StatusSeeOther, b.do("POST", "/signout", url.Values{"csrf": {token}}).Code)
	require.NotContains(t, b.cookies, "recv_console_SupplierMSP")
	_, ok := c.sessions.get(id)
	require.False(t, ok, "the session is gone on the gateway, not only in the browser")
}

func TestYuan(t *testing.T) {
	for fen, want := range map[int64]string{0: "¥0.00", 5: "¥0.05", 100: "¥1.00", 125000000: "¥1,250,000.00", 99999999: "¥999,999.99", -123456: "-¥1,234.56"} {
		require.Equal(t, want, yuan(fen))
	}
}

func TestSafeBack(t *testing.T) {
	for in, want := range map[string]string{"/inbox": "/inbox", "//evil.test/": "/", "https://evil.test/": "/", "/\\evil": "/", "": "/"} {
		require.Equal(t, want, safeBack(in), in)
	}
}

package console_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/client"
	"github.com/recv-ledger/recv/test/internal/gwtest"
)

// restIssue issues a receivable to account through the REST API and waits until its gateway
// sees the offer.
func restIssue(t *testing.T, account string) string {
	id := gwtest.UniqueID(t, "CS")
	gwtest.As(t, nw.Dir, treasurer).Made(t, gwtest.As(t, nw.Dir, approver), "issue", "", gwtest.IssueBody(t, id, account, "1000.00", gwtest.InDays(60)))
	gwtest.As(t, nw.Dir, account).Sees(t, id, wire.StatusPending)
	return id
}

// restStatus is a receivable's status as account's gateway reads it.
func restStatus(t *testing.T, account, id string) wire.Status {
	return gwtest.As(t, nw.Dir, account).Get(t, id).Status
}

// httpPerson is a person's browser reduced to HTTP: a cookie jar that follows no redirect, so
// that every answer of the console can be checked.
type httpPerson struct {
	t    *testing.T
	base string
	hc   *http.Client
}

func newHTTPPerson(t *testing.T, base string) *httpPerson {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &httpPerson{t: t, base: base, hc: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// do sends a request with a form (nil: none) and header pairs, and returns the answer and its body.
func (h *httpPerson) do(method, path string, form url.Values, header ...string) (*http.Response, string) {
	h.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, h.base+path, body)
	require.NoError(h.t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := h.hc.Do(req)
	require.NoError(h.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(h.t, err)
	return resp, string(b)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func formToken(t *testing.T, page string) string {
	m := csrfField.FindStringSubmatch(page)
	require.NotNil(t, m, "a form with its CSRF token")
	return m[1]
}

// signInHTTP signs account in at its gateway; it returns the person, the session cookie's
// Set-Cookie line and the CSRF token of the first page.
func signInHTTP(t *testing.T, account string) (*httpPerson, string, string) {
	loc, err := client.Locate(nw.Dir, account)
	require.NoError(t, err)
	token, err := client.ReadToken(loc.TokenFile)
	require.NoError(t, err)
	h := newHTTPPerson(t, loc.BaseURL)
	_, page := h.do("GET", "/signin", nil)
	resp, _ := h.do("POST", "/signin", url.Values{"csrf": {formToken(t, page)}, "token": {token}}, "Origin", loc.BaseURL)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	var setCookie string
	for _, line := range resp.Header.Values("Set-Cookie") {
		if strings.HasPrefix(line, "recv_console_"+loc.MSPID+"=") {
			setCookie = line
		}
	}
	_, home := h.do("GET", "/holdings", nil)
	return h, setCookie, formToken(t, home)
}

func TestConsole_SessionCookieIsHttpOnlyStrictAndExpires(t *testing.T) {
	_, setCookie, _ := signInHTTP(t, supplierA)
	require.NotEmpty(t, setCookie)
	for _, attr := range []string{"HttpOnly", "SameSite=Strict", "Max-Age=", "Path=/"} {
		require.Contains(t, setCookie, attr)
	}
}

func TestConsole_EveryPageHasAStrictContentSecurityPolicy(t *testing.T) {
	h, _, _ := signInHTTP(t, supplierA)
	for _, path := range []string{"/signin", "/inbox", "/holdings", "/static/app.js"} {
		resp, body := h.do("GET", path, nil)
		policy := resp.Header.Get("Content-Security-Policy")
		require.Contains(t, policy, "script-src 'self'", path)
		require.NotContains(t, policy, "unsafe-inline", path)
		require.NotContains(t, body, "style=\"", path)
	}
}

func TestConsole_AFormWithoutTheSessionsCSRFTokenChangesNothing(t *testing.T) {
	h, _, token := signInHTTP(t, supplierA)
	id := restIssue(t, supplierA)
	for name, tc := range map[string]struct {
		form   url.Values
		header []string
	}{
		"no token":       {url.Values{"id": {id}}, nil},
		"wrong token":    {url.Values{"id": {id}, "csrf": {token + "x"}}, nil},
		"another origin": {url.Values{"id": {id}, "csrf": {token}}, []string{"Origin", "http://evil.example"}},
	} {
		resp, body := h.do("POST", "/do/accept", tc.form, tc.header...)
		require.Equal(t, http.StatusForbidden, resp.StatusCode, name)
		require.Contains(t, body, "Refused", name)
	}
	require.Equal(t, "PENDING", string(restStatus(t, supplierA, id)), "the offer was not accepted")
	resp, _ := h.do("POST", "/do/accept", url.Values{"id": {id}, "csrf": {token}, "back": {"/inbox"}}, "Origin", h.base)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, page := h.do("GET", "/inbox", nil)
	require.Contains(t, page, "已上链 committed in block")
	require.Equal(t, "ACTIVE", string(restStatus(t, supplierA, id)))
}

func TestConsole_ASessionOfOneOrganisationIsRefusedAtAnother(t *testing.T) {
	supplier, setCookie, _ := signInHTTP(t, supplierA)
	id := strings.TrimPrefix(strings.Split(setCookie, ";")[0], "recv_console_SupplierMSP=")
	require.NotEmpty(t, id)
	bankLoc, err := client.Locate(nw.Dir, officer)
	require.NoError(t, err)
	bank := newHTTPPerson(t, bankLoc.BaseURL)
	for _, name := range []string{"recv_console_SupplierMSP", "recv_console_Bank1MSP"} {
		for _, path := range []string{"/financing", "/events"} {
			req, err := http.NewRequest("GET", bank.base+path, nil)
			require.NoError(t, err)
			req.AddCookie(&http.Cookie{Name: name, Value: id})
			resp, err := bank.hc.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			if path == "/events" {
				require.Equal(t, http.StatusUnauthorized, resp.StatusCode, name)
			} else {
				require.Equal(t, http.StatusSeeOther, resp.StatusCode, name)
				require.Equal(t, "/signin", resp.Header.Get("Location"), name)
			}
		}
	}
	resp, _ := supplier.do("GET", "/inbox", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, "the session still works where it was made")
}

func TestConsole_SignOutEndsTheSessionAtTheGateway(t *testing.T) {
	h, setCookie, token := signInHTTP(t, supplierB)
	resp, _ := h.do("POST", "/signout", url.Values{"csrf": {token}}, "Origin", h.base)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	// The old cookie, replayed, is no session any more.
	again := newHTTPPerson(t, h.base)
	req, err := http.NewRequest("GET", h.base+"/inbox", nil)
	require.NoError(t, err)
	req.Header.Set("Cookie", strings.Split(setCookie, ";")[0])
	resp, err = again.hc.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, "/signin", resp.Header.Get("Location"))
}

func TestConsole_AWrongTokenIsRefused(t *testing.T) {
	loc, err := client.Locate(nw.Dir, supplierA)
	require.NoError(t, err)
	h := newHTTPPerson(t, loc.BaseURL)
	_, page := h.do("GET", "/signin", nil)
	resp, body := h.do("POST", "/signin", url.Values{"csrf": {formToken(t, page)}, "token": {"recv_not-a-token"}}, "Origin", loc.BaseURL)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.Contains(t, body, "Sign-in refused")
	for _, line := range resp.Header.Values("Set-Cookie") {
		require.False(t, strings.HasPrefix(line, "recv_console_SupplierMSP="), "no session cookie: %s", line)
	}
}

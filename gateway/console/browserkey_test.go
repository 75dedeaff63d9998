package console

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// browserKeyAPI answers as a gateway whose user web-user enrolls with code "enroll_ok" and signs
// offline (token "tok-web"); conflict makes every submission commit as an MVCC conflict.
type browserKeyAPI struct {
	recorder
	conflict bool
}

func (f *browserKeyAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body := f.record(r)
	f.mu.Lock()
	conflict := f.conflict
	f.mu.Unlock()
	problem := func(status int, p wire.Problem) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(p)
	}
	if r.URL.Path == "/v1/enroll" {
		var req wire.BrowserEnrollment
		_ = json.Unmarshal(body, &req)
		if req.Name != "web-user" || req.Code != "enroll_ok" {
			problem(http.StatusUnauthorized, wire.NewProblem(wire.KindUnauthenticated, "unauthenticated: no enrollment waits under this name and code"))
			return
		}
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(wire.NewUserResult{Name: "web-user", Account: "SupplierMSP/web-user", Role: wire.RoleSupplier, Token: "tok-web", Certificate: "-----BEGIN CERTIFICATE-----\n"})
		return
	}
	who := map[string]wire.WhoAmI{
		"Bearer tok-web": {Name: "web-user", Account: "SupplierMSP/web-user", Role: wire.RoleSupplier, OfflineOnly: true},
		"Bearer good":    {Name: "supplier-a", Account: "SupplierMSP/supplier-a", Role: wire.RoleSupplier},
	}
	me, ok := who[r.Header.Get("Authorization")]
	if !ok {
		problem(http.StatusUnauthorized, wire.NewProblem(wire.KindUnauthenticated, "unauthenticated"))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.URL.Path == "/v1/whoami":
		_ = json.NewEncoder(w).Encode(me)
	case r.URL.Path == "/v1/offline/proposals":
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(wire.OfflineDigest{TransactionID: "tx1", Bytes: "cHJvcG9zYWw=", Digest: "x"})
	case strings.HasSuffix(r.URL.Path, "/endorse"):
		_ = json.NewEncoder(w).Encode(wire.OfflineDigest{TransactionID: "tx1", Bytes: "dHJhbnNhY3Rpb24=", Digest: "x"})
	case strings.HasSuffix(r.URL.Path, "/submit") && conflict:
		p := wire.NewProblem(wire.KindConflict, "conflict: transaction committed as invalid: MVCC_READ_CONFLICT")
		p.Stage, p.ValidationCode = "commit", "MVCC_READ_CONFLICT"
		problem(http.StatusConflict, p)
	case strings.HasSuffix(r.URL.Path, "/submit"):
		_ = json.NewEncoder(w).Encode(wire.SubmitResponse{TransactionID: "tx1", BlockNumber: 9, Result: json.RawMessage(`{"op":"Accept","items":[{"id":"R1"}]}`)})
	default:
		_, _ = w.Write([]byte(`{"items":[]}`))
	}
}

func newBrowserKeyConsole(t *testing.T) (*Console, *browserKeyAPI) {
	t.Helper()
	api := &browserKeyAPI{}
	c, err := New(Config{API: api, Auth: knownTokens{"good": "supplier-a"}, MSPID: "SupplierMSP", OrgName: "supplier", SessionTTL: time.Hour})
	require.NoError(t, err)
	return c, api
}

// TestConsole_EnrollmentNeedsItsFormCookieAndSignsTheNewUserIn: a post without the enrollment
// form's CSRF cookie or from another origin reaches nothing; a wrong code is the API's 401 and
// no session; the right code signs the user in, whose pages mark it as signing offline.
func TestConsole_EnrollmentNeedsItsFormCookieAndSignsTheNewUserIn(t *testing.T) {
	c, api := newBrowserKeyConsole(t)
	b := newBrowser(t, c)
	form := url.Values{"csrf": {"forged"}, "name": {"web-user"}, "code": {"enroll_ok"}, "csr": {"CSR"}}
	rec := b.do("POST", "/enroll", form, "Origin", origin)
	require.Equal(t, http.StatusForbidden, rec.Code)
	require.Empty(t, api.posts(), "nothing reached the gateway")

	page := b.do("GET", "/enroll", nil)
	require.Equal(t, http.StatusOK, page.Code)
	require.NotRegexp(t, `<script(?:\s+[^>]*)?>[^<]`, page.Body.String(), "no inline script")
	require.Contains(t, page.Body.String(), `data-msp="SupplierMSP"`)
	form.Set("csrf", csrfOf(t, page))
	rec = b.do("POST", "/enroll", form, "Origin", "http://elsewhere.test")
	require.Equal(t, http.StatusForbidden, rec.Code)
	require.Empty(t, api.posts())

	form.Set("code", "enroll_wrong")
	rec = b.do("POST", "/enroll", form, "Origin", origin)
	require.Equal(t, http.StatusUnauthorized, rec.Code, rec.Body.String())
	require.Contains(t, rec.Body.String(), "no enrollment waits")
	require.NotContains(t, b.cookies, "recv_console_SupplierMSP")

	form.Set("code", "enroll_ok")
	rec = b.do("POST", "/enroll", form, "Origin", origin)
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	var out enrolled
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &out))
	require.Equal(t, enrolled{Account: "SupplierMSP/web-user", Role: wire.RoleSupplier, Certificate: "-----BEGIN CERTIFICATE-----\n", Token: "tok-web", Next: "/inbox"}, out)
	require.Contains(t, api.posts()[len(api.posts())-1], `"csr":"CSR"`, "the browser's CSR is handed on as it came")
	require.Contains(t, b.cookies, "recv_console_SupplierMSP")
	inbox := b.do("GET", "/inbox", nil).Body.String()
	require.Contains(t, inbox, `data-signer="offline"`)
	require.Contains(t, inbox, `<script src="/static/sign.js" defer></script>`)
}

// TestConsole_SigningStepsRelayTheOfflineFlowUnderTheSessionsCSRF: the steps need the session's
// CSRF token; they relay the body and signatures to the REST API's offline routes as the session;
// a committed final step leaves its notice; a commit conflict the browser will retry leaves none,
// the last one does; issue is not signed in the browser; a session whose key is at the gateway
// posts its forms to /do.
func TestConsole_SigningStepsRelayTheOfflineFlowUnderTheSessionsCSRF(t *testing.T) {
	c, api := newBrowserKeyConsole(t)
	b := newBrowser(t, c)
	page := b.do("GET", "/enroll", nil)
	rec := b.do("POST", "/enroll", url.Values{"csrf": {csrfOf(t, page)}, "name": {"web-user"}, "code": {"enroll_ok"}, "csr": {"CSR"}}, "Origin", origin)
	require.Equal(t, http.StatusCreated, rec.Code)
	csrf := csrfOf(t, b.do("GET", "/inbox", nil))
	before := len(api.posts())

	step := func(name string, form url.Values) (int, map[string]any) {
		rec := b.do("POST", "/sign/"+name, form, "Origin", origin)
		out := map[string]any{}
		_ = json.Unmarshal(rec.Body.Bytes(), &out)
		return rec.Code, out
	}
	code, _ := step("proposal", url.Values{"op": {"accept"}, "id": {"R1"}, "body": {"{}"}})
	require.Equal(t, http.StatusForbidden, code, "no CSRF token")
	require.Len(t, api.posts(), before, "nothing reached the gateway")

	code, out := step("proposal", url.Values{"csrf": {csrf}, "op": {"issue"}, "body": {"{}"}})
	require.Equal(t, http.StatusNotFound, code)
	require.Contains(t, out["detail"], "recv CLI")

	code, out = step("proposal", url.Values{"csrf": {csrf}, "op": {"accept"}, "id": {"R1"}, "body": {"{}"}})
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "cHJvcG9zYWw=", out["bytes"])
	require.Equal(t, `POST /v1/offline/proposals {"operation":"accept","id":"R1","body":{}}`, strings.TrimSpace(api.posts()[len(api.posts())-1]))
	code, out = step("endorse", url.Values{"csrf": {csrf}, "op": {"accept"}, "id": {"R1"}, "txId": {"tx1"}, "signature": {"c2ln"}})
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "dHJhbnNhY3Rpb24=", out["bytes"])
	require.Equal(t, `POST /v1/offline/proposals/tx1/endorse {"signature":"c2ln"}`, strings.TrimSpace(api.posts()[len(api.posts())-1]))
	code, _ = step("submit", url.Values{"csrf": {csrf}, "op": {"accept"}, "id": {"R1"}, "txId": {"tx1"}, "signature": {"c2ln"}, "final": {"1"}})
	require.Equal(t, http.StatusOK, code)
	notice := b.do("GET", "/inbox", nil).Body.String()
	require.Contains(t, notice, `class="notice ok"`)
	require.Contains(t, notice, `data-tx="tx1"`)

	api.mu.Lock()
	api.conflict = true
	api.mu.Unlock()
	code, out = step("submit", url.Values{"csrf": {csrf}, "op": {"accept"}, "id": {"R1"}, "txId": {"tx1"}, "signature": {"c2ln"}, "final": {"1"}, "retry": {"1"}})
	require.Equal(t, http.StatusConflict, code)
	require.Equal(t, "commit", out["stage"])
	require.Nil(t, out["notice"])
	require.NotContains(t, b.do("GET", "/inbox", nil).Body.String(), `class="notice`, "a conflict the browser retries leaves no notice")
	code, out = step("submit", url.Values{"csrf": {csrf}, "op": {"accept"}, "id": {"R1"}, "txId": {"tx1"}, "signature": {"c2ln"}, "final": {"1"}})
	require.Equal(t, http.StatusConflict, code)
	require.Equal(t, true, out["notice"])
	require.Contains(t, b.do("GET", "/inbox", nil).Body.String(), "MVCC_READ_CONFLICT")

	gw := newBrowser(t, c)
	require.Equal(t, http.StatusSeeOther, gw.signIn("good").Code)
	rec = gw.do("POST", "/sign/proposal", url.Values{"csrf": {csrfOf(t, gw.do("GET", "/inbox", nil))}, "op": {"accept"}, "id": {"R1"}, "body": {"{}"}}, "Origin", origin)
	require.Equal(t, http.StatusConflict, rec.Code)
	require.Contains(t, rec.Body.String(), "posted to /do")
}

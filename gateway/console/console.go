// Package console is the web console a gateway serves its organisation's people at `/`: the
// supplier's inbox and holdings, the core enterprise's issuing and redemption, the bank officer's
// financing queue and book, the auditor's search, lineage, history and chain. Pages are rendered on
// the server from embedded templates with a little embedded JavaScript (no build step, nothing
// fetched from elsewhere).
//
// The console holds no operation of its own: every read and write goes through the gateway's REST
// handler in the same process (gateway/client over an in-process transport), as the signed-in
// identity, so the routes of wire.Ops, their checks, idempotency and error mapping are the ones
// the CLI meets. A person signs in with the bearer token of one identity of the organisation,
// checked by the gateway's authenticator (its failures count against the same per-address limit
// as the REST API's, and are logged the same way); the gateway then keeps the token in memory
// and gives the browser only an HttpOnly, SameSite=Strict session cookie that expires. Every form
// carries the session's CSRF token, every page a strict Content-Security-Policy. The gateway's keys
// never reach the browser. A user registered for a browser key enrolls at /enroll with a key its
// browser makes and keeps (sign.go, static/sign.js): the console then relays the offline flow and
// the browser checks and signs each write; other identities that sign offline are sent to the CLI.
package console

import (
	"context"
	"embed"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/auth"
	"github.com/recv-ledger/recv/gateway/client"
	"github.com/recv-ledger/recv/gateway/fabric"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// EventSource streams the chaincode events from a block on, read as an identity that sees every
// financing request to this organisation (the gateway's service identity). The console follows it
// to find the requests waiting at a bank, which no list of the ledger names.
type EventSource func(ctx context.Context, pos fabric.Position) (<-chan fabric.Event, error)

// Authenticator checks the token of a sign-in (auth.Authenticator.AuthenticateToken): a source
// over its limit of failed authentications is refused before the token is looked at, and every
// failure is counted against its source and logged under route, never with the token.
type Authenticator interface {
	AuthenticateToken(r *http.Request, route, token string) (identity string, refusal *auth.Refusal)
}

// signinRoute is the route the console's sign-in failures are logged under.
const signinRoute = "POST /signin"

// Config configures a Console.
type Config struct {
	// API is the gateway's REST handler (api.Server): every call of the console goes through it.
	API http.Handler
	// Auth checks sign-in tokens: the authenticator of the REST handler, so that failures through
	// the console and through the API spend one budget per source address.
	Auth Authenticator
	// MSPID and OrgName are the organisation this gateway serves.
	MSPID, OrgName string
	// Events feeds the financing queue and the recent transactions; nil: both stay empty.
	Events EventSource
	// EventsFile is where the console keeps what it gathered from Events with the position after
	// the last event, so that a restart resumes there instead of reading the chain again from
	// block 0; "": in memory only.
	EventsFile string
	// SessionTTL is how long a sign-in lasts (default 8h); MaxSessions bounds the sessions kept
	// (default 10000, the oldest make room).
	SessionTTL  time.Duration
	MaxSessions int
	// Secure marks the cookies Secure (the gateway serves HTTPS).
	Secure bool
	Logger *slog.Logger
	// Now is the clock of the day shown and of days to maturity (default time.Now).
	Now func() time.Time
}

// Console is the http.Handler of the web console.
type Console struct {
	cfg      Config
	log      *slog.Logger
	sessions *sessions
	pages    map[string]*template.Template
	mux      *http.ServeMux
	watch    *watcher
	cookie   string // name of the session cookie, per organisation
	pre      string // name of the sign-in form's CSRF cookie
}

// csp is the Content-Security-Policy of every console answer: scripts, styles and connections to
// this gateway only, no inline script or style, no framing, forms posted only here.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

var nonWord = regexp.MustCompile(`[^A-Za-z0-9]`)

// New builds the console.
func New(cfg Config) (*Console, error) {
	if cfg.API == nil {
		return nil, fmt.Errorf("console: no API handler")
	}
	if cfg.Auth == nil {
		return nil, fmt.Errorf("console: no authenticator for sign-ins")
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 8 * time.Hour
	}
	if cfg.MaxSessions <= 0 {
		cfg.MaxSessions = 10000
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	c := &Console{
		cfg: cfg, log: cfg.Logger, sessions: newSessions(cfg.SessionTTL, cfg.MaxSessions), mux: http.NewServeMux(),
		cookie: "recv_console_" + nonWord.ReplaceAllString(cfg.MSPID, ""),
	}
	c.pre = c.cookie + "_signin"
	c.watch = newWatcher(cfg.Events, cfg.EventsFile, cfg.Logger)
	var err error
	if c.pages, err = parsePages(); err != nil {
		return nil, err
	}
	c.routes()
	return c, nil
}

// Run follows the event source until ctx ends (a no-op without one).
func (c *Console) Run(ctx context.Context) { c.watch.run(ctx) }

func parsePages() (map[string]*template.Template, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New(base).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("console template %s: %w", n, err)
		}
		pages[base] = t
	}
	return pages, nil
}

// ServeHTTP implements http.Handler.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	// same-origin, not no-referrer: with no-referrer a browser posts forms with "Origin: null".
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	if !strings.HasPrefix(r.URL.Path, "/static/") {
		h.Set("Cache-Control", "no-store")
	}
	c.mux.ServeHTTP(w, r)
}

// handler is a page or action of a signed-in person.
type handler func(w http.ResponseWriter, r *http.Request, s *session)

func (c *Console) routes() {
	static, _ := fs.Sub(staticFS, "static")
	c.mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServer(http.FS(static))))
	c.mux.HandleFunc("GET /{$}", c.page(c.home))
	c.mux.HandleFunc("GET /signin", c.signinPage)
	c.mux.HandleFunc("POST /signin", c.signin)
	c.mux.HandleFunc("POST /signout", c.post(c.signout))
	c.mux.HandleFunc("GET /events", c.page(c.events))
	c.mux.HandleFunc("POST /do/{op}", c.post(c.do))
	c.mux.HandleFunc("GET /enroll", c.enrollPage)
	c.mux.HandleFunc("POST /enroll", c.enroll)
	c.mux.HandleFunc("POST /sign/{step}", c.post(c.sign))

	c.mux.HandleFunc("GET /inbox", c.page(c.inbox))
	c.mux.HandleFunc("GET /holdings", c.page(c.holdings))
	c.mux.HandleFunc("GET /issue", c.page(c.issuePage))
	c.mux.HandleFunc("GET /issued", c.page(c.issued))
	c.mux.HandleFunc("GET /financing", c.page(c.financing))
	c.mux.HandleFunc("GET /book", c.page(c.book))
	c.mux.HandleFunc("GET /approvals", c.page(c.approvals))
	c.mux.HandleFunc("GET /audit", c.page(c.audit))
	c.mux.HandleFunc("GET /audit/trace/{id}", c.page(c.trace))
	c.mux.HandleFunc("GET /audit/history/{id}", c.page(c.history))
	c.mux.HandleFunc("GET /audit/chain", c.page(c.chain))
	c.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		c.render(w, r, http.StatusNotFound, "error", nil, view{Title: "找不到 Not found",
			Data: "no page " + r.URL.Path + " (the REST API is under /v1)"})
	})
}

// current returns the request's session, if its cookie names a live one of this gateway.
func (c *Console) current(r *http.Request) (*session, bool) {
	ck, err := r.Cookie(c.cookie)
	if err != nil {
		return nil, false
	}
	return c.sessions.get(ck.Value)
}

// page wraps a GET handler: without a session the browser is sent to sign in.
func (c *Console) page(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, ok := c.current(r)
		if !ok {
			if r.URL.Path == "/events" {
				http.Error(w, "not signed in", http.StatusUnauthorized)
				return
			}
			http.Redirect(w, r, "/signin", http.StatusSeeOther)
			return
		}
		h(w, r, s)
	}
}

// post wraps a form handler: it needs a session, the session's CSRF token in the form, and, when
// the browser names the page's origin, this gateway's.
func (c *Console) post(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		s, ok := c.current(r)
		if !ok {
			c.refuse(w, r, http.StatusUnauthorized, "未登录 Not signed in: sign in at this organisation's gateway first")
			return
		}
		if !c.sameOrigin(r) {
			c.refuse(w, r, http.StatusForbidden, "拒绝 Refused: the form was not posted from this console")
			return
		}
		if !sameToken(r.PostFormValue("csrf"), s.csrf) {
			c.log.Warn("console: form without the session's CSRF token", "account", s.account, "path", r.URL.Path, "source", r.RemoteAddr)
			c.refuse(w, r, http.StatusForbidden, "拒绝 Refused: the form's CSRF token is missing or wrong; reload the page")
			return
		}
		h(w, r, s)
	}
}

// sameOrigin accepts a request whose Origin (or, without it, Referer) is this gateway, or that
// names none (a browser always names it on a cross-site POST).
func (c *Console) sameOrigin(r *http.Request) bool {
	scheme := "http://"
	if r.TLS != nil {
		scheme = "https://"
	}
	want := scheme + r.Host
	if o := r.Header.Get("Origin"); o != "" {
		return o == want
	}
	if ref := r.Header.Get("Referer"); ref != "" {
		return ref == want || strings.HasPrefix(ref, want+"/")
	}
	return true
}

func (c *Console) refuse(w http.ResponseWriter, r *http.Request, status int, msg string) {
	c.render(w, r, status, "error", nil, view{Title: "拒绝 Refused", Data: msg})
}

// setCookie sets one of the console's cookies; maxAge < 0 deletes it.
func (c *Console) setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: c.cfg.Secure})
}

// clientOf is a gateway client acting as the session's identity, served in this process; the
// REST handler sees the browser's address as the caller's (its logs and limits name the person's
// machine, not the console).
func (c *Console) clientOf(r *http.Request, token string) *client.Client {
	cl, _ := client.New("http://console.invalid", token,
		client.WithHTTPClient(&http.Client{Transport: inProcess{h: c.cfg.API, remote: r.RemoteAddr}}))
	return cl
}

// inProcess hands a request to the REST handler in this process and returns its recorded answer.
type inProcess struct {
	h      http.Handler
	remote string
}

func (t inProcess) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	in := r.Clone(r.Context())
	in.RemoteAddr = t.remote
	in.RequestURI = in.URL.RequestURI()
	if in.Body == nil {
		in.Body = http.NoBody // a server's request always has a body
	}
	t.h.ServeHTTP(rec, in)
	return rec.Result(), nil
}

// roleHome is the first page of each role.
func roleHome(role string) string {
	switch role {
	case wire.RoleSupplier:
		return "/inbox"
	case wire.RoleIssuer:
		return "/issued"
	case wire.RoleFinancier:
		return "/financing"
	case wire.RoleAuditor:
		return "/audit"
	case wire.RoleApprover:
		return "/approvals"
	}
	return ""
}

func (c *Console) home(w http.ResponseWriter, r *http.Request, s *session) {
	if p := roleHome(s.role); p != "" {
		http.Redirect(w, r, p, http.StatusSeeOther)
		return
	}
	c.render(w, r, http.StatusOK, "home", s, view{Title: "首页 Home"})
}

func (c *Console) signinPage(w http.ResponseWriter, r *http.Request) {
	if _, ok := c.current(r); ok {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	c.signinForm(w, r, http.StatusOK, "")
}

func (c *Console) signinForm(w http.ResponseWriter, r *http.Request, status int, problem string) {
	pre := randomToken()
	c.setCookie(w, c.pre, pre, 600)
	c.render(w, r, status, "signin", nil, view{Title: "登录 Sign in", CSRF: pre, Data: problem})
}

// signin checks the token with the gateway's authenticator, under the limit of failed
// authentications per source address it shares with the REST API (a source over it gets 429 and its
// token is not looked at), then asks the gateway who the identity is. The sign-in form is protected
// by a CSRF cookie of its own; a form that fails that check is no guess and is not counted.
func (c *Console) signin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	pre, err := r.Cookie(c.pre)
	if err != nil || !sameToken(r.PostFormValue("csrf"), pre.Value) || !c.sameOrigin(r) {
		c.signinForm(w, r, http.StatusForbidden, "拒绝 Refused: the sign-in form expired or did not come from this console; try again")
		return
	}
	token := strings.TrimSpace(r.PostFormValue("token"))
	if _, refusal := c.cfg.Auth.AuthenticateToken(r, signinRoute, token); refusal != nil {
		if refusal.Kind == wire.KindRateLimited {
			wait := int(refusal.RetryAfter / time.Second)
			w.Header().Set("Retry-After", strconv.Itoa(wait))
			c.signinForm(w, r, http.StatusTooManyRequests, fmt.Sprintf(
				"请求过多 Too many failed sign-ins from this address: no token is checked until %d s from now; try again then", wait))
			return
		}
		c.signinForm(w, r, http.StatusUnauthorized, "登录失败 Sign-in refused: this token is not one of "+c.cfg.MSPID+"'s identities")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 15*time.Second)
	defer cancel()
	me, err := c.clientOf(r, token).WhoAmI(ctx)
	if err != nil {
		c.log.Warn("console: sign-in with a good token, but the gateway could not say who it is", "source", auth.Source(r), "err", err)
		c.signinForm(w, r, http.StatusServiceUnavailable, "登录失败 Sign-in failed: the gateway could not read this identity; try again ("+err.Error()+")")
		return
	}
	s := c.sessions.create(&session{token: token, name: me.Name, account: me.Account, role: me.Role, offline: me.OfflineOnly})
	c.setCookie(w, c.pre, "", -1)
	c.setCookie(w, c.cookie, s.id, int(c.cfg.SessionTTL/time.Second))
	c.log.Info("console: signed in", "account", s.account, "role", s.role, "source", r.RemoteAddr)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (c *Console) signout(w http.ResponseWriter, r *http.Request, s *session) {
	c.sessions.remove(s.id)
	c.setCookie(w, c.cookie, "", -1)
	c.log.Info("console: signed out", "account", s.account)
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}

// events relays the gateway's event stream to the page, as the session's identity: the browser
// cannot send a bearer token with an EventSource, and never holds one.
func (c *Console) events(w http.ResponseWriter, r *http.Request, s *session) {
	in := r.Clone(r.Context())
	in.URL.Path, in.URL.RawPath, in.URL.RawQuery = "/v1/events", "", ""
	in.RequestURI = in.URL.RequestURI()
	in.Header = http.Header{"Authorization": {"Bearer " + s.token}}
	if id := r.Header.Get("Last-Event-ID"); id != "" {
		in.Header.Set("Last-Event-ID", id)
	}
	c.cfg.API.ServeHTTP(w, in)
}

package console_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/gateway/client"
)

// stepTimeout bounds one step of a person in the browser (a command, or a wait for what a click
// brings).
const stepTimeout = 90 * time.Second

// chrome is one headless Chromium, driven by chromedp; each person gets a tab of it in a browser
// context of their own, with cookies of their own.
type chrome struct {
	ctx context.Context // the browser's chromedp context
}

// browser starts one headless Chromium for the test and stops it when the test ends.
func browser(t *testing.T) *chrome {
	t.Helper()
	bin := os.Getenv("RECV_CHROMIUM")
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("chromium"); err != nil {
			t.Fatal("no chromium: install Debian's package (apt-get install chromium; scripts/test.sh does) or name one in RECV_CHROMIUM")
		}
	}
	// chromedp's defaults keep a page from being slowed as a background tab (five people share one
	// browser) and give the browser a temporary profile that it removes when the browser stops.
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin),
		chromedp.NoSandbox, // the suite may run as root, which the sandbox refuses
		chromedp.WindowSize(1280, 900), chromedp.DisableGPU, chromedp.Flag("disable-component-update", true),
		chromedp.Flag("mute-audio", true), chromedp.Flag("hide-scrollbars", true))
	alloc, stop := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(stop) // waits for the browser to exit
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	firstRun(ctx, t, "start chromium")
	return &chrome{ctx: ctx}
}

// tab opens a page in a browser context of its own (cookies shared with no other page) and
// returns its chromedp context; it closes when the test ends.
func (c *chrome) tab(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(c.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	firstRun(ctx, t, "open a tab")
	return ctx
}

// firstRun makes the first chromedp run on ctx, which starts the browser or opens the tab. What
// it opens lives as long as the context of that run, so the run carries no timeout; the test
// stops waiting for it after a step's time.
func firstRun(ctx context.Context, t *testing.T, what string) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- chromedp.Do(ctx) }()
	select {
	case err := <-done:
		require.NoError(t, err, what)
	case <-time.After(stepTimeout):
		t.Fatalf("%s: no answer in %s", what, stepTimeout)
	}
}

// person is one signed-in person: a page in a browser context of its own, at their
// organisation's gateway.
type person struct {
	t       *testing.T
	account string
	base    string          // the gateway's URL
	tab     context.Context // the page's chromedp context
}

// signIn opens a browser context for each account and signs it in at its organisation's gateway
// with the token the gateway wrote for it. The people start together: each step is taken for all
// of them before the next, so that their pages load side by side.
func signIn(t *testing.T, c *chrome, accounts ...string) []*person {
	t.Helper()
	people := make([]*person, len(accounts))
	tokens := make([]string, len(accounts))
	for i, account := range accounts {
		loc, err := client.Locate(nw.Dir, account)
		require.NoError(t, err)
		tokens[i], err = client.ReadToken(loc.TokenFile)
		require.NoError(t, err)
		p := &person{t: t, account: account, base: loc.BaseURL, tab: c.tab(t)}
		_, err = run(p, chromedp.Navigate(p.base+"/signin"))
		require.NoError(t, err)
		people[i] = p
	}
	for i, p := range people {
		p.waitFor("#token")
		p.fill("#token", tokens[i])
		p.click("form.signin button[type=submit]")
	}
	for _, p := range people {
		p.waitFor("#me")
		require.Equal(t, p.account, p.attr("#me", "data-account"))
	}
	return people
}

// run runs one chromedp action on the person's page, within a step's time.
func run[T any](p *person, a chromedp.Action[T]) (T, error) {
	ctx, cancel := context.WithTimeout(p.tab, stepTimeout)
	defer cancel()
	return chromedp.Run(ctx, a)
}

// js evaluates an expression in the page (awaiting it when it is a promise) into out (nil:
// dropped).
func (p *person) js(expr string, out any) error {
	raw, err := run(p, chromedp.Evaluate[[]byte](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		return fmt.Errorf("%s: %w", expr, err)
	}
	if out == nil || len(raw) == 0 {
		return nil
	}
	return json.Unmarshal(raw, out)
}

// viewport makes the page a phone-sized (or any) screen.
func (p *person) viewport(width, height int, mobile bool) {
	p.t.Helper()
	var opts []chromedp.EmulateViewportOption
	if mobile {
		opts = append(opts, chromedp.EmulateMobile)
	}
	_, err := run(p, chromedp.EmulateViewport(int64(width), int64(height), opts...))
	require.NoError(p.t, err)
}

// q is a JavaScript expression of the element sel selects.
func q(sel string) string {
	b, _ := json.Marshal(sel)
	return "document.querySelector(" + string(b) + ")"
}

// nav loads a page of the console.
func (p *person) nav(path string) {
	p.t.Helper()
	_ = p.js("window.recvLeaving = true", nil)
	_, err := run(p, chromedp.Navigate(p.base+path))
	require.NoError(p.t, err, path)
	p.waitFor("body")
}

// open loads a page and waits until its event stream is connected, so that what happens next
// elsewhere reaches it live.
func (p *person) open(path string) {
	p.t.Helper()
	p.nav(path)
	p.waitFor("body[data-stream=open]")
}

// waitFor waits until sel selects a visible element (through navigations).
func (p *person) waitFor(sel string) {
	p.t.Helper()
	expr := "(() => { if (window.recvLeaving || document.readyState !== 'complete') return false; const e = " + q(sel) + "; return !!e && e.getClientRects().length > 0; })()"
	deadline := time.Now().Add(stepTimeout)
	for {
		var ok bool
		if err := p.js(expr, &ok); err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s: %s did not appear on %s", p.account, sel, p.location())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// has reports whether sel selects an element of the page now.
func (p *person) has(sel string) bool {
	var ok bool
	return p.js("!!"+q(sel), &ok) == nil && ok
}

// location is the page's address and the start of its text, for a failure's message.
func (p *person) location() string {
	var where string
	_ = p.js("location.href + ': ' + Array.from(document.querySelectorAll('input:invalid, select:invalid')).map(e => 'invalid #' + e.id + ' (' + e.validationMessage + ')').join(', ') + ' ' + (document.body ? document.body.innerText.slice(0, 400) : '')", &where)
	return where
}

// click clicks the element sel selects, as the person would.
func (p *person) click(sel string) {
	p.t.Helper()
	p.waitFor(sel)
	require.NoError(p.t, p.js(q(sel)+".click()", nil), sel)
}

// fill types a value into a field: it is set, and the input and change events fire.
func (p *person) fill(sel, value string) {
	p.t.Helper()
	v, _ := json.Marshal(value)
	require.NoError(p.t, p.js("(() => { const e = "+q(sel)+"; e.focus(); e.value = "+string(v)+
		"; e.dispatchEvent(new Event('input', {bubbles: true})); e.dispatchEvent(new Event('change', {bubbles: true})); })()", nil), sel)
}

// upload chooses a file in a file input, as the file dialog would.
func (p *person) upload(sel, path string) {
	p.t.Helper()
	_, err := run(p, chromedp.SetUploadFiles(chromedp.CSS(sel), []string{path}))
	require.NoError(p.t, err, sel)
}

func (p *person) text(sel string) string {
	p.t.Helper()
	p.waitFor(sel)
	var s string
	require.NoError(p.t, p.js(q(sel)+".textContent", &s), sel)
	return strings.Join(strings.Fields(s), " ")
}

func (p *person) attr(sel, name string) string {
	p.t.Helper()
	n, _ := json.Marshal(name)
	var v string
	require.NoError(p.t, p.js(q(sel)+".getAttribute("+string(n)+") || ''", &v), sel)
	return v
}

// outcome is what a form's submission showed.
type outcome struct {
	OK                bool
	TxID, Block, Kind string
	Target, Detail    string
	Instruction       string // the maker's request waiting for the approver (two-person control)
}

// submit clears the notices shown, runs steps that fill and send a form, and returns the outcome
// the next page shows: the committed transaction or the refusal.
func (p *person) submit(steps ...func()) outcome {
	p.t.Helper()
	started := time.Now()
	require.NoError(p.t, p.js(`document.querySelectorAll('.notice').forEach(n => n.remove())`, nil))
	for _, s := range steps {
		s()
	}
	p.waitFor(".notice")
	defer func() {
		p.t.Logf("%s: %s in %s", p.account, p.text(".notice"), time.Since(started).Round(time.Millisecond))
	}()
	o := outcome{OK: strings.Contains(p.attr(".notice", "class"), "ok"), Target: p.attr(".notice", "data-target"),
		Instruction: p.attr(".notice", "data-instruction")}
	if o.OK {
		o.TxID, o.Block = p.text(".notice .txid"), p.text(".notice .block")
	} else {
		o.Kind, o.Detail = p.attr(".notice", "data-kind"), p.text(".notice .detail")
	}
	return o
}

// committed requires the outcome to be a committed write and returns it.
func (p *person) committed(o outcome) outcome {
	p.t.Helper()
	require.True(p.t, o.OK, "%s: refused (%s) %s", p.account, o.Kind, o.Detail)
	require.Regexp(p.t, `^[0-9a-f]{64}$`, o.TxID)
	require.Regexp(p.t, `^[0-9]+$`, o.Block)
	return o
}

// shotDir is where the screenshots go: with the test logs.
func shotDir(t *testing.T) string {
	dir := os.Getenv("RECV_CONSOLE_SHOTS")
	if dir == "" && os.Getenv("TEST_LOG_DIR") != "" {
		dir = filepath.Join(os.Getenv("TEST_LOG_DIR"), "console-shots")
	}
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "recv-console-shots")
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	return dir
}

// shot saves the page as name.png, after checking that every field of the page can be reached
// and named by keyboard and screen reader: each has a label, and nothing is made unfocusable.
func (p *person) shot(name string) {
	p.t.Helper()
	var unlabelled []string
	require.NoError(p.t, p.js(`Array.from(document.querySelectorAll('input:not([type=hidden]), select, textarea'))
		.filter(e => e.labels.length === 0 && !e.getAttribute('aria-label')).map(e => e.outerHTML)`, &unlabelled))
	require.Empty(p.t, unlabelled, "%s: fields without a label", name)
	var untabbable int
	require.NoError(p.t, p.js(`document.querySelectorAll('[tabindex]:not([tabindex="0"]):not([tabindex="-1"]), a:not([href])').length`, &untabbable))
	require.Zero(p.t, untabbable, "%s: a positive tabindex or a link without href", name)
	png, err := run(p, screenshot)
	require.NoError(p.t, err)
	path := filepath.Join(shotDir(p.t), name+".png")
	require.NoError(p.t, os.WriteFile(path, png, 0o644))
	p.t.Logf("screenshot %s", path)
}

// screenshot captures the whole page, beyond the window, as PNG.
func screenshot(ctx context.Context, t *chromedp.Target) ([]byte, error) {
	m, err := cdp.Call(ctx, t, page.GetLayoutMetrics, cdp.Empty{})
	if err != nil {
		return nil, err
	}
	if m.CSSContentSize == nil {
		return nil, errors.New("the page reported no content size")
	}
	beyond := true
	shot, err := cdp.Call(ctx, t, page.CaptureScreenshot, page.CaptureScreenshotParams{
		Format: page.CaptureScreenshotFormatPng, CaptureBeyondViewport: &beyond,
		Clip: &page.Viewport{Width: m.CSSContentSize.Width, Height: m.CSSContentSize.Height, Scale: 1}})
	return shot.Data, err
}

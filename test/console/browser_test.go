package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/gateway/client"
)

// stepTimeout bounds one step of a person in the browser (a command, or a wait for what a click
// brings).
const stepTimeout = 90 * time.Second

// browser starts one headless Chromium for the test; each person gets a browser context of it,
// with cookies of their own.
func browser(t *testing.T) *chrome {
	t.Helper()
	bin := os.Getenv("RECV_CHROMIUM")
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("chromium"); err != nil {
			t.Fatal("no chromium: install Debian's package (apt-get install chromium; scripts/test.sh does) or name one in RECV_CHROMIUM")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	profile, err := os.MkdirTemp("", "recv-chromium-")
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(profile) })               // after the browser stopped (cleanups run last first)
	c, err := startChrome(ctx, bin, "--headless", "--no-sandbox", // the suite may run as root, which the sandbox refuses
		"--user-data-dir="+profile, "--window-size=1280,900", "--disable-gpu", "--disable-dev-shm-usage",
		"--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--mute-audio", "--hide-scrollbars",
		// Five people share one browser: none of their pages is slowed as a background tab.
		"--disable-background-timer-throttling", "--disable-backgrounding-occluded-windows", "--disable-renderer-backgrounding")
	require.NoError(t, err, "start chromium")
	t.Cleanup(c.close)
	return c
}

// person is one signed-in person: a page in a browser context of its own, at their
// organisation's gateway.
type person struct {
	t       *testing.T
	account string
	base    string // the gateway's URL
	chrome  *chrome
	session string
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
		p := &person{t: t, account: account, base: loc.BaseURL, chrome: c}
		ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
		p.session, err = c.newPage(ctx)
		cancel()
		require.NoError(t, err)
		require.NoError(t, p.call("Page.navigate", map[string]any{"url": p.base + "/signin"}, nil))
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

// call sends one DevTools command to this person's page.
func (p *person) call(method string, params, out any) error {
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	return p.chrome.call(ctx, p.session, method, params, out)
}

// js evaluates an expression in the page into out (nil: dropped).
func (p *person) js(expr string, out any) error {
	var res struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		Exception *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	if err := p.call("Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true}, &res); err != nil {
		return err
	}
	if res.Exception != nil {
		return fmt.Errorf("%s: %s %s", expr, res.Exception.Text, res.Exception.Exception.Description)
	}
	if out == nil || len(res.Result.Value) == 0 {
		return nil
	}
	return json.Unmarshal(res.Result.Value, out)
}

// viewport makes the page a phone-sized (or any) screen.
func (p *person) viewport(width, height int, mobile bool) {
	p.t.Helper()
	require.NoError(p.t, p.call("Emulation.setDeviceMetricsOverride", map[string]any{
		"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile}, nil))
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
	require.NoError(p.t, p.call("Page.navigate", map[string]any{"url": p.base + path}, nil), path)
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
	var res struct {
		Result struct {
			ObjectID string `json:"objectId"`
		} `json:"result"`
	}
	require.NoError(p.t, p.call("Runtime.evaluate", map[string]any{"expression": q(sel)}, &res), sel)
	require.NoError(p.t, p.call("DOM.setFileInputFiles", map[string]any{"files": []string{path}, "objectId": res.Result.ObjectID}, nil), sel)
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
	var size struct {
		CSS struct {
			Width  float64 `json:"width"`
			Height float64 `json:"height"`
		} `json:"cssContentSize"`
	}
	require.NoError(p.t, p.call("Page.getLayoutMetrics", nil, &size))
	var shot struct {
		Data []byte `json:"data"` // base64 in the JSON
	}
	require.NoError(p.t, p.call("Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true,
		"clip": map[string]any{"x": 0, "y": 0, "width": size.CSS.Width, "height": size.CSS.Height, "scale": 1}}, &shot))
	png := shot.Data
	path := filepath.Join(shotDir(p.t), name+".png")
	require.NoError(p.t, os.WriteFile(path, png, 0o644))
	p.t.Logf("screenshot %s", path)
}

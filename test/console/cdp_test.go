package console_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os/exec"
	"regexp"
	"sync"
	"sync/atomic"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// chrome is a headless Chromium driven over the DevTools protocol: only the handful of commands
// the suite needs, with their answers decoded as loosely as they are used, so that a newer
// Chromium's extra fields and events never stall it.
type chrome struct {
	cmd  *exec.Cmd
	conn net.Conn
	rd   io.Reader

	wmu     sync.Mutex
	next    atomic.Int64
	mu      sync.Mutex
	waiting map[int64]chan cdpAnswer
	closed  chan struct{}
}

type cdpAnswer struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Message string `json:"message"`
	} `json:"error"`
}

var devtoolsURL = regexp.MustCompile(`DevTools listening on (ws://\S+)`)

// startChrome runs the browser binary with args and connects to its DevTools endpoint.
func startChrome(ctx context.Context, bin string, args ...string) (*chrome, error) {
	cmd := exec.Command(bin, append(args, "--remote-debugging-port=0", "about:blank")...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := devtoolsURL.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case urls <- m[1]:
				default:
				}
			}
		}
	}()
	var url string
	select {
	case url = <-urls:
	case <-ctx.Done():
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("chromium did not open its DevTools endpoint: %w", ctx.Err())
	}
	conn, br, _, err := ws.Dial(ctx, url)
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, err
	}
	c := &chrome{cmd: cmd, conn: conn, rd: conn, waiting: map[int64]chan cdpAnswer{}, closed: make(chan struct{})}
	if br != nil {
		c.rd = br
	}
	go c.read()
	return c, nil
}

// read hands each answer to its caller; events are not used.
func (c *chrome) read() {
	defer close(c.closed)
	rw := struct {
		io.Reader
		io.Writer
	}{c.rd, c.conn}
	for {
		data, _, err := wsutil.ReadServerData(rw)
		if err != nil {
			return
		}
		var msg struct {
			ID int64 `json:"id"`
			cdpAnswer
		}
		if json.Unmarshal(data, &msg) != nil || msg.ID == 0 {
			continue
		}
		c.mu.Lock()
		ch := c.waiting[msg.ID]
		delete(c.waiting, msg.ID)
		c.mu.Unlock()
		if ch != nil {
			ch <- msg.cdpAnswer
		}
	}
}

// call sends one command (to a page's session, or the browser's when session is "") and decodes
// its result into out (nil: dropped).
func (c *chrome) call(ctx context.Context, session, method string, params, out any) error {
	id := c.next.Add(1)
	msg := map[string]any{"id": id, "method": method}
	if params != nil {
		msg["params"] = params
	}
	if session != "" {
		msg["sessionId"] = session
	}
	data, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	ch := make(chan cdpAnswer, 1)
	c.mu.Lock()
	c.waiting[id] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.waiting, id)
		c.mu.Unlock()
	}()
	c.wmu.Lock()
	err = wsutil.WriteClientText(c.conn, data)
	c.wmu.Unlock()
	if err != nil {
		return err
	}
	select {
	case a := <-ch:
		if a.Error != nil {
			return fmt.Errorf("%s: %s", method, a.Error.Message)
		}
		if out != nil {
			return json.Unmarshal(a.Result, out)
		}
		return nil
	case <-c.closed:
		return fmt.Errorf("%s: the browser closed the connection", method)
	case <-ctx.Done():
		return fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

// newPage opens a page in a browser context of its own (cookies not shared with any other) and
// returns the session to drive it.
func (c *chrome) newPage(ctx context.Context) (string, error) {
	var bc struct {
		BrowserContextID string `json:"browserContextId"`
	}
	if err := c.call(ctx, "", "Target.createBrowserContext", map[string]any{"disposeOnDetach": true}, &bc); err != nil {
		return "", err
	}
	var tg struct {
		TargetID string `json:"targetId"`
	}
	if err := c.call(ctx, "", "Target.createTarget", map[string]any{"url": "about:blank", "browserContextId": bc.BrowserContextID}, &tg); err != nil {
		return "", err
	}
	var at struct {
		SessionID string `json:"sessionId"`
	}
	if err := c.call(ctx, "", "Target.attachToTarget", map[string]any{"targetId": tg.TargetID, "flatten": true}, &at); err != nil {
		return "", err
	}
	return at.SessionID, nil
}

// close stops the browser.
func (c *chrome) close() {
	_ = c.call(context.Background(), "", "Browser.close", nil, nil)
	_ = c.conn.Close()
	_ = c.cmd.Process.Kill()
	_ = c.cmd.Wait()
}

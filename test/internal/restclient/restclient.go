// Package restclient is what the suites in test/ use to drive the recv gateways: a REST client
// acting as one user with its bearer token that fails the test on a transport error, reads that
// wait out a peer a block behind, issue requests with fresh document hashes, and the recv CLI run
// as a person would run it. The JSON shapes are the wire contract's (chaincode/wire).
package restclient

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/network"
)

// Client calls one organisation's gateway as one user.
type Client struct {
	Base  string // e.g. http://127.0.0.1:8801
	Token string // bearer token; empty sends none
}

// As returns a client for MSPID/user of the network in netDir, with the token file the
// gateways wrote to netDir/gateways/<org>/tokens/<user>.token.
func As(t *testing.T, netDir, account string) *Client {
	t.Helper()
	d, err := network.Load(filepath.Join(netDir, "network.json"))
	require.NoError(t, err)
	msp, user, _ := strings.Cut(account, "/")
	_, org, err := d.Org(msp)
	require.NoError(t, err)
	tok, err := os.ReadFile(filepath.Join(netDir, "gateways", org.Name, "tokens", user+".token"))
	require.NoError(t, err)
	return &Client{Base: "http://" + org.Gateway.Address, Token: strings.TrimSpace(string(tok))}
}

// Response is a gateway's answer.
type Response struct {
	Status int
	Body   []byte
	Header http.Header
}

// Problem decodes an error answer's problem body.
func (r Response) Problem(t *testing.T) wire.Problem {
	t.Helper()
	var p wire.Problem
	require.NoError(t, json.Unmarshal(r.Body, &p), string(r.Body))
	return p
}

// Do sends a request with body as JSON (nil: none) and header name/value pairs.
func (c *Client) Do(t *testing.T, method, path string, body any, header ...string) Response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.Base+path, rd)
	require.NoError(t, err)
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := (&http.Client{Timeout: 2 * time.Minute}).Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return Response{Status: resp.StatusCode, Body: b, Header: resp.Header}
}

// Committed is the answer to a write, with the chaincode's event as its result.
type Committed struct {
	TxID        string     `json:"txId"`
	BlockNumber uint64     `json:"blockNumber"`
	Result      wire.Event `json:"result"`
}

// Write POSTs and requires a committed transaction.
func (c *Client) Write(t *testing.T, path string, body any, header ...string) Committed {
	t.Helper()
	r := c.Do(t, http.MethodPost, path, body, header...)
	require.Equal(t, http.StatusOK, r.Status, "POST %s: %s", path, r.Body)
	var out Committed
	require.NoError(t, json.Unmarshal(r.Body, &out))
	require.NotEmpty(t, out.TxID)
	return out
}

// Read GETs path, requires 200 and decodes the answer into out.
func (c *Client) Read(t *testing.T, path string, out any) {
	t.Helper()
	r := c.Do(t, http.MethodGet, path, nil)
	require.Equal(t, http.StatusOK, r.Status, "GET %s: %s", path, r.Body)
	require.NoError(t, json.Unmarshal(r.Body, out), string(r.Body))
}

// Get reads one receivable and requires 200.
func (c *Client) Get(t *testing.T, id string) wire.Receivable {
	t.Helper()
	var out wire.Receivable
	c.Read(t, "/v1/receivables/"+id, &out)
	return out
}

// Eventually reads the receivable until cond holds (or 10 s passed) and returns it: a gateway
// waits for a write's commit on its own organisation's peer only, and another organisation's
// peer may be a block behind for a moment.
func (c *Client) Eventually(t *testing.T, id string, cond func(wire.Receivable) bool) wire.Receivable {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := c.Get(t, id)
		if cond(got) || time.Now().After(deadline) {
			return got
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// List reads every page of a list query ("holder=MSP/user" or "issuer=MSP/user").
func (c *Client) List(t *testing.T, query string) []*wire.Receivable {
	t.Helper()
	var all []*wire.Receivable
	for bookmark := ""; ; {
		var page wire.Page
		c.Read(t, "/v1/receivables?"+query+"&pageSize=100&bookmark="+url.QueryEscape(bookmark), &page)
		all = append(all, page.Items...)
		if page.Bookmark == "" || len(page.Items) == 0 {
			return all
		}
		bookmark = page.Bookmark
	}
}

// RandomHex is a fresh SHA-256 in hex, as a document hash.
func RandomHex(t *testing.T) string {
	b := make([]byte, 32)
	_, err := rand.Read(b)
	require.NoError(t, err)
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// UniqueID is a root id unique to this test run.
func UniqueID(t *testing.T, prefix string) string {
	return prefix + "-" + RandomHex(t)[:12]
}

// IssueBody is an issue request with a fresh contract and one invoice covering the amount; an
// empty id lets the gateway or the chaincode choose it.
func IssueBody(t *testing.T, id, to, amount, maturity string) wire.IssueRequest {
	return wire.IssueRequest{
		ID: id, Beneficiary: to, Amount: amount, MaturityDate: maturity,
		Contract: wire.Document{Number: "C-" + RandomHex(t)[:6], SHA256: RandomHex(t)},
		Invoices: []wire.Invoice{{Number: "INV-" + RandomHex(t)[:8], SHA256: RandomHex(t), Amount: amount}},
	}
}

// Today is the current UTC day; InDays the day n days from it.
func Today() string { return time.Now().UTC().Format("2006-01-02") }

// InDays is the UTC day n days from today.
func InDays(n int) string { return time.Now().UTC().AddDate(0, 0, n).Format("2006-01-02") }

// CLI runs the recv binary against the network in NetDir (RECV_NET_DIR).
type CLI struct {
	Bin    string
	NetDir string
}

// Run runs recv with args and returns its exit code and output.
func (c CLI) Run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(c.Bin, args...)
	cmd.Env = append(os.Environ(), "RECV_NET_DIR="+c.NetDir)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), out.String(), errOut.String()
	}
	require.NoError(t, err)
	return 0, out.String(), errOut.String()
}

// Must runs recv and requires exit code 0; with -o json it decodes stdout into out.
func (c CLI) Must(t *testing.T, out any, args ...string) string {
	t.Helper()
	code, stdout, stderr := c.Run(t, args...)
	require.Equal(t, 0, code, "recv %v: %s", args, stderr)
	if out != nil {
		require.NoError(t, json.Unmarshal([]byte(stdout), out), stdout)
	}
	return stdout
}

// Eventually runs recv until its output satisfies cond (or 10 s passed) and returns it, for the
// same reason as Client.Eventually.
func (c CLI) Eventually(t *testing.T, cond func(string) bool, args ...string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		out := c.Must(t, nil, args...)
		if cond(out) || time.Now().After(deadline) {
			return out
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Package gwtest is gateway/client for tests: the suites in test/ drive the recv gateways through
// the same Go client as the CLI and the load tool, and this package only adds what a test needs
// around it: calls that fail the test on a transport error or an unexpected refusal, reads that
// wait out a peer a block behind, issue requests with fresh document hashes and ids, and the recv
// CLI run as a person would run it.
package gwtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/client"
)

// callTimeout bounds one call of a test.
const callTimeout = 2 * time.Minute

// Client is a gateway client acting as one user, with the token it sends.
type Client struct {
	*client.Client
	Token string
}

// As returns a client for account (MSP/user) of the network in netDir, with the token its
// organisation's gateway wrote there.
func As(t *testing.T, netDir, account string) *Client {
	t.Helper()
	loc, err := client.Locate(netDir, account)
	require.NoError(t, err)
	token, err := client.ReadToken(loc.TokenFile)
	require.NoError(t, err)
	var opts []client.Option
	if loc.TLSCACert != "" { // the gateway serves HTTPS with a certificate of its organisation's CA
		opts = append(opts, client.WithTLSCAFile(loc.TLSCACert))
	}
	return New(t, loc.BaseURL, token, opts...)
}

// New returns a client of the gateway at baseURL sending token ("" sends none).
func New(t *testing.T, baseURL, token string, opts ...client.Option) *Client {
	t.Helper()
	c, err := client.New(baseURL, token, opts...)
	require.NoError(t, err)
	return &Client{Client: c, Token: token}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), callTimeout)
	t.Cleanup(cancel)
	return c
}

// Do sends a request with body as JSON (nil: none) and header name/value pairs, and returns the
// answer whatever its status.
func (c *Client) Do(t *testing.T, method, path string, body any, header ...string) *client.Response {
	t.Helper()
	h := http.Header{}
	for i := 0; i+1 < len(header); i += 2 {
		h.Set(header[i], header[i+1])
	}
	r, err := c.Client.Do(ctx(t), method, path, body, h)
	require.NoError(t, err)
	return r
}

// Committed is a committed write with the chaincode's event as its result.
type Committed struct {
	TxID        string
	BlockNumber uint64
	Result      wire.Event
}

// Submit runs the write op named opName (wire.Ops) on id ("" for an op without one) and requires
// it to commit.
func (c *Client) Submit(t *testing.T, opName, id string, body any, opts ...client.CallOption) Committed {
	t.Helper()
	res, err := c.Client.Submit(ctx(t), opName, pathValues(opName, id), body, opts...)
	require.NoError(t, err, "%s %s", opName, id)
	ev, err := client.EventOf(res)
	require.NoError(t, err)
	require.NotEmpty(t, res.TransactionID)
	return Committed{TxID: res.TransactionID, BlockNumber: res.BlockNumber, Result: *ev}
}

// Made runs a maker's write (issue, redeem, redeem-all) as c and, when c's organisation requires
// two-person control, has checker (an approver of the same organisation) confirm the instruction
// it recorded. It requires both to commit and returns the write that committed the change. Every
// suite issues and redeems through it.
func (c *Client) Made(t *testing.T, checker *Client, opName, id string, body any) Committed {
	t.Helper()
	res, err := c.Client.SubmitConfirmed(ctx(t), checker.Client, opName, pathValues(opName, id), body)
	require.NoError(t, err, "%s %s", opName, id)
	ev, err := client.EventOf(res)
	require.NoError(t, err)
	return Committed{TxID: res.TransactionID, BlockNumber: res.BlockNumber, Result: *ev}
}

// Refusal runs the op named opName on id and requires a refusal, which it returns.
func (c *Client) Refusal(t *testing.T, opName, id string, body any) *wire.Problem {
	t.Helper()
	err := c.Call(ctx(t), opName, pathValues(opName, id), nil, body, nil)
	var p *wire.Problem
	require.ErrorAs(t, err, &p, "%s %s", opName, id)
	return p
}

// ReadEventually is Read retried for up to 10 s: another organisation's write may be a block
// away on c's peer.
func (c *Client) ReadEventually(t *testing.T, opName string, out any, pathValues ...string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := c.Call(ctx(t), opName, pathValues, nil, nil, out)
		if err == nil || time.Now().After(deadline) {
			require.NoError(t, err, "%s %v", opName, pathValues)
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Read runs the read op named opName with its path values and requires an answer, decoded into out.
func (c *Client) Read(t *testing.T, opName string, out any, pathValues ...string) {
	t.Helper()
	require.NoError(t, c.Call(ctx(t), opName, pathValues, nil, nil, out), "%s %v", opName, pathValues)
}

// pathValues are an op's path values from one id, as offline signing reads them: the {id}, or
// several values joined by "/" ("SupplierMSP/supplier-b", "R-1/<terms hash>").
func pathValues(opName, id string) []string {
	if id == "" {
		return nil
	}
	if op, ok := wire.Lookup(opName); ok && len(op.PathNames()) > 1 {
		return strings.Split(id, "/")
	}
	return []string{id}
}

// Get reads one receivable.
func (c *Client) Get(t *testing.T, id string) wire.Receivable {
	t.Helper()
	r, err := c.Client.Get(ctx(t), id)
	require.NoError(t, err, id)
	return *r
}

// Eventually reads the receivable until cond holds (or 10 s passed) and returns it: a gateway
// waits for a write's commit on its own organisation's peer only, and another organisation's
// peer may be a block or two behind for a moment, not knowing the receivable yet (not found) or
// its last change. After 10 s the last answer must be a receivable.
func (c *Client) Eventually(t *testing.T, id string, cond func(wire.Receivable) bool) wire.Receivable {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := c.Client.Get(ctx(t), id)
		if err == nil && cond(*got) {
			return *got
		}
		if time.Now().After(deadline) {
			require.NoError(t, err, id)
			return *got
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Sees waits until c's gateway answers id in status s, before c acts on it after another
// organisation's write, and returns it.
func (c *Client) Sees(t *testing.T, id string, s wire.Status) wire.Receivable {
	t.Helper()
	r := c.Eventually(t, id, func(r wire.Receivable) bool { return r.Status == s })
	require.Equal(t, s, r.Status, id)
	return r
}

// List reads every page of a list query, whatever else the ledger holds.
func (c *Client) List(t *testing.T, q client.ListQuery) []*wire.Receivable {
	t.Helper()
	q.PageSize = wire.MaxPageSize
	var all []*wire.Receivable
	for {
		page, err := c.Client.List(ctx(t), q)
		require.NoError(t, err)
		all = append(all, page.Items...)
		if page.Bookmark == "" || len(page.Items) == 0 {
			return all
		}
		q.Bookmark = page.Bookmark
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

// RequestedAt issues a receivable of amount maturing in days to SupplierMSP/supplier-a (the core
// enterprise's treasurer asks, its approver confirms), has the supplier accept it and ask bank for
// financing, and waits until the bank's officer sees the request; it returns the receivable's id.
func RequestedAt(t *testing.T, netDir, prefix, amount string, days int, bank string) string {
	t.Helper()
	as := func(account string) *Client { return As(t, netDir, account) }
	supplier := as("SupplierMSP/supplier-a")
	id := UniqueID(t, prefix)
	as("CoreMSP/treasurer").Made(t, as("CoreMSP/approver"), "issue", "", IssueBody(t, id, "SupplierMSP/supplier-a", amount, InDays(days)))
	supplier.Sees(t, id, wire.StatusPending)
	supplier.Submit(t, "accept", id, nil)
	supplier.Submit(t, "request-financing", id, wire.FinancingRequest{Bank: bank})
	as(bank+"/officer").Sees(t, id, wire.StatusFinancing)
	return id
}

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

// Made runs a maker's write with the recv CLI (args without --as and -o) as maker and, when it
// recorded an instruction, confirms it as checker with recv confirm; it returns the committing
// write's answer.
func (c CLI) Made(t *testing.T, maker, checker string, args ...string) wire.SubmitResponse {
	t.Helper()
	var res wire.SubmitResponse
	c.Must(t, &res, append([]string{"--as", maker, "-o", "json"}, args...)...)
	in, err := client.InstructionOf(&res)
	require.NoError(t, err)
	if in == nil {
		return res
	}
	c.Must(t, &res, "--as", checker, "-o", "json", "confirm", in.ID)
	return res
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

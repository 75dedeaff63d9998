package gateway_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/gateway/network"
)

func desc(t *testing.T) *network.Description {
	t.Helper()
	d, err := network.Load(filepath.Join(netDir, "network.json"))
	require.NoError(t, err)
	return d
}

// client calls one org's gateway as one user.
type client struct {
	base  string
	token string
}

// as returns a client for MSP/user using the token file gateways.sh wrote.
func as(t *testing.T, account string) *client {
	t.Helper()
	msp, user, _ := strings.Cut(account, "/")
	_, org, err := desc(t).Org(msp)
	require.NoError(t, err)
	tok, err := os.ReadFile(filepath.Join(netDir, "gateways", org.Name, "tokens", user+".token"))
	require.NoError(t, err)
	return &client{base: "http://" + org.Gateway.Address, token: strings.TrimSpace(string(tok))}
}

type response struct {
	status int
	body   []byte
	header http.Header
}

func (r response) problem(t *testing.T) map[string]any {
	t.Helper()
	var p map[string]any
	require.NoError(t, json.Unmarshal(r.body, &p), string(r.body))
	return p
}

func (c *client) do(t *testing.T, method, path string, body any, header ...string) response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	require.NoError(t, err)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := (&http.Client{Timeout: 2 * time.Minute}).Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return response{status: resp.StatusCode, body: b, header: resp.Header}
}

// committed is the answer to a write.
type committed struct {
	TxID        string `json:"txId"`
	BlockNumber uint64 `json:"blockNumber"`
	Result      struct {
		Op    string `json:"op"`
		Items []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
			Amount string `json:"amount"`
		} `json:"items"`
	} `json:"result"`
}

func (c *client) write(t *testing.T, path string, body any, header ...string) committed {
	t.Helper()
	r := c.do(t, http.MethodPost, path, body, header...)
	require.Equal(t, http.StatusOK, r.status, "POST %s: %s", path, r.body)
	var out committed
	require.NoError(t, json.Unmarshal(r.body, &out))
	require.NotEmpty(t, out.TxID)
	return out
}

// receivable is the part of the chaincode's receivable JSON the tests check.
type receivable struct {
	ID            string `json:"id"`
	RootID        string `json:"rootId"`
	Holder        string `json:"holder"`
	PendingHolder string `json:"pendingHolder"`
	Amount        string `json:"amount"`
	AmountFen     int64  `json:"amountFen"`
	Status        string `json:"status"`
	Financing     *struct {
		Bank         string `json:"bank"`
		RateBps      int64  `json:"rateBps"`
		DisbursedFen int64  `json:"disbursedFen"`
	} `json:"financing"`
	Pieces []*receivable `json:"pieces"`
}

func (c *client) get(t *testing.T, id string) receivable {
	t.Helper()
	r := c.do(t, http.MethodGet, "/v1/receivables/"+id, nil)
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	var out receivable
	require.NoError(t, json.Unmarshal(r.body, &out))
	return out
}

func randomHex(t *testing.T) string {
	b := make([]byte, 32)
	_, err := rand.Read(b)
	require.NoError(t, err)
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// uniqueID is a root id unique to this test run.
func uniqueID(t *testing.T, prefix string) string {
	return prefix + "-" + randomHex(t)[:12]
}

func issueBody(t *testing.T, id, to, amount, maturity string) map[string]any {
	body := map[string]any{
		"beneficiary": to, "amount": amount, "maturityDate": maturity,
		"contract": map[string]string{"number": "C-" + randomHex(t)[:6], "sha256": randomHex(t)},
		"invoices": []map[string]string{{"number": "INV-" + randomHex(t)[:8], "sha256": randomHex(t), "amount": amount}},
	}
	if id != "" {
		body["id"] = id
	}
	return body
}

func today() string       { return time.Now().UTC().Format("2006-01-02") }
func inDays(n int) string { return time.Now().UTC().AddDate(0, 0, n).Format("2006-01-02") }

// recv runs the CLI binary with RECV_NET_DIR set and returns its exit code and output.
func recv(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(recvBin, args...)
	cmd.Env = append(os.Environ(), "RECV_NET_DIR="+netDir)
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

// mustRecv runs the CLI and requires exit code 0; with -o json it decodes stdout into out.
func mustRecv(t *testing.T, out any, args ...string) string {
	t.Helper()
	code, stdout, stderr := recv(t, args...)
	require.Equal(t, 0, code, "recv %v: %s", args, stderr)
	if out != nil {
		require.NoError(t, json.Unmarshal([]byte(stdout), out), stdout)
	}
	return stdout
}

package docker_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/gateway/network"
)

// desc reads the host's view of the compose network: gateways, peers and orderers on their
// published 127.0.0.1 ports, identities under the state folder.
func desc(t *testing.T) *network.Description {
	t.Helper()
	d, err := network.Load(filepath.Join(netDir, "network.json"))
	require.NoError(t, err)
	return d
}

// client calls one org's gateway container as one user.
type client struct {
	base  string
	token string
}

// as returns a client for MSP/user with the token the gateway container wrote to its state folder.
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
}

func (r response) problem(t *testing.T) map[string]any {
	t.Helper()
	var p map[string]any
	require.NoError(t, json.Unmarshal(r.body, &p), string(r.body))
	return p
}

func (c *client) do(t *testing.T, method, path string, body any) response {
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
	resp, err := (&http.Client{Timeout: 2 * time.Minute}).Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return response{status: resp.StatusCode, body: b}
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

func (c *client) write(t *testing.T, path string, body any) committed {
	t.Helper()
	r := c.do(t, http.MethodPost, path, body)
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
	return map[string]any{
		"id": id, "beneficiary": to, "amount": amount, "maturityDate": maturity,
		"contract": map[string]string{"number": "C-" + randomHex(t)[:6], "sha256": randomHex(t)},
		"invoices": []map[string]string{{"number": "INV-" + randomHex(t)[:8], "sha256": randomHex(t), "amount": amount}},
	}
}

func today() string       { return time.Now().UTC().Format("2006-01-02") }
func inDays(n int) string { return time.Now().UTC().AddDate(0, 0, n).Format("2006-01-02") }

// recv runs the CLI binary on this host against the compose network's gateways (RECV_NET_DIR is
// the state folder: network.json and the gateways' token files).
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

// compose runs `scripts/docker.sh compose ARGS...` (the suite's project and settings).
func compose(t *testing.T, args ...string) {
	t.Helper()
	out, err := dockerSh(append([]string{"compose"}, args...)...)
	require.NoError(t, err, "docker compose %v: %s", args, out)
}

// nodeStatus is one line of `scripts/docker.sh status`.
type nodeStatus struct {
	State, Health, Height string
}

// status runs `scripts/docker.sh status` (its exit code says whether everything is healthy,
// which a test that stopped a container does not expect) and returns its table by node.
func status(t *testing.T) map[string]nodeStatus {
	t.Helper()
	out, _ := dockerSh("status")
	nodes := map[string]nodeStatus{}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || f[0] == "NODE" {
			continue
		}
		nodes[f[0]] = nodeStatus{State: f[1], Health: f[2], Height: strings.Join(f[3:], " ")}
	}
	require.NotEmpty(t, nodes, "docker.sh status: %s", out)
	return nodes
}

// peerEnv is the environment of the peer CLI on this host as user of org (docker.sh env),
// pointed at the peer of org target: its published address and TLS root.
func peerEnv(t *testing.T, org, user, target string) []string {
	t.Helper()
	out, err := dockerSh("env", org, user)
	require.NoError(t, err, string(out))
	var vars []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		vars = append(vars, strings.TrimPrefix(line, "export "))
	}
	_, o, err := desc(t).Org(target)
	require.NoError(t, err)
	return append(vars, "CORE_PEER_ADDRESS="+o.Peer.Address, "CORE_PEER_TLS_ROOTCERT_FILE="+o.Peer.TLSCACert,
		"CORE_PEER_TLS_SERVERHOSTOVERRIDE="+o.Peer.ServerName, "FABRIC_LOGGING_SPEC=warning")
}

// peerCLI runs bin/peer with env; it returns stdout, or an error with stderr.
func peerCLI(env []string, args ...string) (string, error) {
	cmd := command(root, env, filepath.Join(root, "bin", "peer"), args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("peer %v: %v: %s", args, err, strings.TrimSpace(errOut.String()))
	}
	return out.String(), nil
}

// chainInfo is what `peer channel getinfo` says about a peer's copy of the channel.
type chainInfo struct {
	Height           uint64 `json:"height"`
	CurrentBlockHash string `json:"currentBlockHash"`
}

// peerChainInfo asks the peer of org target for its block height and last block hash.
func peerChainInfo(t *testing.T, target string) (chainInfo, error) {
	t.Helper()
	out, err := peerCLI(peerEnv(t, target, "admin", target), "channel", "getinfo", "-c", "receivables")
	if err != nil {
		return chainInfo{}, err
	}
	_, js, ok := strings.Cut(out, "Blockchain info: ")
	if !ok {
		return chainInfo{}, fmt.Errorf("getinfo: %s", out)
	}
	var info chainInfo
	err = json.Unmarshal([]byte(strings.TrimSpace(js)), &info)
	return info, err
}

// heightOf parses a height column of docker.sh status ("-" when unknown).
func heightOf(s string) uint64 {
	n, _ := strconv.ParseUint(s, 10, 64)
	return n
}

// metric reads one Prometheus sample (series written exactly as exposed, with its labels) from
// a node's operations endpoint over TLS with a client certificate.
func metric(caFile, certFile, keyFile, url, series string) (float64, error) {
	pemBytes, err := os.ReadFile(caFile)
	if err != nil {
		return 0, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pemBytes)
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return 0, err
	}
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
		RootCAs: pool, Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}}}
	resp, err := hc.Get(url)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("%s: %s", url, resp.Status)
	}
	for _, line := range strings.Split(string(body), "\n") {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			return strconv.ParseFloat(strings.Fields(rest)[0], 64)
		}
	}
	return 0, fmt.Errorf("%s: no sample %s", url, series)
}

// eventually reads the receivable through c until cond holds: a gateway waits for a write's
// commit on its own org's peer only, and another org's peer may be a block behind for a moment.
func (c *client) eventually(t *testing.T, id string, cond func(receivable) bool) receivable {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := c.get(t, id)
		if cond(got) || time.Now().After(deadline) {
			return got
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// eventuallyRecv runs the CLI until its output satisfies cond (or 10 s passed) and returns it.
func eventuallyRecv(t *testing.T, cond func(string) bool, args ...string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		out := mustRecv(t, nil, args...)
		if cond(out) || time.Now().After(deadline) {
			return out
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// settledChain waits until the peers of orgs report the same height and last block hash, and
// returns it.
func settledChain(t *testing.T, orgs ...string) chainInfo {
	t.Helper()
	deadline := time.Now().Add(catchUpTimeout)
	for {
		infos := map[chainInfo][]string{}
		var errs []error
		for _, org := range orgs {
			info, err := peerChainInfo(t, org)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			infos[info] = append(infos[info], org)
		}
		if len(errs) == 0 && len(infos) == 1 {
			for info := range infos {
				return info
			}
		}
		require.True(t, time.Now().Before(deadline), "peers %v do not agree after %s: %v %v", orgs, catchUpTimeout, infos, errs)
		time.Sleep(300 * time.Millisecond)
	}
}

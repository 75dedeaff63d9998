package docker_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/gateway/network"
	"github.com/recv-ledger/recv/test/internal/restclient"
)

// desc reads the host's view of the compose network: gateways, peers and orderers on their
// published 127.0.0.1 ports, identities under the state folder.
func desc(t *testing.T) *network.Description {
	t.Helper()
	d, err := network.Load(filepath.Join(netDir, "network.json"))
	require.NoError(t, err)
	return d
}

// The REST client, the JSON shapes and the CLI runner are shared with the other suites.
type (
	client     = restclient.Client
	response   = restclient.Response
	committed  = restclient.Committed
	receivable = restclient.Receivable
)

func as(t *testing.T, account string) *client { return restclient.As(t, netDir, account) }

var (
	randomHex = restclient.RandomHex
	uniqueID  = restclient.UniqueID
	issueBody = restclient.IssueBody
	today     = restclient.Today
	inDays    = restclient.InDays
)

// recv runs the CLI binary with RECV_NET_DIR set and returns its exit code and output.
func recv(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return restclient.CLI{Bin: recvBin, NetDir: netDir}.Run(t, args...)
}

// mustRecv runs the CLI and requires exit code 0; with -o json it decodes stdout into out.
func mustRecv(t *testing.T, out any, args ...string) string {
	t.Helper()
	return restclient.CLI{Bin: recvBin, NetDir: netDir}.Must(t, out, args...)
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
func eventually(t *testing.T, c *client, id string, cond func(receivable) bool) receivable {
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

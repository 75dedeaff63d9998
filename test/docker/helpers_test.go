package docker_test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/test/internal/gwtest"
)

// as is a REST client of the gateway container of account's organisation.
func as(t *testing.T, account string) *gwtest.Client { return gwtest.As(t, nw.Dir, account) }

var (
	uniqueID  = gwtest.UniqueID
	issueBody = gwtest.IssueBody
	inDays    = gwtest.InDays
)

// compose runs `scripts/docker.sh compose ARGS...` (the suite's project and settings).
func compose(t *testing.T, args ...string) {
	t.Helper()
	out, err := nw.Script(append([]string{"compose"}, args...)...)
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
	out, _ := nw.Script("status")
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

// peerEnv is the environment of the peer CLI on this host as user of org, pointed at the peer
// of org target.
func peerEnv(t *testing.T, org, user, target string) []string {
	t.Helper()
	env, err := nw.PeerEnv(org, user, target)
	require.NoError(t, err)
	return env
}

// chainInfo is what `peer channel getinfo` says about a peer's copy of the channel.
type chainInfo struct {
	Height           uint64 `json:"height"`
	CurrentBlockHash string `json:"currentBlockHash"`
}

// peerChainInfo asks the peer of org target for its block height and last block hash.
func peerChainInfo(t *testing.T, target string) (chainInfo, error) {
	t.Helper()
	out, err := nw.Peer(peerEnv(t, target, "admin", target), "channel", "getinfo", "-c", "receivables")
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

package monitor

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Bounds of the live test. NodeDown fires after 30 s of failed scrapes (alerts.yml); with a 10 s
// scrape and evaluation interval it reaches Alertmanager 30-55 s after the kill.
const (
	targetsUpBound = 60 * time.Second
	alertBound     = 90 * time.Second
	resolveBound   = 60 * time.Second
)

func offset(t *testing.T) int {
	t.Helper()
	s := os.Getenv("RECV_PORT_OFFSET")
	if s == "" {
		return 5000
	}
	v, err := strconv.Atoi(s)
	require.NoError(t, err)
	return v
}

func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	resp, err := http.Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", u, body)
	require.NoError(t, json.Unmarshal(body, v), "%s", body)
}

type target struct {
	Labels    map[string]string `json:"labels"`
	Health    string            `json:"health"`
	LastError string            `json:"lastError"`
}

func targets(t *testing.T, prom string) []target {
	var r struct {
		Data struct {
			ActiveTargets []target `json:"activeTargets"`
		} `json:"data"`
	}
	getJSON(t, prom+"/api/v1/targets?state=active", &r)
	return r.Data.ActiveTargets
}

// query is an instant query's result: each series' labels and value.
func query(t *testing.T, prom, expr string) map[string]string {
	var r struct {
		Data struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	getJSON(t, prom+"/api/v1/query?query="+url.QueryEscape(expr), &r)
	out := map[string]string{}
	for _, s := range r.Data.Result {
		key := s.Metric["node"]
		if key == "" {
			key = s.Metric["file"] + s.Metric["mountpoint"]
		}
		out[key] = fmt.Sprint(s.Value[1])
	}
	return out
}

// nodeDown is the state of Alertmanager's NodeDown alert for node: "" when it has none active.
func nodeDown(t *testing.T, am, node string) string {
	var alerts []struct {
		Labels map[string]string `json:"labels"`
		Status struct {
			State string `json:"state"`
		} `json:"status"`
		EndsAt time.Time `json:"endsAt"`
	}
	getJSON(t, am+"/api/v2/alerts", &alerts)
	for _, a := range alerts {
		if a.Labels["alertname"] == "NodeDown" && a.Labels["node"] == node && a.EndsAt.After(time.Now()) {
			return a.Status.State
		}
	}
	return ""
}

func monitorScript(t *testing.T, verb string) string {
	t.Helper()
	out, err := nw.Command(filepath.Join(nw.Root, "scripts", "monitor.sh"), verb).CombinedOutput()
	require.NoError(t, err, "monitor.sh %s: %s", verb, out)
	return string(out)
}

// The monitoring sees the whole network, and a peer that stops is an alert in Alertmanager within
// the bound, resolved once the peer is back.
func TestMonitoring_APeerDownIsAnAlertAndResolvedAfterRestart(t *testing.T) {
	off := offset(t)
	prom := fmt.Sprintf("http://127.0.0.1:%d", 9090+off)
	am := fmt.Sprintf("http://127.0.0.1:%d", 9093+off)

	started := time.Now()
	t.Cleanup(func() {
		monitorScript(t, "down")
		require.NotContains(t, monitorScript(t, "status"), "running", "monitor.sh down stops every process it started")
	})
	out := monitorScript(t, "up")
	require.Contains(t, out, "monitoring up")
	t.Logf("monitor.sh up: every process ready in %s", time.Since(started).Round(100*time.Millisecond))
	// Running it again is safe: nothing new starts, Prometheus reloads its configuration.
	require.Contains(t, monitorScript(t, "up"), "configuration reloaded")

	// Every node of network.json is a target, scraped with its credentials, and answers.
	var want []string
	for _, o := range nw.Desc.Orgs {
		want = append(want, "peer/"+o.Peer.Name, "gateway/gateway."+o.Name, "ca/ca."+o.Name)
	}
	for _, o := range nw.Desc.Orderers {
		want = append(want, "orderer/"+o.Name)
	}
	want = append(want, "ca/ca.orderer", "node/", "prometheus/", "alertmanager/")
	sort.Strings(want)
	var got, down []string
	require.Eventually(t, func() bool {
		got, down = nil, nil
		for _, tg := range targets(t, prom) {
			id := tg.Labels["job"] + "/" + tg.Labels["node"]
			got = append(got, id)
			if tg.Health != "up" {
				down = append(down, id+": "+tg.Health+" "+tg.LastError)
			}
		}
		sort.Strings(got)
		return len(down) == 0 && strings.Join(got, " ") == strings.Join(want, " ")
	}, targetsUpBound, time.Second, "targets %v, want %v; not up: %v", got, want, down)
	t.Logf("every target up %s after monitor.sh up: %d targets", time.Since(started).Round(time.Second), len(got))

	// What the alerts read is there: each peer's and orderer's height, each CA's probe, each
	// gateway's beacon metrics, the state folder's filesystem, the certificates' expiry.
	require.Len(t, query(t, prom, `ledger_blockchain_height{job=~"peer|orderer"}`), len(nw.Desc.Orgs)+len(nw.Desc.Orderers))
	probes := query(t, prom, `probe_success{job="ca"} == 1`)
	require.Len(t, probes, len(nw.Desc.Orgs)+1, "every CA's /healthz probe succeeds: %v", probes)
	require.Len(t, query(t, prom, `recv_gateway_beacon_interval_seconds`), len(nw.Desc.Orgs))
	require.Len(t, query(t, prom, `node_filesystem_avail_bytes{state_folder="true"}`), 1)
	// The certificates' expiry is written by monitor.sh's loop, a few seconds after it starts.
	var certs, expiring map[string]string
	require.Eventually(t, func() bool {
		certs = query(t, prom, `recv_certificate_expiry_timestamp_seconds`)
		return len(certs) > 20
	}, targetsUpBound, time.Second, "the certificates of the state folder: %v", certs)
	expiring = query(t, prom, `recv_certificate_expiry_timestamp_seconds - time() < 30 * 86400`)
	require.Empty(t, expiring, "none of a new network's %d certificates expires within 30 days", len(certs))
	require.Empty(t, query(t, prom, `ALERTS{alertname="NodeDown"}`), "no node down before the kill")

	// A peer stops.
	require.NoError(t, nw.Signal("peer0.bank2", "KILL"))
	killed := time.Now()
	require.Eventually(t, func() bool { return nodeDown(t, am, "peer0.bank2") == "active" }, alertBound, time.Second,
		"Alertmanager has no active NodeDown for peer0.bank2 %s after the kill", alertBound)
	toAlert := time.Since(killed)
	t.Logf("time to alert: NodeDown for peer0.bank2 active in Alertmanager %s after the kill", toAlert.Round(time.Second))
	require.Empty(t, nodeDownOthers(t, am, "peer0.bank2"), "only the killed peer is down")

	// The dashboard shows it.
	resp, err := http.Get(prom + "/consoles/recv.html")
	require.NoError(t, err)
	page, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", page)
	require.Regexp(t, `peer0\.bank2</td><td>bank2</td><td>peer</td>\s*<td><span class="text-danger">DOWN`, string(page))
	require.Contains(t, string(page), "NodeDown")

	// Back up: resolved.
	restart := time.Now()
	require.NoError(t, nw.Restart("peer0.bank2"))
	answers := time.Now()
	require.Eventually(t, func() bool { return nodeDown(t, am, "peer0.bank2") == "" }, resolveBound, time.Second,
		"NodeDown for peer0.bank2 still active %s after the restart", resolveBound)
	t.Logf("time to resolve: NodeDown for peer0.bank2 gone from Alertmanager %s after the restart began, %s after the peer answered",
		time.Since(restart).Round(time.Second), time.Since(answers).Round(time.Second))
}

// nodeDownOthers lists the nodes other than node with an active NodeDown.
func nodeDownOthers(t *testing.T, am, node string) []string {
	var alerts []struct {
		Labels map[string]string `json:"labels"`
		EndsAt time.Time         `json:"endsAt"`
	}
	getJSON(t, am+"/api/v2/alerts", &alerts)
	var out []string
	for _, a := range alerts {
		if a.Labels["alertname"] == "NodeDown" && a.Labels["node"] != node && a.EndsAt.After(time.Now()) {
			out = append(out, a.Labels["node"])
		}
	}
	return out
}

// Package rules checks the monitoring's configuration without a network: the alert rules of
// network/monitor/alerts.yml against their unit tests (promtool test rules), and the Prometheus
// configuration scripts/monitor.sh generates from a network.json (promtool check config, and a
// scrape job for every node of every organisation, one added after the first five included).
//
// promtool comes from Debian's prometheus package, which scripts/monitor.sh installs (`make
// monitor`; scripts/test.sh installs it before the unit tests). Outside CI a machine without it
// skips these tests with that message; in CI (CI=true) a missing promtool is a failure.
package rules

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/test/internal/testnet"
)

func promtool(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("promtool is missing in CI: scripts/test.sh installs it (scripts/monitor.sh install)")
		}
		t.Skip("promtool is missing: `scripts/monitor.sh install` installs Debian's prometheus package")
	}
	return path
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := testnet.FindRoot()
	require.NoError(t, err)
	return root
}

// Every alert rule behaves as alerts_test.yml says: fires after its bound with the labels and
// summary given, and not before, nor on the healthy series beside it.
func TestAlertRules_PassTheirUnitTests(t *testing.T) {
	tool := promtool(t)
	dir := filepath.Join(repoRoot(t), "network", "monitor")
	out, err := exec.Command(tool, "check", "rules", filepath.Join(dir, "alerts.yml")).CombinedOutput()
	require.NoError(t, err, "%s", out)
	cmd := exec.Command(tool, "test", "rules", "alerts_test.yml")
	cmd.Dir = dir
	out, err = cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "SUCCESS")
}

// org is a fixture organisation: short name, MSP ID, index for its ports.
type org struct {
	name, msp string
	i         int
}

// fixture writes a state folder with what scripts/monitor.sh reads: network.json (five
// organisations and bank3, which joined later, three orderers), the operators' pairs, the CAs'
// configurations with their operations listeners and TLS certificates, the gateways' admin tokens.
func fixture(t *testing.T, orgs []org) string {
	t.Helper()
	net := t.TempDir()
	write := func(rel, content string) string {
		p := filepath.Join(net, rel)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o700))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
		return p
	}
	type peer struct {
		Name       string `json:"name"`
		Address    string `json:"address"`
		ServerName string `json:"serverName"`
		TLSCACert  string `json:"tlsCACert"`
		Operations string `json:"operations"`
	}
	type gw struct {
		Address string `json:"address"`
	}
	type orgJSON struct {
		Name    string `json:"name"`
		Peer    peer   `json:"peer"`
		Gateway gw     `json:"gateway"`
	}
	type orderer struct {
		Name       string `json:"name"`
		Address    string `json:"address"`
		ServerName string `json:"serverName"`
		TLSCACert  string `json:"tlsCACert"`
		Operations string `json:"operations"`
	}
	desc := struct {
		Channel   string             `json:"channel"`
		Chaincode string             `json:"chaincode"`
		Orderers  []orderer          `json:"orderers"`
		Orgs      map[string]orgJSON `json:"orgs"`
	}{Channel: "receivables", Chaincode: "receivables", Orgs: map[string]orgJSON{}}
	ordererCA := write("orgs/orderer/ca/ca-cert.pem", "cert")
	for i := range 3 {
		desc.Orderers = append(desc.Orderers, orderer{Name: fmt.Sprintf("orderer%d", i+1), Address: fmt.Sprintf("127.0.0.1:%d", 7050+10*i),
			ServerName: fmt.Sprintf("orderer%d.orderer.recv.local", i+1), TLSCACert: ordererCA, Operations: fmt.Sprintf("127.0.0.1:%d", 8443+i)})
	}
	all := append([]org{{name: "orderer", i: 5}}, orgs...)
	for _, o := range all {
		write("orgs/"+o.name+"/ops/operator/cert.pem", "cert")
		write("orgs/"+o.name+"/ops/operator/key.pem", "key")
		write("orgs/"+o.name+"/ca/ops-tls/cert.pem", "cert")
		write("orgs/"+o.name+"/ca/fabric-ca-server-config.yaml", fmt.Sprintf("port: %d\noperations:\n  listenAddress: 127.0.0.1:%d\n  tls:\n    enabled: true\n", 7054+100*o.i, 9641+o.i))
		if o.msp == "" {
			continue
		}
		write("gateways/"+o.name+"/tokens/admin.token", "token")
		desc.Orgs[o.msp] = orgJSON{Name: o.name,
			Peer: peer{Name: "peer0." + o.name, Address: fmt.Sprintf("127.0.0.1:%d", 7051+100*o.i), ServerName: "peer0." + o.name + ".recv.local",
				TLSCACert: write("orgs/"+o.name+"/ca/ca-cert.pem", "cert"), Operations: fmt.Sprintf("127.0.0.1:%d", 9541+o.i)},
			Gateway: gw{Address: fmt.Sprintf("127.0.0.1:%d", 8801+o.i)}}
	}
	raw, err := json.MarshalIndent(desc, "", "  ")
	require.NoError(t, err)
	write("network.json", string(raw))
	return net
}

// scripts/monitor.sh writes a prometheus.yml that promtool accepts, with a scrape job for every
// peer's and orderer's operations endpoint (the operator's pair of the node's organisation, the
// node's TLS CA and server name), every gateway's /metrics (its admin's token file) and every
// CA's /healthz through blackbox-exporter, an organisation added after the first five included,
// and a blackbox module per CA.
func TestMonitorConfig_ScrapesEveryNodeOfNetworkJSON(t *testing.T) {
	promtool(t)
	orgs := []org{{"core", "CoreMSP", 0}, {"supplier", "SupplierMSP", 1}, {"bank1", "Bank1MSP", 2},
		{"bank2", "Bank2MSP", 3}, {"auditor", "AuditorMSP", 4}, {"bank3", "Bank3MSP", 6}}
	net := fixture(t, orgs)
	cmd := exec.Command(filepath.Join(repoRoot(t), "scripts", "monitor.sh"), "config")
	cmd.Env = append(os.Environ(), "RECV_NET_DIR="+net, "RECV_PORT_OFFSET=1000")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "checked by promtool")

	raw, err := os.ReadFile(filepath.Join(net, "monitor", "prometheus.yml"))
	require.NoError(t, err)
	cfg := string(raw)
	job := func(name string) string {
		start := strings.Index(cfg, "  - job_name: \""+name+"\"\n")
		require.GreaterOrEqual(t, start, 0, "no scrape job %s in\n%s", name, cfg)
		end := strings.Index(cfg[start+1:], "  - job_name:")
		if end < 0 {
			return cfg[start:]
		}
		return cfg[start : start+1+end]
	}
	for _, o := range orgs {
		j := job("peer/peer0." + o.name)
		require.Contains(t, j, fmt.Sprintf(`targets: ["127.0.0.1:%d"]`, 9541+o.i))
		require.Contains(t, j, "scheme: https")
		require.Contains(t, j, fmt.Sprintf(`cert_file: "%s/orgs/%s/ops/operator/cert.pem"`, net, o.name))
		require.Contains(t, j, fmt.Sprintf(`ca_file: "%s/orgs/%s/ca/ca-cert.pem"`, net, o.name))
		require.Contains(t, j, fmt.Sprintf(`server_name: "peer0.%s.recv.local"`, o.name))
		require.Contains(t, j, `replacement: "peer"`)

		j = job("gateway/gateway." + o.name)
		require.Contains(t, j, fmt.Sprintf(`targets: ["127.0.0.1:%d"]`, 8801+o.i))
		require.Contains(t, j, fmt.Sprintf(`credentials_file: "%s/gateways/%s/tokens/admin.token"`, net, o.name))
		require.Contains(t, j, "scheme: http\n")

		j = job("ca/ca." + o.name)
		require.Contains(t, j, fmt.Sprintf(`targets: ["https://127.0.0.1:%d/healthz"]`, 9641+o.i))
		require.Contains(t, j, `replacement: "127.0.0.1:10115"`, "blackbox-exporter on 9115 + the offset")
	}
	for i := range 3 {
		j := job(fmt.Sprintf("orderer/orderer%d", i+1))
		require.Contains(t, j, fmt.Sprintf(`targets: ["127.0.0.1:%d"]`, 8443+i))
		require.Contains(t, j, fmt.Sprintf(`cert_file: "%s/orgs/orderer/ops/operator/cert.pem"`, net))
		require.Contains(t, j, fmt.Sprintf(`server_name: "orderer%d.orderer.recv.local"`, i+1))
	}
	job("ca/ca.orderer")
	require.Contains(t, cfg, `targets: ["127.0.0.1:10093"]`, "Alertmanager on 9093 + the offset")
	require.Contains(t, cfg, filepath.Join(repoRoot(t), "network", "monitor", "alerts.yml"))

	bb, err := os.ReadFile(filepath.Join(net, "monitor", "blackbox.yml"))
	require.NoError(t, err)
	for _, o := range append(orgs, org{name: "orderer"}) {
		require.Contains(t, string(bb), fmt.Sprintf(`"ca_%s":`, o.name))
		require.Contains(t, string(bb), fmt.Sprintf(`ca_file: "%s/orgs/%s/ca/ops-tls/cert.pem"`, net, o.name))
	}
}

package security

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
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// opsClient is an HTTPS client that trusts caFile and, when certFile is set, presents that TLS
// client certificate.
func opsClient(t *testing.T, caFile, certFile, keyFile string) *http.Client {
	t.Helper()
	pem, err := os.ReadFile(caFile)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(pem), "no certificate in %s", caFile)
	cfg := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if certFile != "" {
		pair, err := tls.LoadX509KeyPair(certFile, keyFile)
		require.NoError(t, err)
		cfg.Certificates = []tls.Certificate{pair}
	}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg, DisableKeepAlives: true}}
}

// call does METHOD https://addr/path with body; the status, or an error when the TLS handshake or
// the connection failed.
func call(c *http.Client, method, addr, path, body string) (int, string, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, "https://"+addr+path, rd)
	if err != nil {
		return 0, "", err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

// refused: the endpoint did not serve the call (the TLS handshake failed, or 401/403).
func refused(t *testing.T, what string, code int, body string, err error) {
	t.Helper()
	if err != nil {
		t.Logf("%s: refused at the connection: %v", what, err)
		return
	}
	require.Contains(t, []int{http.StatusUnauthorized, http.StatusForbidden}, code, "%s was served: %d %s", what, code, body)
}

// userTLS is the TLS pair of an identity: its TLS client certificate (users/NAME/tls) when it has
// one, else its enrollment certificate, which its organisation's CA signed as well.
func userTLS(t *testing.T, mspID, name string) (cert, key string) {
	t.Helper()
	u, ok := nw.Desc.Orgs[mspID].Users[name]
	require.True(t, ok, "no user %s/%s in network.json", mspID, name)
	tlsDir := filepath.Join(filepath.Dir(filepath.Dir(filepath.Dir(u.Cert))), "tls")
	if _, err := os.Stat(filepath.Join(tlsDir, "cert.pem")); err == nil {
		return filepath.Join(tlsDir, "cert.pem"), filepath.Join(tlsDir, "key.pem")
	}
	return u.Cert, u.Key
}

// A supplier's user (and the supplier's admin) cannot read a bank's peer's metrics or change its
// log level; the bank's own admin can, and /healthz needs no certificate at all.
func TestOperations_OnlyTheNodesOwnOrganisation(t *testing.T) {
	bank := nw.Desc.Orgs["Bank1MSP"].Peer
	require.NotEmpty(t, bank.Operations, "network.json names no operations endpoint of Bank1MSP's peer")

	anon := opsClient(t, bank.TLSCACert, "", "")
	code, body, err := call(anon, http.MethodGet, bank.Operations, "/healthz", "")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, code, "/healthz stays open: %s", body)
	code, body, err = call(anon, http.MethodGet, bank.Operations, "/metrics", "")
	refused(t, "GET /metrics without a certificate", code, body, err)

	for _, name := range []string{"supplier-a", "admin"} {
		cert, key := userTLS(t, "SupplierMSP", name)
		other := opsClient(t, bank.TLSCACert, cert, key)
		code, body, err := call(other, http.MethodGet, bank.Operations, "/metrics", "")
		refused(t, "GET /metrics as SupplierMSP/"+name, code, body, err)
		require.NotContains(t, body, "ledger_blockchain_height")
		code, body, err = call(other, http.MethodPut, bank.Operations, "/logspec", `{"spec":"debug"}`)
		refused(t, "PUT /logspec as SupplierMSP/"+name, code, body, err)
	}

	cert, key := userTLS(t, "Bank1MSP", "admin")
	own := opsClient(t, bank.TLSCACert, cert, key)
	code, body, err = call(own, http.MethodGet, bank.Operations, "/metrics", "")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, code, body)
	require.Contains(t, body, "ledger_blockchain_height")

	// The supplier's attempts changed nothing; the bank's admin changes the level and sets it back.
	code, body, err = call(own, http.MethodGet, bank.Operations, "/logspec", "")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, code, body)
	var spec struct {
		Spec string `json:"spec"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &spec))
	require.NotEmpty(t, spec.Spec)
	require.NotContains(t, spec.Spec, "debug", "a refused PUT /logspec changed the peer's log level")
	setSpec := func(s string) {
		b, _ := json.Marshal(map[string]string{"spec": s})
		code, body, err := call(own, http.MethodPut, bank.Operations, "/logspec", string(b))
		require.NoError(t, err)
		require.Equal(t, http.StatusNoContent, code, body)
	}
	const probe = "gossip=warn:info"
	setSpec(probe)
	t.Cleanup(func() { setSpec(spec.Spec) })
	code, body, err = call(own, http.MethodGet, bank.Operations, "/logspec", "")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, code, body)
	require.Contains(t, body, probe)
}

// An orderer's operations endpoint serves /metrics to the orderer organisation's certificates only:
// a bank's admin is refused.
func TestOperations_OrdererOnlyTheOrdererOrganisation(t *testing.T) {
	var desc struct {
		Orderers []struct {
			Name       string `json:"name"`
			TLSCACert  string `json:"tlsCACert"`
			Operations string `json:"operations"`
		} `json:"orderers"`
	}
	data, err := os.ReadFile(filepath.Join(nw.Dir, "network.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &desc))
	require.NotEmpty(t, desc.Orderers)
	o := desc.Orderers[0]
	require.NotEmpty(t, o.Operations)

	cert, key := userTLS(t, "Bank1MSP", "admin")
	code, body, err := call(opsClient(t, o.TLSCACert, cert, key), http.MethodGet, o.Operations, "/metrics", "")
	refused(t, "GET /metrics of "+o.Name+" as Bank1MSP/admin", code, body, err)
	code, body, err = call(opsClient(t, o.TLSCACert, cert, key), http.MethodPut, o.Operations, "/logspec", `{"spec":"debug"}`)
	refused(t, "PUT /logspec of "+o.Name+" as Bank1MSP/admin", code, body, err)

	admin := filepath.Join(nw.Dir, "orgs", "orderer", "users", "admin", "tls")
	code, body, err = call(opsClient(t, o.TLSCACert, filepath.Join(admin, "cert.pem"), filepath.Join(admin, "key.pem")),
		http.MethodGet, o.Operations, "/metrics", "")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, code, body)
	require.Contains(t, body, "consensus_etcdraft")
}

var listenAddress = regexp.MustCompile(`(?m)^operations:\s*\n\s+listenAddress:\s*(\S+)`)

// Every CA's operations endpoint answers plain HTTP with a refusal and serves /healthz over TLS
// (with the key pair in the CA's ops-tls/).
func TestCAOperations_TLSOnly(t *testing.T) {
	names := []string{"orderer"}
	for _, org := range nw.Desc.Orgs {
		names = append(names, org.Name)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			home := filepath.Join(nw.Dir, "orgs", name, "ca")
			cfg, err := os.ReadFile(filepath.Join(home, "fabric-ca-server-config.yaml"))
			require.NoError(t, err)
			m := listenAddress.FindSubmatch(cfg)
			require.NotNil(t, m, "no operations listenAddress in the CA's config")
			addr := string(m[1])

			plain := &http.Client{Timeout: 10 * time.Second}
			resp, err := plain.Get("http://" + addr + "/healthz")
			if err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				require.NotEqual(t, http.StatusOK, resp.StatusCode, "plain HTTP served: %s", b)
				require.False(t, bytes.Contains(b, []byte(`"status"`)), "plain HTTP served the health: %s", b)
			}

			code, body, err := call(opsClient(t, filepath.Join(home, "ops-tls", "cert.pem"), "", ""), http.MethodGet, addr, "/healthz", "")
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, code, body)
		})
	}
}

// Nothing under the state folder (keys, CA databases, ledgers, logs, tokens, configuration) is
// readable, writable or searchable by group or others.
func TestStateFolder_OwnerOnly(t *testing.T) {
	var open []string
	n := 0
	err := filepath.WalkDir(nw.Dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) { // a file a node removed meanwhile
				return nil
			}
			return err
		}
		if d.Type()&os.ModeSymlink != 0 {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		n++
		if perm := info.Mode().Perm(); perm&0o077 != 0 {
			open = append(open, fmt.Sprintf("%v %s", perm, path))
		}
		return nil
	})
	require.NoError(t, err)
	require.Greater(t, n, 100, "too few files under %s for a running network", nw.Dir)
	if len(open) > 20 {
		open = append(open[:20], fmt.Sprintf("... and %d more", len(open)-20))
	}
	require.Empty(t, open, "group- or other-accessible under %s (%d entries checked)", nw.Dir, n)
}

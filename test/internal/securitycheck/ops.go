package securitycheck

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/test/internal/testnet"
)

// PeerOperations: a supplier's user (and the supplier's admin) cannot read a bank's peer's
// metrics or change its log level on the peer's operations endpoint; the bank's own admin can
// (the check sets the level and sets it back), and /healthz needs no certificate at all.
func PeerOperations(t *testing.T, nw *testnet.Network) {
	bank := nw.Desc.Orgs["Bank1MSP"].Peer
	require.NotEmpty(t, bank.Operations, "network.json names no operations endpoint of Bank1MSP's peer")

	anon := opsClient(t, bank.TLSCACert, "", "")
	code, body, err := call(anon, http.MethodGet, bank.Operations, "/healthz", "")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, code, "/healthz stays open: %s", body)
	code, body, err = call(anon, http.MethodGet, bank.Operations, "/metrics", "")
	refused(t, "GET /metrics without a certificate", code, body, err)

	for _, name := range []string{"supplier-a", "admin"} {
		cert, key := userTLS(t, nw, "SupplierMSP", name)
		other := opsClient(t, bank.TLSCACert, cert, key)
		code, body, err := call(other, http.MethodGet, bank.Operations, "/metrics", "")
		refused(t, "GET /metrics as SupplierMSP/"+name, code, body, err)
		require.NotContains(t, body, "ledger_blockchain_height")
		code, body, err = call(other, http.MethodPut, bank.Operations, "/logspec", `{"spec":"debug"}`)
		refused(t, "PUT /logspec as SupplierMSP/"+name, code, body, err)
	}

	cert, key := userTLS(t, nw, "Bank1MSP", "admin")
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

// OrdererOperations: an orderer's operations endpoint serves /metrics and /logspec to the orderer
// organisation's certificates only: a bank's admin is refused, the orderer admin served.
func OrdererOperations(t *testing.T, nw *testnet.Network) {
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

	cert, key := userTLS(t, nw, "Bank1MSP", "admin")
	code, body, err := call(opsClient(t, o.TLSCACert, cert, key), http.MethodGet, o.Operations, "/metrics", "")
	refused(t, "GET /metrics of "+o.Name+" as Bank1MSP/admin", code, body, err)
	code, body, err = call(opsClient(t, o.TLSCACert, cert, key), http.MethodPut, o.Operations, "/logspec", `{"spec":"debug"}`)
	refused(t, "PUT /logspec of "+o.Name+" as Bank1MSP/admin", code, body, err)

	adminCert, adminKey := ordererAdminTLS(nw)
	code, body, err = call(opsClient(t, o.TLSCACert, adminCert, adminKey), http.MethodGet, o.Operations, "/metrics", "")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, code, body)
	require.Contains(t, body, "consensus_etcdraft")
}

var listenAddress = regexp.MustCompile(`(?m)^operations:\s*\n\s+listenAddress:\s*(\S+)`)

// CAOperationsTLSOnly: every CA's operations endpoint answers plain HTTP with a refusal and serves
// /healthz over TLS (with the key pair in the CA's ops-tls/). Native networks only: a compose
// network does not publish the CAs' operations endpoints (its containers' health checks probe
// them over TLS inside), so the check is skipped there.
func CAOperationsTLSOnly(t *testing.T, nw *testnet.Network) {
	if nw.Kind != testnet.Native {
		t.Skip("a compose network does not publish its CAs' operations endpoints")
	}
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

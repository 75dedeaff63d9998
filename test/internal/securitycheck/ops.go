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

// PeerOperations: another organisation's certificates (a supplier's user, the supplier's admin, the
// supplier's operator) cannot read a bank's peer's metrics or change its log level on the peer's
// operations endpoint; the bank's own operator can (the check sets the level and sets it back), and
// /healthz needs no certificate at all.
func PeerOperations(t *testing.T, nw *testnet.Network) {
	bank := nw.Desc.Orgs["Bank1MSP"].Peer
	require.NotEmpty(t, bank.Operations, "network.json names no operations endpoint of Bank1MSP's peer")

	anon := opsClient(t, bank.TLSCACert, "", "")
	code, body, err := call(anon, http.MethodGet, bank.Operations, "/healthz", "")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, code, "/healthz stays open: %s", body)
	code, body, err = call(anon, http.MethodGet, bank.Operations, "/metrics", "")
	refused(t, "GET /metrics without a certificate", code, body, err)

	supplierCert, supplierKey := userTLS(t, nw, "SupplierMSP", "supplier-a")
	adminCert, adminKey := userTLS(t, nw, "SupplierMSP", "admin")
	opCert, opKey := operatorTLS(t, nw, "SupplierMSP")
	for _, who := range []struct{ name, cert, key string }{
		{"supplier-a", supplierCert, supplierKey}, {"admin", adminCert, adminKey}, {"operator", opCert, opKey},
	} {
		other := opsClient(t, bank.TLSCACert, who.cert, who.key)
		code, body, err := call(other, http.MethodGet, bank.Operations, "/metrics", "")
		refused(t, "GET /metrics as SupplierMSP/"+who.name, code, body, err)
		require.NotContains(t, body, "ledger_blockchain_height")
		code, body, err = call(other, http.MethodPut, bank.Operations, "/logspec", `{"spec":"debug"}`)
		refused(t, "PUT /logspec as SupplierMSP/"+who.name, code, body, err)
	}

	own := operatorClient(t, nw, "Bank1MSP", bank.TLSCACert)
	code, body, err = call(own, http.MethodGet, bank.Operations, "/metrics", "")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, code, body)
	require.Contains(t, body, "ledger_blockchain_height")

	// The supplier's attempts changed nothing; the bank's operator changes the level and sets it back.
	spec := logSpec(t, own, bank.Operations)
	require.NotContains(t, spec, "debug", "a refused PUT /logspec changed the peer's log level")
	setSpec := func(s string) {
		b, _ := json.Marshal(map[string]string{"spec": s})
		code, body, err := call(own, http.MethodPut, bank.Operations, "/logspec", string(b))
		require.NoError(t, err)
		require.Equal(t, http.StatusNoContent, code, body)
	}
	const probe = "gossip=warn:info"
	setSpec(probe)
	t.Cleanup(func() { setSpec(spec) })
	require.Equal(t, probe, logSpec(t, own, bank.Operations))
}

// PeerOperationsOnlyTheOperator: a bank's own peer refuses the certificates its own CA issued to the
// bank's people, an ordinary user's (the officer's enrollment certificate) and the admin's TLS pair,
// on /metrics and /logspec (a PUT leaves the level as it was); it serves the bank's operator's
// certificate, the one leaf of the bank's operations CA (GET /logspec 200).
func PeerOperationsOnlyTheOperator(t *testing.T, nw *testnet.Network) {
	bank := nw.Desc.Orgs["Bank1MSP"].Peer
	require.NotEmpty(t, bank.Operations, "network.json names no operations endpoint of Bank1MSP's peer")
	operator := operatorClient(t, nw, "Bank1MSP", bank.TLSCACert)
	before := logSpec(t, operator, bank.Operations)

	for _, name := range []string{"officer", "admin"} {
		cert, key := userTLS(t, nw, "Bank1MSP", name)
		user := opsClient(t, bank.TLSCACert, cert, key)
		code, body, err := call(user, http.MethodPut, bank.Operations, "/logspec", `{"spec":"debug"}`)
		refused(t, "PUT /logspec of its own peer as Bank1MSP/"+name, code, body, err)
		code, body, err = call(user, http.MethodGet, bank.Operations, "/logspec", "")
		refused(t, "GET /logspec of its own peer as Bank1MSP/"+name, code, body, err)
		code, body, err = call(user, http.MethodGet, bank.Operations, "/metrics", "")
		refused(t, "GET /metrics of its own peer as Bank1MSP/"+name, code, body, err)
		require.NotContains(t, body, "ledger_blockchain_height")
	}

	require.Equal(t, before, logSpec(t, operator, bank.Operations), "a refused PUT /logspec changed the peer's log level")
}

// OrdererOperations: an orderer's operations endpoint serves /metrics and /logspec to the orderer
// organisation's operator only: a bank's admin and operator are refused, and so is the orderer
// organisation's admin (a certificate of its CA, not of its operations CA); the operator is served.
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

	bankCert, bankKey := userTLS(t, nw, "Bank1MSP", "admin")
	bankOpCert, bankOpKey := operatorTLS(t, nw, "Bank1MSP")
	adminCert, adminKey := ordererAdminTLS(nw)
	for _, who := range []struct{ name, cert, key string }{
		{"Bank1MSP/admin", bankCert, bankKey}, {"Bank1MSP/operator", bankOpCert, bankOpKey}, {"OrdererMSP/admin", adminCert, adminKey},
	} {
		c := opsClient(t, o.TLSCACert, who.cert, who.key)
		code, body, err := call(c, http.MethodGet, o.Operations, "/metrics", "")
		refused(t, "GET /metrics of "+o.Name+" as "+who.name, code, body, err)
		code, body, err = call(c, http.MethodPut, o.Operations, "/logspec", `{"spec":"debug"}`)
		refused(t, "PUT /logspec of "+o.Name+" as "+who.name, code, body, err)
	}

	operator := operatorClient(t, nw, "OrdererMSP", o.TLSCACert)
	code, body, err := call(operator, http.MethodGet, o.Operations, "/metrics", "")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, code, body)
	require.Contains(t, body, "consensus_etcdraft")
	require.NotContains(t, logSpec(t, operator, o.Operations), "debug", "a refused PUT /logspec changed the orderer's log level")
}

// logSpec is the node's log level (GET /logspec), read with c, which the node must serve.
func logSpec(t *testing.T, c *http.Client, addr string) string {
	t.Helper()
	code, body, err := call(c, http.MethodGet, addr, "/logspec", "")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, code, body)
	var spec struct {
		Spec string `json:"spec"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &spec))
	require.NotEmpty(t, spec.Spec)
	return spec.Spec
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

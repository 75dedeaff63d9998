package api

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/fabric"
	"github.com/recv-ledger/recv/gateway/fabric/fabrictest"
)

// TestMetrics_FabricErrorsCountTheLedgersFailuresOnly: a failure of a ledger call is counted in
// recv_gateway_fabric_errors_total by kind; a request the HTTP layer refuses or fails itself
// (content type, route, authentication, identity, Idempotency-Key, user administration, the
// gateway's own journal of a request) in recv_gateway_request_problems_total by kind and stage,
// never as a Fabric error.
func TestMetrics_FabricErrorsCountTheLedgersFailuresOnly(t *testing.T) {
	type request struct {
		method, path, token, body string
		hdr                       []string
	}
	accept := request{method: "POST", path: "/v1/receivables/R-1/accept", token: "supplier-a"}
	tests := []struct {
		name     string
		ledger   *fakeLedger
		requests []request
		status   int
		fabric   map[string]float64 // kind -> count
		problems map[string]float64 // kind/stage -> count
	}{
		{name: "a refusal at endorsement is the ledger's",
			ledger:   &fakeLedger{err: &fabric.Error{Kind: wire.KindEndorse, Stage: "endorse", Message: "no peers"}},
			requests: []request{accept}, status: http.StatusBadGateway,
			fabric: map[string]float64{"endorse": 1}},
		{name: "a write without an outcome is the ledger's, pending",
			ledger:   &fakeLedger{err: &fabric.Error{Kind: wire.KindTimeout, Stage: "commit_status", TransactionID: "tx9", Message: "deadline"}},
			requests: []request{accept}, status: http.StatusAccepted,
			fabric: map[string]float64{"pending": 1}},
		{name: "an error the SDK did not classify is the ledger's",
			ledger:   &fakeLedger{err: errors.New("boom")},
			requests: []request{accept}, status: http.StatusInternalServerError,
			fabric: map[string]float64{"internal": 1}},
		{name: "no token is an authentication problem",
			ledger:   &fakeLedger{},
			requests: []request{{method: "POST", path: "/v1/receivables/R-1/accept"}}, status: http.StatusUnauthorized,
			problems: map[string]float64{"unauthenticated/auth": 1}},
		{name: "a body that is not JSON is a content-type problem",
			ledger:   &fakeLedger{},
			requests: []request{{"POST", "/v1/receivables/R-1/reject", "supplier-a", "reason=no", []string{"Content-Type", "application/x-www-form-urlencoded"}}}, status: http.StatusUnsupportedMediaType,
			problems: map[string]float64{"unsupported_media_type/request": 1}},
		{name: "an unknown route is the request's problem",
			ledger:   &fakeLedger{},
			requests: []request{{method: "GET", path: "/v1/nowhere", token: "supplier-a"}}, status: http.StatusNotFound,
			problems: map[string]float64{"no_route/request": 1}},
		{name: "a token whose identity left the wallet is an identity problem",
			ledger:   &fakeLedger{identity: map[string]*fabric.Identity{}},
			requests: []request{{method: "GET", path: "/v1/whoami", token: "supplier-a"}}, status: http.StatusForbidden,
			problems: map[string]float64{"forbidden/identity": 1}},
		{name: "user administration switched off is an admin problem",
			ledger:   &fakeLedger{},
			requests: []request{{method: "POST", path: "/v1/admin/users", token: "admin", body: `{"name":"x","role":"supplier"}`}}, status: http.StatusNotFound,
			problems: map[string]float64{"not_found/admin": 1}},
		{name: "an Idempotency-Key used for another request is the request's problem",
			ledger: &fakeLedger{},
			requests: []request{{method: "POST", path: "/v1/receivables/R-1/reject", token: "supplier-a", body: `{"reason":"a"}`},
				{method: "POST", path: "/v1/receivables/R-1/reject", token: "supplier-a", body: `{"reason":"b"}`}}, status: http.StatusBadRequest,
			problems: map[string]float64{"invalid/request": 1}},
		{name: "the gateway's journal of a request failing is the request's problem, nothing was sent",
			ledger:   &fakeLedger{err: &fabric.Error{Kind: wire.KindUnavailable, Stage: "request", Message: "unavailable: disk full"}},
			requests: []request{accept}, status: http.StatusServiceUnavailable,
			problems: map[string]float64{"unavailable/request": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.ledger.identity == nil {
				tt.ledger.identity = map[string]*fabric.Identity{"admin": fabrictest.Identity(t, "CoreMSP", "admin", "admin"),
					"supplier-a": fabrictest.Identity(t, "CoreMSP", "supplier-a", "supplier")}
			}
			s, tokens := testServer(t, tt.ledger)
			var status int
			for _, q := range tt.requests {
				status = do(t, s, q.method, q.path, tokens[q.token], q.body, append([]string{"Idempotency-Key", "k1"}, q.hdr...)...).Code
			}
			require.Equal(t, tt.status, status)
			require.Equal(t, tt.fabric, counts(t, s.metrics, "recv_gateway_fabric_errors_total"), "Fabric errors")
			require.Equal(t, tt.problems, counts(t, s.metrics, "recv_gateway_request_problems_total"), "request problems")
		})
	}
}

// counts reads one counter of m as "label values joined by /" -> value; nil when it has none.
func counts(t *testing.T, m *Metrics, name string) map[string]float64 {
	t.Helper()
	families, err := m.registry.Gather()
	require.NoError(t, err)
	var out map[string]float64
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, s := range f.GetMetric() {
			var labels []string
			for _, l := range s.GetLabel() {
				labels = append(labels, l.GetValue())
			}
			if out == nil {
				out = map[string]float64{}
			}
			out[strings.Join(labels, "/")] = s.GetCounter().GetValue()
		}
	}
	return out
}

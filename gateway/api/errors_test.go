package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/fabric"
)

// ownFailures are requests the HTTP layer refuses itself, each with its answer: status, the
// headers that go with it and the whole problem body (docs/openapi.yaml's Problem).
var ownFailures = []struct {
	name, method, path, token, body string
	header                          []string
	status                          int
	headers                         map[string]string
	problem                         string
}{
	{name: "content type", method: "POST", path: "/v1/receivables/R-1/transfer", token: "supplier-a", body: "to=x", header: []string{"Content-Type", "text/plain"},
		status: 415, problem: `{"type":"urn:recv:problem:unsupported_media_type","title":"Unsupported media type","status":415,"detail":"unsupported_media_type: send the request body as application/json, not text/plain","instance":"/v1/receivables/R-1/transfer","kind":"unsupported_media_type","stage":"request"}`},
	{name: "no token", method: "GET", path: "/v1/receivables/R-1",
		status: 401, headers: map[string]string{"WWW-Authenticate": `Bearer realm="recv"`},
		problem: `{"type":"urn:recv:problem:unauthenticated","title":"Unauthenticated","status":401,"detail":"unauthenticated: send Authorization: Bearer \u003ctoken\u003e or a client certificate of this organisation","instance":"/v1/receivables/R-1","kind":"unauthenticated","stage":"auth"}`},
	{name: "no route", method: "GET", path: "/v1/nothing", status: 404,
		problem: `{"type":"urn:recv:problem:no_route","title":"No such route","status":404,"detail":"no_route: no route GET /v1/nothing (docs/openapi.yaml lists them)","instance":"/v1/nothing","kind":"no_route","stage":"request"}`},
	{name: "method", method: "DELETE", path: "/v1/receivables/R-1", status: 405, headers: map[string]string{"Allow": "GET"},
		problem: `{"type":"urn:recv:problem:method_not_allowed","title":"Method not allowed","status":405,"detail":"method_not_allowed: /v1/receivables/R-1 answers GET, not DELETE","instance":"/v1/receivables/R-1","kind":"method_not_allowed","stage":"request"}`},
	{name: "long idempotency key", method: "POST", path: "/v1/receivables/R-1/accept", token: "supplier-a", header: []string{"Idempotency-Key", strings.Repeat("k", 201)},
		status: 400, problem: `{"type":"urn:recv:problem:invalid","title":"Invalid request","status":400,"detail":"invalid: Idempotency-Key longer than 200 characters","instance":"/v1/receivables/R-1/accept","kind":"invalid","stage":"request"}`},
	{name: "body too large", method: "POST", path: "/v1/receivables/R-1/transfer", token: "supplier-a", body: `{"to":"` + strings.Repeat("x", maxBody) + `"}`,
		status: 413, problem: `{"type":"urn:recv:problem:too_large","title":"Request too large","status":413,"detail":"request body too large or unreadable: http: request body too large","instance":"/v1/receivables/R-1/transfer","kind":"too_large","stage":"request"}`},
	{name: "no blocks relayed", method: "GET", path: "/v1/chain", token: "supplier-a", status: 404,
		problem: `{"type":"urn:recv:problem:not_found","title":"Not found","status":404,"detail":"not_found: this gateway relays no blocks","instance":"/v1/chain","kind":"not_found","stage":"request"}`},
	{name: "user administration off", method: "POST", path: "/v1/admin/users", token: "admin", body: `{"name":"x","role":"supplier"}`, status: 404,
		problem: `{"type":"urn:recv:problem:not_found","title":"Not found","status":404,"detail":"not_found: user administration is not enabled on this gateway","instance":"/v1/admin/users","kind":"not_found","stage":"admin"}`},
}

func TestProblem_TheHTTPLayersOwnFailuresKeepTheirAnswers(t *testing.T) {
	for _, tc := range ownFailures {
		t.Run(tc.name, func(t *testing.T) {
			led := &fakeLedger{}
			s, tokens := testServer(t, led)
			rec := do(t, s, tc.method, tc.path, tokens[tc.token], tc.body, tc.header...)
			require.Equal(t, tc.status, rec.Code)
			require.Equal(t, "application/problem+json", rec.Header().Get("Content-Type"))
			for k, v := range tc.headers {
				require.Equal(t, v, rec.Header().Get(k), k)
			}
			require.Equal(t, tc.problem+"\n", rec.Body.String())
			require.Empty(t, led.calls, "nothing reached the ledger")
		})
	}
}

func TestProblem_AnIdempotencyKeyReusedForAnotherRequest(t *testing.T) {
	s, tokens := testServer(t, &fakeLedger{})
	first := do(t, s, "POST", "/v1/receivables/R-1/transfer", tokens["supplier-a"], `{"to":"CoreMSP/treasurer"}`, "Idempotency-Key", "k1")
	require.Equal(t, http.StatusOK, first.Code, first.Body.String())
	rec := do(t, s, "POST", "/v1/receivables/R-1/transfer", tokens["supplier-a"], `{"to":"CoreMSP/admin"}`, "Idempotency-Key", "k1")
	require.Equal(t, http.StatusBadRequest, rec.Code)
	require.Equal(t, `{"type":"urn:recv:problem:invalid","title":"Invalid request","status":400,"detail":"invalid: this Idempotency-Key was used for a different request","instance":"/v1/receivables/R-1/transfer","kind":"invalid","stage":"request"}`+"\n", rec.Body.String())
}

func TestKindOf_AnswersTheHTTPLayersProblemsAndTheLedgersErrors(t *testing.T) {
	own := &Failure{Kind: wire.KindConflict, Stage: "admin", Message: "conflict: user x is already in the wallet"}
	require.Same(t, own, kindOf(fmt.Errorf("adding: %w", own)))
	ledger := &fabric.Error{Kind: wire.KindCommit, Stage: "commit", TransactionID: "tx9", ValidationCode: "MVCC_READ_CONFLICT", Message: "commit: MVCC"}
	got := kindOf(ledger)
	require.Equal(t, Failure{Kind: wire.KindCommit, Stage: "commit", TransactionID: "tx9", ValidationCode: "MVCC_READ_CONFLICT", Message: "commit: MVCC", Err: ledger}, *got)
	require.True(t, errors.Is(got, ledger))
	refused := kindOf(wire.Errorf(wire.KindInvalid, "amount must be positive"))
	require.Equal(t, wire.KindInvalid, refused.Kind)
	require.Equal(t, "request", refused.Stage)
	require.Equal(t, wire.KindInternal, kindOf(errors.New("boom")).Kind)
}

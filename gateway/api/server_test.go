package api

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/auth"
	"github.com/recv-ledger/recv/gateway/ca"
	"github.com/recv-ledger/recv/gateway/fabric"
)

func TestRoutes_MapToChaincodeTransactions(t *testing.T) {
	tests := []struct {
		method, path, body string
		tx                 string
		args               []string
	}{
		{"POST", "/v1/receivables", `{"id":"R-1","beneficiary":"SupplierMSP/supplier-a","amount":"10.00","maturityDate":"2027-01-01","contract":{"number":"C","sha256":"ab"},"invoices":[{"number":"I","sha256":"cd","amount":"10.00"}]}`,
			"Issue", []string{`{"id":"R-1","beneficiary":"SupplierMSP/supplier-a","amount":"10.00","maturityDate":"2027-01-01","contract":{"number":"C","sha256":"ab"},"invoices":[{"number":"I","sha256":"cd","amount":"10.00"}]}`}},
		{"POST", "/v1/receivables/R-1/accept", "", "Accept", []string{"R-1"}},
		{"POST", "/v1/receivables/R-1/reject", `{"reason":"no"}`, "Reject", []string{"R-1", "no"}},
		{"POST", "/v1/receivables/R-1/revoke", "", "Revoke", []string{"R-1"}},
		{"POST", "/v1/receivables/R-1/split", `{"parts":["6","4.00"]}`, "Split", []string{"R-1", `["6","4.00"]`}},
		{"POST", "/v1/receivables/R-1.2/transfer", `{"to":"SupplierMSP/supplier-b","amount":"1"}`, "Transfer", []string{"R-1.2", "SupplierMSP/supplier-b", "1"}},
		{"POST", "/v1/receivables/R-1.2/transfer", `{"to":"SupplierMSP/supplier-b"}`, "Transfer", []string{"R-1.2", "SupplierMSP/supplier-b", ""}},
		{"POST", "/v1/receivables/R-1/financing", `{"bank":"Bank1MSP"}`, "RequestFinancing", []string{"R-1", "Bank1MSP"}},
		{"POST", "/v1/receivables/R-1/financing/decision", `{"decision":"approved","rateBps":450}`, "DecideFinancing", []string{"R-1", "approved"}},
		{"POST", "/v1/receivables/R-1/financing/approve", `{"termsHash":"ab"}`, "ApproveFinancing", []string{"R-1", "ab", ""}},
		{"POST", "/v1/receivables/R-1/financing/approve", `{"termsHash":"ab","withoutRecourse":true}`, "ApproveFinancing", []string{"R-1", "ab", "true"}},
		{"POST", "/v1/receivables/R-1/financing/reject", `{"termsHash":"cd"}`, "RejectFinancing", []string{"R-1", "cd"}},
		{"POST", "/v1/receivables/R-1/redeem", `{"paymentRef":"TRF-1"}`, "Redeem", []string{"R-1", "TRF-1"}},
		{"POST", "/v1/roots/R-1/redeem-all", `{"paymentRef":"TRF-2"}`, "RedeemAll", []string{"R-1", "TRF-2"}},
		{"POST", "/v1/instructions/I123/confirm", "", "ConfirmInstruction", []string{"I123"}},
		{"POST", "/v1/receivables/R-1/freeze", `{"reason":"court","reference":"C-1"}`, "FreezeReceivable", []string{"R-1", "court", "C-1"}},
		{"POST", "/v1/orgs/CoreMSP/credit-line", `{"amount":"100"}`, "SetCreditLine", []string{"CoreMSP", "100"}},
		{"GET", "/v1/risk", "", "Risk", []string{"20", ""}},
		{"POST", "/v1/receivables/R-1/financing/withdraw", "", "WithdrawFinancing", []string{"R-1"}},
		{"POST", "/v1/registry", `{"orgs":[{"mspId":"CoreMSP","kind":"core","name":"Core","creditCode":"x"}],"accounts":[]}`, "InitRegistry",
			[]string{`{"orgs":[{"mspId":"CoreMSP","kind":"core","name":"Core","creditCode":"x"}],"accounts":[]}`}},
		{"POST", "/v1/accounts", `{"user":"supplier-d","role":"supplier","displayName":"D"}`, "OpenAccount", []string{`{"user":"supplier-d","role":"supplier","displayName":"D"}`}},
		{"POST", "/v1/accounts/SupplierMSP/supplier-b/freeze", `{"reason":"court order"}`, "FreezeAccount", []string{"SupplierMSP/supplier-b", "court order"}},
		{"POST", "/v1/accounts/SupplierMSP/supplier-b/unfreeze", "", "UnfreezeAccount", []string{"SupplierMSP/supplier-b"}},
		{"POST", "/v1/accounts/SupplierMSP/supplier-b/close", `{"reason":"left"}`, "CloseAccount", []string{"SupplierMSP/supplier-b", "left"}},
		{"POST", "/v1/proposals", `{"id":"P-1","action":"set-config","config":{"maxTermDays":90}}`, "CreateProposal", []string{`{"id":"P-1","action":"set-config","config":{"maxTermDays":90}}`}},
		{"POST", "/v1/proposals/P-1/approve", "", "ApproveProposal", []string{"P-1"}},
		{"GET", "/v1/proposals/P-1", "", "GetProposal", []string{"P-1"}},
		{"GET", "/v1/proposals?pageSize=5", "", "ListProposals", []string{"5", ""}},
		{"GET", "/v1/orgs", "", "ListOrgs", []string{}},
		{"GET", "/v1/orgs/Bank1MSP", "", "GetOrg", []string{"Bank1MSP"}},
		{"GET", "/v1/orgs/SupplierMSP/accounts", "", "ListAccounts", []string{"SupplierMSP", "20", ""}},
		{"GET", "/v1/accounts/SupplierMSP/supplier-a", "", "GetAccount", []string{"SupplierMSP/supplier-a"}},
		{"GET", "/v1/config", "", "GetConfig", []string{}},
		{"GET", "/v1/receivables/R-1", "", "Get", []string{"R-1"}},
		{"GET", "/v1/receivables/R-1/history", "", "History", []string{"R-1"}},
		{"GET", "/v1/receivables/R-1/terms/ab12", "", "GetTerms", []string{"R-1", "ab12"}},
		{"GET", "/v1/roots/R-1/trace", "", "Trace", []string{"R-1"}},
		{"GET", "/v1/receivables?holder=SupplierMSP/supplier-a&pageSize=5&bookmark=b", "", "ListByHolder", []string{"SupplierMSP/supplier-a", "5", "b"}},
		{"GET", "/v1/receivables?issuer=CoreMSP/treasurer", "", "ListByIssuer", []string{"CoreMSP/treasurer", "20", ""}},
		{"GET", "/v1/accounts/SupplierMSP/supplier-a/totals", "", "Totals", []string{"SupplierMSP/supplier-a"}},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			led := &fakeLedger{payload: []byte(`{"ok":true}`)}
			s, tokens := testServer(t, led)
			rec := do(t, s, tt.method, tt.path, tokens["treasurer"], tt.body)
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			require.Len(t, led.calls, 1)
			require.Equal(t, "treasurer", led.calls[0].caller, "the caller's own identity")
			require.Equal(t, tt.tx, led.calls[0].tx)
			if len(tt.args) == 0 {
				require.Empty(t, led.calls[0].args)
			} else {
				require.Equal(t, tt.args, led.calls[0].args)
			}
		})
	}
}

// An approval or rejection with the terms themselves is two transactions: the decision with the
// terms as transient data (never in the arguments), then the binding one with their hash and no
// transient data (the obligor endorses it).
func TestRoutes_FinancingTermsTravelAsTransientData(t *testing.T) {
	for _, tt := range []struct {
		path, body, key, value string
		decideArgs, bindTx     string
		bindArgs               []string
	}{
		{"/v1/receivables/R-1/financing/approve", `{"rateBps":450}`, "rateBps", "450", "approved", "ApproveFinancing", []string{"R-1", fakeTermsHash, ""}}, // withoutRecourse is public
		{"/v1/receivables/R-1/financing/approve", `{"rateBps":450,"withoutRecourse":true}`, "rateBps", "450", "approved", "ApproveFinancing", []string{"R-1", fakeTermsHash, "true"}},
		{"/v1/receivables/R-1/financing/reject", `{"reason":"limit"}`, "reason", "limit", "rejected", "RejectFinancing", []string{"R-1", fakeTermsHash}},
	} {
		led := &fakeLedger{payload: []byte(`{"ok":true}`)}
		s, tokens := testServer(t, led)
		rec := do(t, s, "POST", tt.path, tokens["treasurer"], tt.body)
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		require.Len(t, led.calls, 2)
		require.Equal(t, "DecideFinancing", led.calls[0].tx)
		require.Equal(t, []string{"R-1", tt.decideArgs}, led.calls[0].args, "never in the arguments")
		require.Equal(t, tt.value, string(led.calls[0].transient[tt.key]))
		require.Len(t, led.calls[0].transient[wire.SaltKey], 64, "a fresh salt")
		require.Equal(t, tt.bindTx, led.calls[1].tx)
		require.Equal(t, tt.bindArgs, led.calls[1].args)
		require.Empty(t, led.calls[1].transient, "the binding transaction carries no terms")
	}
	led := &fakeLedger{payload: []byte(`{"ok":true}`)}
	s, tokens := testServer(t, led)
	// Offline signing puts the terms in the prepared decision's transient data too.
	rec := do(t, s, "POST", "/v1/offline/proposals", tokens["treasurer"], `{"operation":"decide-financing","id":"R-1","body":{"decision":"approved","rateBps":450}}`)
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	require.Equal(t, []string{"R-1", "approved"}, led.calls[0].args)
	require.Equal(t, "450", string(led.calls[0].transient["rateBps"]))
	// One signature is one transaction: an offline approval names the hash.
	led.calls = nil
	rec = do(t, s, "POST", "/v1/offline/proposals", tokens["treasurer"], `{"operation":"approve-financing","id":"R-1","body":{"rateBps":450}}`)
	require.Equal(t, http.StatusBadRequest, rec.Code, rec.Body.String())
	require.Contains(t, rec.Body.String(), "decide-financing")
	require.Empty(t, led.calls)
	rec = do(t, s, "POST", "/v1/receivables/R-1/financing/approve", tokens["treasurer"], `{}`)
	require.Equal(t, http.StatusBadRequest, rec.Code, rec.Body.String())
	require.Empty(t, led.calls)
}

// A write sent to the ordering service whose outcome is not known is no failure: it may still
// commit, so the answer is 202 with its transaction id and where to follow it, whatever the SDK
// said (the orderers did not answer, the commit was not seen in time).
func TestErrors_ASentWriteWithoutAnOutcomeIsPendingNotFailed(t *testing.T) {
	for _, err := range []error{
		&fabric.Error{Kind: wire.KindSubmit, Stage: "submit", TransactionID: "tx9", Message: "orderer down"},
		&fabric.Error{Kind: wire.KindUnavailable, Stage: "submit", TransactionID: "tx9", Message: "no orderer answered"},
		&fabric.Error{Kind: wire.KindTimeout, Stage: "commit_status", TransactionID: "tx9", Message: "deadline"},
		&fabric.Error{Kind: wire.KindCommitStatus, Stage: "commit_status", TransactionID: "tx9", Message: "peer stopped"},
	} {
		s, tokens := testServer(t, &fakeLedger{err: err})
		rec := do(t, s, "POST", "/v1/receivables/R-1/accept", tokens["supplier-a"], "")
		require.Equal(t, http.StatusAccepted, rec.Code, err.Error())
		require.Equal(t, "/v1/transactions/tx9", rec.Header().Get("Location"))
		require.NotEmpty(t, rec.Header().Get("Retry-After"))
		var res wire.SubmitResponse
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &res))
		require.True(t, res.Pending)
		require.Equal(t, "tx9", res.TransactionID)
		require.Contains(t, res.Message, "may still commit")
	}
	// A refusal of the submission itself sent nothing: it is an error.
	s, tokens := testServer(t, &fakeLedger{err: &fabric.Error{Kind: wire.KindInvalid, Stage: "submit", TransactionID: "tx9", Message: "invalid: bad signature"}})
	require.Equal(t, http.StatusBadRequest, do(t, s, "POST", "/v1/receivables/R-1/accept", tokens["supplier-a"], "").Code)
}

func TestErrors_MapKindsToStatusAndProblemBody(t *testing.T) {
	tests := []struct {
		err    error
		status int
		kind   string
	}{
		{&fabric.Error{Kind: wire.KindInvalid, Stage: "endorse", Message: "invalid: amount must be positive"}, 400, "invalid"},
		{&fabric.Error{Kind: wire.KindNotFound, Stage: "evaluate", Message: "not_found: receivable R-9"}, 404, "not_found"},
		{&fabric.Error{Kind: wire.KindForbidden, Stage: "endorse", Message: "forbidden: not the holder"}, 403, "forbidden"},
		{&fabric.Error{Kind: wire.KindConflict, Stage: "commit", TransactionID: "tx9", ValidationCode: "MVCC_READ_CONFLICT", Message: "conflict"}, 409, "conflict"},
		{&fabric.Error{Kind: wire.KindEndorse, Stage: "endorse", TransactionID: "tx9", Message: "no peers"}, 502, "endorse"},
		{&fabric.Error{Kind: wire.KindSubmit, Stage: "submit", Message: "orderer down"}, 502, "submit"},
		{&fabric.Error{Kind: wire.KindCommit, Stage: "commit", TransactionID: "tx9", Message: "invalid"}, 502, "commit"},
		{&fabric.Error{Kind: wire.KindTimeout, Stage: "evaluate", Message: "deadline"}, 504, "timeout"},
		{&fabric.Error{Kind: wire.KindUnavailable, Stage: "endorse", Message: "down"}, 503, "unavailable"},
		{errors.New("boom"), 500, "internal"},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			s, tokens := testServer(t, &fakeLedger{err: tt.err})
			rec := do(t, s, "POST", "/v1/receivables/R-1/accept", tokens["supplier-a"], "")
			require.Equal(t, tt.status, rec.Code)
			require.Equal(t, "application/problem+json", rec.Header().Get("Content-Type"))
			var p wire.Problem
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &p))
			require.Equal(t, tt.status, p.Status)
			require.Equal(t, wire.Kind(tt.kind), p.Kind)
			if fe, ok := tt.err.(*fabric.Error); ok {
				require.Equal(t, fe.Message, p.Detail, "the chaincode's message reaches the caller")
				require.Equal(t, fe.TransactionID, p.TransactionID)
				require.Equal(t, fe.Stage, p.Stage)
			}
		})
	}
}

func TestAuth_UnauthenticatedIs401AndNothingRuns(t *testing.T) {
	for _, token := range []string{"", "recv_not-a-token"} {
		led := &fakeLedger{}
		s, _ := testServer(t, led)
		rec := do(t, s, "POST", "/v1/receivables/R-1/accept", token, "")
		require.Equal(t, http.StatusUnauthorized, rec.Code)
		require.Contains(t, rec.Header().Get("WWW-Authenticate"), "Bearer")
		require.Empty(t, led.calls)
	}
}

func TestAuth_TooManyFailuresFromOneAddressAre429ProblemsAndNothingRuns(t *testing.T) {
	led := &fakeLedger{}
	s, tokens := testServer(t, led)
	s.cfg.Auth.Limiter = auth.NewFailureLimiter(2, 1)
	for i := 0; i < 2; i++ {
		require.Equal(t, http.StatusUnauthorized, do(t, s, "POST", "/v1/receivables/R-1/accept", "recv_guess", "").Code)
	}
	rec := do(t, s, "POST", "/v1/receivables/R-1/accept", "recv_guess", "")
	require.Equal(t, http.StatusTooManyRequests, rec.Code, rec.Body.String())
	require.Equal(t, "application/problem+json", rec.Header().Get("Content-Type"))
	require.Equal(t, "60", rec.Header().Get("Retry-After"))
	var p wire.Problem
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &p))
	require.Equal(t, wire.KindRateLimited, p.Kind)
	require.Equal(t, "/v1/receivables/R-1/accept", p.Instance)
	require.Empty(t, led.calls, "nothing reached the ledger")
	// A valid token from the same address still works: one client's failures lock out no other.
	require.Equal(t, http.StatusOK, do(t, s, "POST", "/v1/receivables/R-1/accept", tokens["supplier-a"], "").Code)
}

func TestAuth_OpenEndpointsNeedNoToken(t *testing.T) {
	s, _ := testServer(t, &fakeLedger{})
	require.Equal(t, http.StatusOK, do(t, s, "GET", "/healthz", "", "").Code)
	require.Equal(t, http.StatusOK, do(t, s, "GET", "/readyz", "", "").Code)
	m := do(t, s, "GET", "/metrics", "", "")
	require.Equal(t, http.StatusOK, m.Code)
	require.Contains(t, m.Body.String(), "recv_gateway_requests_total")
}

func TestReadyz_PeerDownIs503(t *testing.T) {
	s, _ := testServer(t, &fakeLedger{err: errors.New("connection refused")})
	require.Equal(t, http.StatusServiceUnavailable, do(t, s, "GET", "/readyz", "", "").Code)
}

func TestBadRequests_Are400WithoutALedgerCall(t *testing.T) {
	tests := []struct{ method, path, body string }{
		{"POST", "/v1/receivables/R-1/split", `{"parts":`},
		{"POST", "/v1/receivables/R-1/split", `{"parts":["1"],"extra":1}`},
		{"POST", "/v1/receivables/R-1/transfer", `{}`},
		{"POST", "/v1/receivables/R-1/financing", `{}`},
		{"POST", "/v1/receivables/R-1/financing/approve", `{"rateBps":"x"}`},
		{"POST", "/v1/receivables", `{"amount":1}`},
		{"GET", "/v1/receivables", ""},
		{"GET", "/v1/receivables?holder=a&issuer=b", ""},
		{"GET", "/v1/events?startBlock=x", ""},
		{"GET", "/v1/events?after=12", ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path+" "+tt.body, func(t *testing.T) {
			led := &fakeLedger{}
			s, tokens := testServer(t, led)
			rec := do(t, s, tt.method, tt.path, tokens["treasurer"], tt.body)
			require.Equal(t, http.StatusBadRequest, rec.Code, rec.Body.String())
			require.Empty(t, led.calls)
		})
	}
}

func TestIdempotency_SameKeyReplaysFirstResult(t *testing.T) {
	led := &fakeLedger{payload: []byte(`{"id":"R-1"}`)}
	s, tokens := testServer(t, led)
	first := do(t, s, "POST", "/v1/receivables/R-1/accept", tokens["supplier-a"], "", "Idempotency-Key", "k1")
	second := do(t, s, "POST", "/v1/receivables/R-1/accept", tokens["supplier-a"], "", "Idempotency-Key", "k1")
	require.Equal(t, http.StatusOK, first.Code)
	require.Equal(t, first.Body.String(), second.Body.String())
	require.Equal(t, "true", second.Header().Get("Idempotent-Replayed"))
	require.Len(t, led.calls, 1, "one transaction for two requests")

	// Another caller with the same key is a different request.
	do(t, s, "POST", "/v1/receivables/R-1/accept", tokens["treasurer"], "", "Idempotency-Key", "k1")
	require.Len(t, led.calls, 2)

	// Same key, different request: refused.
	rec := do(t, s, "POST", "/v1/receivables/R-2/accept", tokens["supplier-a"], "", "Idempotency-Key", "k1")
	require.Equal(t, http.StatusBadRequest, rec.Code)
	require.Len(t, led.calls, 2)
}

func TestIdempotency_ServerErrorsAreNotKept(t *testing.T) {
	led := &fakeLedger{err: &fabric.Error{Kind: wire.KindTimeout, Stage: "commit_status", Message: "deadline"}}
	s, tokens := testServer(t, led)
	require.Equal(t, 504, do(t, s, "POST", "/v1/receivables/R-1/accept", tokens["supplier-a"], "", "Idempotency-Key", "k").Code)
	led.err = nil
	require.Equal(t, 200, do(t, s, "POST", "/v1/receivables/R-1/accept", tokens["supplier-a"], "", "Idempotency-Key", "k").Code)
	require.Len(t, led.calls, 2)
}

func TestIdempotency_IssueWithoutIDGetsAnIDFromTheKey(t *testing.T) {
	led := &fakeLedger{}
	s, tokens := testServer(t, led)
	body := `{"beneficiary":"SupplierMSP/supplier-a","amount":"1","maturityDate":"2027-01-01","contract":{"number":"C","sha256":"a"},"invoices":[]}`
	do(t, s, "POST", "/v1/receivables", tokens["treasurer"], body, "Idempotency-Key", "order-77")
	require.Len(t, led.calls, 1)
	var req wire.IssueRequest
	require.NoError(t, json.Unmarshal([]byte(led.calls[0].args[0]), &req))
	require.Equal(t, IssueIDForKey("treasurer", "order-77"), req.ID)
	require.Regexp(t, `^[A-Za-z0-9_-]{1,64}$`, req.ID)
	require.NotEqual(t, IssueIDForKey("treasurer", "order-78"), req.ID)
	require.NotEqual(t, IssueIDForKey("supplier-a", "order-77"), req.ID)
}

func TestIdempotencyStore_IsBounded(t *testing.T) {
	st := NewIdempotencyStore(3, 0)
	for i := 0; i < 10; i++ {
		e, fresh := st.begin(strings.Repeat("k", i+1), "f")
		require.True(t, fresh)
		st.finish(e, 200, nil, nil)
	}
	require.LessOrEqual(t, st.Len(), 3)
}

func TestTransactions_StatusByID(t *testing.T) {
	s, tokens := testServer(t, &fakeLedger{})
	rec := do(t, s, "GET", "/v1/transactions/abc", tokens["supplier-a"], "")
	require.Equal(t, 200, rec.Code)
	require.JSONEq(t, `{"txId":"abc","validationCode":"VALID","valid":true,"blockNumber":9}`, rec.Body.String())
}

func TestAdmin_RefusesBeforeTheLedgerAndTheCA(t *testing.T) {
	s, tokens := testServer(t, &fakeLedger{})
	// No UserAdmin configured: 404 for admins; 403 never reached first because admin is checked after enablement.
	require.Equal(t, 404, do(t, s, "POST", "/v1/admin/users", tokens["admin"], `{"name":"x","role":"supplier"}`).Code)

	led := &fakeLedger{}
	s2, tokens2 := testServer(t, led)
	s2.cfg.Admin = fakeAdmin{}
	require.Equal(t, 403, do(t, s2, "POST", "/v1/admin/users", tokens2["supplier-a"], `{"name":"x","role":"supplier"}`).Code)
	require.Equal(t, 400, do(t, s2, "POST", "/v1/admin/users", tokens2["admin"], `{"name":"bad name","role":"supplier"}`).Code)
	require.Equal(t, 400, do(t, s2, "POST", "/v1/admin/users", tokens2["admin"], `{"name":"x"}`).Code)
	require.Equal(t, 400, do(t, s2, "POST", "/v1/admin/users", tokens2["admin"], `{"name":"x","role":"supplier","extra":1}`).Code)
	require.Equal(t, 409, do(t, s2, "POST", "/v1/admin/users", tokens2["admin"], `{"name":"treasurer","role":"issuer"}`).Code)
	require.Empty(t, led.calls, "refused before reading the ledger")
}

// TestAdmin_CSRMustBeTheUsersOwnSignedRequest: a CSR that is not PEM, whose signature does not
// verify, or made out to another name is refused before the CA is asked.
func TestAdmin_CSRMustBeTheUsersOwnSignedRequest(t *testing.T) {
	led := &fakeLedger{}
	s, tokens := testServer(t, led)
	s.cfg.Admin = fakeAdmin{}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	other, err := ca.NewCSR("someone-else", key)
	require.NoError(t, err)
	body := func(csr string) string {
		b, _ := json.Marshal(wire.NewUser{Name: "supplier-d", Role: "supplier", CSR: csr})
		return string(b)
	}
	for _, csr := range []string{"not a csr", string(other)} {
		rec := do(t, s, "POST", "/v1/admin/users", tokens["admin"], body(csr))
		require.Equal(t, 400, rec.Code, rec.Body.String())
		require.Contains(t, rec.Body.String(), "csr:")
	}
	require.Empty(t, led.calls, "refused before reading the ledger")
}

// TestAdmin_RevokeOnlyByAnAdmin: revoking is an admin's; the answer carries the CRL.
func TestAdmin_RevokeOnlyByAnAdmin(t *testing.T) {
	s, tokens := testServer(t, &fakeLedger{})
	require.Equal(t, 404, do(t, s, "POST", "/v1/admin/users/x/revoke", tokens["admin"], "").Code)
	s.cfg.Admin = fakeAdmin{}
	require.Equal(t, 403, do(t, s, "POST", "/v1/admin/users/x/revoke", tokens["supplier-a"], "").Code)
	require.Equal(t, 400, do(t, s, "POST", "/v1/admin/users/x/revoke", tokens["admin"], `{"why":1}`).Code)
	rec := do(t, s, "POST", "/v1/admin/users/x/revoke", tokens["admin"], `{"reason":"keycompromise"}`)
	require.Equal(t, 200, rec.Code, rec.Body.String())
	var res wire.RevokeUserResult
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &res))
	require.Equal(t, "x", res.Name)
	require.Contains(t, res.CRL, "X509 CRL")
}

// A write stopped by a party's unreachable peer names the parties of the receivable, by the
// chaincode's own rule, and says nothing was sent.
func TestSubmit_AnUnreachablePartyIsNamed(t *testing.T) {
	unreached := fabric.Unreachable(&fabric.Error{Kind: wire.KindEndorse, Stage: "endorse", TransactionID: "tx9",
		Message: "failed to collect enough transaction endorsements, see attached details for more info"})
	led := &fakeLedger{err: unreached, payload: []byte(`{"id":"R-1","issuer":"CoreMSP/treasurer","holder":"SupplierMSP/supplier-a",
		"status":"FINANCING","financing":{"bank":"Bank1MSP","requestedBy":"SupplierMSP/supplier-a","requestedAt":"2026-12-01T00:00:00Z"}}`)}
	s, tokens := testServer(t, led)
	s.cfg.Ledger = readable{led}
	s = NewServer(s.cfg)
	rec := do(t, s, "POST", "/v1/receivables/R-1/accept", tokens["supplier-a"], "")
	require.Equal(t, http.StatusServiceUnavailable, rec.Code)
	require.NotEmpty(t, rec.Header().Get("Retry-After"))
	var p wire.Problem
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &p))
	require.Contains(t, p.Detail, "whose endorsement this write needs (Bank1MSP, CoreMSP, SupplierMSP) does not answer")
	require.Contains(t, p.Detail, "nothing was sent")
}

// readable is a fake ledger whose queries answer while its writes fail.
type readable struct{ *fakeLedger }

func (r readable) Evaluate(context.Context, string, string, ...string) ([]byte, error) {
	return r.payload, nil
}

// A caller's RFC 7240 wait preference bounds how long a write waits for a peer that is down.
func TestPreferredWait(t *testing.T) {
	for _, c := range []struct {
		headers []string
		want    time.Duration
		ok      bool
	}{
		{nil, 0, false},
		{[]string{"wait=0"}, 0, true},
		{[]string{"respond-async, wait=5"}, 5 * time.Second, true},
		{[]string{"return=minimal", `WAIT="3"; x=y`}, 3 * time.Second, true},
		{[]string{"wait=-1"}, 0, false},
		{[]string{"wait=soon"}, 0, false},
		{[]string{"handling=lenient"}, 0, false},
	} {
		h := http.Header{}
		for _, v := range c.headers {
			h.Add("Prefer", v)
		}
		got, ok := preferredWait(h)
		require.Equal(t, c.ok, ok, "%q", c.headers)
		require.Equal(t, c.want, got, "%q", c.headers)
	}
}

package cli

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/fabric/proposaltest"
)

type seen struct {
	method, path, body, auth, idem string
}

// fakeGateway records requests and answers each path from a table.
type fakeGateway struct {
	mu       sync.Mutex
	requests []seen
	answers  map[string]answer // "METHOD path" -> answer
}

type answer struct {
	status int
	body   string
	check  func(t *testing.T, body []byte)
}

func (f *fakeGateway) handler(t *testing.T) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.requests = append(f.requests, seen{r.Method, r.URL.RequestURI(), string(b), r.Header.Get("Authorization"), r.Header.Get("Idempotency-Key")})
		a, ok := f.answers[r.Method+" "+r.URL.Path]
		f.mu.Unlock()
		if !ok {
			a = answer{status: 200, body: `{"txId":"tx1","blockNumber":3,"result":null}`}
		}
		if a.check != nil {
			a.check(t, b)
		}
		if a.status >= 300 {
			w.Header().Set("Content-Type", "application/problem+json")
		}
		w.WriteHeader(a.status)
		_, _ = io.WriteString(w, a.body)
	})
}

func run(t *testing.T, f *fakeGateway, args ...string) (int, string, string) {
	t.Helper()
	srv := httptest.NewServer(f.handler(t))
	defer srv.Close()
	var out, errOut bytes.Buffer
	code := Execute(append([]string{"--gateway", srv.URL, "--token", "tok"}, args...), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestCommands_SendTheRightRequests(t *testing.T) {
	tests := []struct {
		args       []string
		method     string
		path, body string
	}{
		{[]string{"accept", "R-1"}, "POST", "/v1/receivables/R-1/accept", ""},
		{[]string{"reject", "R-1", "--reason", "no"}, "POST", "/v1/receivables/R-1/reject", `{"reason":"no"}`},
		{[]string{"revoke", "R-1"}, "POST", "/v1/receivables/R-1/revoke", ""},
		{[]string{"split", "R-1", "--parts", "600000,650000.00"}, "POST", "/v1/receivables/R-1/split", `{"parts":["600000","650000.00"]}`},
		{[]string{"transfer", "R-1.2", "--to", "SupplierMSP/supplier-b"}, "POST", "/v1/receivables/R-1.2/transfer", `{"to":"SupplierMSP/supplier-b"}`},
		{[]string{"finance", "request", "R-1", "--bank", "Bank1MSP"}, "POST", "/v1/receivables/R-1/financing", `{"bank":"Bank1MSP"}`},
		{[]string{"finance", "approve", "R-1", "--rate-bps", "450"}, "POST", "/v1/receivables/R-1/financing/approve", `{"rateBps":450}`},
		{[]string{"finance", "approve", "R-1", "--rate-bps", "450", "--without-recourse"}, "POST", "/v1/receivables/R-1/financing/approve", `{"rateBps":450,"withoutRecourse":true}`},
		{[]string{"confirm", "I123"}, "POST", "/v1/instructions/I123/confirm", ""},
		{[]string{"refuse", "I123", "--reason", "no"}, "POST", "/v1/instructions/I123/refuse", `{"reason":"no"}`},
		{[]string{"freeze", "R-1", "--reason", "court", "--reference", "C-1"}, "POST", "/v1/receivables/R-1/freeze", `{"reason":"court","reference":"C-1"}`},
		{[]string{"unfreeze", "R-1", "--reason", "lifted", "--reference", "C-1"}, "POST", "/v1/receivables/R-1/unfreeze", `{"reason":"lifted","reference":"C-1"}`},
		{[]string{"overdue", "R-1"}, "POST", "/v1/receivables/R-1/overdue", ""},
		{[]string{"recourse", "R-1"}, "POST", "/v1/receivables/R-1/recourse", ""},
		{[]string{"credit-line", "CoreMSP", "--amount", "100"}, "POST", "/v1/orgs/CoreMSP/credit-line", `{"amount":"100"}`},
		{[]string{"issuance-limit", "--amount", "100"}, "POST", "/v1/issuance-limit", `{"amount":"100"}`},
		{[]string{"fold-exposure", "CoreMSP"}, "POST", "/v1/orgs/CoreMSP/exposure/fold", ""},
		{[]string{"finance", "reject", "R-1", "--reason", "x"}, "POST", "/v1/receivables/R-1/financing/reject", `{"reason":"x"}`},
		{[]string{"redeem", "R-1.1", "--payment-ref", "TRF-1"}, "POST", "/v1/receivables/R-1.1/redeem", `{"paymentRef":"TRF-1"}`},
		{[]string{"redeem-all", "R-1", "--payment-ref", "TRF-2"}, "POST", "/v1/roots/R-1/redeem-all", `{"paymentRef":"TRF-2"}`},
		{[]string{"finance", "withdraw", "R-1"}, "POST", "/v1/receivables/R-1/financing/withdraw", ""},
		{[]string{"account", "open", "supplier-d", "--role", "supplier", "--name", "Supplier D"}, "POST", "/v1/accounts", `{"user":"supplier-d","role":"supplier","displayName":"Supplier D"}`},
		{[]string{"account", "open", "supplier-e", "--role", "supplier"}, "POST", "/v1/accounts", `{"user":"supplier-e","role":"supplier"}`},
		{[]string{"account", "freeze", "SupplierMSP/supplier-b", "--reason", "court order"}, "POST", "/v1/accounts/SupplierMSP/supplier-b/freeze", `{"reason":"court order"}`},
		{[]string{"account", "unfreeze", "SupplierMSP/supplier-b"}, "POST", "/v1/accounts/SupplierMSP/supplier-b/unfreeze", ""},
		{[]string{"account", "close", "SupplierMSP/supplier-b", "--reason", "left"}, "POST", "/v1/accounts/SupplierMSP/supplier-b/close", `{"reason":"left"}`},
		{[]string{"proposal", "create", "--id", "P-1", "--set", "maxTermDays=90", "--set", "clockSkewSeconds=300", "--note", "shorter"}, "POST", "/v1/proposals",
			`{"id":"P-1","action":"set-config","config":{"maxTermDays":90,"clockSkewSeconds":300},"note":"shorter"}`},
		{[]string{"proposal", "create", "--id", "P-2", "--add-org", "Bank3MSP", "--kind", "bank", "--name", "Bank Three", "--credit-code", "91310000MA1FL0000N"}, "POST", "/v1/proposals",
			`{"id":"P-2","action":"set-org","org":{"mspId":"Bank3MSP","kind":"bank","name":"Bank Three","creditCode":"91310000MA1FL0000N"}}`},
		{[]string{"proposal", "approve", "P-1"}, "POST", "/v1/proposals/P-1/approve", ""},
		{[]string{"tx", "abc"}, "GET", "/v1/transactions/abc", ""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			f := &fakeGateway{}
			code, _, stderr := run(t, f, tt.args...)
			require.Equal(t, wire.ExitOK, code, stderr)
			require.Len(t, f.requests, 1)
			require.Equal(t, tt.method, f.requests[0].method)
			require.Equal(t, tt.path, f.requests[0].path)
			require.Equal(t, "Bearer tok", f.requests[0].auth)
			if tt.body == "" {
				require.Contains(t, []string{"", "null"}, f.requests[0].body)
			} else {
				require.JSONEq(t, tt.body, f.requests[0].body)
			}
		})
	}
}

func TestIssue_HashesDocumentsAndBuildsTheRequest(t *testing.T) {
	dir := t.TempDir()
	inv := filepath.Join(dir, "INV-9.pdf")
	require.NoError(t, os.WriteFile(inv, []byte("invoice bytes"), 0o600))
	sum := sha256.Sum256([]byte("invoice bytes"))
	f := &fakeGateway{}
	code, _, stderr := run(t, f, "issue", "--to", "SupplierMSP/supplier-a", "--amount", "100.00", "--maturity", "2027-03-31",
		"--contract", "C-1:"+strings.Repeat("a", 64), "--invoice", "INV-1:"+strings.Repeat("b", 64)+":40.00",
		"--invoice-file", "INV-2:60.00:"+inv, "--idempotency-key", "k-1")
	require.Equal(t, wire.ExitOK, code, stderr)
	require.Equal(t, "/v1/receivables", f.requests[0].path)
	require.Equal(t, "k-1", f.requests[0].idem)
	require.JSONEq(t, `{"beneficiary":"SupplierMSP/supplier-a","amount":"100.00","maturityDate":"2027-03-31",
		"contract":{"number":"C-1","sha256":"`+strings.Repeat("a", 64)+`"},
		"invoices":[{"number":"INV-1","sha256":"`+strings.Repeat("b", 64)+`","amount":"40.00"},
		            {"number":"INV-2","sha256":"`+hex.EncodeToString(sum[:])+`","amount":"60.00"}]}`, f.requests[0].body)

	// A plain path: number from the file name, amount from --amount.
	f = &fakeGateway{}
	code, _, _ = run(t, f, "issue", "--to", "S/a", "--amount", "5", "--maturity", "2027-01-01", "--contract-file", inv, "--invoice-file", inv)
	require.Equal(t, wire.ExitOK, code)
	require.Contains(t, f.requests[0].body, `{"number":"INV-9","sha256":"`+hex.EncodeToString(sum[:])+`","amount":"5"}`)
}

func TestExitCodes_FollowTheProblemKind(t *testing.T) {
	tests := []struct {
		status int
		kind   string
		code   int
	}{
		{400, "invalid", wire.ExitInvalid}, {413, "too_large", wire.ExitInvalid}, {401, "unauthenticated", wire.ExitForbidden},
		{403, "forbidden", wire.ExitForbidden}, {404, "not_found", wire.ExitNotFound}, {409, "conflict", wire.ExitConflict},
		{502, "endorse", wire.ExitFailure}, {504, "timeout", wire.ExitFailure},
		// The kind decides, never the status: a body without a known kind is a failure.
		{409, "", wire.ExitFailure}, {404, "bogus", wire.ExitFailure}, {500, "not_found", wire.ExitNotFound},
	}
	for _, tt := range tests {
		f := &fakeGateway{answers: map[string]answer{"POST /v1/receivables/R-1/accept": {status: tt.status,
			body: `{"status":` + itoa(tt.status) + `,"detail":"conflict: not pending","kind":"` + tt.kind + `","stage":"endorse","txId":"t9"}`}}}
		code, _, stderr := run(t, f, "accept", "R-1")
		require.Equal(t, tt.code, code, "HTTP %d kind %q", tt.status, tt.kind)
		require.Contains(t, stderr, "conflict: not pending")
		require.Contains(t, stderr, "tx t9")
	}
	f := &fakeGateway{}
	code, _, _ := run(t, f, "split", "R-1", "--parts", "1")
	require.Equal(t, wire.ExitInvalid, code)
	code, _, _ = run(t, f, "accept")
	require.Equal(t, wire.ExitInvalid, code)
	for _, args := range [][]string{
		{"list", "--holder", "SupplierMSP/supplier-a", "--page-size", "0"},
		{"list", "--holder", "SupplierMSP/supplier-a", "--page-size", "101"},
		{"account", "list", "SupplierMSP", "--page-size", "-1"},
		{"proposal", "list", "--page-size", "0"},
	} {
		code, _, stderr := run(t, f, args...)
		require.Equal(t, wire.ExitInvalid, code, args)
		require.Contains(t, stderr, "--page-size must be 1..100", args)
	}
	require.Empty(t, f.requests, "bad input sends nothing")
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

func TestSignWith_SignsBothDigestsLocally(t *testing.T) {
	key, certPEM, keyFile := signingKey(t)
	txID, proposal, err := proposaltest.Proposal{Channel: "receivables", Chaincode: "receivables", MSPID: "CoreMSP", Cert: certPEM,
		Function: "Accept", Args: []string{"R-1"}}.Build()
	require.NoError(t, err)
	payload, err := proposaltest.Endorsed(proposal, nil)
	require.NoError(t, err)
	verify := func(signed []byte) func(*testing.T, []byte) {
		return func(t *testing.T, body []byte) {
			var s struct{ Signature string }
			require.NoError(t, json.Unmarshal(body, &s))
			sig, err := base64.StdEncoding.DecodeString(s.Signature)
			require.NoError(t, err)
			d := sha256.Sum256(signed)
			require.True(t, ecdsa.VerifyASN1(&key.PublicKey, d[:], sig), "the signature is of the bytes sent, hashed here")
		}
	}
	toSign := func(b []byte) string {
		return `{"txId":"` + txID + `","bytes":"` + base64.StdEncoding.EncodeToString(b) + `"}`
	}
	f := &fakeGateway{answers: map[string]answer{
		"POST /v1/offline/proposals": {status: 201, body: toSign(proposal),
			check: func(t *testing.T, b []byte) {
				require.JSONEq(t, `{"operation":"accept","id":"R-1"}`, string(b))
			}},
		"POST /v1/offline/proposals/" + txID + "/endorse":   {status: 200, body: toSign(payload), check: verify(proposal)},
		"POST /v1/offline/transactions/" + txID + "/submit": {status: 200, body: `{"txId":"` + txID + `","blockNumber":8,"result":null}`, check: verify(payload)},
	}}
	code, out, stderr := run(t, f, "accept", "R-1", "--sign-with", keyFile, "-o", "json")
	require.Equal(t, wire.ExitOK, code, stderr)
	require.Len(t, f.requests, 3)
	require.JSONEq(t, `{"txId":"`+txID+`","blockNumber":8,"result":null}`, out)
	for _, r := range f.requests {
		require.NotContains(t, r.body, "PRIVATE KEY")
	}

	// A proposal for another receivable is refused before anything is signed.
	f.requests = nil
	f.answers["POST /v1/offline/proposals"] = answer{status: 201, body: toSign(proposal)}
	code, _, stderr = run(t, f, "accept", "R-2", "--sign-with", keyFile)
	require.Equal(t, wire.ExitFailure, code)
	require.Contains(t, stderr, "refusing to sign: the argument id differs: the gateway asked to sign Accept(R-1) but you approved Accept(R-2)")
	require.Len(t, f.requests, 1, "nothing signed is sent")
}

func TestTrace_DrawsATree(t *testing.T) {
	f := &fakeGateway{answers: map[string]answer{"GET /v1/roots/R-1/trace": {status: 200, body: `{"root":{"id":"R-1","amount":"10.00","status":"SPLIT","holder":"S/a",
		"pieces":[{"id":"R-1.1","amount":"6.00","status":"ACTIVE","holder":"S/a"},
		          {"id":"R-1.2","amount":"4.00","status":"SPLIT","holder":"S/a","pieces":[{"id":"R-1.2.1","amount":"4.00","status":"REDEEMED","holder":"B/x"}]}]}}`}}}
	code, out, _ := run(t, f, "trace", "R-1")
	require.Equal(t, wire.ExitOK, code)
	require.Equal(t, "R-1  10.00  SPLIT  S/a\n├── R-1.1  6.00  ACTIVE  S/a\n└── R-1.2  4.00  SPLIT  S/a\n    └── R-1.2.1  4.00  REDEEMED  B/x\n", out)
}

func TestList_FollowsBookmarksWithAll(t *testing.T) {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if r.URL.Query().Get("bookmark") == "" {
			_, _ = io.WriteString(w, `{"items":[{"id":"R-1"}],"bookmark":"b1","count":1}`)
			return
		}
		_, _ = io.WriteString(w, `{"items":[{"id":"R-2"}],"bookmark":"","count":1}`)
	}))
	defer srv.Close()
	var out bytes.Buffer
	code := Execute([]string{"--gateway", srv.URL, "list", "--holder", "S/a", "--all", "-o", "json"}, &out, io.Discard)
	require.Equal(t, wire.ExitOK, code)
	require.Equal(t, 2, calls)
	require.Contains(t, out.String(), `"count": 2`)
}

func TestAs_ReadsGatewayAndTokenFromTheNetworkDir(t *testing.T) {
	f := &fakeGateway{}
	srv := httptest.NewServer(f.handler(t))
	defer srv.Close()
	dir := t.TempDir()
	addr := strings.TrimPrefix(srv.URL, "http://")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "network.json"), []byte(`{"channel":"c","chaincode":"c","orgs":{"SupplierMSP":{"name":"supplier","gateway":{"address":"`+addr+`"}}}}`), 0o600))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "gateways", "supplier", "tokens"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "gateways", "supplier", "tokens", "supplier-a.token"), []byte("secret-token\n"), 0o600))
	t.Setenv("RECV_NET_DIR", dir)
	code := Execute([]string{"--as", "SupplierMSP/supplier-a", "accept", "R-1"}, io.Discard, io.Discard)
	require.Equal(t, wire.ExitOK, code)
	require.Equal(t, "Bearer secret-token", f.requests[0].auth)
}

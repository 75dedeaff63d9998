package console

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/fabric"
)

// coreAPI answers the REST calls of the core enterprise's maker (token "maker") and approver
// (token "checker"): I1 is an open issue, I2 was confirmed since its last event.
type coreAPI struct{ recorder }

func (f *coreAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.record(r)
	who := map[string]wire.WhoAmI{
		"Bearer maker":   {Name: "treasurer", Account: "CoreMSP/treasurer", Role: wire.RoleIssuer},
		"Bearer checker": {Name: "approver", Account: "CoreMSP/approver", Role: wire.RoleApprover},
	}
	me, ok := who[r.Header.Get("Authorization")]
	w.Header().Set("Content-Type", "application/json")
	if !ok {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	open := wire.Instruction{ID: "I1", Tx: "Issue", Target: "R9", Maker: "CoreMSP/treasurer", MakerRole: wire.RoleIssuer,
		Issue:     &wire.IssueRequest{Beneficiary: "SupplierMSP/supplier-a", Amount: "1250000.00", MaturityDate: "2027-03-01", Contract: wire.Document{Number: "C-77"}},
		CreatedAt: "2026-11-30T10:00:00Z", ExpiresAt: "2026-12-01T10:00:00Z", Status: wire.InstructionOpen}
	switch {
	case r.URL.Path == "/v1/whoami":
		_ = json.NewEncoder(w).Encode(me)
	case r.Method == http.MethodGet && r.URL.Path == "/v1/instructions/I1":
		_ = json.NewEncoder(w).Encode(open)
	case r.Method == http.MethodGet && r.URL.Path == "/v1/instructions/I2":
		done := open
		done.ID, done.Status, done.Checker = "I2", wire.InstructionConfirmed, "CoreMSP/approver"
		_ = json.NewEncoder(w).Encode(done)
	case r.Method == http.MethodPost:
		decided := open
		decided.Status, decided.Checker = wire.InstructionConfirmed, me.Account
		if strings.HasSuffix(r.URL.Path, "/refuse") {
			decided.Status = wire.InstructionRefused
		}
		res, _ := json.Marshal(wire.Event{Op: "ConfirmInstruction", Instruction: &decided})
		_ = json.NewEncoder(w).Encode(wire.SubmitResponse{TransactionID: "txc0ffee", BlockNumber: 77, Result: res})
	default:
		w.WriteHeader(http.StatusNotFound)
		_ = json.NewEncoder(w).Encode(wire.NewProblem(wire.KindNotFound, "not_found: "+r.URL.Path))
	}
}

// instructionEvent is the chaincode event of a transaction that wrote instruction in.
func instructionEvent(t *testing.T, block uint64, tx string, in wire.Instruction) fabric.Event {
	payload, err := json.Marshal(wire.Event{TxID: tx, Op: "Issue", Instruction: &in})
	require.NoError(t, err)
	return fabric.Event{BlockNumber: block, TransactionID: tx, Name: "Issue", Payload: payload}
}

func TestConsole_TheApproverConfirmsOrRefusesWhatAMakerAsked(t *testing.T) {
	api := &coreAPI{}
	c, err := New(Config{API: api, Auth: knownTokens{"maker": "treasurer", "checker": "approver"}, MSPID: "CoreMSP", OrgName: "core", SessionTTL: time.Hour})
	require.NoError(t, err)
	open := func(id, maker string) wire.Instruction {
		return wire.Instruction{ID: id, Maker: maker, Status: wire.InstructionOpen}
	}
	c.watch.add(instructionEvent(t, 5, "t1", open("I1", "CoreMSP/treasurer")))
	c.watch.add(instructionEvent(t, 6, "t2", open("I2", "CoreMSP/treasurer")))  // decided since: re-read
	c.watch.add(instructionEvent(t, 7, "t3", open("I3", "Core2MSP/treasurer"))) // another organisation's
	c.watch.add(instructionEvent(t, 8, "t4", open("I4", "CoreMSP/treasurer")))  // ...
	c.watch.add(instructionEvent(t, 9, "t5", wire.Instruction{ID: "I4", Maker: "CoreMSP/treasurer", Status: wire.InstructionRefused}))
	require.Equal(t, []string{"I1", "I2"}, c.watch.openInstructions("CoreMSP"), "a decided instruction leaves the queue")

	checker := newBrowser(t, c)
	require.Equal(t, http.StatusSeeOther, checker.signIn("checker").Code)
	require.Equal(t, "/approvals", checker.do("GET", "/", nil).Header().Get("Location"), "an approver starts at the approvals")
	page := checker.do("GET", "/approvals", nil)
	require.Equal(t, http.StatusOK, page.Code)
	body := page.Body.String()
	require.Contains(t, body, `data-id="I1"`)
	for _, want := range []string{"¥1,250,000.00", "SupplierMSP/supplier-a", "2027-03-01", "CoreMSP/treasurer", "2026-12-01T10:00:00Z", `action="/do/confirm"`, `action="/do/refuse"`} {
		require.Contains(t, body, want)
	}
	require.NotContains(t, body, `data-id="I2"`, "read again: no longer open")
	require.NotContains(t, body, `data-id="I3"`, "another organisation's request")
	require.NotContains(t, body, "style=")

	token := csrfOf(t, page)
	rec := checker.do("POST", "/do/confirm", url.Values{"id": {"I1"}, "csrf": {"x"}, "back": {"/approvals"}}, "Origin", origin)
	require.Equal(t, http.StatusForbidden, rec.Code, "no CSRF token, no confirmation")
	require.Empty(t, api.posts())
	rec = checker.do("POST", "/do/confirm", url.Values{"id": {"I1"}, "csrf": {token}, "back": {"/approvals"}, "key": {"k1"}}, "Origin", origin)
	require.Equal(t, "/approvals", rec.Header().Get("Location"))
	body = checker.do("GET", "/approvals", nil).Body.String()
	require.Contains(t, body, `data-tx="txc0ffee" data-target="R9"`, "the notice names the receivable it issued")
	require.Contains(t, body, `block <strong class="block">77</strong>`)
	require.Contains(t, body, "确认 Confirm")

	checker.do("POST", "/do/refuse", url.Values{"id": {"I1"}, "csrf": {token}, "reason": {" wrong amount "}, "back": {"/approvals"}, "key": {"k2"}}, "Origin", origin)
	require.Equal(t, []string{"POST /v1/instructions/I1/confirm ", `POST /v1/instructions/I1/refuse {"reason":"wrong amount"}`}, api.posts())

	maker := newBrowser(t, c)
	maker.signIn("maker")
	require.Contains(t, maker.do("GET", "/issued", nil).Body.String(), `href="/approvals"`, "the maker's pages link to the approvals")
	body = maker.do("GET", "/approvals", nil).Body.String()
	require.Contains(t, body, `data-id="I1"`)
	require.Contains(t, body, "You made this request")
	require.NotContains(t, body, `action="/do/confirm"`, "a maker cannot confirm its own request")
}

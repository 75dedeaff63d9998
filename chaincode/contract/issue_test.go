package contract_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
)

func TestIssue_CreatesPendingReceivableOfferedToBeneficiary(t *testing.T) {
	h := newHarness(t)
	requested := h.ok(treasurer, "Issue", issueJSON(issueOpts{ID: "R-1"}))
	h.refuse("not_found: receivable R-1", auditor, "Get", "R-1")
	var ev wire.Event
	require.NoError(t, json.Unmarshal([]byte(requested), &ev))
	require.Empty(t, ev.Items, "the maker's request commits no receivable")
	require.Equal(t, wire.InstructionOpen, ev.Instruction.Status)
	require.Equal(t, "R-1", ev.Instruction.Target)
	require.Equal(t, treasurer, ev.Instruction.Maker)
	out := h.ok(approver, "ConfirmInstruction", ev.Instruction.ID)
	require.NoError(t, json.Unmarshal([]byte(out), &ev))
	require.Equal(t, "ConfirmInstruction", ev.Op)
	require.Equal(t, []wire.EventItem{{ID: "R-1", Status: wire.StatusPending, Amount: "1250000.00", AmountFen: 125000000,
		PendingHolder: supA, Issuer: treasurer, Parties: []string{treasurer, supA}}}, ev.Items)
	require.Equal(t, wire.InstructionConfirmed, ev.Instruction.Status)
	require.Equal(t, approver, ev.Instruction.Checker)

	r := h.get("R-1")
	require.Equal(t, wire.StatusPending, r.Status)
	require.Equal(t, "R-1", r.RootID)
	require.Empty(t, r.ParentID)
	require.Equal(t, treasurer, r.Issuer)
	require.Empty(t, r.Holder)
	require.Equal(t, supA, r.PendingHolder)
	require.Equal(t, int64(125000000), r.AmountFen)
	require.Equal(t, "CNY", r.Currency)
	require.Equal(t, "2026-11-22T10:00:00Z", r.IssuedAt)
	require.Equal(t, []string{treasurer, supA}, r.Parties)
	require.Len(t, r.Trade.Invoices, 1)
	require.Equal(t, approver, r.UpdatedBy, "the checker's transaction wrote it")
}

func TestIssue_IDDefaultsToTransactionID(t *testing.T) {
	h := newHarness(t)
	requested := h.ok(treasurer, "Issue", issueJSON(issueOpts{ID: ""}))
	maker := h.lastEvent().TxID
	h.ok(approver, "ConfirmInstruction", h.instructionOf(requested))
	require.Equal(t, "R"+maker[:20], h.lastEvent().Items[0].ID, "the id comes from the maker's transaction")
}

func TestIssue_AcceptsEveryMaturityUpToTheCap(t *testing.T) {
	for _, maturity := range []string{"2026-11-22", "2027-05-24"} { // the transaction day, and day0 + 183
		t.Run(maturity, func(t *testing.T) {
			h := newHarness(t)
			h.issue(issueJSON(issueOpts{ID: "R-1", Maturity: maturity}))
		})
	}
}

func TestIssue_Refusals(t *testing.T) {
	inv := func(n int, amount string) []wire.Invoice {
		var out []wire.Invoice
		for i := range n {
			out = append(out, wire.Invoice{Number: fmt.Sprintf("I%d", i), SHA256: hash(fmt.Sprint("x", i)), Amount: amount})
		}
		return out
	}
	upper := strings.ToUpper(hash("inv" + "R-1"))
	tests := []struct {
		name    string
		caller  string
		request string
		want    string
	}{
		{"role supplier may not issue", supA, issueJSON(issueOpts{ID: "R-2"}), "forbidden: Issue needs role issuer"},
		{"auditor may not write", auditor, issueJSON(issueOpts{ID: "R-2"}), "forbidden: "},
		{"admin may not issue", admin, issueJSON(issueOpts{ID: "R-2"}), "forbidden: "},
		{"amount zero", treasurer, issueJSON(issueOpts{ID: "R-2", Amount: "0.00"}), "invalid: amount \"0.00\" must be greater than zero"},
		{"amount negative", treasurer, issueJSON(issueOpts{ID: "R-2", Amount: "-5"}), "invalid: amount"},
		{"amount three decimals", treasurer, issueJSON(issueOpts{ID: "R-2", Amount: "1.005"}), "invalid: amount \"1.005\" has more than two decimals"},
		{"amount not numeric", treasurer, issueJSON(issueOpts{ID: "R-2", Amount: "1e6"}), "invalid: amount"},
		{"amount overflows int64 fen", treasurer, issueJSON(issueOpts{ID: "R-2", Amount: "92233720368547758.08"}), "invalid: amount \"92233720368547758.08\" is too large"},
		{"maturity before today", treasurer, issueJSON(issueOpts{ID: "R-2", Maturity: "2026-11-21"}), "invalid: maturityDate 2026-11-21 is before"},
		{"maturity beyond the configured cap", treasurer, issueJSON(issueOpts{ID: "R-2", Maturity: "2027-05-25"}), "invalid: maturityDate 2027-05-25 is 184 days away, more than the limit of 183 days"},
		{"maturity not a date", treasurer, issueJSON(issueOpts{ID: "R-2", Maturity: "2027-02-30"}), "invalid: maturityDate: date \"2027-02-30\""},
		{"beneficiary is the issuer", treasurer, issueJSON(issueOpts{ID: "R-2", Beneficiary: treasurer}), "invalid: beneficiary CoreMSP/treasurer is the issuer itself"},
		{"beneficiary not an account", treasurer, issueJSON(issueOpts{ID: "R-2", Beneficiary: "supplier-a"}), "invalid: beneficiary"},
		{"id with a dot", treasurer, issueJSON(issueOpts{ID: "R.2"}), "invalid: id"},
		{"id too long", treasurer, issueJSON(issueOpts{ID: strings.Repeat("x", 65)}), "invalid: id"},
		{"no invoices", treasurer, issueJSON(issueOpts{ID: "R-2", Invoices: []wire.Invoice{}}), "invalid: invoices: 0 given, 1..50 needed"},
		{"51 invoices", treasurer, issueJSON(issueOpts{ID: "R-2", Invoices: inv(51, "100000")}), "invalid: invoices: 51 given"},
		{"invoices do not cover the amount", treasurer, issueJSON(issueOpts{ID: "R-2", Invoices: inv(2, "600000.00")}), "invalid: invoices total 1200000.00 does not cover amount 1250000.00"},
		{"invoice listed twice", treasurer, issueJSON(issueOpts{ID: "R-2", Invoices: append(inv(1, "1250000"), inv(1, "1")...)}), "invalid: invoices[1].sha256"},
		{"invoice hash not hex", treasurer, issueJSON(issueOpts{ID: "R-2", Invoices: []wire.Invoice{{Number: "I", SHA256: "zz", Amount: "1250000"}}}), "invalid: invoices[0].sha256"},
		{"invoice amount invalid", treasurer, issueJSON(issueOpts{ID: "R-2", Invoices: []wire.Invoice{{Number: "I", SHA256: hash("q"), Amount: "abc"}}}), "invalid: invoices[0].amount: amount \"abc\""},
		{"invoice without number", treasurer, issueJSON(issueOpts{ID: "R-2", Invoices: []wire.Invoice{{SHA256: hash("q"), Amount: "1250000"}}}), "invalid: invoices[0].number"},
		{"duplicate id", treasurer, issueJSON(issueOpts{ID: "R-1", Invoices: inv(1, "1250000")}), "conflict: receivable R-1 already exists"},
		{"invoice already backs a receivable", treasurer, issueJSON(issueOpts{ID: "R-2", Invoices: []wire.Invoice{{Number: "I", SHA256: hash("inv" + "R-1"), Amount: "1250000"}}}), "conflict: invoice I (sha256 "},
		{"invoice hash reused in upper case", treasurer, issueJSON(issueOpts{ID: "R-2", Invoices: []wire.Invoice{{Number: "I", SHA256: upper, Amount: "1250000"}}}), "conflict: invoice I"},
		{"unknown field", treasurer, `{"id":"R-2","beneficiary":"SupplierMSP/supplier-a","amount":"1","maturityDate":"2027-01-01","bogus":1}`, "invalid: request has unknown field \"bogus\""},
		{"not JSON", treasurer, `{"id":`, "invalid: request must be a JSON object"},
		{"trailing data", treasurer, issueJSON(issueOpts{ID: "R-2"}) + "{}", "invalid: request has data after its JSON value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.issue(issueJSON(issueOpts{ID: "R-1"}))
			h.refuse(tt.want, tt.caller, "Issue", tt.request)
		})
	}
}

func TestIssue_ContractHashMustBeHex(t *testing.T) {
	h := newHarness(t)
	var req wire.IssueRequest
	require.NoError(t, json.Unmarshal([]byte(issueJSON(issueOpts{ID: "R-1"})), &req))
	req.Contract.SHA256 = "abc"
	raw, _ := json.Marshal(req)
	h.refuse("invalid: contract.sha256", treasurer, "Issue", string(raw))
	req.Contract = wire.Document{SHA256: hash("c")}
	raw, _ = json.Marshal(req)
	h.refuse("invalid: contract.number", treasurer, "Issue", string(raw))
}

func TestAccept_MakesBeneficiaryTheHolder(t *testing.T) {
	h := newHarness(t)
	h.issue(issueJSON(issueOpts{ID: "R-1"}))
	h.ok(supA, "Accept", "R-1")
	r := h.get("R-1")
	require.Equal(t, wire.StatusActive, r.Status)
	require.Equal(t, supA, r.Holder)
	require.Empty(t, r.PendingHolder)
	require.Equal(t, "ACTIVE", h.lastEvent().Items[0].Status)
}

func TestAcceptRejectRevoke_Refusals(t *testing.T) {
	tests := []struct {
		name   string
		caller string
		fn     string
		args   []string
		want   string
	}{
		{"accept by a stranger", supB, "Accept", []string{"R-1"}, "forbidden: receivable R-1: SupplierMSP/supplier-b is not a party to it"},
		{"accept by the issuer", treasurer, "Accept", []string{"R-1"}, "forbidden: receivable R-1 is offered to SupplierMSP/supplier-a"},
		{"accept unknown id", supA, "Accept", []string{"R-9"}, "not_found: receivable R-9"},
		{"accept bad id", supA, "Accept", []string{"R 1"}, "invalid: id"},
		{"accept by auditor", auditor, "Accept", []string{"R-1"}, "forbidden: Accept needs role"},
		{"accept an active receivable", supA, "Accept", []string{"R-A"}, "conflict: receivable R-A is ACTIVE, not PENDING"},
		{"reject without reason", supA, "Reject", []string{"R-1", " "}, "invalid: reason"},
		{"reject by a stranger", supB, "Reject", []string{"R-1", "no"}, "forbidden: "},
		{"reject an active receivable", supA, "Reject", []string{"R-A", "no"}, "conflict: receivable R-A is ACTIVE"},
		{"revoke by a supplier", supA, "Revoke", []string{"R-1"}, "forbidden: receivable R-1 was offered by CoreMSP/treasurer"},
		{"revoke by another issuer of the same org", treasurer2, "Revoke", []string{"R-1"}, "forbidden: receivable R-1 was offered by CoreMSP/treasurer"},
		{"revoke an active receivable", treasurer, "Revoke", []string{"R-A"}, "conflict: receivable R-A is ACTIVE, not PENDING"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.issue(issueJSON(issueOpts{ID: "R-1"}))
			h.active("R-A", supA, "100.00")
			h.refuse(tt.want, tt.caller, tt.fn, tt.args...)
		})
	}
}

func TestReject_IssuanceIsTerminalAndKeepsInvoicesBound(t *testing.T) {
	h := newHarness(t)
	h.issue(issueJSON(issueOpts{ID: "R-1"}))
	h.ok(supA, "Reject", "R-1", "wrong amount")
	require.Equal(t, "wrong amount", h.lastEvent().Reason)
	r := h.get("R-1")
	require.Equal(t, wire.StatusRejected, r.Status)
	require.Empty(t, r.PendingHolder)
	h.refuse("conflict: receivable R-1 is REJECTED", supA, "Accept", "R-1")
	h.refuse("conflict: invoice INV-R-1", treasurer, "Issue", issueJSON(issueOpts{ID: "R-2",
		Invoices: []wire.Invoice{{Number: "INV-R-1", SHA256: hash("inv" + "R-1"), Amount: "1250000"}}}))
}

func TestRevoke_PendingIssuanceBecomesRevoked(t *testing.T) {
	h := newHarness(t)
	h.issue(issueJSON(issueOpts{ID: "R-1"}))
	h.ok(treasurer, "Revoke", "R-1")
	require.Equal(t, wire.StatusRevoked, h.get("R-1").Status)
	h.refuse("conflict: receivable R-1 is REVOKED", supA, "Accept", "R-1")
}

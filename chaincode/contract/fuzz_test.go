package contract_test

import (
	"testing"
)

// FuzzTransactionArgs sends arbitrary arguments to every write transaction, through the whole
// chaincode (framework, access table, rules, state), from plausible callers over a small ledger.
// The harness checks that a refusal writes nothing and sets no event and that a success sets one
// event; here we also require a kind on every refusal and conservation after every success.
func FuzzTransactionArgs(f *testing.F) {
	base := newHarness(f)
	base.active("R-1", supA, "1000")
	base.ok(supA, "Split", "R-1", `["400","600"]`)
	base.issue(issueJSON(issueOpts{ID: "R-P", Beneficiary: supA}))
	base.active("R-F", supA, "500")
	base.ok(supA, "RequestFinancing", "R-F", "Bank1MSP")

	f.Add(uint8(0), "R-1.1", `["100","300"]`, "")
	f.Add(uint8(1), "R-1.2", supB, "100.5")
	f.Add(uint8(2), "R-F", "450", "")
	f.Add(uint8(3), "R-P", "", "")
	f.Add(uint8(4), issueJSON(issueOpts{ID: "R-N"}), "", "")
	f.Add(uint8(5), "R-F", "no", "")
	f.Add(uint8(6), `{"maxTermDays":30}`, "", "")
	f.Fuzz(func(t *testing.T, op uint8, a, b, c string) {
		h := *base
		h.t = t
		h.ledger = base.ledger.Clone()
		calls := []struct {
			caller, fn string
			args       []string
		}{
			{supA, "Split", []string{a, b}},
			{supA, "Transfer", []string{a, b, c}},
			{bank1, "ApproveFinancing", []string{a, b, c}},
			{supA, "Accept", []string{a}},
			{treasurer, "Issue", []string{a}},
			{bank1, "RejectFinancing", []string{a, b}},
			{admin, "CreateProposal", []string{a}},
			{bank1Admin, "ApproveProposal", []string{a}},
			{supAdmin, "OpenAccount", []string{a}},
			{supAdmin, "FreezeAccount", []string{a, b}},
			{supA, "Reject", []string{a, b}},
			{supA, "RequestFinancing", []string{a, b}},
			{treasurer, "RedeemAll", []string{a, b}},
			{approver, "ConfirmInstruction", []string{a}},
			{approver, "RefuseInstruction", []string{a, b}},
			{auditor, "FreezeReceivable", []string{a, b, c}},
			{auditor, "UnfreezeReceivable", []string{a, b, c}},
			{supA, "MarkOverdue", []string{a}},
			{bank1, "ExerciseRecourse", []string{a}},
			{bank1, "SetCreditLine", []string{a, b}},
			{approver, "SetIssuanceLimit", []string{a}},
		}
		call := calls[int(op)%len(calls)]
		_, err := h.invoke(call.caller, call.fn, call.args...)
		if err != nil {
			kindOf(t, err)
			return
		}
		h.checkConservation(h.receivables())
	})
}

package contract_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/receivable"
	"github.com/recv-ledger/recv/chaincode/wire"
)

// requested runs a maker's request and returns its instruction id.
func (h *harness) requested(maker, fn string, args ...string) string {
	h.t.Helper()
	return h.instructionOf(h.ok(maker, fn, args...))
}

func (h *harness) instruction(id string) wire.Instruction {
	h.t.Helper()
	var in wire.Instruction
	require.NoError(h.t, json.Unmarshal([]byte(h.ok(auditor, "GetInstruction", id)), &in))
	return in
}

func TestTwoPersonControl_OnlyTheCheckersConfirmationCommits(t *testing.T) {
	h := newHarness(t)
	id := h.requested(treasurer, "Issue", issueJSON(issueOpts{ID: "R-1"}))
	h.refuse("not_found: receivable R-1", auditor, "Get", "R-1")
	require.Equal(t, wire.InstructionOpen, h.instruction(id).Status)

	h.refuse("forbidden: ConfirmInstruction needs role approver", treasurer, "ConfirmInstruction", id)
	h.refuse("forbidden: instruction "+id+" was made at CoreMSP: an approver of OtherCoreMSP cannot decide it", otherAppr, "ConfirmInstruction", id)
	h.refuse("forbidden: GetInstruction needs role", supA, "GetInstruction", id)
	h.refuse("forbidden: instruction "+id+" belongs to CoreMSP", otherCore, "GetInstruction", id)

	h.ok(approver, "ConfirmInstruction", id)
	in := h.instruction(id)
	require.Equal(t, wire.InstructionConfirmed, in.Status)
	require.Equal(t, approver, in.Checker)
	require.Equal(t, treasurer, in.Maker)
	r := h.get("R-1")
	require.Equal(t, treasurer, r.Issuer, "the maker is the issuer")
	require.Equal(t, approver, r.UpdatedBy, "the checker's transaction wrote it")
	h.refuse("conflict: instruction "+id+" is CONFIRMED", approver2, "ConfirmInstruction", id)
	h.refuse("conflict: instruction "+id+" is CONFIRMED", approver2, "RefuseInstruction", id, "late")
}

func TestTwoPersonControl_RefusedAndExpiredRequestsCommitNothing(t *testing.T) {
	h := newHarness(t)
	refused := h.requested(treasurer, "Issue", issueJSON(issueOpts{ID: "R-1"}))
	h.refuse("invalid: reason must have", approver, "RefuseInstruction", refused, " ")
	h.ok(approver, "RefuseInstruction", refused, "wrong beneficiary")
	in := h.instruction(refused)
	require.Equal(t, wire.InstructionRefused, in.Status)
	require.Equal(t, "wrong beneficiary", in.Reason)
	h.refuse("conflict: instruction "+refused+" is REFUSED", approver, "ConfirmInstruction", refused)
	h.refuse("not_found: receivable R-1", auditor, "Get", "R-1")

	expired := h.requested(treasurer, "Issue", issueJSON(issueOpts{ID: "R-1"}))
	h.now = h.now.Add(24 * 3600e9)
	require.Equal(t, wire.InstructionExpired, h.instruction(expired).Status)
	h.refuse("conflict: instruction "+expired+" expired at 2026-11-23T10:00:00Z", approver, "ConfirmInstruction", expired)
	h.refuse("not_found: instruction I123", approver, "ConfirmInstruction", "I123")
	h.refuse("invalid: instruction id", approver, "ConfirmInstruction", "R-1")
}

func TestTwoPersonControl_TheRuleRunsAgainAtConfirmation(t *testing.T) {
	h := newHarness(t)
	first := h.requested(treasurer, "Issue", issueJSON(issueOpts{ID: "R-1"}))
	h.refuse("conflict: Issue of R-1 already waits for its checker: instruction "+first+", asked by CoreMSP/treasurer",
		treasurer2, "Issue", issueJSON(issueOpts{ID: "R-1"}))
	h.now = h.now.Add(25 * 3600e9) // the first expires: a new request may replace it
	second := h.requested(treasurer2, "Issue", issueJSON(issueOpts{ID: "R-1"}))
	h.refuse("conflict: instruction "+first+" expired", approver, "ConfirmInstruction", first)
	h.ok(approver, "ConfirmInstruction", second)
	third := h.requested(treasurer, "Issue", issueJSON(issueOpts{ID: "R-2", Invoices: []wire.Invoice{{Number: "INV-X", SHA256: hash("inv-x"), Amount: "1250000.00"}}}))
	fourth := h.requested(treasurer2, "Issue", issueJSON(issueOpts{ID: "R-3", Invoices: []wire.Invoice{{Number: "INV-X", SHA256: hash("inv-x"), Amount: "1250000.00"}}}))
	h.ok(approver, "ConfirmInstruction", third)
	h.refuse("conflict: instruction "+fourth+": invoice INV-X", approver, "ConfirmInstruction", fourth)
	h.refuse("invalid: beneficiary", treasurer, "Issue", issueJSON(issueOpts{ID: "R-2", Beneficiary: treasurer}))
}

func TestTwoPersonControl_RedemptionRecordsThePaymentPerHolder(t *testing.T) {
	h := newHarness(t)
	h.active("R-1", supA, "1000")
	h.ok(supA, "Split", "R-1", `["400","600"]`)
	h.days(129)
	h.refuse("invalid: paymentRef must have", treasurer, "Redeem", "R-1.1", "")
	id := h.requested(treasurer, "Redeem", "R-1.1", "TRF-2027-001")
	require.Equal(t, wire.StatusActive, h.get("R-1.1").Status, "the request pays nothing yet")
	h.ok(approver, "ConfirmInstruction", id)
	r := h.get("R-1.1")
	require.Equal(t, wire.StatusRedeemed, r.Status)
	require.Equal(t, &wire.Redemption{PaymentRef: "TRF-2027-001", Paid: "400.00", PaidFen: 40000, PaidTo: supA, Instruction: id}, r.Redemption)
	h.redeemAll(treasurer, "R-1")
	require.Equal(t, "PAY-R-1", h.get("R-1.2").Redemption.PaymentRef)
}

func TestTwoPersonControl_AnOrganisationMayTurnItOff(t *testing.T) {
	h := newHarness(t)
	h.ok(admin, "CreateProposal", `{"id":"single","action":"set-org","org":{"mspId":"CoreMSP","kind":"core","name":"CoreMSP Co., Ltd.","creditCode":"`+creditCode(3)+`","dualControl":"off"}}`)
	for _, a := range vetoAdmins[1:] {
		h.ok(a, "ApproveProposal", "single")
	}
	var ev wire.Event
	require.NoError(t, json.Unmarshal([]byte(h.ok(treasurer, "Issue", issueJSON(issueOpts{ID: "R-1"}))), &ev))
	require.Nil(t, ev.Instruction)
	require.Equal(t, wire.StatusPending, h.get("R-1").Status)
	h.refuse(`invalid: org CoreMSP: dualControl "maybe"`, admin, "CreateProposal", `{"id":"bad","action":"set-org","org":{"mspId":"CoreMSP","kind":"core","name":"C","creditCode":"`+creditCode(3)+`","dualControl":"maybe"}}`)
}

func TestCreditLine_RefusesFinancingOneFenOverTheLine(t *testing.T) {
	h := newHarness(t)
	h.ok(bank1, "SetCreditLine", "CoreMSP", "1000.00")
	for id, amount := range map[string]string{"R-1": "600.00", "R-2": "400.01", "R-3": "400.00"} {
		h.active(id, supA, amount)
		h.ok(supA, "RequestFinancing", id, "Bank1MSP")
	}
	h.ok(bank1, "ApproveFinancing", "R-1", "", "450")
	h.refuse("conflict: credit line of Bank1MSP on CoreMSP is 1000.00: 600.00 financed and outstanding + 400.01 of receivable R-2 = 1000.01, 0.01 over the line",
		bank1, "ApproveFinancing", "R-2", "", "450")
	h.ok(bank1, "ApproveFinancing", "R-3", "", "450")

	var lim wire.Limits
	require.NoError(t, json.Unmarshal([]byte(h.ok(bank1, "Limits", "CoreMSP")), &lim))
	require.Len(t, lim.Lines, 1)
	require.Equal(t, int64(100000), lim.Lines[0].UsedFen)
	require.Equal(t, "0.00", lim.Lines[0].Headroom)
	require.NoError(t, json.Unmarshal([]byte(h.ok(bank2, "Limits", "CoreMSP")), &lim))
	require.Empty(t, lim.Lines, "a bank reads only its own line")
	h.refuse("forbidden: Limits needs role", supA, "Limits", "CoreMSP")
	h.refuse("forbidden: SetCreditLine needs role financier", supA, "SetCreditLine", "CoreMSP", "1")
	h.refuse("invalid: obligor SupplierMSP is a supplier organisation", bank1, "SetCreditLine", "SupplierMSP", "1")
	h.refuse("invalid: amount: amount \"-1\" is not a decimal number", bank1, "SetCreditLine", "CoreMSP", "-1")
	h.refuse("not_found: organisation NoMSP", bank1, "SetCreditLine", "NoMSP", "1")

	// Redeeming a financed piece gives its room back to the line.
	h.days(129)
	h.redeem(treasurer, "R-1")
	require.NoError(t, json.Unmarshal([]byte(h.ok(auditor, "Limits", "CoreMSP")), &lim))
	require.Equal(t, int64(40000), lim.Lines[0].UsedFen)
}

// A credit line check reads only the bank's part of the obligor's exposure: an approval endorsed
// while other receivables of the same obligor are issued, transferred, or financed at another bank
// still commits; only another approval at the same bank on the same obligor, which moves the figure
// the line checks, makes it a read conflict (Fabric would invalidate it and the client endorses it
// again). The issuance limit likewise reads all but the banks' part.
func TestCreditLine_ACheckConflictsOnlyWithWritesThatMoveTheBanksFinancing(t *testing.T) {
	h := newHarness(t)
	h.ok(bank1, "SetCreditLine", "CoreMSP", "10000.00")
	h.ok(bank2, "SetCreditLine", "CoreMSP", "10000.00")
	for _, id := range []string{"R-1", "R-2", "R-3", "R-4", "R-5"} {
		h.active(id, supA, "100.00")
	}
	for id, bank := range map[string]string{"R-1": "Bank1MSP", "R-2": "Bank1MSP", "R-3": "Bank2MSP"} {
		h.ok(supA, "RequestFinancing", id, bank)
	}

	held := h.endorse(bank1, "ApproveFinancing", "R-1", "", "450")
	h.ok(supA, "Transfer", "R-4", supB, "")
	h.issue(issueJSON(issueOpts{ID: "R-6", Beneficiary: supA, Amount: "100.00"}))
	h.ok(bank2, "ApproveFinancing", "R-3", "", "450")
	h.ok(supA, "Split", "R-5", `["40.00","60.00"]`)
	require.Empty(t, held.ReadConflicts(), "writes that do not move Bank1MSP's financing on CoreMSP leave the check valid")

	h.ok(bank1, "ApproveFinancing", "R-2", "", "450")
	var slot []string
	for k := range held.Writes() {
		if strings.HasPrefix(k, "exposure/CoreMSP/bank/Bank1MSP/s/") {
			slot = append(slot, k)
		}
	}
	require.Len(t, slot, 1, "the held approval draws from its slot's sub-line alone")
	if _, same := h.last.Writes()[slot[0]]; same {
		require.Equal(t, slot, held.ReadConflicts(), "another approval at the same bank moved the slot the check read")
	} else {
		require.Empty(t, held.ReadConflicts(), "another approval at the same bank drew from another slot")
	}
}

func TestIssuanceLimit_CapsOutstandingIssuance(t *testing.T) {
	h := newHarness(t)
	h.refuse("forbidden: SetIssuanceLimit needs role approver", treasurer, "SetIssuanceLimit", "1000")
	h.ok(approver, "SetIssuanceLimit", "1000")
	h.issue(issueJSON(issueOpts{ID: "R-1", Amount: "999.99"}))
	h.refuse("conflict: issuance limit of CoreMSP is 1000.00: 999.99 outstanding + 0.02 = 1000.01, 0.01 over the limit",
		treasurer, "Issue", issueJSON(issueOpts{ID: "R-2", Amount: "0.02"}))
	h.issue(issueJSON(issueOpts{ID: "R-3", Amount: "0.01"}))
	h.ok(supA, "Reject", "R-1", "wrong")
	h.issue(issueJSON(issueOpts{ID: "R-2", Amount: "0.02"}))
}

func TestOverdue_FromTheDayAfterMaturityAndGrace(t *testing.T) {
	h := newHarness(t)
	h.active("R-1", supA, "1000") // matures 2027-03-31: 129 days after day0; grace 3 days
	h.days(132)
	h.refuse("conflict: receivable R-1 matures on 2027-03-31 with 3 grace days: it can be marked overdue from 2027-04-04", supA, "MarkOverdue", "R-1")
	h.days(1)
	h.refuse("forbidden: receivable R-1: SupplierMSP/supplier-b is not a party", supB, "MarkOverdue", "R-1")
	h.ok(supA, "MarkOverdue", "R-1")
	h.refuse("conflict: receivable R-1 is OVERDUE, only an ACTIVE receivable can be marked overdue", auditor, "MarkOverdue", "R-1")
	h.refuse("conflict: receivable R-1 is OVERDUE, only an ACTIVE receivable can be split", supA, "Split", "R-1", `["1","999"]`)

	var page wire.RiskPage
	require.NoError(t, json.Unmarshal([]byte(h.ok(auditor, "Risk", "10", "")), &page))
	require.Equal(t, "CoreMSP", page.Items[0].Obligor)
	require.Equal(t, int64(100000), page.Items[0].OverdueFen)
	require.Equal(t, int64(10000), page.Items[0].OverdueBps)
	require.Equal(t, 4, page.Items[0].DaysPastDue)

	h.redeem(treasurer, "R-1")
	r := h.get("R-1")
	require.True(t, r.Redemption.Late, "a late redemption is recorded as such")
	require.NotEmpty(t, r.OverdueAt)
	require.NoError(t, json.Unmarshal([]byte(h.ok(auditor, "Risk", "10", "")), &page))
	require.Zero(t, page.Items[0].OverdueFen)
	require.Zero(t, page.Items[0].DaysPastDue)
}

func TestRecourse_MovesTheClaimBackOnlyWhenTheTermsSaySo(t *testing.T) {
	h := newHarness(t)
	for id, without := range map[string]string{"R-1": "", "R-2": "true"} {
		h.active(id, supA, "1000")
		h.ok(supA, "RequestFinancing", id, "Bank1MSP")
		h.ok(bank1, "ApproveFinancing", id, without, "450")
	}
	h.active("R-3", supA, "1000")
	require.True(t, h.get("R-2").Financing.WithoutRecourse)
	h.ok(supA, "RequestFinancing", "R-3", "Bank1MSP") // asked, never approved: not financed
	h.refuse("invalid: withoutRecourse \"yes\" must be true or false", bank1, "ApproveFinancing", "R-3", "yes", "450")

	h.refuse("conflict: receivable R-1 is ACTIVE, recourse needs it OVERDUE", bank1, "ExerciseRecourse", "R-1")
	h.days(133)
	h.refuse("forbidden: ExerciseRecourse needs role financier", supA, "ExerciseRecourse", "R-3")
	for _, id := range []string{"R-1", "R-2"} {
		h.ok(auditor, "MarkOverdue", id)
	}
	h.refuse("conflict: receivable R-3 is not financed: there is no recourse to exercise", bank1, "ExerciseRecourse", "R-3")
	h.refuse("conflict: receivable R-2 was financed without recourse: the claim stays with Bank1MSP", bank1, "ExerciseRecourse", "R-2")
	h.refuse("forbidden: receivable R-1: Bank2MSP/officer is not a party", bank2, "ExerciseRecourse", "R-1")
	h.ok(bank1, "ExerciseRecourse", "R-1")
	r := h.get("R-1")
	require.Equal(t, supA, r.Holder)
	require.Equal(t, wire.StatusOverdue, r.Status)
	require.Equal(t, &wire.Recourse{Bank: "Bank1MSP", From: bank1, To: supA, At: receivable.FormatTime(h.now)}, r.Recourse)
	h.refuse("conflict: receivable R-1: recourse was exercised", bank1, "ExerciseRecourse", "R-1")
	require.Equal(t, bank1, h.get("R-2").Holder)

	var page wire.RiskPage
	require.NoError(t, json.Unmarshal([]byte(h.ok(bank1, "Risk", "10", "")), &page))
	require.Equal(t, []wire.BankAmount{{Bank: "Bank1MSP", Amount: "1000.00", AmountFen: 100000}}, page.Items[0].Financed, "only R-2 stays with the bank")
	h.refuse("forbidden: Risk needs role financier|auditor", supA, "Risk", "10", "")
}

func TestFreeze_StopsEveryMoveOfTheReceivableAndItsPieces(t *testing.T) {
	h := newHarness(t)
	h.active("R-1", supA, "1000")
	h.ok(supA, "Split", "R-1", `["400","600"]`)
	h.ok(supA, "Transfer", "R-1.1", supB, "")
	h.refuse("forbidden: FreezeReceivable needs role auditor", supA, "FreezeReceivable", "R-1", "dispute", "REF-1")
	h.refuse("invalid: reference must have 1..64 characters", auditor, "FreezeReceivable", "R-1", "dispute", "")
	h.ok(auditor, "FreezeReceivable", "R-1", "court order", "(2026)沪01民初1号")
	for _, id := range []string{"R-1", "R-1.1", "R-1.2"} {
		require.NotNil(t, h.get(id).Frozen, "%s inherits the freeze", id)
	}
	frozen := "conflict: receivable R-1.2 is frozen by AuditorMSP (court order, reference (2026)沪01民初1号): it cannot be "
	h.refuse(frozen+"split", supA, "Split", "R-1.2", `["1","599"]`)
	h.refuse(frozen+"transferred", supA, "Transfer", "R-1.2", supC, "")
	h.refuse(frozen+"financed", supA, "RequestFinancing", "R-1.2", "Bank1MSP")
	h.refuse("conflict: receivable R-1.1 is frozen", supB, "Accept", "R-1.1")
	h.refuse("conflict: receivable R-1.1 is frozen", supA, "Revoke", "R-1.1")
	h.refuse("conflict: receivable R-1 is already frozen", auditor, "FreezeReceivable", "R-1", "again", "REF-2")
	h.days(129)
	h.refuse(frozen+"redeemed", treasurer, "Redeem", "R-1.2", "PAY-1")
	h.refuse("conflict: receivable R-1.1 is PENDING", treasurer, "RedeemAll", "R-1", "PAY-1")

	h.ok(auditor, "UnfreezeReceivable", "R-1", "order lifted", "(2026)沪01民初1号")
	h.refuse("conflict: receivable R-1 is not frozen", auditor, "UnfreezeReceivable", "R-1", "again", "REF")
	require.Nil(t, h.get("R-1.2").Frozen)
	h.redeem(treasurer, "R-1.2")
}

func TestFreeze_AConfirmationOfAFrozenPieceIsRefused(t *testing.T) {
	h := newHarness(t)
	h.active("R-1", supA, "1000")
	h.active("R-2", supA, "1000")
	h.days(129)
	id := h.requested(treasurer, "Redeem", "R-1", "PAY-1")
	h.ok(auditor, "FreezeReceivable", "R-1", "dispute", "REF-1")
	h.refuse("conflict: instruction "+id+": receivable R-1 is frozen", approver, "ConfirmInstruction", id)
	h.redeem(treasurer, "R-2")
	h.refuse("conflict: receivable R-2 is REDEEMED: there is nothing left to freeze", auditor, "FreezeReceivable", "R-2", "x", "y")
}

func TestFoldExposure_ChangesNoFigure(t *testing.T) {
	h := newHarness(t)
	h.active("R-1", supA, "1000")
	h.now = h.now.Add(time.Minute)
	h.ok(admin, "Tick") // a fold takes the changes dated before the beacon
	before := h.ok(auditor, "Risk", "10", "")
	h.ok(auditor, "FoldExposure", "CoreMSP")
	require.JSONEq(t, before, h.ok(auditor, "Risk", "10", ""))
	h.refuse("forbidden: FoldExposure needs role", supA, "FoldExposure", "CoreMSP")
	h.refuse("invalid: obligor Bank1MSP is a bank organisation", bank1, "FoldExposure", "Bank1MSP")
	h.refuse("not_found: organisation NoMSP", bank1, "FoldExposure", "NoMSP")
}

// FoldExposure folds only the changes dated before the time beacon it reads: no valid write can add
// one there any more, so writes that commit while the fold is in flight do not invalidate it (its
// range reads stay the same, which Fabric's phantom check re-runs); the changes at or after the
// beacon are the next fold's. The figures do not move.
func TestFoldExposure_FoldsBeforeTheBeaconSoWritesInFlightDoNotInvalidateIt(t *testing.T) {
	h := newHarness(t)
	changes := func() int {
		n := 0
		for _, k := range h.ledger.Keys() {
			if strings.HasPrefix(k, "exposure/CoreMSP/") && strings.Contains(k, "/t/") {
				n++
			}
		}
		return n
	}
	h.active("R-1", supA, "100")
	h.active("R-4", supA, "100")
	h.ok(supA, "RequestFinancing", "R-4", "Bank1MSP")
	old := changes()
	require.Positive(t, old, "an issuance and its acceptance record their changes under time-ordered keys")
	h.now = h.now.Add(time.Minute)
	h.ok(admin, "Tick")
	h.active("R-2", supA, "100") // dated at the beacon: after the range a fold takes

	fold := h.endorse(auditor, "FoldExposure", "CoreMSP")
	h.active("R-3", supA, "100")
	h.ok(bank1, "ApproveFinancing", "R-4", "", "450") // a financing change, in Bank1MSP's part
	require.Empty(t, fold.ReadConflicts(), "writes committed while the fold was in flight leave its reads as they were")
	before, total := h.ok(auditor, "Risk", "10", ""), changes()
	fold.Commit()
	require.Equal(t, total-old, changes(), "the changes dated at or after the beacon wait for the next fold")
	require.JSONEq(t, before, h.ok(auditor, "Risk", "10", ""), "no figure moved")
}

func TestTwoPersonControl_AMakerWhoCanNoLongerActIsNotConfirmed(t *testing.T) {
	h := newHarness(t)
	id := h.requested(treasurer2, "Issue", issueJSON(issueOpts{ID: "R-1"}))
	h.ok(admin, "FreezeAccount", treasurer2, "left the company")
	h.refuse("conflict: instruction "+id+": its maker CoreMSP/deputy can no longer act", approver, "ConfirmInstruction", id)
	h.ok(approver, "RefuseInstruction", id, "maker left")
}

package contract_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/memstub"
	"github.com/recv-ledger/recv/chaincode/receivable"
	"github.com/recv-ledger/recv/chaincode/wire"
)

// slots reads the committed slots of bank's part of obligor's exposure.
func (h *harness) slots(obligor, bank string) []receivable.Slot {
	h.t.Helper()
	out := make([]receivable.Slot, receivable.LineSlots)
	for i := range out {
		raw := h.ledger.State(fmt.Sprintf("exposure/%s/bank/%s/s/%02d", obligor, bank, i))
		require.NotNil(h.t, raw, "slot %d", i)
		require.NoError(h.t, json.Unmarshal(raw, &out[i]))
	}
	return out
}

// slotTotals adds up Bank1MSP's use and allowance over its slots on CoreMSP.
func (h *harness) slotTotals() (use, allowance int64, shared bool) {
	slots := h.slots("CoreMSP", "Bank1MSP")
	shared = true
	for _, s := range slots {
		use += s.Use("Bank1MSP")
		allowance += s.AllowanceFen
		shared = shared && s.Shared
	}
	return use, allowance, shared
}

// askBank1 issues id for amount to supplier A, who asks Bank1MSP to finance it.
func (h *harness) askBank1(id, amount string) {
	h.t.Helper()
	h.active(id, supA, amount)
	h.ok(supA, "RequestFinancing", id, "Bank1MSP")
}

// bankSlotsWritten are the slots of Bank1MSP's part on CoreMSP that stub wrote.
func bankSlotsWritten(stub *memstub.Stub) []string {
	var keys []string
	for k := range stub.Writes() {
		if strings.HasPrefix(k, "exposure/CoreMSP/bank/Bank1MSP/s/") {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// Approvals on one obligor at one bank, endorsed on the same state (as in one block) and
// validated in order as a peer does: each reads and writes only its own slot, so all but those
// that picked a slot an earlier one wrote commit. Before the sub-lines each read every slot, and
// one approval a block committed.
func TestSubLines_ApprovalsOnOneObligorAtOneBankCommitTogether(t *testing.T) {
	h := newHarness(t)
	h.ok(bank1, "SetCreditLine", "CoreMSP", "1000000.00")
	var hashes []string
	for i := range 32 {
		id := fmt.Sprintf("R-%d", i)
		h.askBank1(id, "100.00")
		hash, _, err := h.decideFirst(bank1, "ApproveFinancing", []string{id, "", "450"})
		require.NoError(t, err)
		hashes = append(hashes, hash)
	}
	var held []*memstub.Stub
	for i, hash := range hashes {
		held = append(held, h.endorse(bank1, "ApproveFinancing", fmt.Sprintf("R-%d", i), hash, ""))
	}
	slotsHit := map[string]bool{}
	valid := 0
	for _, stub := range held {
		written := bankSlotsWritten(stub)
		require.Len(t, written, 1, "an approval within its slot's sub-line writes that slot alone")
		conflicts := stub.ReadConflicts()
		if slotsHit[written[0]] {
			require.Equal(t, written, conflicts, "only an earlier approval in the same slot invalidates it")
			continue
		}
		require.Empty(t, conflicts)
		stub.Commit()
		slotsHit[written[0]] = true
		valid++
	}
	require.GreaterOrEqual(t, valid, 12, "32 approvals over 16 slots: most commit in one block")
	use, allowance, shared := h.slotTotals()
	require.Equal(t, int64(valid)*10000, use)
	require.Equal(t, int64(100000000), allowance)
	require.True(t, shared)
}

// An approval its slot's sub-line cannot take refolds the line over every slot and commits while
// the line as a whole has room; one the line has no room for is refused, naming the line, the
// slot and what is left, and writes nothing.
func TestSubLines_AnApprovalItsSlotCannotTakeRefoldsTheLine(t *testing.T) {
	h := newHarness(t)
	h.ok(bank1, "SetCreditLine", "CoreMSP", "160.00") // 10.00 a slot
	for _, id := range []string{"R-1", "R-2", "R-3"} {
		h.askBank1(id, map[string]string{"R-1": "15.00", "R-2": "146.00", "R-3": "145.00"}[id])
	}
	h.ok(bank1, "ApproveFinancing", "R-1", "", "450")
	require.Len(t, bankSlotsWritten(h.last), 16, "15.00 is more than its slot's 10.00: the line is refolded")
	use, allowance, shared := h.slotTotals()
	require.Equal(t, int64(1500), use)
	require.Equal(t, int64(16000), allowance)
	require.True(t, shared)

	msg := h.refuse("conflict: credit line of Bank1MSP on CoreMSP is 160.00: 15.00 financed and outstanding + 146.00 of receivable R-2 = 161.00, 1.00 over the line (slot ",
		bank1, "ApproveFinancing", "R-2", "", "450")
	require.Contains(t, msg, "its 16 slots 145.00 in all: no rebalance makes room")
	h.ok(bank1, "ApproveFinancing", "R-3", "", "450")
	use, allowance, _ = h.slotTotals()
	require.Equal(t, int64(16000), use, "the line to its last fen")
	require.Equal(t, int64(16000), allowance)
	var lim wire.Limits
	require.NoError(t, json.Unmarshal([]byte(h.ok(bank1, "Limits", "CoreMSP")), &lim))
	require.Equal(t, "0.00", lim.Lines[0].Headroom)
}

// SetCreditLine shares the line over the slots from their uses: set again at the same amount it is
// the bank's rebalance. It rewrites every slot under the policy the slot had (the bank's peer).
func TestSubLines_SetCreditLineAtTheSameAmountRebalances(t *testing.T) {
	h := newHarness(t)
	h.ok(bank1, "SetCreditLine", "CoreMSP", "1600.00")
	for i, amount := range []string{"10.00", "25.00", "7.50", "33.00"} {
		id := fmt.Sprintf("R-%d", i)
		h.askBank1(id, amount)
		h.ok(bank1, "ApproveFinancing", id, "", "450")
	}
	before := h.slots("CoreMSP", "Bank1MSP")
	h.ok(bank1, "SetCreditLine", "CoreMSP", "1600.00")
	written := bankSlotsWritten(h.last)
	require.Len(t, written, 16)
	for _, k := range written {
		require.Equal(t, []string{"Bank1MSP"}, h.needs(k), "rewriting a slot needs the bank: %s", k)
		require.Equal(t, []string{"Bank1MSP"}, h.guard(k), "the slot's policy is unchanged: %s", k)
	}
	after := h.slots("CoreMSP", "Bank1MSP")
	var use, allowance int64
	for i, s := range after {
		require.Equal(t, before[i].Financed, s.Financed, "a rebalance moves no use")
		free := s.AllowanceFen - s.Use("Bank1MSP")
		require.InDelta(t, (160000-7550)/16, free, 1, "slot %d: an even share of what is free", i)
		use += s.Use("Bank1MSP")
		allowance += s.AllowanceFen
	}
	require.Equal(t, int64(7550), use)
	require.Equal(t, int64(160000), allowance)
}

// A line lowered below its use leaves no slot room: no approval fits until repayments bring the
// use below the line, whichever slot they land in; then the first approval shares the line again.
func TestSubLines_ALineLoweredBelowItsUseAdmitsNothingUntilRepaid(t *testing.T) {
	h := newHarness(t)
	h.ok(bank1, "SetCreditLine", "CoreMSP", "1000.00")
	h.issue(issueJSON(issueOpts{ID: "R-1", Amount: "600.00", Maturity: "2026-12-01"}))
	h.ok(supA, "Accept", "R-1")
	h.ok(supA, "RequestFinancing", "R-1", "Bank1MSP")
	h.ok(bank1, "ApproveFinancing", "R-1", "", "450")
	h.askBank1("R-2", "10.00")

	h.ok(bank1, "SetCreditLine", "CoreMSP", "500.00")
	for i, s := range h.slots("CoreMSP", "Bank1MSP") {
		require.False(t, s.Shared, "slot %d", i)
		require.Equal(t, s.Use("Bank1MSP"), s.AllowanceFen, "slot %d: no room", i)
	}
	h.refuse("conflict: credit line of Bank1MSP on CoreMSP is 500.00: 600.00 financed and outstanding + 10.00 of receivable R-2 = 610.00, 110.00 over the line",
		bank1, "ApproveFinancing", "R-2", "", "450")

	h.days(10)
	h.redeem(treasurer, "R-1")
	use, _, shared := h.slotTotals()
	require.Zero(t, use)
	require.False(t, shared, "a repayment frees room but shares nothing")
	h.ok(bank1, "ApproveFinancing", "R-2", "", "450")
	use, allowance, shared := h.slotTotals()
	require.Equal(t, int64(1000), use)
	require.Equal(t, int64(50000), allowance)
	require.True(t, shared, "the approval refolded the line")
}

// Random sequences of credit line changes, rebalances and approvals of random amounts through the
// chaincode (the decreases are the pure test's and TestSubLines_ALineLoweredBelowItsUseAdmitsNothingUntilRepaid's), with a fixed seed: an approval commits exactly when the bank's use plus its
// amount is within the line, so the use never exceeds the line through an approval; the slots
// add up to the use, and while shared their allowances add up to the line.
func TestSubLines_RandomSequencesNeverExceedTheLine(t *testing.T) {
	h := newHarness(t)
	rng := rand.New(rand.NewPCG(27, 16))
	line := int64(500000)
	h.ok(bank1, "SetCreditLine", "CoreMSP", wire.FormatAmount(line))
	admitted, refused := 0, 0
	for step := range 80 {
		var lim wire.Limits
		require.NoError(t, json.Unmarshal([]byte(h.ok(bank1, "Limits", "CoreMSP")), &lim))
		used := lim.Lines[0].UsedFen
		switch op := rng.IntN(8); {
		case op == 0:
			line = rng.Int64N(800000)
			h.ok(bank1, "SetCreditLine", "CoreMSP", wire.FormatAmount(line))
		case op == 1: // the rebalance
			h.ok(bank1, "SetCreditLine", "CoreMSP", wire.FormatAmount(line))
		default:
			id := fmt.Sprintf("R-%d", step)
			amount := rng.Int64N(line/5+2) + 1
			h.askBank1(id, wire.FormatAmount(amount))
			_, err := h.invoke(bank1, "ApproveFinancing", id, "", "450")
			require.Equal(t, used+amount <= line, err == nil, "step %d: %d used + %d, line %d: %v", step, used, amount, line, err)
			if err == nil {
				admitted++
			} else {
				refused++
				require.Contains(t, err.Error(), "over the line")
			}
		}
		use, allowance, shared := h.slotTotals()
		require.NoError(t, json.Unmarshal([]byte(h.ok(bank1, "Limits", "CoreMSP")), &lim))
		require.Equal(t, lim.Lines[0].UsedFen, use, "the slots add up to the use")
		if shared {
			require.Equal(t, line, allowance, "step %d", step)
		}
	}
	require.Positive(t, admitted)
	require.Positive(t, refused)
}

package contract_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/receivable"
	"github.com/recv-ledger/recv/chaincode/wire"
)

// receivables decodes every receivable of the committed state, by id.
func (h *harness) receivables() map[string]*wire.Receivable {
	h.t.Helper()
	out := map[string]*wire.Receivable{}
	for _, k := range h.ledger.Keys() {
		if id, ok := strings.CutPrefix(k, "rcv/"); ok {
			var r wire.Receivable
			require.NoError(h.t, json.Unmarshal(h.ledger.State(k), &r))
			out[id] = &r
		}
	}
	return out
}

// checkConservation checks the invariant of the given roots (all when none given).
func (h *harness) checkConservation(all map[string]*wire.Receivable, roots ...string) {
	h.t.Helper()
	byRoot := map[string][]*wire.Receivable{}
	for _, r := range all {
		byRoot[r.RootID] = append(byRoot[r.RootID], r)
	}
	if len(roots) == 0 {
		for root := range byRoot {
			roots = append(roots, root)
		}
	}
	for _, root := range roots {
		require.NoError(h.t, receivable.CheckConservation(byRoot[root]))
	}
}

// checkExposure requires the risk view's figures, which the writes keep as aggregates, to be what
// a full scan of the receivables computes.
func (h *harness) checkExposure(all map[string]*wire.Receivable) {
	h.t.Helper()
	var outstanding, overdue int64
	financed, holders := map[string]int64{}, map[string]int64{}
	for _, r := range all {
		if wire.MSPOf(r.Issuer) != "CoreMSP" || !r.Live() {
			continue
		}
		outstanding += r.AmountFen
		if r.Status == wire.StatusOverdue {
			overdue += r.AmountFen
		}
		if r.Financed() && r.Recourse == nil {
			financed[r.Financing.Bank] += r.AmountFen
		}
		if r.Holder != "" {
			holders[r.Holder] += r.AmountFen
		}
	}
	var page wire.RiskPage
	require.NoError(h.t, json.Unmarshal([]byte(h.ok(auditor, "Risk", "1", "")), &page))
	require.Len(h.t, page.Items, 1)
	x := page.Items[0]
	require.Equal(h.t, "CoreMSP", x.Obligor)
	require.Equal(h.t, outstanding, x.OutstandingFen)
	require.Equal(h.t, overdue, x.OverdueFen)
	got := map[string]int64{}
	for _, f := range x.Financed {
		got[f.Bank] = f.AmountFen
	}
	require.Equal(h.t, financed, got)
	for _, top := range x.TopHolders {
		require.Equal(h.t, holders[top.Holder], top.AmountFen, top.Holder)
	}
}

// TestConservation_HoldsAfterEveryStepOfARandomSequence runs a seeded, reproducible sequence of
// lifecycle operations over several roots, with mostly plausible and sometimes wrong callers,
// and checks after every step that no refusal wrote anything and that, for the root touched, the
// live and redeemed leaves still sum exactly to the root amount.
func TestConservation_HoldsAfterEveryStepOfARandomSequence(t *testing.T) {
	const steps = 2000
	h := newHarness(t)
	rng := rand.New(rand.NewPCG(20261122, 1))
	accounts := []string{treasurer, treasurer2, otherCore, approver, approver2, otherAppr, supA, supB, supC, bank1, bank2, auditor}
	var instructions []string
	suppliers := []string{supA, supB, supC}
	succeeded := map[string]int{}
	roots := 0
	pick := func(xs []string) string { return xs[rng.IntN(len(xs))] }

	for step := 0; step < steps; step++ {
		all := h.receivables()
		ids := make([]string, 0, len(all))
		for id := range all {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		plausible := rng.IntN(10) < 8

		var caller, fn string
		var args []string
		var r *wire.Receivable
		var live []string
		for _, id := range ids {
			if st := all[id].Status; st == wire.StatusActive || st == wire.StatusPending || st == wire.StatusFinancing {
				live = append(live, id)
			}
		}
		switch {
		case len(live) > 0 && rng.IntN(10) < 8:
			r = all[pick(live)]
		case len(ids) > 0:
			r = all[pick(ids)]
		}
		switch op := rng.IntN(22); {
		case len(instructions) > 0 && rng.IntN(2) == 0:
			caller, fn, args = pick([]string{approver, approver2}), "ConfirmInstruction", []string{pick(instructions)}
			if rng.IntN(8) == 0 {
				fn, args = "RefuseInstruction", append(args, "not ours")
			}
		case op == 0 || r == nil || roots < 6 && op < 3:
			roots++
			caller, fn = treasurer, "Issue"
			amount := fmt.Sprintf("%d.%02d", 1+rng.IntN(1_000_000), rng.IntN(100))
			maturity := h.now.AddDate(0, 0, 5+rng.IntN(60)).Format("2006-01-02")
			args = []string{issueJSON(issueOpts{ID: fmt.Sprintf("R-%d", roots), Beneficiary: pick(suppliers), Amount: amount, Maturity: maturity})}
		case op == 1:
			caller, fn, args = r.PendingHolder, "Accept", []string{r.ID}
		case op == 2:
			caller, fn, args = r.PendingHolder, "Reject", []string{r.ID, "no"}
		case op == 3:
			caller, fn, args = r.Holder, "Revoke", []string{r.ID}
			if r.Holder == "" {
				caller = r.Issuer
			}
		case op == 4:
			n := 2 + rng.IntN(4)
			parts := make([]string, n)
			rest := r.AmountFen
			for i := range n - 1 {
				share := rest / int64(n-i)
				if share > 1 && rng.IntN(2) == 0 {
					share = 1 + rng.Int64N(share)
				}
				parts[i] = wire.FormatAmount(share)
				rest -= share
			}
			parts[n-1] = wire.FormatAmount(rest)
			raw, _ := json.Marshal(parts)
			caller, fn, args = r.Holder, "Split", []string{r.ID, string(raw)}
		case op == 5 || op == 6:
			amount := ""
			if op == 6 && r.AmountFen > 1 {
				amount = wire.FormatAmount(1 + rng.Int64N(r.AmountFen-1))
			}
			caller, fn, args = r.Holder, "Transfer", []string{r.ID, pick(suppliers), amount}
		case op == 7:
			caller, fn, args = r.Holder, "RequestFinancing", []string{r.ID, pick([]string{"Bank1MSP", "Bank2MSP"})}
		case op == 8 || op == 9:
			bank := bank1
			if r.Financing != nil && r.Financing.Bank == "Bank2MSP" {
				bank = bank2
			}
			caller, fn, args = bank, "ApproveFinancing", []string{r.ID, pick([]string{"", "true"}), fmt.Sprint(1 + rng.IntN(3600))}
			if op == 9 {
				fn, args = "RejectFinancing", []string{r.ID, "declined"}
			}
		case op == 10:
			caller, fn, args = treasurer, "Redeem", []string{r.ID, "PAY-" + r.ID}
		case op == 11:
			caller, fn, args = treasurer, "RedeemAll", []string{r.RootID, "PAY-" + r.RootID}
		case op == 16 && rng.IntN(3) == 0:
			caller, fn, args = auditor, "FreezeReceivable", []string{r.ID, "court order", "REF-1"}
		case op == 16 || op == 17:
			caller, fn, args = auditor, "UnfreezeReceivable", []string{r.ID, "lifted", "REF-1"}
		case op == 18:
			caller, fn, args = r.Holder, "MarkOverdue", []string{r.ID}
		case op == 19:
			caller, fn, args = r.Holder, "ExerciseRecourse", []string{r.ID}
		case op == 20 && rng.IntN(3) == 0:
			caller, fn, args = pick([]string{bank1, bank2}), "SetCreditLine", []string{"CoreMSP", fmt.Sprintf("%d", 1+rng.IntN(10_000_000))}
		case op == 21 && rng.IntN(4) == 0:
			caller, fn, args = approver, "SetIssuanceLimit", []string{fmt.Sprintf("%d", 1+rng.IntN(100_000_000))}
		case op == 12:
			h.days(1 + rng.IntN(3))
			continue
		default:
			h.days(1)
			continue
		}
		if !plausible || caller == "" {
			caller = pick(accounts)
		}
		out, err := h.invoke(caller, fn, args...)
		if err == nil {
			succeeded[fn]++
			var e wire.Event
			require.NoError(t, json.Unmarshal([]byte(out), &e))
			require.Equal(t, fn, e.Op)
			if e.Instruction != nil && e.Instruction.Status == wire.InstructionOpen {
				instructions = append(instructions, e.Instruction.ID)
			} else if e.Instruction != nil {
				instructions = slices.DeleteFunc(instructions, func(id string) bool { return id == e.Instruction.ID })
			}
		} else {
			kindOf(t, err)
			if strings.Contains(err.Error(), "expired at") || strings.Contains(err.Error(), " is CONFIRMED") ||
				strings.Contains(err.Error(), "was made at OtherCoreMSP") {
				instructions = slices.DeleteFunc(instructions, func(id string) bool { return id == args[0] })
			}
			if os.Getenv("RECV_DEBUG_RANDOM") != "" && plausible {
				t.Logf("%s %s: %v", caller, fn, err)
			}
		}
		after := h.receivables()
		if r != nil {
			h.checkConservation(after, r.RootID)
		}
		if step%100 == 0 {
			h.checkConservation(after)
			h.checkExposure(after)
		}
	}
	h.checkConservation(h.receivables())
	h.checkExposure(h.receivables())
	for _, fn := range []string{"Issue", "Accept", "Reject", "Revoke", "Split", "Transfer", "RequestFinancing",
		"ApproveFinancing", "RejectFinancing", "Redeem", "RedeemAll", "ConfirmInstruction", "RefuseInstruction",
		"FreezeReceivable", "UnfreezeReceivable", "MarkOverdue", "SetCreditLine", "SetIssuanceLimit"} {
		require.Positivef(t, succeeded[fn], "the sequence never got %s through: %v", fn, succeeded)
	}
	t.Logf("succeeded: %v", succeeded)
}

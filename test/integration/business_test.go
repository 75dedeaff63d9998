package integration

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/test/internal/story"
)

// TestBusiness_MakerCheckerLinesFreezeAndRisk covers the business around the receivable on the
// real network as far as a day allows (overdue and recourse need days to pass: the unit tests
// cover them over the stub's clock): a maker's request commits nothing until another identity,
// the approver, confirms it, and a refused one never commits; a bank's credit line refuses a
// financing one fen over it; a frozen piece cannot move; marking a piece overdue on its maturity
// day is refused; the risk view and the limits read what the writes did. Lines and exposure are
// ledger-wide, so the test reads them before it writes and checks differences.
func TestBusiness_MakerCheckerLinesFreezeAndRisk(t *testing.T) {
	core, checker, a := as(t, treasurer), as(t, story.Approver), as(t, tier1)
	b2, aud := as(t, bank2), as(t, auditor)
	forbidden, conflict := string(wire.KindForbidden)+": ", string(wire.KindConflict)+": "
	maturity := time.Now().UTC().AddDate(0, 0, 60).Format("2006-01-02")
	today := time.Now().UTC().Format("2006-01-02")

	// Maker and checker: the request writes an instruction only.
	refusedID := uniqueID("RB")
	req := core.submit(t, "Issue", issueRequest(t, refusedID, tier1, "100.00", maturity, "100.00"))
	require.NotNil(t, req.Result.Instruction, "the core enterprise is under two-person control")
	require.Empty(t, req.Result.Items)
	_, err := core.trySubmit("ConfirmInstruction", req.Result.Instruction.ID)
	require.ErrorContains(t, err, forbidden, "the maker cannot confirm its own request")
	refused := checker.submit(t, "RefuseInstruction", req.Result.Instruction.ID, "amount does not match the contract")
	assert.Equal(t, wire.InstructionRefused, refused.Result.Instruction.Status)
	_, err = checker.trySubmit("ConfirmInstruction", req.Result.Instruction.ID)
	require.ErrorContains(t, err, conflict, "a refused request cannot be confirmed")
	_, err = aud.tryEvaluate(aud.mspID, "Get", refusedID)
	require.ErrorContains(t, err, string(wire.KindNotFound)+": ", "nothing was issued")

	// A credit line one fen short of two pieces: the second financing is refused. The line is
	// Bank2's, whose approvals no other suite on the shared network counts on, and it is raised
	// out of the way when the test ends.
	var before wire.Limits
	b2.evaluate(t, &before, "Limits", "CoreMSP")
	var used int64
	for _, l := range before.Lines {
		used = l.UsedFen
	}
	b2.submit(t, "SetCreditLine", "CoreMSP", wire.FormatAmount(used+100000-1))
	t.Cleanup(func() { b2.submit(t, "SetCreditLine", "CoreMSP", "1000000000000.00") })
	var ids []string
	for range 2 {
		id := uniqueID("RL")
		issued := core.made(t, "Issue", issueRequest(t, id, tier1, "500.00", maturity, "500.00"))
		assert.Equal(t, "ConfirmInstruction", issued.Result.Op)
		a.submit(t, "Accept", id)
		a.submit(t, "RequestFinancing", id, "Bank2MSP")
		ids = append(ids, id)
	}
	b2.submit(t, "ApproveFinancing", ids[0], "", "450")
	_, err = b2.trySubmit("ApproveFinancing", ids[1], "true", "450")
	require.ErrorContains(t, err, conflict)
	require.ErrorContains(t, err, "0.01 over the line")
	var after wire.Limits
	b2.evaluate(t, &after, "Limits", "CoreMSP")
	require.Len(t, after.Lines, 1)
	assert.Equal(t, used+50000, after.Lines[0].UsedFen)
	_, err = a.tryEvaluate(a.mspID, "Limits", "CoreMSP")
	require.ErrorContains(t, err, forbidden, "a supplier does not read the lines")

	// The risk view names the financing; a supplier cannot read it.
	var page wire.RiskPage
	aud.evaluate(t, &page, "Risk", "10", "")
	var exposure *wire.Exposure
	for i := range page.Items {
		if page.Items[i].Obligor == "CoreMSP" {
			exposure = &page.Items[i]
		}
	}
	require.NotNil(t, exposure)
	assert.GreaterOrEqual(t, exposure.OutstandingFen, int64(100000))
	financed := map[string]int64{}
	for _, f := range exposure.Financed {
		financed[f.Bank] = f.AmountFen
	}
	assert.Equal(t, used+50000, financed["Bank2MSP"], "the line's use is the exposure's financing")
	_, err = a.tryEvaluate(a.mspID, "Risk", "10", "")
	require.ErrorContains(t, err, forbidden)

	// Freeze: a frozen piece cannot move; unfrozen, it can.
	a.submit(t, "WithdrawFinancing", ids[1])
	aud.submit(t, "FreezeReceivable", ids[1], "court order", "(2026)沪0115财保1号")
	_, err = a.trySubmit("Transfer", ids[1], tier2, "")
	require.ErrorContains(t, err, conflict)
	require.ErrorContains(t, err, "is frozen")
	_, err = a.trySubmit("FreezeReceivable", ids[1], "x", "y")
	require.ErrorContains(t, err, forbidden)
	aud.submit(t, "UnfreezeReceivable", ids[1], "order lifted", "(2026)沪0115财保1号")
	a.submit(t, "Split", ids[1], `["100","400"]`)

	// Overdue only after maturity plus the grace days: a piece maturing today is refused.
	due := uniqueID("RO")
	core.made(t, "Issue", issueRequest(t, due, tier1, "10.00", today, "10.00"))
	a.submit(t, "Accept", due)
	_, err = a.trySubmit("MarkOverdue", due)
	require.ErrorContains(t, err, conflict)
	require.ErrorContains(t, err, "can be marked overdue from")
	_, err = b2.trySubmit("ExerciseRecourse", ids[0])
	require.ErrorContains(t, err, conflict, "recourse on a piece that is not overdue")
	paid := core.made(t, "Redeem", due, "TRF-"+due)
	require.Equal(t, wire.StatusRedeemed, paid.Result.Items[0].Status)
	r := aud.get(t, due)
	require.NotNil(t, r.Redemption)
	assert.Equal(t, "TRF-"+due, r.Redemption.PaymentRef)
	assert.Equal(t, tier1, r.Redemption.PaidTo)
	assert.False(t, r.Redemption.Late)
	assert.True(t, strings.HasPrefix(r.Redemption.Instruction, "I"), "the redemption names the confirmed instruction")
}

// TestCreditLine_AnApprovalHeldWhileTheObligorMovesStillCommits: Fabric's validation re-runs every
// range a transaction read (a phantom check). A bank's approval under a credit line reads only the
// bank's part of the obligor's exposure, so an approval endorsed before an issuance, an acceptance
// and a transfer of other receivables of the same core enterprise commit still commits VALID (it
// was PHANTOM_READ_CONFLICT when the check read the whole exposure). Every write also reads the time
// beacon: a tick committed while the approval is held makes it MVCC_READ_CONFLICT, and the scenario
// runs again, at most three times.
func TestCreditLine_AnApprovalHeldWhileTheObligorMovesStillCommits(t *testing.T) {
	core, a, b2 := as(t, treasurer), as(t, tier1), as(t, bank2)
	maturity := time.Now().UTC().AddDate(0, 0, 60).Format("2006-01-02")
	used := bankUse(t, b2)
	b2.submit(t, "SetCreditLine", "CoreMSP", wire.FormatAmount(used+10_000_000))
	t.Cleanup(func() { b2.submit(t, "SetCreditLine", "CoreMSP", "1000000000000.00") })
	active := func(prefix string) string {
		id := uniqueID(prefix)
		core.made(t, "Issue", issueRequest(t, id, tier1, "100.00", maturity, "100.00"))
		a.submit(t, "Accept", id)
		return id
	}

	for attempt := 1; ; attempt++ {
		financed, moved := active("RH"), active("RM")
		a.submit(t, "RequestFinancing", financed, "Bank2MSP")
		hash, _, err := b2.decideFirst("ApproveFinancing", []string{financed, "", "450"})
		require.NoError(t, err)
		p, err := b2.contract.NewProposal("ApproveFinancing", client.WithArguments(financed, hash, ""))
		require.NoError(t, err)
		held, err := p.Endorse()
		require.NoError(t, describe(err))

		pending := uniqueID("RN")
		core.made(t, "Issue", issueRequest(t, pending, tier1, "10.00", maturity, "10.00"))
		a.submit(t, "Accept", pending)
		a.submit(t, "Transfer", moved, tier2, "")

		st, err := mustSubmit(t, held).Status()
		require.NoError(t, describe(err))
		require.NotEqual(t, peer.TxValidationCode_PHANTOM_READ_CONFLICT, st.Code,
			"writes that do not move Bank2's financing invalidated its approval")
		if st.Successful {
			b2.settle(t, st.BlockNumber)
			require.Equal(t, wire.StatusActive, b2.get(t, financed).Status)
			return
		}
		require.Equal(t, peer.TxValidationCode_MVCC_READ_CONFLICT, st.Code, "a beacon tick is the only other reason")
		require.Less(t, attempt, 3, "three beacon ticks in a row")
	}
}

// bankUse is what bank b's credit line on CoreMSP counts as used. A network that ran a benchmark
// holds more changes of the obligor's exposure than a read adds up: each fold takes up to 20,000.
func bankUse(t *testing.T, b *actor) int64 {
	t.Helper()
	var limits wire.Limits
	for folds := 0; ; folds++ {
		raw, err := b.tryEvaluate(b.mspID, "Limits", "CoreMSP")
		if err == nil {
			require.NoError(t, json.Unmarshal(raw, &limits))
			break
		}
		require.ErrorContains(t, err, "unfolded changes")
		require.Less(t, folds, 20, "the exposure is still unreadable")
		b.submit(t, "FoldExposure", "CoreMSP")
	}
	var used int64
	for _, l := range limits.Lines {
		used = l.UsedFen
	}
	return used
}

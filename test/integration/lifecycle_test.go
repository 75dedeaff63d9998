package integration

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/test/internal/story"
)

// The accounts of the story, as in the gateway suites' story.
const (
	treasurer = story.Treasurer
	tier1     = story.Tier1
	tier2     = story.Tier2
	tier3     = story.Tier3
	bank1     = story.Bank1
	bank2     = story.Bank2
	auditor   = story.Auditor
)

// TestLifecycle_ThreeTiersTwoBanks is the story of one receivable: the core enterprise issues
// 1,250,000.00 against a contract and two invoices, tier 1 accepts and splits it, passes part to
// tier 2, tier 2 passes part to tier 3, tier 3 is paid by Bank1, tier 2 is turned down by Bank2.
// Then a second receivable that matures today is split and every live leaf redeemed. Every
// write is checked in the returned payload, on the ledger, in its event, and the history, the
// trace and the conservation invariant are checked at the end.
func TestLifecycle_ThreeTiersTwoBanks(t *testing.T) {
	core, a, b, c := as(t, treasurer), as(t, tier1), as(t, tier2), as(t, tier3)
	b1, b2, aud := as(t, bank1), as(t, bank2), as(t, auditor)

	startBlock := height(t, aud) // every event of this test is in a block at or after this one
	var txs []committed
	record := func(c committed) committed { txs = append(txs, c); return c }

	maturity := time.Now().UTC().AddDate(0, 0, 90).Format("2006-01-02")
	root := uniqueID("RI")

	// Issue: PENDING until the tier-1 supplier accepts.
	issued := record(core.made(t, "Issue", issueRequest(t, root, tier1, "1250000.00", maturity, "700000.00", "550000.00")))
	require.Equal(t, "ConfirmInstruction", issued.Result.Op, "the approver's confirmation commits the issuance")
	require.Equal(t, issued.TxID, issued.Result.TxID)
	r := a.get(t, root)
	assert.Equal(t, wire.StatusPending, r.Status)
	assert.Equal(t, tier1, r.PendingHolder)
	assert.Equal(t, int64(125000000), r.AmountFen)
	assert.Equal(t, treasurer, r.Issuer)

	record(a.submit(t, "Accept", root))
	r = a.get(t, root)
	assert.Equal(t, wire.StatusActive, r.Status)
	assert.Equal(t, tier1, r.Holder)

	// Split into two pieces; the parent can never move again.
	split := record(a.submit(t, "Split", root, `["600000","650000.00"]`))
	assert.Equal(t, []string{root, root + ".1", root + ".2"}, ids(split.Result.Items))
	r = a.get(t, root)
	assert.Equal(t, wire.StatusSplit, r.Status)
	assert.Equal(t, []string{root + ".1", root + ".2"}, r.Children)

	// Tier 1 transfers 400,000.00 of the second piece to tier 2: offered part and kept remainder.
	record(a.submit(t, "Transfer", root+".2", tier2, "400000.00"))
	toTier2, kept := root+".2.1", root+".2.2"
	assert.Equal(t, wire.StatusPending, a.get(t, toTier2).Status)
	assert.Equal(t, tier2, a.get(t, toTier2).PendingHolder)
	assert.Equal(t, int64(25000000), a.get(t, kept).AmountFen)
	record(b.submit(t, "Accept", toTier2))
	assert.Equal(t, tier2, b.get(t, toTier2).Holder)

	// Tier 2 transfers 150,000.00 to tier 3.
	record(b.submit(t, "Transfer", toTier2, tier3, "150000"))
	toTier3, tier2Keeps := toTier2+".1", toTier2+".2"
	record(c.submit(t, "Accept", toTier3))
	r = c.get(t, toTier3)
	assert.Equal(t, wire.StatusActive, r.Status)
	assert.Equal(t, tier3, r.Holder)
	assert.Equal(t, root, r.RootID)
	assert.Equal(t, toTier2, r.ParentID)

	// Tier 3 finances at Bank1: locked while the bank decides, then the bank holds it and paid
	// amount - discount, the discount computed to the fen by the chaincode.
	record(c.submit(t, "RequestFinancing", toTier3, "Bank1MSP"))
	assert.Equal(t, wire.StatusFinancing, c.get(t, toTier3).Status)
	approved := record(b1.submit(t, "ApproveFinancing", toTier3, "", "450"))
	r = b1.get(t, toTier3)
	require.NotNil(t, r.Financing)
	assert.Equal(t, wire.StatusActive, r.Status)
	assert.Equal(t, bank1, r.Holder)
	assert.Equal(t, bank1, r.Financing.Financier)
	require.NotNil(t, r.Financing.Terms, "the bank reads its private terms on its own peer")
	terms := r.Financing.Terms
	wantDiscount := discountFen(15000000, 450, terms.Days)
	assert.Equal(t, wantDiscount, terms.DiscountFen)
	assert.Equal(t, int64(15000000)-wantDiscount, terms.DisbursedFen)
	assert.InDelta(t, 90, terms.Days, 1, "days to maturity")
	assert.Equal(t, r.Financing.TermsHash, approved.Result.Items[0].TermsHash)
	assert.Equal(t, bank1, approved.Result.Items[0].Holder)

	// Tier 2 asks Bank2 for its remaining 250,000.00; Bank2 turns it down and it is unlocked.
	record(b.submit(t, "RequestFinancing", tier2Keeps, "Bank2MSP"))
	rejected := record(b2.submit(t, "RejectFinancing", tier2Keeps, "credit line exhausted"))
	assert.Equal(t, wire.StatusActive, rejected.Result.Items[0].Status)
	r = b.get(t, tier2Keeps)
	assert.Equal(t, wire.StatusActive, r.Status)
	assert.Equal(t, tier2, r.Holder)

	// The first receivable's pieces cannot be redeemed before maturity.
	_, err := core.trySubmit("RedeemAll", root, "TRF-"+root)
	require.ErrorContains(t, err, string(wire.KindConflict)+": ")
	require.ErrorContains(t, err, "cannot be redeemed before")

	// A second receivable that matures today: issued, accepted, split in three, then the core
	// enterprise redeems one leaf and settles every other live leaf in one transaction.
	today := time.Now().UTC().Format("2006-01-02")
	due := uniqueID("RD")
	record(core.made(t, "Issue", issueRequest(t, due, tier1, "90000.00", today, "90000.00")))
	record(a.submit(t, "Accept", due))
	record(a.submit(t, "Split", due, `["10000","30000","50000"]`))
	record(core.made(t, "Redeem", due+".1", "TRF-"+due+".1"))
	all := record(core.made(t, "RedeemAll", due, "TRF-"+due))
	assert.ElementsMatch(t, []string{due + ".2", due + ".3"}, ids(all.Result.Items))
	for _, it := range all.Result.Items {
		assert.Equal(t, wire.StatusRedeemed, it.Status)
	}
	_, err = core.trySubmit("Redeem", due+".2", "TRF-"+due+".2")
	require.ErrorContains(t, err, string(wire.KindConflict)+": ", "a redeemed leaf cannot be paid twice")

	// Conservation: for each root, the live and redeemed leaves add up to the root amount.
	liveA, redeemedA := story.LeafSums(t, trace(t, aud, root))
	assert.Equal(t, int64(125000000), liveA+redeemedA)
	assert.Zero(t, redeemedA)
	liveB, redeemedB := story.LeafSums(t, trace(t, aud, due))
	assert.Zero(t, liveB, "every live leaf of %s is redeemed", due)
	assert.Equal(t, int64(9000000), redeemedB)

	t.Run("history of the financed piece", func(t *testing.T) {
		var hist []wire.HistoryEntry
		aud.evaluate(t, &hist, "History", toTier3)
		require.Len(t, hist, 4, "created by the transfer, accepted, financing requested, approved")
		submitters := []string{}
		for _, h := range hist {
			submitters = append(submitters, h.Submitter)
			assert.False(t, h.IsDelete)
			_, err := time.Parse(time.RFC3339, h.Timestamp)
			assert.NoError(t, err, h.Timestamp)
		}
		assert.Equal(t, []string{bank1, tier3, tier3, tier2}, submitters, "newest first")
		assert.Equal(t, approved.TxID, hist[0].TxID)
		require.NotNil(t, hist[0].Value)
		assert.Equal(t, bank1, hist[0].Value.Holder)
	})

	t.Run("one event per transaction, named after it, in commit order", func(t *testing.T) {
		events := collectEvents(t, aud, startBlock, txs)
		require.Len(t, events, len(txs))
		var lastBlock uint64
		for i, tx := range txs {
			ev := events[tx.TxID]
			require.NotNil(t, ev, "event of %s %s", tx.Result.Op, tx.TxID)
			assert.Equal(t, tx.Result.Op, ev.EventName)
			assert.Equal(t, tx.Block, ev.BlockNumber)
			var payload wire.Event
			require.NoError(t, json.Unmarshal(ev.Payload, &payload))
			assert.Equal(t, tx.Result, payload, "the event carries what the transaction returned")
			assert.GreaterOrEqual(t, ev.BlockNumber, lastBlock, "transaction %d committed in order", i)
			lastBlock = ev.BlockNumber
		}
	})

	t.Run("totals reconcile", func(t *testing.T) {
		var tot wire.Totals
		aud.evaluate(t, &tot, "Totals", bank1)
		assert.GreaterOrEqual(t, tot.FinancedFen, int64(15000000))
		aud.evaluate(t, &tot, "Totals", tier3)
		assert.GreaterOrEqual(t, tot.OutstandingFen, int64(0))
	})
}

// issueRequest is the Issue JSON with a fresh contract hash and one invoice per amount given.
func issueRequest(t *testing.T, id, to, amount, maturity string, invoices ...string) string {
	t.Helper()
	req := wire.IssueRequest{ID: id, Beneficiary: to, Amount: amount, MaturityDate: maturity,
		Contract: wire.Document{Number: "C-" + id, SHA256: randomHex(t)}}
	for i, a := range invoices {
		req.Invoices = append(req.Invoices, wire.Invoice{Number: fmt.Sprintf("INV-%s-%d", id, i+1), SHA256: randomHex(t), Amount: a})
	}
	b, err := json.Marshal(req)
	require.NoError(t, err)
	return string(b)
}

// discountFen is the rule of DESIGN.md, computed independently: amount x rate x days /
// (10000 x 360), rounded half up to the fen.
func discountFen(amount, rateBps, days int64) int64 {
	num := amount * rateBps * days
	den := int64(10000 * 360)
	return (2*num + den) / (2 * den)
}

func ids(items []wire.EventItem) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.ID
	}
	return out
}

func trace(t *testing.T, a *actor, root string) *wire.TraceNode {
	t.Helper()
	var tr wire.Trace
	a.evaluate(t, &tr, "Trace", root)
	require.NotNil(t, tr.Root)
	require.Equal(t, root, tr.Root.ID)
	return tr.Root
}

func height(t *testing.T, a *actor) uint64 {
	t.Helper()
	info, err := a.chainInfo(a.mspID)
	require.NoError(t, err)
	return info.Height
}

// collectEvents reads chaincode events from block `from` until it has one for each transaction
// (or a minute passes), keyed by transaction id; a second event for one transaction fails.
func collectEvents(t *testing.T, a *actor, from uint64, txs []committed) map[string]*client.ChaincodeEvent {
	t.Helper()
	want := map[string]bool{}
	for _, tx := range txs {
		want[tx.TxID] = true
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ch, err := a.network.ChaincodeEvents(ctx, net.Chaincode, client.WithStartBlock(from))
	require.NoError(t, err)
	got := map[string]*client.ChaincodeEvent{}
	for len(got) < len(want) {
		select {
		case ev, ok := <-ch:
			require.True(t, ok, "event stream ended with %d of %d events", len(got), len(want))
			if !want[ev.TransactionID] {
				continue // another test's transaction
			}
			require.NotContains(t, got, ev.TransactionID, "a second event for %s", ev.TransactionID)
			got[ev.TransactionID] = ev
		case <-ctx.Done():
			t.Fatalf("only %d of %d events arrived", len(got), len(want))
		}
	}
	return got
}

func uniqueID(prefix string) string {
	return fmt.Sprintf("%s-%s-%s", prefix, time.Now().UTC().Format("150405"), randomHexN(3))
}

func randomHex(t *testing.T) string {
	t.Helper()
	return randomHexN(32)
}

func randomHexN(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

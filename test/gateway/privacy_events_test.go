package gateway_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
	gwclient "github.com/recv-ledger/recv/gateway/client"
)

// TestEvents_EachCallerGetsOnlyWhatItMayRead (issue 10, part 2): Bank1 finances R1 at 275 bps,
// Bank2 turns R2 down; then R3 is offered to Bank1 and R4 to Bank2 (each stream's last event).
// Bank2's stream holds R2 and R4 only, its rejection with the reason; Bank1's holds R1 and R3, its
// approval with the terms; the core enterprise gets every event of what it issued, the decisions
// with their hash but no terms; the supplier gets the terms of both. A stream resumed after any of
// its events delivers exactly the rest of it.
func TestEvents_EachCallerGetsOnlyWhatItMayRead(t *testing.T) {
	core, a := as(t, "CoreMSP/treasurer"), as(t, "SupplierMSP/supplier-a")
	bank1, bank2 := as(t, "Bank1MSP/officer"), as(t, "Bank2MSP/officer")
	ids := map[string]string{}
	start := uint64(0)
	offer := func(name, bank string) string {
		id := uniqueID(t, "GP")
		ids[id] = name
		c := core.Made(t, as(t, "CoreMSP/approver"), "issue", "", issueBody(t, id, "SupplierMSP/supplier-a", "100.00", inDays(60)))
		if start == 0 {
			start = c.BlockNumber
		}
		a.Sees(t, id, wire.StatusPending)
		a.Submit(t, "accept", id, nil)
		return a.Submit(t, "request-financing", id, wire.FinancingRequest{Bank: bank}).TxID
	}
	offer("R1", "Bank1MSP")
	r1ID := idOf(ids, "R1")
	bank1.Sees(t, r1ID, wire.StatusFinancing)
	approved := bank1.Submit(t, "approve-financing", r1ID, wire.ApproveRequest{RateBps: 275})
	offer("R2", "Bank2MSP")
	r2ID := idOf(ids, "R2")
	bank2.Sees(t, r2ID, wire.StatusFinancing)
	rejected := bank2.Submit(t, "reject-financing", r2ID, wire.ReasonRequest{Reason: "tenor too long"})
	last1 := offer("R3", "Bank1MSP")
	last2 := offer("R4", "Bank2MSP")

	stream := func(c *client, after string, last string) []gwclient.Event {
		o := gwclient.StreamOptions{StartBlock: int64(start)}
		if after != "" {
			o = gwclient.StreamOptions{After: after}
		}
		return readEvents(t, c, o, func(got []gwclient.Event) bool { return got[len(got)-1].TransactionID == last })
	}
	// ours: the stream's events of this test's receivables by name, each checked to carry only them.
	ours := func(evs []gwclient.Event) (names []string, byTx map[string]wire.Event) {
		byTx = map[string]wire.Event{}
		for _, e := range evs {
			var ev wire.Event
			require.NoError(t, json.Unmarshal(e.Payload, &ev))
			for _, it := range ev.Items {
				if name, ok := ids[it.ID]; ok {
					names = append(names, name+":"+e.Name)
					byTx[e.TransactionID] = ev
				}
			}
		}
		return names, byTx
	}

	evs2 := stream(bank2, "", last2)
	names, byTx := ours(evs2)
	require.Equal(t, []string{"R2:RequestFinancing", "R2:DecideFinancing", "R2:RejectFinancing", "R4:RequestFinancing"}, names,
		"the bank's decision, recorded privately, then the rejection that binds it")
	require.NotContains(t, string(allData(evs2)), `"rateBps":275`, "no trace of Bank1's rate (a bare 275 may be part of a random transaction id)")
	require.Equal(t, "tenor too long", byTx[rejected.TxID].Items[0].Terms.Reason, "Bank2 reads its own reason")

	evs1 := stream(bank1, "", last1)
	names, byTx = ours(evs1)
	require.Equal(t, []string{"R1:RequestFinancing", "R1:DecideFinancing", "R1:ApproveFinancing", "R3:RequestFinancing"}, names)
	terms := byTx[approved.TxID].Items[0].Terms
	require.NotNil(t, terms, "Bank1 gets the terms of its approval")
	require.Equal(t, int64(275), terms.RateBps)
	require.NotContains(t, string(allData(evs1)), "tenor too long")

	evsCore := stream(core, "", last2)
	_, byTx = ours(evsCore)
	item := byTx[approved.TxID].Items[0]
	require.Equal(t, "Bank1MSP", item.Bank)
	require.Equal(t, approved.Result.Items[0].TermsHash, item.TermsHash)
	require.Nil(t, item.Terms, "the core enterprise sees the hash, not the price")
	require.NotContains(t, string(allData(evsCore)), `"rateBps"`)

	evsA := stream(a, "", last2)
	_, byTx = ours(evsA)
	require.Equal(t, int64(275), byTx[approved.TxID].Items[0].Terms.RateBps, "the supplier asked: a party")
	require.Equal(t, "tenor too long", byTx[rejected.TxID].Items[0].Terms.Reason)

	// Resuming after any delivered event gives exactly the rest, none skipped, none repeated.
	for _, cut := range []int{0, len(evs1) / 2, len(evs1) - 2} {
		rest := stream(bank1, evs1[cut].ID, last1)
		require.Equal(t, eventIDs(evs1[cut+1:]), eventIDs(rest), "resumed after %s", evs1[cut].ID)
	}
}

func idOf(ids map[string]string, name string) string {
	for id, n := range ids {
		if n == name {
			return id
		}
	}
	return ""
}

func eventIDs(evs []gwclient.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.ID
	}
	return out
}

func allData(evs []gwclient.Event) string {
	var b strings.Builder
	for _, e := range evs {
		b.Write(e.Data)
	}
	return b.String()
}

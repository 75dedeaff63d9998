package contract_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// financed has R-1 (1,250,000.00) requested by supplier-a and approved by Bank1 at 450 bps.
func financed(t *testing.T) *harness {
	h := newHarness(t)
	h.active("R-1", supA, "1250000.00")
	h.ok(supA, "RequestFinancing", "R-1", "Bank1MSP")
	h.ok(bank1, "ApproveFinancing", "R-1", "", "450")
	return h
}

func getAs(t *testing.T, h *harness, account, id string) wire.Receivable {
	t.Helper()
	var r wire.Receivable
	require.NoError(t, json.Unmarshal([]byte(h.ok(account, "Get", id)), &r))
	return r
}

func TestTerms_ArePrivateAndTheirHashIsPublic(t *testing.T) {
	h := financed(t)
	ev := h.lastEvent()
	require.Equal(t, "Bank1MSP", ev.Items[0].Bank)
	require.Len(t, ev.Items[0].TermsHash, 64)
	payload := string(h.ledger.Events()[len(h.ledger.Events())-1].Payload)
	public := string(h.ledger.State("rcv/R-1"))
	for _, secret := range []string{"rateBps", "450", "discount", "disbursed", "1229843.75", "salt"} {
		require.NotContains(t, payload, secret, "the event carries no terms")
		require.NotContains(t, public, secret, "the public state carries no terms")
	}
	require.Contains(t, public, ev.Items[0].TermsHash)

	coll := h.ledger.Private()[wire.TermsCollection("SupplierMSP", "Bank1MSP")]
	raw := coll[wire.DecisionKey("R-1", wire.DecisionApproved, ev.Items[0].TermsHash)]
	require.NotNil(t, raw, "the terms are in the collection of the requester's organisation and the bank")
	sum := sha256.Sum256(raw)
	require.Equal(t, ev.Items[0].TermsHash, hex.EncodeToString(sum[:]), "the public hash is the SHA-256 of the private terms")
	require.Len(t, h.ledger.Private(), 1, "nothing else is private")

	for _, party := range []string{supA, bank1, auditor} {
		r := getAs(t, h, party, "R-1")
		require.NotNil(t, r.Financing.Terms, "%s is a party to the terms", party)
		require.Equal(t, int64(450), r.Financing.Terms.RateBps)
		require.Equal(t, "1229843.75", r.Financing.Terms.Disbursed)
		require.Equal(t, ev.Items[0].TermsHash, r.Financing.TermsHash)
	}
	// The obligor reads the receivable and the hash, not the price.
	r := getAs(t, h, treasurer, "R-1")
	require.Nil(t, r.Financing.Terms)
	require.Equal(t, ev.Items[0].TermsHash, r.Financing.TermsHash)
	h.refuse("forbidden: ", bank2, "Get", "R-1")
	h.refuse("not_found: terms", bank2, "GetTerms", "R-1", ev.Items[0].TermsHash)
	h.refuse("not_found: terms", treasurer, "GetTerms", "R-1", ev.Items[0].TermsHash)
	h.refuse("invalid: termsHash", supA, "GetTerms", "R-1", "abc")
	h.refuse("not_found: receivable", supA, "GetTerms", "R-9", ev.Items[0].TermsHash)
	var terms wire.Terms
	require.NoError(t, json.Unmarshal([]byte(h.ok(supA, "GetTerms", "R-1", ev.Items[0].TermsHash)), &terms))
	require.Equal(t, wire.DecisionApproved, terms.Decision)
	require.Equal(t, bank1, terms.DecidedBy)
}

func TestTerms_ShownInHistoryTraceListsAndTotalsToTheParties(t *testing.T) {
	h := financed(t)
	var hist []wire.HistoryEntry
	require.NoError(t, json.Unmarshal([]byte(h.ok(bank1, "History", "R-1")), &hist))
	require.NotNil(t, hist[0].Value.Financing.Terms, "newest version first, with the terms")
	var obligor []wire.HistoryEntry
	require.NoError(t, json.Unmarshal([]byte(h.ok(treasurer, "History", "R-1")), &obligor))
	hist = obligor
	require.Nil(t, hist[0].Value.Financing.Terms)
	require.NotEmpty(t, hist[0].Value.Financing.TermsHash)

	var tr wire.Trace
	require.NoError(t, json.Unmarshal([]byte(h.ok(supA, "Trace", "R-1")), &tr))
	require.Equal(t, int64(450), tr.Root.Financing.Terms.RateBps)
	tr = wire.Trace{}
	require.NoError(t, json.Unmarshal([]byte(h.ok(treasurer, "Trace", "R-1")), &tr))
	require.Nil(t, tr.Root.Financing.Terms)

	var page wire.Page
	require.NoError(t, json.Unmarshal([]byte(h.ok(bank1, "ListByHolder", bank1, "20", "")), &page))
	require.Equal(t, int64(450), page.Items[0].Financing.Terms.RateBps)

	var tot wire.Totals
	require.NoError(t, json.Unmarshal([]byte(h.ok(bank1, "Totals", bank1)), &tot))
	require.Equal(t, int64(125000000), tot.FinancedFen)
	require.Equal(t, "1229843.75", tot.Disbursed)
	// A peer without the collection's data answers the public part only.
	h.ledger.ForgetPrivate(wire.TermsCollection("SupplierMSP", "Bank1MSP"))
	tot = wire.Totals{}
	require.NoError(t, json.Unmarshal([]byte(h.ok(bank1, "Totals", bank1)), &tot))
	require.Empty(t, tot.Disbursed)
	require.Nil(t, getAs(t, h, auditor, "R-1").Financing.Terms)
}

func TestTerms_TravelOnlyAsTransientData(t *testing.T) {
	h := newHarness(t)
	h.active("R-1", supA, "1000")
	h.ok(supA, "RequestFinancing", "R-1", "Bank1MSP")
	creator := h.ids[bank1]
	run := func(args []string, transient map[string][]byte) string {
		stub := h.ledger.NewStub(h.nextTxID(), h.now, creator, args...)
		stub.SetTransient(transient)
		resp := h.cc.Invoke(stub)
		require.Empty(t, stub.Writes())
		require.Empty(t, stub.PrivateWrites())
		return resp.Message
	}
	salt := []byte(hash("s"))
	require.Contains(t, run([]string{"DecideFinancing", "R-1", "approved", "450"}, nil), "invalid: DecideFinancing takes arguments (id, decision), 3 given")
	require.Contains(t, run([]string{"DecideFinancing", "R-1", "approved"}, nil), `invalid: rateBps "" is not an integer`)
	require.Contains(t, run([]string{"DecideFinancing", "R-1", "approved"}, map[string][]byte{"rateBps": []byte("450")}), "invalid: salt must be 64 hex")
	require.Contains(t, run([]string{"DecideFinancing", "R-1", "approved"}, map[string][]byte{"rateBps": []byte("450"), "salt": []byte("00")}), "invalid: salt")
	require.Contains(t, run([]string{"DecideFinancing", "R-1", "approved"}, map[string][]byte{"rateBps": []byte("450"), "salt": salt, "x": nil}), `invalid: DecideFinancing takes no transient value "x"`)
	require.Contains(t, run([]string{"DecideFinancing", "R-1", "approved"}, map[string][]byte{"rateBps": []byte("4.5"), "salt": salt}), `invalid: rateBps "4.5" is not an integer`)
	require.Contains(t, run([]string{"DecideFinancing", "R-1", "maybe"}, map[string][]byte{"salt": salt}), `invalid: decision "maybe" must be "approved" or "rejected"`)
	require.Contains(t, run([]string{"DecideFinancing", "R-1", "rejected"}, map[string][]byte{"salt": salt}), "invalid: reason")
	// The binding transactions carry no terms at all, only the hash of terms recorded before.
	require.Contains(t, run([]string{"ApproveFinancing", "R-1", hash("x"), ""}, map[string][]byte{"rateBps": []byte("450"), "salt": salt}), "invalid: ApproveFinancing takes no transient data")
	require.Contains(t, run([]string{"ApproveFinancing", "R-1", hash("x"), ""}, nil), "not_found: no approved terms "+hash("x")+" of receivable R-1 recorded by Bank1MSP")
	require.Contains(t, run([]string{"ApproveFinancing", "R-1", "450", ""}, nil), "invalid: termsHash \"450\" must be the SHA-256")
	require.Contains(t, run([]string{"RejectFinancing", "R-1", hash("x")}, nil), "not_found: no rejected terms")
	require.Contains(t, run([]string{"Get", "R-1"}, map[string][]byte{"salt": salt}), "invalid: Get takes no transient data")
	require.Equal(t, wire.StatusFinancing, h.get("R-1").Status)
}

func TestTerms_SaltChangesTheHash(t *testing.T) {
	a, b := financed(t), newHarness(t)
	b.seq = 100 // another transaction id, so another salt
	b.now = a.now
	b.active("R-1", supA, "1250000.00")
	b.ok(supA, "RequestFinancing", "R-1", "Bank1MSP")
	b.ok(bank1, "ApproveFinancing", "R-1", "", "450")
	require.NotEqual(t, a.lastEvent().Items[0].TermsHash, b.lastEvent().Items[0].TermsHash)
}

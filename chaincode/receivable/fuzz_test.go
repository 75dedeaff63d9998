package receivable

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// FuzzParseDate checks that an accepted date is a real calendar date in canonical form.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2027-03-31", "2028-02-29", "2027-02-29", "2027-13-01", "1999-12-31", "2027-3-1", "", "9999-12-31"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			require.Equal(t, wire.KindInvalid, wire.KindOf(err))
			return
		}
		require.Equal(t, s, d.Format(DateLayout))
		require.Equal(t, time.UTC, d.Location())
		require.GreaterOrEqual(t, d.Year(), 2000)
	})
}

// FuzzIssueRequest feeds arbitrary JSON to the Issue rule: it never panics, every refusal has a
// kind, and an accepted receivable is consistent with its request and the limits.
func FuzzIssueRequest(f *testing.F) {
	seed, _ := json.Marshal(request("R-1"))
	f.Add(string(seed))
	f.Add(`{"id":"","beneficiary":"SupplierMSP/supplier-a","amount":"1","maturityDate":"2026-11-22","contract":{"number":"C","sha256":"` +
		strings.Repeat("a", 64) + `"},"invoices":[{"number":"I","sha256":"` + strings.Repeat("B", 64) + `","amount":"2"}]}`)
	f.Add(`{"id":"R-1","bogus":true}`)
	f.Add(`[]`)
	f.Add(`{"invoices":[{"amount":"92233720368547758.07"},{"amount":"92233720368547758.07"}]}`)
	f.Fuzz(func(t *testing.T, doc string) {
		b := newBook()
		b.invoices[sha("used")] = "R-0"
		b.items["R-0"] = &wire.Receivable{ID: "R-0", RootID: "R-0"}
		var req wire.IssueRequest
		if err := wire.DecodeStrict([]byte(doc), &req); err != nil {
			require.Equal(t, wire.KindInvalid, wire.KindOf(err))
			return
		}
		ch, err := Issue(b, txAs(core, t0), req)
		if err != nil {
			require.NotEqual(t, wire.Kind(""), wire.KindOf(err), err.Error())
			return
		}
		require.Len(t, ch.Writes, 1)
		r := ch.Writes[0].After
		require.NoError(t, ValidateID("id", r.ID))
		require.Equal(t, r.ID, r.RootID)
		require.Positive(t, r.AmountFen)
		require.Equal(t, wire.StatusPending, r.Status)
		require.NotEqual(t, r.Issuer, r.PendingHolder)
		days := DaysBetween(t0, mustDate(t, r.MaturityDate))
		require.True(t, days >= 0 && days <= DefaultConfig().MaxTermDays)
		var total int64
		for _, inv := range r.Trade.Invoices {
			fen, err := wire.ParseAmount(inv.Amount)
			require.NoError(t, err)
			total += fen
			require.NotEqual(t, sha("used"), inv.SHA256)
		}
		require.GreaterOrEqual(t, total, r.AmountFen)
		require.Len(t, ch.Invoices, len(r.Trade.Invoices))
	})
}

// FuzzSplitParts splits a 1000.00 receivable by arbitrary parts: accepted splits conserve the amount.
func FuzzSplitParts(f *testing.F) {
	f.Add(`["400","600"]`)
	f.Add(`["999.99","0.01"]`)
	f.Add(`["1000"]`)
	f.Add(`["500","500.001"]`)
	f.Fuzz(func(t *testing.T, doc string) {
		var parts []string
		if json.Unmarshal([]byte(doc), &parts) != nil {
			return
		}
		b := newBook()
		do := mustApply(t, b)
		do(Issue(b, txAs(core, t0), request("R-1")))
		do(Accept(b, txAs(supplier, t0), "R-1"))
		ch, err := Split(b, txAs(supplier, t0), "R-1", parts)
		if err != nil {
			require.NotEqual(t, wire.Kind(""), wire.KindOf(err))
			return
		}
		b.apply(ch)
		nodes, _ := b.Tree("R-1")
		require.NoError(t, CheckConservation(nodes))
		require.Len(t, nodes, len(parts)+1)
	})
}

func mustDate(t *testing.T, s string) time.Time {
	d, err := ParseDate(s)
	require.NoError(t, err)
	return d
}

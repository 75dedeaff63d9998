package audit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// TotalsReader reads an account's totals as the chaincode answers them (recv totals, as the
// auditor).
type TotalsReader func(ctx context.Context, account string) (*wire.Totals, error)

// Totals computes, from the rebuilt state, the totals of every account that holds a rebuilt
// receivable, by the chaincode's rule (contract.Totals): outstanding sums the ACTIVE, PENDING and
// FINANCING pieces the account holds, financed the part of those a bank has approved, redeemed
// the REDEEMED pieces it holds. Accounts are returned sorted.
func (a *Auditor) Totals() ([]*wire.Totals, error) {
	byAccount := map[string]*wire.Totals{}
	err := a.each(func(r *wire.Receivable) error {
		if r.Holder == "" { // a pending, rejected or revoked issuance: no account holds it
			return nil
		}
		t := byAccount[r.Holder]
		if t == nil {
			t = &wire.Totals{Account: r.Holder}
			byAccount[r.Holder] = t
		}
		return addTotals(t, r)
	})
	if err != nil {
		return nil, err
	}
	out := make([]*wire.Totals, 0, len(byAccount))
	for _, acct := range sortedKeys(byAccount) {
		t := byAccount[acct]
		t.Outstanding = wire.FormatAmount(t.OutstandingFen)
		t.Financed = wire.FormatAmount(t.FinancedFen)
		t.Redeemed = wire.FormatAmount(t.RedeemedFen)
		out = append(out, t)
	}
	return out, nil
}

// addTotals counts r in t, as the chaincode's addTo does.
func addTotals(t *wire.Totals, r *wire.Receivable) error {
	add := func(sum *int64) error {
		if *sum > math.MaxInt64-r.AmountFen {
			return fmt.Errorf("totals of %s overflow int64 fen", t.Account)
		}
		*sum += r.AmountFen
		return nil
	}
	switch r.Status {
	case wire.StatusActive, wire.StatusPending, wire.StatusFinancing, wire.StatusOverdue:
		if r.Financed() {
			if err := add(&t.FinancedFen); err != nil {
				return err
			}
		}
		return add(&t.OutstandingFen)
	case wire.StatusRedeemed:
		return add(&t.RedeemedFen)
	}
	return nil
}

// CompareTotals asks the chaincode for the totals of every account holding a rebuilt receivable
// and records a difference, by account, when any sum differs from the one computed from the
// rebuilt state. Meaningful for a whole chain only: after a checkpoint the older pieces were not
// rebuilt.
func (a *Auditor) CompareTotals(ctx context.Context, read TotalsReader) ([]Difference, error) {
	if a.opts.Start != nil {
		return nil, errors.New("audit: totals are compared on a whole chain only, not after a checkpoint")
	}
	mine, err := a.Totals()
	if err != nil {
		return nil, err
	}
	var diffs []Difference
	for _, t := range mine {
		theirs, err := read(ctx, t.Account)
		if err != nil {
			return nil, fmt.Errorf("totals %s: %w", t.Account, err)
		}
		a.rep.AccountsTotalled++
		if theirs == nil {
			theirs = &wire.Totals{}
		}
		var fields, parts []string
		for _, s := range []struct {
			name         string
			mine, theirs int64
		}{
			{"outstandingFen", t.OutstandingFen, theirs.OutstandingFen},
			{"financedFen", t.FinancedFen, theirs.FinancedFen},
			{"redeemedFen", t.RedeemedFen, theirs.RedeemedFen},
		} {
			if s.mine != s.theirs {
				fields = append(fields, s.name)
				parts = append(parts, fmt.Sprintf("%s %s, rebuilt %s", strings.TrimSuffix(s.name, "Fen"),
					wire.FormatAmount(s.theirs), wire.FormatAmount(s.mine)))
			}
		}
		if len(fields) > 0 {
			sort.Strings(fields)
			diffs = append(diffs, Difference{ID: t.Account, Fields: fields,
				Detail: "the chaincode's totals of the account differ from the rebuilt state: " + strings.Join(parts, "; ")})
		}
	}
	a.rep.Differences = append(a.rep.Differences, diffs...)
	return diffs, nil
}

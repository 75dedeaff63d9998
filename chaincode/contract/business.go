package contract

import (
	"fmt"
	"maps"
	"math/big"
	"slices"

	"github.com/recv-ledger/recv/chaincode/receivable"
	"github.com/recv-ledger/recv/chaincode/wire"
)

// The business around the receivable (docs/chaincode.md): two-person control, credit lines,
// overdue and recourse, freeze, and the risk view. Each transaction adapts one rule.

// ConfirmInstruction commits a maker's instruction; an approver of its organisation other than the
// maker confirms it.
func (c *Contract) ConfirmInstruction(ctx *TxContext, id string) (*wire.Event, error) {
	return c.run(ctx, func(rd receivable.Reader, tx receivable.Tx) (receivable.Change, error) {
		return receivable.ConfirmInstruction(rd, tx, id)
	})
}

// RefuseInstruction closes a maker's instruction without committing it.
func (c *Contract) RefuseInstruction(ctx *TxContext, id, reason string) (*wire.Event, error) {
	return c.run(ctx, func(rd receivable.Reader, tx receivable.Tx) (receivable.Change, error) {
		return receivable.RefuseInstruction(rd, tx, id, reason)
	})
}

// GetInstruction returns an instruction of the caller's organisation (every one for the auditor).
func (c *Contract) GetInstruction(ctx *TxContext, id string) (*wire.Instruction, error) {
	tx, err := c.tx(ctx)
	if err != nil {
		return nil, err
	}
	return receivable.ReadInstruction(ledger{stub: ctx.GetStub()}, tx, id)
}

// FreezeReceivable freezes a receivable and its pieces (the auditor).
func (c *Contract) FreezeReceivable(ctx *TxContext, id, reason, reference string) (*wire.Event, error) {
	return c.run(ctx, func(rd receivable.Reader, tx receivable.Tx) (receivable.Change, error) {
		return receivable.SetFreeze(rd, tx, id, reason, reference, true)
	})
}

// UnfreezeReceivable lifts the freeze of a receivable and its pieces (the auditor).
func (c *Contract) UnfreezeReceivable(ctx *TxContext, id, reason, reference string) (*wire.Event, error) {
	return c.run(ctx, func(rd receivable.Reader, tx receivable.Tx) (receivable.Change, error) {
		return receivable.SetFreeze(rd, tx, id, reason, reference, false)
	})
}

// MarkOverdue marks a piece past maturity and grace OVERDUE (its holder or the auditor).
func (c *Contract) MarkOverdue(ctx *TxContext, id string) (*wire.Event, error) {
	return c.run(ctx, func(rd receivable.Reader, tx receivable.Tx) (receivable.Change, error) {
		return receivable.MarkOverdue(rd, tx, id)
	})
}

// ExerciseRecourse moves an overdue piece financed with recourse back to the supplier.
func (c *Contract) ExerciseRecourse(ctx *TxContext, id string) (*wire.Event, error) {
	return c.run(ctx, func(rd receivable.Reader, tx receivable.Tx) (receivable.Change, error) {
		return receivable.ExerciseRecourse(rd, tx, id)
	})
}

// SetCreditLine sets the caller's bank's credit line on a core enterprise.
func (c *Contract) SetCreditLine(ctx *TxContext, obligor, amount string) (*wire.Event, error) {
	return c.run(ctx, func(rd receivable.Reader, tx receivable.Tx) (receivable.Change, error) {
		return receivable.SetCreditLine(rd, tx, obligor, amount)
	})
}

// SetIssuanceLimit caps the caller's core enterprise's outstanding issuance (its approver).
func (c *Contract) SetIssuanceLimit(ctx *TxContext, amount string) (*wire.Event, error) {
	return c.run(ctx, func(rd receivable.Reader, tx receivable.Tx) (receivable.Change, error) {
		return receivable.SetIssuanceLimit(rd, tx, amount)
	})
}

// FoldExposure folds the pending changes of a core enterprise's exposure into its total, so that
// reading it stays cheap; it changes no figure.
func (c *Contract) FoldExposure(ctx *TxContext, obligor string) (*wire.Event, error) {
	return c.run(ctx, func(rd receivable.Reader, tx receivable.Tx) (receivable.Change, error) {
		return receivable.FoldExposure(rd, tx, obligor, ctx.beacon)
	})
}

// Limits returns a core enterprise's issuance limit and the credit lines on it, with use and
// headroom, as far as the caller may read them.
func (c *Contract) Limits(ctx *TxContext, obligor string) (*wire.Limits, error) {
	l := txLedger(ctx) // one read of the registry index for every part and bank
	banks, err := orgsOfKind(l, wire.OrgBank)
	if err != nil {
		return nil, err
	}
	return receivable.ReadLimits(l, ctx.caller, obligor, banks)
}

func orgsOfKind(l ledger, kind wire.OrgKind) ([]string, error) {
	orgs, err := l.Orgs()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, o := range orgs {
		if o.Kind == kind {
			out = append(out, o.MSPID)
		}
	}
	return out, nil
}

// Risk pages through the core enterprises (at most pageSize per call, after the one named by
// bookmark) and returns each one's exposure: outstanding, overdue and its ratio, days past due of
// the oldest overdue piece, financed per bank, the largest holders and the credit lines. Every
// figure comes from aggregates the writes keep, never from a scan of the receivables. A bank sees
// its own financing and lines and the other banks' only as one sum.
func (c *Contract) Risk(ctx *TxContext, pageSize int32, bookmark string) (*wire.RiskPage, error) {
	if pageSize < 1 || pageSize > wire.MaxPageSize {
		return nil, receivable.Invalidf("pageSize %d must be an integer in 1..%d", pageSize, wire.MaxPageSize)
	}
	tx, err := c.tx(ctx)
	if err != nil {
		return nil, err
	}
	l := txLedger(ctx) // one read of the registry index for every obligor, part and bank
	cores, err := orgsOfKind(l, wire.OrgCore)
	if err != nil {
		return nil, err
	}
	banks, err := orgsOfKind(l, wire.OrgBank)
	if err != nil {
		return nil, err
	}
	page := &wire.RiskPage{Items: []wire.Exposure{}}
	for _, obligor := range cores {
		if obligor <= bookmark {
			continue
		}
		if len(page.Items) == int(pageSize) {
			page.Bookmark = page.Items[len(page.Items)-1].Obligor
			break
		}
		x, err := c.exposure(l, tx, obligor, banks)
		if err != nil {
			return nil, err
		}
		page.Items = append(page.Items, *x)
	}
	page.Count = len(page.Items)
	return page, nil
}

// topHolders is how many of the largest holders the risk view names.
const topHolders = 5

func (c *Contract) exposure(l ledger, tx receivable.Tx, obligor string, banks []string) (*wire.Exposure, error) {
	e, err := l.Exposure(obligor)
	if err != nil {
		return nil, err
	}
	caller := tx.Caller
	x := &wire.Exposure{Obligor: obligor, OutstandingFen: e.OutstandingFen, OverdueFen: e.OverdueFen,
		Financed: []wire.BankAmount{}, TopHolders: []wire.HolderShare{}, Lines: []wire.CreditLine{}}
	x.Outstanding, x.Overdue = wire.FormatAmount(e.OutstandingFen), wire.FormatAmount(e.OverdueFen)
	if e.OutstandingFen > 0 {
		x.OverdueBps = share(e.OverdueFen, e.OutstandingFen)
	}
	if x.DaysPastDue, err = l.daysPastDue(obligor, tx); err != nil {
		return nil, err
	}
	var others int64
	for _, b := range slices.Sorted(maps.Keys(e.Financed)) {
		if caller.Role == wire.RoleFinancier && b != caller.MSPID {
			others += e.Financed[b]
			continue
		}
		x.Financed = append(x.Financed, wire.BankAmount{Bank: b, AmountFen: e.Financed[b], Amount: wire.FormatAmount(e.Financed[b])})
	}
	if others > 0 {
		x.Financed = append(x.Financed, wire.BankAmount{Bank: "other banks", AmountFen: others, Amount: wire.FormatAmount(others)})
	}
	holders := slices.Sorted(maps.Keys(e.Holders))
	slices.SortStableFunc(holders, func(a, b string) int {
		switch {
		case e.Holders[a] > e.Holders[b]:
			return -1
		case e.Holders[a] < e.Holders[b]:
			return 1
		}
		return 0
	})
	for _, h := range holders[:min(len(holders), topHolders)] {
		x.TopHolders = append(x.TopHolders, wire.HolderShare{Holder: h, AmountFen: e.Holders[h],
			Amount: wire.FormatAmount(e.Holders[h]), ShareBps: share(e.Holders[h], e.OutstandingFen)})
	}
	limits, err := receivable.ReadLimits(l, caller, obligor, banks)
	if err != nil {
		return nil, err
	}
	x.Lines = limits.Lines
	if limits.Issuance != nil {
		x.Lines = append([]wire.CreditLine{*limits.Issuance}, x.Lines...)
	}
	return x, nil
}

// share is part/whole in basis points, rounded down, computed exactly.
func share(part, whole int64) int64 {
	if whole <= 0 || part <= 0 {
		return 0
	}
	n := new(big.Int).Mul(big.NewInt(part), big.NewInt(10000))
	return n.Quo(n, big.NewInt(whole)).Int64()
}

// daysPastDue is how many days the oldest overdue piece of obligor is past its maturity (0: none).
func (l ledger) daysPastDue(obligor string, tx receivable.Tx) (int, error) {
	it, _, err := l.stub.GetStateByPartialCompositeKeyWithPagination(overdueIndex, []string{obligor}, 1, "")
	if err != nil {
		return 0, fmt.Errorf("reading the overdue index of %s: %w", obligor, err)
	}
	defer it.Close()
	if !it.HasNext() {
		return 0, nil
	}
	kv, err := it.Next()
	if err != nil {
		return 0, fmt.Errorf("reading the overdue index of %s: %w", obligor, err)
	}
	_, attrs, err := l.stub.SplitCompositeKey(kv.Key)
	if err != nil || len(attrs) != 3 {
		return 0, fmt.Errorf("bad index key %q", kv.Key)
	}
	m, err := receivable.ParseDate(attrs[1])
	if err != nil {
		return 0, err
	}
	return max(receivable.DaysBetween(m, tx.Time), 0), nil
}

package receivable

import (
	"slices"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// Credit lines (授信额度) and issuance limits. A bank grants a line on one core enterprise: the
// receivables of that obligor it has financed and still bears may not exceed it. A core
// enterprise's approver may cap the enterprise's own outstanding issuance. Use is read from the
// obligor's exposure, which every write keeps up to date.

// checkCreditLine returns the draw of financing r on bank's credit line on the obligor, nil when
// the bank set no line. The ledger checks it against the line's sub-line the transaction draws
// from (sublines.go), which reads one slot of the bank's part of the obligor's exposure and not
// the total, and refuses it when the line has no room for it.
func checkCreditLine(rd Reader, obligor, bank string, r *wire.Receivable) (*LineDraw, error) {
	line, err := rd.Line(obligor, bank)
	if err != nil || line == nil {
		return nil, err
	}
	return &LineDraw{Line: line, ID: r.ID}, nil
}

// checkIssuanceLimit refuses issuing amount when the obligor's outstanding issuance would exceed
// the limit its approver set; it returns the part of the obligor's exposure to fold when a limit
// was read: all but the banks' financing.
func checkIssuanceLimit(rd Reader, obligor string, amount int64) ([]ExposurePart, error) {
	limit, err := rd.Line(obligor, "")
	if err != nil || limit == nil {
		return nil, err
	}
	part := ExposurePart{Obligor: obligor}
	e, err := rd.ExposurePart(part)
	if err != nil {
		return nil, err
	}
	after, ok := addFen(e.OutstandingFen, amount)
	if !ok || after > limit.LimitFen {
		return nil, Conflictf("issuance limit of %s is %s: %s outstanding + %s = %s, %s over the limit",
			obligor, limit.Limit, wire.FormatAmount(e.OutstandingFen), wire.FormatAmount(amount), wire.FormatAmount(after), wire.FormatAmount(after-limit.LimitFen))
	}
	return []ExposurePart{part}, nil
}

func newLine(tx Tx, obligor, bank, amount string) (*wire.CreditLine, error) {
	fen, err := wire.ParseAmount(amount)
	if err != nil {
		return nil, within("amount", err)
	}
	return &wire.CreditLine{Obligor: obligor, Bank: bank, Limit: wire.FormatAmount(fen), LimitFen: fen,
		SetBy: tx.Caller.Account(), UpdatedAt: FormatTime(tx.Time), LastTxID: tx.ID}, nil
}

// SetCreditLine sets the caller's bank's credit line on a core enterprise, and the ledger shares
// it over the slots of the bank's part of the obligor's exposure (ShareLine): set again at the same
// amount, it rebalances the sub-lines. Lowering it below what is already used is allowed: it only
// stops new financings.
func SetCreditLine(rd Reader, tx Tx, obligor, amount string) (Change, error) {
	if err := ValidateMSPID("obligor", obligor); err != nil {
		return Change{}, err
	}
	if tx.Caller.Role != wire.RoleFinancier {
		return Change{}, Forbiddenf("only a bank's financier sets its credit lines; %s has role %q", tx.Caller.Account(), tx.Caller.Role)
	}
	org, err := loadOrg(rd, obligor)
	if err != nil {
		return Change{}, err
	}
	if org.Kind != wire.OrgCore {
		return Change{}, Invalidf("obligor %s is a %s organisation, not a core enterprise", obligor, org.Kind)
	}
	line, err := newLine(tx, obligor, tx.Caller.MSPID, amount)
	if err != nil {
		return Change{}, err
	}
	return Change{Op: "SetCreditLine", Lines: []*wire.CreditLine{line}}, nil
}

// SetIssuanceLimit caps the outstanding issuance of the caller's core enterprise; its approver sets
// it.
func SetIssuanceLimit(rd Reader, tx Tx, amount string) (Change, error) {
	if tx.Caller.Role != wire.RoleApprover {
		return Change{}, Forbiddenf("only a core enterprise's approver sets its issuance limit; %s has role %q", tx.Caller.Account(), tx.Caller.Role)
	}
	line, err := newLine(tx, tx.Caller.MSPID, "", amount)
	if err != nil {
		return Change{}, err
	}
	return Change{Op: "SetIssuanceLimit", Lines: []*wire.CreditLine{line}}, nil
}

// withUse fills a line's use and headroom from the obligor's exposure.
func withUse(l wire.CreditLine, e Exposure) wire.CreditLine {
	l.UsedFen = e.OutstandingFen
	if l.Bank != "" {
		l.UsedFen = e.Financed[l.Bank]
	}
	l.HeadFen = max(l.LimitFen-l.UsedFen, 0)
	l.Used, l.Headroom = wire.FormatAmount(l.UsedFen), wire.FormatAmount(l.HeadFen)
	return l
}

// CanReadLimits reports whether c may read obligor's limits, and whether only its own bank's line.
func CanReadLimits(c Caller, obligor string) (ok, ownBankOnly bool) {
	switch {
	case c.Role == wire.RoleAuditor:
		return true, false
	case c.MSPID == obligor && slices.Contains([]string{wire.RoleIssuer, wire.RoleApprover, wire.RoleAdmin}, c.Role):
		return true, false
	case c.Role == wire.RoleFinancier:
		return true, true
	}
	return false, false
}

// ReadLimits returns obligor's issuance limit and the credit lines on it that c may read, each
// with its use and headroom; banks is the banks of the registry.
func ReadLimits(rd Reader, c Caller, obligor string, banks []string) (*wire.Limits, error) {
	if err := ValidateMSPID("obligor", obligor); err != nil {
		return nil, err
	}
	ok, ownOnly := CanReadLimits(c, obligor)
	if !ok {
		return nil, Forbiddenf("%s may not read the limits of %s", c.Account(), obligor)
	}
	if _, err := loadOrg(rd, obligor); err != nil {
		return nil, err
	}
	e, err := rd.Exposure(obligor)
	if err != nil {
		return nil, err
	}
	out := &wire.Limits{Obligor: obligor, Lines: []wire.CreditLine{}}
	if !ownOnly {
		if l, err := rd.Line(obligor, ""); err != nil {
			return nil, err
		} else if l != nil {
			u := withUse(*l, e)
			out.Issuance = &u
		}
	}
	for _, b := range banks {
		if ownOnly && b != c.MSPID {
			continue
		}
		l, err := rd.Line(obligor, b)
		if err != nil {
			return nil, err
		}
		if l != nil {
			out.Lines = append(out.Lines, withUse(*l, e))
		}
	}
	return out, nil
}

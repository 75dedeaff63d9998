package receivable

import (
	"strings"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// Overdue and recourse (逾期, 追索). A live piece not redeemed by the end of its maturity day plus
// the grace period (setting graceDays) may be marked OVERDUE by its holder or the auditor; it stays
// live and can still be redeemed, late. On an overdue piece it financed with recourse, the bank may
// move the claim back to the supplier that asked for the financing; without recourse the claim
// stays with the bank.

// parseFlag reads an optional boolean argument: "" and "false" are false, "true" is true.
func parseFlag(field, v string) (bool, error) {
	switch v {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	}
	return false, Invalidf("%s %.20q must be true or false", field, v)
}

// MarkOverdue marks an ACTIVE piece past maturity and grace OVERDUE.
func MarkOverdue(rd Reader, tx Tx, id string) (Change, error) {
	r, err := load(rd, tx, id)
	if err != nil {
		return Change{}, err
	}
	if tx.Caller.Role != wire.RoleAuditor && r.Holder != tx.Caller.Account() {
		return Change{}, Forbiddenf("receivable %s is held by %s: only its holder or the auditor marks it overdue", id, r.Holder)
	}
	if r.Status != wire.StatusActive {
		return Change{}, Conflictf("receivable %s is %s, only an ACTIVE receivable can be marked overdue", id, r.Status)
	}
	m, err := ParseDate(r.MaturityDate)
	if err != nil {
		return Change{}, err
	}
	grace := tx.Config.GraceDays
	if DaysBetween(m, tx.Time) <= grace {
		first := m.AddDate(0, 0, grace+1).Format(DateLayout)
		return Change{}, Conflictf("receivable %s matures on %s with %d grace days: it can be marked overdue from %s", id, r.MaturityDate, grace, first)
	}
	next := r.Clone()
	next.Status, next.OverdueAt = wire.StatusOverdue, FormatTime(tx.Time)
	return single("MarkOverdue", r, next, tx, ""), nil
}

// ExerciseRecourse moves an overdue piece the caller's bank financed with recourse back to the
// supplier that asked for the financing.
func ExerciseRecourse(rd Reader, tx Tx, id string) (Change, error) {
	r, err := load(rd, tx, id)
	if err != nil {
		return Change{}, err
	}
	if !r.Financed() {
		return Change{}, Conflictf("receivable %s is not financed: there is no recourse to exercise", id)
	}
	if r.Financing.Bank != tx.Caller.MSPID || tx.Caller.Role != wire.RoleFinancier {
		return Change{}, Forbiddenf("receivable %s is financed by %s: only its financier exercises recourse", id, r.Financing.Bank)
	}
	if r.Status != wire.StatusOverdue {
		return Change{}, Conflictf("receivable %s is %s, recourse needs it OVERDUE", id, r.Status)
	}
	if r.Recourse != nil {
		return Change{}, Conflictf("receivable %s: recourse was exercised on %s", id, r.Recourse.At)
	}
	if r.Financing.WithoutRecourse {
		return Change{}, Conflictf("receivable %s was financed without recourse: the claim stays with %s", id, r.Financing.Bank)
	}
	if !strings.HasPrefix(r.Holder, r.Financing.Bank+"/") {
		return Change{}, Conflictf("receivable %s is held by %s, not by the bank that financed it", id, r.Holder)
	}
	if err := checkNotFrozen(r, "moved back by recourse"); err != nil {
		return Change{}, err
	}
	next := r.Clone()
	to := r.Financing.RequestedBy
	next.Recourse = &wire.Recourse{Bank: r.Financing.Bank, From: r.Holder, To: to, At: FormatTime(tx.Time)}
	next.Holder = to
	return single("ExerciseRecourse", r, next, tx, ""), nil
}

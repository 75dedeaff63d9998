package receivable

import (
	"fmt"
	"strconv"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// Accepting, rejecting and revoking an offer; splitting and transferring (whole or in part).

// Accept takes a pending receivable: the pending holder becomes the holder.
func Accept(rd Reader, tx Tx, id string) (Change, error) {
	r, err := loadPendingFor(rd, tx, id)
	if err != nil {
		return Change{}, err
	}
	next := r.Clone()
	next.Holder, next.PendingHolder, next.Status = r.PendingHolder, "", wire.StatusActive
	return single("Accept", r, next, tx, ""), nil
}

// Reject refuses a pending receivable: an issuance becomes REJECTED (its invoices stay bound, so a
// refused trade cannot be re-used silently), a transfer returns to its holder.
func Reject(rd Reader, tx Tx, id, reason string) (Change, error) {
	if err := checkReason(reason); err != nil {
		return Change{}, err
	}
	r, err := loadPendingFor(rd, tx, id)
	if err != nil {
		return Change{}, err
	}
	next := r.Clone()
	next.PendingHolder = ""
	next.Status = wire.StatusActive
	if r.Holder == "" {
		next.Status = wire.StatusRejected
	}
	return single("Reject", r, next, tx, reason), nil
}

func loadPendingFor(rd Reader, tx Tx, id string) (*wire.Receivable, error) {
	r, err := load(rd, tx, id)
	if err != nil {
		return nil, err
	}
	if r.Status != wire.StatusPending {
		return nil, Conflictf("receivable %s is %s, not PENDING", id, r.Status)
	}
	if r.PendingHolder != tx.Caller.Account() {
		return nil, Forbiddenf("receivable %s is offered to %s, not to %s", id, r.PendingHolder, tx.Caller.Account())
	}
	return r, checkNotFrozen(r, "accepted or rejected")
}

// Revoke withdraws an offer: the issuer revokes a pending issuance (REVOKED), the holder a pending
// transfer (back to ACTIVE).
func Revoke(rd Reader, tx Tx, id string) (Change, error) {
	r, err := load(rd, tx, id)
	if err != nil {
		return Change{}, err
	}
	if r.Status != wire.StatusPending {
		return Change{}, Conflictf("receivable %s is %s, not PENDING", id, r.Status)
	}
	offerer := r.Holder
	if offerer == "" {
		offerer = r.Issuer
	}
	if offerer != tx.Caller.Account() {
		return Change{}, Forbiddenf("receivable %s was offered by %s, not by %s", id, offerer, tx.Caller.Account())
	}
	if err := checkNotFrozen(r, "revoked"); err != nil {
		return Change{}, err
	}
	next := r.Clone()
	next.PendingHolder = ""
	next.Status = wire.StatusActive
	if r.Holder == "" {
		next.Status = wire.StatusRevoked
	}
	return single("Revoke", r, next, tx, ""), nil
}

// loadMovable fetches a receivable its holder may move: ACTIVE, held by the caller, not financed.
func loadMovable(rd Reader, tx Tx, id, verb string) (*wire.Receivable, error) {
	r, err := load(rd, tx, id)
	if err != nil {
		return nil, err
	}
	if r.Holder != tx.Caller.Account() {
		return nil, Forbiddenf("receivable %s is held by %s, not by %s", id, r.Holder, tx.Caller.Account())
	}
	if r.Status != wire.StatusActive {
		return nil, Conflictf("receivable %s is %s, only an ACTIVE receivable can be %s", id, r.Status, verb)
	}
	if r.Financed() {
		return nil, Conflictf("receivable %s is financed by %s and waits for redemption", id, r.Financing.Bank)
	}
	return r, checkNotFrozen(r, verb)
}

func checkBeforeMaturity(r *wire.Receivable, tx Tx, verb string) (int, error) {
	m, err := ParseDate(r.MaturityDate)
	if err != nil {
		return 0, err
	}
	days := DaysBetween(tx.Time, m)
	if days < 1 {
		return 0, Conflictf("receivable %s matures on %s: it can no longer be %s", r.ID, r.MaturityDate, verb)
	}
	return days, nil
}

// Split replaces an ACTIVE receivable by 2..100 children <id>.1..n with the given amounts, which must
// sum exactly to its amount. The children keep the holder; the parent is SPLIT forever.
func Split(rd Reader, tx Tx, id string, parts []string) (Change, error) {
	if n := len(parts); n < MinSplitParts || n > MaxSplitParts {
		return Change{}, Invalidf("parts: %d given, %d..%d needed", n, MinSplitParts, MaxSplitParts)
	}
	amounts := make([]int64, len(parts))
	var total int64
	for i, p := range parts {
		fen, err := wire.ParseAmount(p)
		if err != nil {
			return Change{}, within(fmt.Sprintf("parts[%d]", i), err)
		}
		var ok bool
		if total, ok = addFen(total, fen); !ok {
			return Change{}, Invalidf("parts: total overflows")
		}
		amounts[i] = fen
	}
	r, err := loadMovable(rd, tx, id, "split")
	if err != nil {
		return Change{}, err
	}
	if total != r.AmountFen {
		return Change{}, Invalidf("parts sum to %s, receivable %s is %s", wire.FormatAmount(total), id, r.Amount)
	}
	return splitInto(rd, tx, "Split", r, amounts, nil)
}

// splitInto makes the children of r; shape lets Transfer adjust each child before it is stamped.
func splitInto(rd Reader, tx Tx, op string, r *wire.Receivable, amounts []int64, shape func(i int, c *wire.Receivable)) (Change, error) {
	parent := r.Clone()
	parent.Status = wire.StatusSplit
	writes := []Write{{Before: r, After: parent}}
	for i, fen := range amounts {
		childID := r.ID + "." + strconv.Itoa(i+1)
		if len(childID) > maxIDLen {
			return Change{}, Invalidf("receivable %s is split too deep: child id would exceed %d characters", r.ID, maxIDLen)
		}
		if existing, err := rd.Get(childID); err != nil {
			return Change{}, err
		} else if existing != nil {
			return Change{}, Conflictf("receivable %s already exists", childID)
		}
		c := r.Clone()
		c.ID, c.ParentID, c.AmountFen, c.Children = childID, r.ID, fen, nil
		if shape != nil {
			shape(i, c)
		}
		stamp(c, tx)
		parent.Children = append(parent.Children, childID)
		writes = append(writes, Write{After: c})
	}
	stamp(parent, tx)
	return Change{Op: op, Writes: writes}, nil
}

// Transfer offers a receivable (whole, or the given part of it) to another account. A part splits
// the receivable into <id>.1, the offered part (PENDING), and <id>.2, the remainder kept (ACTIVE).
func Transfer(rd Reader, tx Tx, id, to, amount string) (Change, error) {
	if err := CheckRecipient(rd, "to", to); err != nil {
		return Change{}, err
	}
	if to == tx.Caller.Account() {
		return Change{}, Invalidf("to %s is the holder itself", to)
	}
	var part int64
	if amount != "" {
		fen, err := wire.ParseAmount(amount)
		if err != nil {
			return Change{}, err
		}
		part = fen
	}
	r, err := loadMovable(rd, tx, id, "transferred")
	if err != nil {
		return Change{}, err
	}
	if _, err := checkBeforeMaturity(r, tx, "transferred"); err != nil {
		return Change{}, err
	}
	if part > r.AmountFen {
		return Change{}, Invalidf("amount %s exceeds receivable %s of %s", wire.FormatAmount(part), id, r.Amount)
	}
	if part == 0 || part == r.AmountFen {
		next := r.Clone()
		next.Status, next.PendingHolder = wire.StatusPending, to
		next.AddParty(to)
		return single("Transfer", r, next, tx, ""), nil
	}
	return splitInto(rd, tx, "Transfer", r, []int64{part, r.AmountFen - part}, func(i int, c *wire.Receivable) {
		if i == 0 {
			c.Status, c.PendingHolder = wire.StatusPending, to
			c.AddParty(to)
		}
	})
}

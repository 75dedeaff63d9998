package receivable

import (
	"strings"
	"unicode/utf8"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// Freeze (冻结): the auditor organisation holds a receivable on a court order or a dispute. A frozen
// piece cannot be split, transferred, accepted, financed or redeemed until it is unfrozen; the
// freeze covers the receivable and every piece it was split into.

const maxReferenceLen = 64

// checkNotFrozen refuses moving a frozen receivable.
func checkNotFrozen(r *wire.Receivable, verb string) error {
	if r.Frozen == nil {
		return nil
	}
	return Conflictf("receivable %s is frozen by %s (%s, reference %s): it cannot be %s", r.ID, wire.MSPOf(r.Frozen.By), r.Frozen.Reason, r.Frozen.Reference, verb)
}

func checkReference(ref string) error {
	if !utf8.ValidString(ref) || strings.TrimSpace(ref) == "" || utf8.RuneCountInString(ref) > maxReferenceLen {
		return Invalidf("reference must have 1..%d characters", maxReferenceLen)
	}
	return nil
}

// withPieces returns r and every piece it was split into, in id order.
func withPieces(rd Reader, r *wire.Receivable) ([]*wire.Receivable, error) {
	nodes, err := rd.Tree(r.RootID)
	if err != nil {
		return nil, err
	}
	var out []*wire.Receivable
	for _, n := range nodes {
		if n.ID == r.ID || strings.HasPrefix(n.ID, r.ID+".") {
			out = append(out, n)
		}
	}
	return out, nil
}

// SetFreeze freezes (freeze true) or unfreezes a receivable and its pieces; only the auditor may.
func SetFreeze(rd Reader, tx Tx, id, reason, reference string, freeze bool) (Change, error) {
	op := "FreezeReceivable"
	if !freeze {
		op = "UnfreezeReceivable"
	}
	if err := checkReason(reason); err != nil {
		return Change{}, err
	}
	if err := checkReference(reference); err != nil {
		return Change{}, err
	}
	if tx.Caller.Role != wire.RoleAuditor {
		return Change{}, Forbiddenf("only the auditor freezes and unfreezes receivables; %s has role %q", tx.Caller.Account(), tx.Caller.Role)
	}
	r, err := load(rd, tx, id)
	if err != nil {
		return Change{}, err
	}
	switch {
	case freeze && r.Frozen != nil:
		return Change{}, Conflictf("receivable %s is already frozen (reference %s)", id, r.Frozen.Reference)
	case !freeze && r.Frozen == nil:
		return Change{}, Conflictf("receivable %s is not frozen", id)
	case freeze && !r.Live() && r.Status != wire.StatusSplit:
		return Change{}, Conflictf("receivable %s is %s: there is nothing left to freeze", id, r.Status)
	}
	nodes, err := withPieces(rd, r)
	if err != nil {
		return Change{}, err
	}
	ch := Change{Op: op, Reason: reason}
	for _, n := range nodes {
		if (n.Frozen != nil) == freeze || (freeze && !n.Live() && n.Status != wire.StatusSplit) {
			continue
		}
		next := n.Clone()
		next.Frozen = nil
		if freeze {
			next.Frozen = &wire.Freeze{Reason: reason, Reference: reference, By: tx.Caller.Account(), At: FormatTime(tx.Time)}
		}
		stamp(next, tx)
		ch.Writes = append(ch.Writes, Write{Before: n, After: next})
	}
	return ch, nil
}

package receivable

// Redemption at maturity: one leaf, or every live leaf of a root at once.

import (
	"github.com/recv-ledger/recv/chaincode/wire"
)

// checkRedeemer checks that the caller speaks for the obligor and that the receivable has matured.
func checkRedeemer(r *wire.Receivable, tx Tx) error {
	if wire.MSPOf(r.Issuer) != tx.Caller.MSPID {
		return Forbiddenf("receivable %s is owed by %s, not by %s", r.ID, wire.MSPOf(r.Issuer), tx.Caller.MSPID)
	}
	m, err := ParseDate(r.MaturityDate)
	if err != nil {
		return err
	}
	if DaysBetween(tx.Time, m) > 0 {
		return Conflictf("receivable %s matures on %s, it cannot be redeemed before", r.ID, r.MaturityDate)
	}
	return nil
}

func redeemed(r *wire.Receivable, tx Tx, paymentRef string) *wire.Receivable {
	next := r.Clone()
	next.Status, next.RedeemedAt, next.RedeemedTo = wire.StatusRedeemed, FormatTime(tx.Time), r.Holder
	next.Redemption = &wire.Redemption{PaymentRef: paymentRef, Paid: r.Amount, PaidFen: r.AmountFen, PaidTo: r.Holder, Late: r.Status == wire.StatusOverdue}
	stamp(next, tx)
	return next
}

// redeemable reports whether a leaf can be paid: ACTIVE, or OVERDUE (paid late).
func redeemable(r *wire.Receivable) bool {
	return r.Status == wire.StatusActive || r.Status == wire.StatusOverdue
}

// checkPaymentRef checks the reference of the payment that settles a redemption.
func checkPaymentRef(ref string) error {
	if err := checkReference(ref); err != nil {
		return Invalidf("paymentRef must have 1..%d characters", maxReferenceLen)
	}
	return nil
}

// Redeem pays the holder of one ACTIVE (or, late, OVERDUE) leaf at or after maturity.
func Redeem(rd Reader, tx Tx, id, paymentRef string) (Change, error) {
	if err := checkPaymentRef(paymentRef); err != nil {
		return Change{}, err
	}
	r, err := load(rd, tx, id)
	if err != nil {
		return Change{}, err
	}
	if err := checkRedeemer(r, tx); err != nil {
		return Change{}, err
	}
	if !redeemable(r) {
		return Change{}, Conflictf("receivable %s is %s, only an ACTIVE or OVERDUE receivable can be redeemed", id, r.Status)
	}
	if err := checkNotFrozen(r, "redeemed"); err != nil {
		return Change{}, err
	}
	return Change{Op: "Redeem", Writes: []Write{{Before: r, After: redeemed(r, tx, paymentRef)}}}, nil
}

// RedeemAll settles every ACTIVE leaf of a root in one transaction (清分). It refuses, writing
// nothing, while any leaf is PENDING or FINANCING, or when the root has more than MaxRedeemLeaves.
func RedeemAll(rd Reader, tx Tx, rootID, paymentRef string) (Change, error) {
	if err := checkPaymentRef(paymentRef); err != nil {
		return Change{}, err
	}
	root, err := load(rd, tx, rootID)
	if err != nil {
		return Change{}, err
	}
	if root.RootID != root.ID {
		return Change{}, Invalidf("rootId %s is a piece of %s, not a root", rootID, root.RootID)
	}
	if err := checkRedeemer(root, tx); err != nil {
		return Change{}, err
	}
	nodes, err := rd.Tree(rootID)
	if err != nil {
		return Change{}, err
	}
	var leaves []*wire.Receivable
	for _, n := range nodes {
		if n.IsLeaf() {
			leaves = append(leaves, n)
		}
	}
	if len(leaves) > MaxRedeemLeaves {
		return Change{}, Invalidf("root %s has %d pieces, more than %d: redeem them one by one", rootID, len(leaves), MaxRedeemLeaves)
	}
	var writes []Write
	for _, l := range leaves {
		switch l.Status {
		case wire.StatusActive, wire.StatusOverdue:
			if err := checkNotFrozen(l, "redeemed"); err != nil {
				return Change{}, err
			}
			writes = append(writes, Write{Before: l, After: redeemed(l, tx, paymentRef)})
		case wire.StatusRedeemed:
		default:
			return Change{}, Conflictf("receivable %s is %s: settle it before redeeming root %s", l.ID, l.Status, rootID)
		}
	}
	if len(writes) == 0 {
		return Change{}, Conflictf("root %s has nothing left to redeem", rootID)
	}
	return Change{Op: "RedeemAll", Writes: writes}, nil
}

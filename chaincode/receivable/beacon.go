package receivable

import (
	"time"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// MaxTickSkew bounds how far a Tick's timestamp may be from the endorsing peer's clock (the
// contract checks it): much tighter than the writes' clock skew, so that no member can push the
// beacon far ahead and stall the others' ticks.
const MaxTickSkew = 30 * time.Second

// Tick advances the network's time beacon (docs/security.md, "No back-dating") to the
// transaction's time; current is the beacon the transaction read (nil on a ledger without one; InitRegistry starts it).
// The beacon only moves forward.
func Tick(tx Tx, current *wire.Beacon) (Change, error) {
	if current != nil {
		at, err := time.Parse(TimeLayout, current.Time)
		if err != nil {
			return Change{}, Invalidf("the time beacon on the ledger has a bad time %q", current.Time)
		}
		if !tx.Time.Truncate(time.Second).After(at) {
			return Change{}, Conflictf("the time beacon is already at %s, not before this transaction's time %s",
				current.Time, FormatTime(tx.Time))
		}
	}
	return Change{Op: "Tick", Beacon: &wire.Beacon{Time: FormatTime(tx.Time), By: tx.Caller.Account(), TxID: tx.ID}}, nil
}

// NotBeforeBeacon refuses a write dated before the time beacon it read: the network's time had
// passed that instant already when the write was made.
func NotBeforeBeacon(tx Tx, current *wire.Beacon) error {
	if current == nil {
		return nil
	}
	at, err := time.Parse(TimeLayout, current.Time)
	if err != nil {
		return Invalidf("the time beacon on the ledger has a bad time %q", current.Time)
	}
	if tx.Time.Truncate(time.Second).Before(at) {
		return Invalidf("back-dated: the transaction time %s is before the network's time beacon %s",
			FormatTime(tx.Time), current.Time)
	}
	return nil
}

// NotBackdated refuses a change whose transaction time is earlier than the last change of any
// state it changes (a receivable, an organisation, an account, a proposal): an approval dated
// before the request it approves, a transfer dated before the offer it answers. rd holds the
// state before the change.
func NotBackdated(rd Reader, tx Tx, ch Change) error {
	now := tx.Time.Truncate(time.Second)
	check := func(what, id, updatedAt string) error {
		if updatedAt == "" {
			return nil
		}
		at, err := time.Parse(TimeLayout, updatedAt)
		if err != nil {
			return Invalidf("%s %s has a bad updatedAt %q", what, id, updatedAt)
		}
		if now.Before(at) {
			return Conflictf("back-dated: %s %s was last changed at %s, after this transaction's time %s",
				what, id, updatedAt, FormatTime(tx.Time))
		}
		return nil
	}
	for _, w := range ch.Writes {
		if w.Before != nil {
			if err := check("receivable", w.Before.ID, w.Before.UpdatedAt); err != nil {
				return err
			}
		}
	}
	for _, o := range ch.Orgs {
		if before, err := rd.Org(o.MSPID); err != nil {
			return err
		} else if before != nil {
			if err := check("organisation", o.MSPID, before.UpdatedAt); err != nil {
				return err
			}
		}
	}
	for _, a := range ch.Accounts {
		if before, err := rd.Account(a.ID); err != nil {
			return err
		} else if before != nil {
			if err := check("account", a.ID, before.UpdatedAt); err != nil {
				return err
			}
		}
	}
	for _, p := range ch.Proposals {
		if before, err := rd.Proposal(p.ID); err != nil {
			return err
		} else if before != nil {
			if err := check("proposal", p.ID, before.UpdatedAt); err != nil {
				return err
			}
		}
	}
	return nil
}

package receivable

import (
	"math"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// Sub-lines. A bank's part of an obligor's exposure is kept in LineSlots slots (the ledger's
// layout), and the bank's credit line on the obligor is shared over them: each slot carries an
// allowance beside its use (the financing counted in it), and the allowances add up to the line.
// An approval draws from the one slot its transaction picks, and only if that slot's use plus the
// amount stays within the slot's allowance: reading and writing one slot, approvals on one obligor
// at one bank rarely meet in a block. Since every slot's use stays within its allowance and the
// allowances add up to the line, the total use stays within the line.
//
// When the picked slot lacks room, the approval refolds the line (Refold): it reads every slot,
// gives each its use plus an even share of the room the line leaves (its own slot first the
// amount it draws) and draws; it is refused only when the line as a whole has no room for it.
// Setting the line (SetCreditLine, the same amount included) shares it anew (ShareLine): that is
// the rebalance a bank calls. A line set below its use leaves every slot without room and unshared
// (Shared false), so every approval refolds, and none fits until repayments bring the total use
// down. Decreases (redemption, recourse) land in whichever slot their transaction picks and free
// room there; a slot's use may go negative, the sums still hold.

// LineSlots is how many slots hold a bank's part of an obligor's exposure, and how many sub-lines
// its credit line is shared over.
const LineSlots = 16

// Slot is one slot of a bank's part of an obligor's exposure: the financing counted in it
// (Financed[bank], its use) and, once the bank's line was shared over the slots, its allowance.
type Slot struct {
	Exposure
	// AllowanceFen is the slot's share of the line, when Shared.
	AllowanceFen int64 `json:"allowanceFen,omitempty"`
	// Shared: the allowance was set by sharing the line with every slot within its allowance.
	// Slots made before any sharing, and those of a line set below its use, are not.
	Shared bool `json:"shared,omitempty"`
}

// Use is the financing of bank counted in the slot.
func (s Slot) Use(bank string) int64 { return s.Financed[bank] }

// Fits reports whether the slot's own share of bank's line takes amount more.
func (s Slot) Fits(bank string, amount int64) bool {
	after, ok := sumFen(s.Use(bank), amount)
	return s.Shared && ok && after <= s.AllowanceFen
}

// LineDraw is a financing under a bank's credit line: the ledger draws its amount from the
// sub-line of the slot the transaction picks (Slot.Fits), refolding the line when that slot lacks
// room (Refold).
type LineDraw struct {
	Line *wire.CreditLine
	ID   string // the receivable financed
}

// ShareLine shares bank's line of limitFen over slots: each slot's allowance becomes its use plus
// an even share of the room the line leaves (the remainder's fen to the first slots). A line
// below the total use shares nothing: each slot's allowance is its use and no slot is Shared.
func ShareLine(limitFen int64, bank string, slots []Slot) error {
	_, _, err := share(limitFen, bank, slots, -1, 0)
	return err
}

// Refold shares draw's line over slots as ShareLine does, slot `at` taking amount first; it
// refuses, changing nothing, when the line's room is less than amount.
func Refold(draw *LineDraw, slots []Slot, at int, amount int64) error {
	line := draw.Line
	before := append([]Slot(nil), slots...)
	fits, used, err := share(line.LimitFen, line.Bank, slots, at, amount)
	if err != nil || fits {
		return err
	}
	copy(slots, before)
	after, ok := sumFen(used, amount)
	if !ok {
		return Conflictf("the credit line of %s on %s overflows int64 fen", line.Bank, line.Obligor)
	}
	room := max(line.LimitFen-used, 0)
	own := int64(0)
	if s := slots[at]; s.Shared {
		own = max(s.AllowanceFen-s.Use(line.Bank), 0)
	}
	return Conflictf("credit line of %s on %s is %s: %s financed and outstanding + %s of receivable %s = %s, %s over the line (slot %02d of the line had %s free, its %d slots %s in all: no rebalance makes room)",
		line.Bank, line.Obligor, line.Limit, wire.FormatAmount(used), wire.FormatAmount(amount), draw.ID,
		wire.FormatAmount(after), wire.FormatAmount(after-line.LimitFen), at, wire.FormatAmount(own), len(slots), wire.FormatAmount(room))
}

// share sets the slots' allowances from limitFen, slot at (-1: none) taking extra first; fits
// false (slots left unshared, each allowance its use) when the room is less than extra. used is
// the slots' total use.
func share(limitFen int64, bank string, slots []Slot, at int, extra int64) (fits bool, used int64, err error) {
	overflow := Conflictf("the credit line of %s overflows int64 fen", bank)
	for _, s := range slots {
		var ok bool
		if used, ok = sumFen(used, s.Use(bank)); !ok {
			return false, 0, overflow
		}
	}
	if used == math.MinInt64 {
		return false, 0, overflow
	}
	room, ok := sumFen(limitFen, -used)
	if ok {
		room, ok = sumFen(room, -extra)
	}
	if !ok {
		return false, 0, overflow
	}
	if room < 0 || len(slots) == 0 {
		for i := range slots {
			slots[i].AllowanceFen, slots[i].Shared = slots[i].Use(bank), false
		}
		return false, used, nil
	}
	n := int64(len(slots))
	each, rest := room/n, room%n
	for i := range slots {
		a := each
		if int64(i) < rest {
			a++
		}
		if i == at {
			a += extra // within room: no overflow
		}
		if a, ok = sumFen(slots[i].Use(bank), a); !ok {
			return false, 0, overflow
		}
		slots[i].AllowanceFen, slots[i].Shared = a, true
	}
	return true, used, nil
}

// sumFen adds two amounts of either sign, refusing overflow.
func sumFen(a, b int64) (int64, bool) {
	if (b > 0 && a > math.MaxInt64-b) || (b < 0 && a < math.MinInt64-b) {
		return 0, false
	}
	return a + b, true
}

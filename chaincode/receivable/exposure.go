package receivable

import (
	"maps"
	"time"

	"math"
	"slices"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// Exposure is what an obligor (a core enterprise's MSP) owes, summed over the live leaves of every
// receivable it issued: outstanding, overdue, financed per bank (while the bank bears it) and held
// per account. The ledger keeps it up to date from every write's Before and After, so reading it
// never scans the receivables.
type Exposure struct {
	OutstandingFen int64            `json:"outstandingFen,omitempty"`
	OverdueFen     int64            `json:"overdueFen,omitempty"`
	Financed       map[string]int64 `json:"financed,omitempty"` // by bank MSP ID
	Holders        map[string]int64 `json:"holders,omitempty"`  // by account
}

// contribution is what one receivable adds to its obligor's exposure: nothing unless it is a live
// leaf. A pending issuance counts as outstanding (the issuer owes it once the supplier accepts).
func contribution(r *wire.Receivable) Exposure {
	var e Exposure
	if r == nil || !r.Live() {
		return e
	}
	e.OutstandingFen = r.AmountFen
	if r.Status == wire.StatusOverdue {
		e.OverdueFen = r.AmountFen
	}
	if r.Financed() && r.Recourse == nil {
		e.Financed = map[string]int64{r.Financing.Bank: r.AmountFen}
	}
	if r.Holder != "" {
		e.Holders = map[string]int64{r.Holder: r.AmountFen}
	}
	return e
}

// Add adds sign (+1 or -1) times d to e, refusing an overflow; zero entries are dropped.
func (e *Exposure) Add(d Exposure, sign int64) error {
	add := func(to *int64, v int64) bool {
		v *= sign
		if (v > 0 && *to > math.MaxInt64-v) || (v < 0 && *to < math.MinInt64-v) {
			return false
		}
		*to += v
		return true
	}
	addMap := func(to *map[string]int64, from map[string]int64) bool {
		for _, k := range slices.Sorted(maps.Keys(from)) {
			if *to == nil {
				*to = map[string]int64{}
			}
			v := (*to)[k]
			if !add(&v, from[k]) {
				return false
			}
			if v == 0 {
				delete(*to, k)
			} else {
				(*to)[k] = v
			}
		}
		if len(*to) == 0 {
			*to = nil
		}
		return true
	}
	if !add(&e.OutstandingFen, d.OutstandingFen) || !add(&e.OverdueFen, d.OverdueFen) ||
		!addMap(&e.Financed, d.Financed) || !addMap(&e.Holders, d.Holders) {
		return Conflictf("the exposure totals overflow int64 fen")
	}
	return nil
}

// IsZero reports whether e changes nothing.
func (e Exposure) IsZero() bool {
	return e.OutstandingFen == 0 && e.OverdueFen == 0 && len(e.Financed) == 0 && len(e.Holders) == 0
}

// ExposurePart is the part of an obligor's exposure one limit reads: the financing one bank bears
// (Bank set: that bank's credit line), or the rest (Bank empty: outstanding, overdue and holders;
// the issuance limit). The ledger keeps each part's changes apart, so a limit check conflicts only
// with concurrent writes that move the part it read: a transfer or an issuance does not invalidate
// an approval at a bank, and an approval at one bank does not invalidate one at another.
type ExposurePart struct {
	Obligor string
	Bank    string
	// Whole, in Change.Fold only: the obligor's own part folded in steps of the changes a read
	// adds up (FoldExposure), only those dated before Before when it is set.
	Whole  bool
	Before time.Time
}

// Part is the share of e that belongs to the part of a bank (bank set) or to the rest (bank "").
func (e Exposure) Part(bank string) Exposure {
	if bank == "" {
		e.Financed = nil
		return e
	}
	if v := e.Financed[bank]; v != 0 {
		return Exposure{Financed: map[string]int64{bank: v}}
	}
	return Exposure{}
}

// ExposureDeltas returns, per obligor, how a change's writes move its exposure; obligors whose
// exposure does not move (a split, an offer) are left out, so such writes touch no aggregate.
func ExposureDeltas(writes []Write) (map[string]Exposure, error) {
	out := map[string]Exposure{}
	for _, w := range writes {
		obligor := wire.MSPOf(w.After.Issuer)
		d := out[obligor]
		if err := d.Add(contribution(w.Before), -1); err != nil {
			return nil, err
		}
		if err := d.Add(contribution(w.After), 1); err != nil {
			return nil, err
		}
		out[obligor] = d
	}
	for k, d := range out {
		if d.IsZero() {
			delete(out, k)
		}
	}
	return out, nil
}

// FoldExposure asks the ledger to fold the pending changes of an obligor's exposure into its
// total: it changes no figure, it keeps reading the exposure cheap. It folds only the changes
// dated before the time beacon the transaction read (beacon, nil on a ledger without one): no valid
// write can add one there any more (NotBeforeBeacon), so the writes that go on while the fold is
// in flight do not invalidate it.
func FoldExposure(rd Reader, tx Tx, obligor string, beacon *wire.Beacon) (Change, error) {
	if err := ValidateMSPID("obligor", obligor); err != nil {
		return Change{}, err
	}
	org, err := loadOrg(rd, obligor)
	if err != nil {
		return Change{}, err
	}
	if org.Kind != wire.OrgCore {
		return Change{}, Invalidf("obligor %s is a %s organisation, not a core enterprise", obligor, org.Kind)
	}
	fold := ExposurePart{Obligor: obligor, Whole: true}
	if beacon != nil {
		at, err := time.Parse(TimeLayout, beacon.Time)
		if err != nil {
			return Change{}, Invalidf("the time beacon on the ledger has a bad time %q", beacon.Time)
		}
		fold.Before = at
	}
	// No read of the exposure here: past the changes a read adds up, the fold is what makes it
	// readable again (the ledger folds at most that many per part and transaction).
	return Change{Op: "FoldExposure", Fold: []ExposurePart{fold}}, nil
}

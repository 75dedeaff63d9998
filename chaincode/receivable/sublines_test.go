package receivable

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
)

const subBank = "Bank1MSP"

func lineOf(limit int64) *LineDraw {
	return &LineDraw{Line: &wire.CreditLine{Obligor: "CoreMSP", Bank: subBank, Limit: wire.FormatAmount(limit), LimitFen: limit}, ID: "R-1"}
}

func slotsUsing(uses ...int64) []Slot {
	slots := make([]Slot, LineSlots)
	for i, u := range uses {
		if u != 0 {
			slots[i].Financed = map[string]int64{subBank: u}
		}
	}
	return slots
}

func totals(slots []Slot) (use, allowance int64) {
	for _, s := range slots {
		use += s.Use(subBank)
		allowance += s.AllowanceFen
	}
	return use, allowance
}

// draw is what the ledger does with an approval of amount in slot at: its own sub-line if it
// takes it, else a refold; it reports whether the approval was admitted.
func draw(t *testing.T, d *LineDraw, slots []Slot, at int, amount int64) bool {
	t.Helper()
	if !slots[at].Fits(subBank, amount) {
		before := append([]Slot(nil), slots...)
		if err := Refold(d, slots, at, amount); err != nil {
			require.Equal(t, wire.KindConflict, wire.KindOf(err), "%v", err)
			require.Equal(t, before, slots, "a refused refold changes no slot")
			return false
		}
	}
	require.NoError(t, slots[at].Add(Exposure{Financed: map[string]int64{subBank: amount}}, 1))
	return true
}

func TestShareLine_AllowancesAddUpToTheLineEachSlotItsUseAndAnEvenShare(t *testing.T) {
	slots := slotsUsing(500, 0, -30, 7)
	require.NoError(t, ShareLine(10_000, subBank, slots))
	use, allowance := totals(slots)
	require.Equal(t, int64(477), use)
	require.Equal(t, int64(10_000), allowance)
	for i, s := range slots {
		require.True(t, s.Shared)
		free := s.AllowanceFen - s.Use(subBank)
		want := int64((10_000 - 477) / LineSlots)
		if i < (10_000-477)%LineSlots {
			want++
		}
		require.Equal(t, want, free, "slot %d", i)
	}
}

func TestShareLine_ALineBelowItsUseLeavesNoSlotRoom(t *testing.T) {
	slots := slotsUsing(600, 100)
	require.NoError(t, ShareLine(500, subBank, slots))
	for i, s := range slots {
		require.False(t, s.Shared, "slot %d", i)
		require.Equal(t, s.Use(subBank), s.AllowanceFen)
		require.False(t, s.Fits(subBank, 1), "no approval fits a slot until the line is refolded")
	}
	// A repayment frees room in its slot, but the slot is not shared: the approval refolds, and
	// the line as a whole still has none.
	require.NoError(t, slots[1].Add(Exposure{Financed: map[string]int64{subBank: -100}}, 1))
	require.False(t, slots[1].Fits(subBank, 50))
	require.False(t, draw(t, lineOf(500), slots, 1, 50), "600 used, the line 500")
	require.NoError(t, slots[0].Add(Exposure{Financed: map[string]int64{subBank: -200}}, 1))
	require.True(t, draw(t, lineOf(500), slots, 1, 100), "400 used, the line 500: the refold shares it again")
	use, allowance := totals(slots)
	require.Equal(t, int64(500), use)
	require.Equal(t, int64(500), allowance)
}

func TestRefold_TheDrawingSlotTakesItsAmountFirst(t *testing.T) {
	slots := slotsUsing(0, 90)
	require.NoError(t, ShareLine(160, subBank, slots)) // 70 free: 5 or 4 a slot
	require.False(t, slots[3].Fits(subBank, 60))
	require.NoError(t, Refold(lineOf(160), slots, 3, 60))
	require.Equal(t, int64(61), slots[3].AllowanceFen-slots[3].Use(subBank), "60, and one of the 10 fen left: they go to the first slots")
	require.True(t, slots[3].Fits(subBank, 60))
	_, allowance := totals(slots)
	require.Equal(t, int64(160), allowance)
}

func TestRefold_RefusesOverTheLineNamingTheSlotAndWhatIsLeft(t *testing.T) {
	slots := slotsUsing(60000)
	d := lineOf(100000)
	d.Line.Limit = "1000.00"
	require.NoError(t, ShareLine(100000, subBank, slots))
	err := Refold(d, slots, 5, 40001)
	require.EqualError(t, err, "conflict: credit line of Bank1MSP on CoreMSP is 1000.00: 600.00 financed and outstanding + 400.01 of receivable R-1 = 1000.01, 0.01 over the line (slot 05 of the line had 25.00 free, its 16 slots 400.00 in all: no rebalance makes room)")
	require.NoError(t, Refold(d, slots, 5, 40000))
}

func TestShareLine_RefusesOverflow(t *testing.T) {
	slots := slotsUsing(math.MaxInt64, 1)
	err := ShareLine(100, subBank, slots)
	require.Equal(t, wire.KindConflict, wire.KindOf(err))
	require.True(t, strings.Contains(err.Error(), "overflows"))
	slots = slotsUsing(math.MinInt64+1, -1)
	require.Error(t, ShareLine(100, subBank, slots))
	slots = slotsUsing(-math.MaxInt64)
	require.Error(t, ShareLine(100, subBank, slots), "the room overflows")
	require.NoError(t, Refold(lineOf(math.MaxInt64), slotsUsing(), 0, math.MaxInt64), "the whole line, to its last fen")
}

// Random sequences of line changes, approvals in random slots and decreases in random slots,
// with a fixed seed: an approval is admitted exactly when the line as a whole has room for it,
// the total use never exceeds the line through an approval, and while the slots are shared each
// slot's use stays within its allowance and the allowances add up to the line.
func TestSubLines_NoSequenceLetsApprovalsExceedTheLine(t *testing.T) {
	rng := rand.New(rand.NewPCG(27, 5))
	for run := range 200 {
		limit := rng.Int64N(1_000_000)
		d := lineOf(limit)
		slots := slotsUsing()
		require.NoError(t, ShareLine(limit, subBank, slots))
		admitted, refused := 0, 0
		for step := range 300 {
			use, _ := totals(slots)
			at := rng.IntN(LineSlots)
			switch op := rng.IntN(10); {
			case op == 0: // the bank sets its line, often below the use
				limit = rng.Int64N(1_000_000)
				d = lineOf(limit)
				require.NoError(t, ShareLine(limit, subBank, slots))
			case op <= 2: // a redemption or a recourse: a decrease lands in any slot
				amount := rng.Int64N(max(use, 1)) + 1
				require.NoError(t, slots[at].Add(Exposure{Financed: map[string]int64{subBank: -amount}}, 1))
			default:
				amount := rng.Int64N(limit/4+2) + 1
				ok := draw(t, d, slots, at, amount)
				require.Equal(t, use+amount <= limit, ok, "run %d step %d: %d used, %d more, line %d", run, step, use, amount, limit)
				if ok {
					admitted++
					after, _ := totals(slots)
					require.LessOrEqual(t, after, limit)
				} else {
					refused++
				}
			}
			_, allowance := totals(slots)
			if slots[0].Shared {
				require.Equal(t, limit, allowance, "run %d step %d", run, step)
			}
			for i, s := range slots {
				require.Equal(t, slots[0].Shared, s.Shared, "every slot is shared or none")
				if s.Shared {
					require.LessOrEqual(t, s.Use(subBank), s.AllowanceFen, "run %d step %d slot %d", run, step, i)
				}
			}
		}
		require.Positive(t, admitted)
		require.Positive(t, refused)
	}
}

package contract

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/recv-ledger/recv/chaincode/receivable"
	"github.com/recv-ledger/recv/chaincode/wire"
)

// State layout of the business around the receivable:
//
//	exposure/<obligor>/base                  the obligor's exposure but its banks' financing, as last folded
//	exposure/<obligor>/t/<time>/<txId>       one transaction's change to it, written blind
//	exposure/<obligor>/d/<txId>              a change written before changes sorted by time
//	exposure/<obligor>/bank/<bank>/s/<NN>    one of exposureSlots slots of the financing the bank bears
//	                                         on the obligor, its part the sum of them, each with its
//	                                         sub-line (a share of the bank's line); guarded by the bank
//	line/<obligor>                           the obligor's issuance limit
//	line/<obligor>/<bank>                    a bank's credit line on the obligor
//	instr/<id>                               a maker-checker instruction
//	instrfor/<tx>/<target>                   the id of the undecided instruction asking tx on target
//	\x00overdue\x00<obligor>\x00<maturity>\x00<id>   index: the overdue pieces, oldest maturity first
//
// The obligor's part (outstanding, overdue, holders: what its issuance limit reads) is written
// blind: every write that moves it adds its change under a key of its own without reading the
// total, so writes on one obligor never conflict with each other, and a reader adds the changes to
// the base. A transaction that checks the issuance limit folds the changes into the base;
// FoldExposure folds them too. Folding reads the range of the changes, so a change another
// transaction of the same block adds makes the folding transaction a phantom-read conflict. A
// change's key starts with its transaction's time (UTC, to the second): FoldExposure folds only the
// changes dated before the time beacon it reads, a range no valid write can add to any more (a write
// is never dated before the beacon it read, and one that read an older beacon is invalid once the
// newer one committed), so a fold is not invalidated by the writes that go on while it runs.
//
// A bank's part (what its credit line reads) is kept in slots the bank guards: they are created,
// with the bank's peer as their key-level endorsement policy, by the transaction that first
// records the pair of the obligor and the bank in the registry index (endorsed by the veto set),
// and every change reads and rewrites one of them, picked by the transaction id, so that two
// changes in one block rarely meet. New keys are governed by the chaincode-level policy, which the
// core enterprise and any one member satisfy: blind change keys would let such a pair lower the
// financing a bank is counted to bear and lead its credit line check to lend past the line. Every
// honest write that moves a bank's part is one the bank endorses anyway (its approval, the
// redemption or recourse of a piece it financed, the bank's setting of its line).
//
// The bank's credit line on the obligor is shared over the slots (receivable/sublines.go): each
// slot carries an allowance beside its use, the allowances adding up to the line. An approval
// under the line reads and writes its own slot only and fits when that slot's use plus its amount
// stays within the slot's allowance, so approvals on one obligor at one bank conflict only when
// they pick the same slot. One its slot cannot take refolds the line: it reads and rewrites every
// slot (a read conflict with any other change of the bank's part in its block), or is refused when
// the line as a whole has no room. SetCreditLine shares the line anew over every slot.
const (
	exposurePrefix    = "exposure/"
	linePrefix        = "line/"
	instructionPrefix = "instr/"
	openPrefix        = "instrfor/"
	overdueIndex      = "overdue"
)

// maxExposureDeltas bounds the changes one read of an exposure part adds up.
var maxExposureDeltas = 20000

// exposureSlots is how many slots hold a bank's part of an obligor's exposure.
const exposureSlots = receivable.LineSlots

// exposurePartKey is the key prefix of one part of an obligor's exposure.
func exposurePartKey(p receivable.ExposurePart) string {
	if p.Bank == "" {
		return exposurePrefix + p.Obligor + "/"
	}
	return exposurePrefix + p.Obligor + "/bank/" + p.Bank + "/"
}

func exposureBase(p receivable.ExposurePart) string { return exposurePartKey(p) + "base" }

// exposureChanges is the prefix of a part's changes, each under <time>/<txId>.
func exposureChanges(p receivable.ExposurePart) string { return exposurePartKey(p) + "t/" }

// exposureLegacy is the prefix of a part's changes written before they sorted by time (<txId>).
func exposureLegacy(p receivable.ExposurePart) string { return exposurePartKey(p) + "d/" }

// changeTime is the time part of a change's key: UTC to the second, sorting as it reads.
func changeTime(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

// changeKey is the key of the change txID dated at makes to part p.
func changeKey(p receivable.ExposurePart, at time.Time, txID string) string {
	return exposureChanges(p) + changeTime(at) + "/" + txID
}

// bankPartName names the bank's part of the obligor's exposure in the registry index.
func bankPartName(obligor, bank string) string { return obligor + "/" + bank }

// slotKey is the key of slot i of a bank's part.
func slotKey(p receivable.ExposurePart, i int) string {
	return fmt.Sprintf("%ss/%02d", exposurePartKey(p), i)
}

// slotOf picks the slot a transaction's change of a bank's part goes to.
func slotOf(txID string) int {
	h := fnv.New32a()
	h.Write([]byte(txID))
	return int(h.Sum32() % exposureSlots)
}

// createBankPart creates a bank's part of an obligor's exposure: every slot empty, guarded by the
// bank (called by the transaction that records the pair in the registry index).
func (l ledger) createBankPart(p receivable.ExposurePart) error {
	for i := range exposureSlots {
		if err := l.putJSON(slotKey(p, i), receivable.Slot{}); err != nil {
			return err
		}
		if err := l.endorsedBy(slotKey(p, i), receivable.BankPartEndorsers(p.Bank)); err != nil {
			return err
		}
	}
	return nil
}

// bankPartRecorded reports whether the registry index records p, a bank's part; only then are its
// slots ones the veto set created.
func (l ledger) bankPartRecorded(p receivable.ExposurePart) (bool, error) {
	idx, err := l.index()
	if err != nil || idx == nil {
		return false, err
	}
	_, found := slices.BinarySearch(idx.BankParts, bankPartName(p.Obligor, p.Bank))
	return found, nil
}

// readBankPart adds up the slots of a bank's part.
func (l ledger) readBankPart(p receivable.ExposurePart) (receivable.Exposure, error) {
	var e receivable.Exposure
	ok, err := l.bankPartRecorded(p)
	if err != nil || !ok {
		return e, err // a pair the registry never held: nothing financed
	}
	slots, err := l.readSlots(p)
	if err != nil {
		return e, err
	}
	for _, s := range slots {
		if err := e.Add(s.Exposure, 1); err != nil {
			return e, err
		}
	}
	return e, nil
}

// readSlot reads slot i of a bank's part.
func (l ledger) readSlot(p receivable.ExposurePart, i int) (receivable.Slot, error) {
	var s receivable.Slot
	found, err := l.getJSON(slotKey(p, i), &s)
	if err != nil {
		return s, err
	}
	if !found {
		return s, fmt.Errorf("the exposure of %s at %s lacks its slot %s", p.Obligor, p.Bank, slotKey(p, i))
	}
	return s, nil
}

// readSlots reads every slot of a bank's part, in order.
func (l ledger) readSlots(p receivable.ExposurePart) ([]receivable.Slot, error) {
	slots := make([]receivable.Slot, exposureSlots)
	for i := range slots {
		var err error
		if slots[i], err = l.readSlot(p, i); err != nil {
			return nil, err
		}
	}
	return slots, nil
}

// slotWrite is a slot of a bank's part a change rewrites.
type slotWrite struct {
	key  string
	slot receivable.Slot
}

// moveBankPart adds d to the slot of a bank's part that transaction txID changes.
func (l ledger) moveBankPart(p receivable.ExposurePart, txID string, d receivable.Exposure, draw *receivable.LineDraw) error {
	ws, err := l.planBankPart(p, txID, d, draw)
	if err != nil {
		return err
	}
	return l.putSlotWrites(ws)
}

// planBankPart returns the slots of a bank's part that adding d in transaction txID rewrites,
// writing nothing: the slot the transaction picks, d added. Under draw (a financing under the
// bank's credit line on the obligor) that slot's sub-line must take it; when it cannot, the line
// is refolded over every slot (all rewritten), or the financing refused when the whole line has no
// room for it.
func (l ledger) planBankPart(p receivable.ExposurePart, txID string, d receivable.Exposure, draw *receivable.LineDraw) ([]slotWrite, error) {
	ok, err := l.bankPartRecorded(p)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, receivable.Conflictf("the registry records no exposure of %s at %s: a core enterprise and a bank are recorded together when the veto set admits them", p.Obligor, p.Bank)
	}
	at := slotOf(txID)
	s, err := l.readSlot(p, at)
	if err != nil {
		return nil, err
	}
	amount := d.Financed[p.Bank]
	drawn := draw != nil && draw.Line.Obligor == p.Obligor && draw.Line.Bank == p.Bank && amount > 0
	if !drawn || s.Fits(p.Bank, amount) {
		if err := s.Add(d, 1); err != nil {
			return nil, err
		}
		return []slotWrite{{slotKey(p, at), s}}, nil
	}
	slots, err := l.readSlots(p)
	if err != nil {
		return nil, err
	}
	if err := receivable.Refold(draw, slots, at, amount); err != nil {
		return nil, err
	}
	if err := slots[at].Add(d, 1); err != nil {
		return nil, err
	}
	return allSlots(p, slots), nil
}

// planBankParts returns the slots of banks' parts a change rewrites, reading them before anything
// is written, so that a financing the credit line refuses writes nothing.
func (l ledger) planBankParts(tx receivable.Tx, ch receivable.Change) ([]slotWrite, error) {
	deltas, err := receivable.ExposureDeltas(ch.Writes)
	if err != nil {
		return nil, err
	}
	var out []slotWrite
	for _, o := range slices.Sorted(maps.Keys(deltas)) {
		d := deltas[o]
		for _, bank := range slices.Sorted(maps.Keys(d.Financed)) {
			ws, err := l.planBankPart(receivable.ExposurePart{Obligor: o, Bank: bank}, tx.ID, d.Part(bank), ch.Draw)
			if err != nil {
				return nil, err
			}
			out = append(out, ws...)
		}
	}
	return out, nil
}

func allSlots(p receivable.ExposurePart, slots []receivable.Slot) []slotWrite {
	ws := make([]slotWrite, len(slots))
	for i, s := range slots {
		ws[i] = slotWrite{slotKey(p, i), s}
	}
	return ws
}

func (l ledger) putSlotWrites(ws []slotWrite) error {
	for _, w := range ws {
		if err := l.putJSON(w.key, w.slot); err != nil {
			return err
		}
	}
	return nil
}

// shareBankLine shares a bank's credit line over the slots of its part of the obligor's exposure,
// when the registry records the pair (else the slots, created later, are unshared and the first
// approval shares the line).
func (l ledger) shareBankLine(c *wire.CreditLine) error {
	p := receivable.ExposurePart{Obligor: c.Obligor, Bank: c.Bank}
	ok, err := l.bankPartRecorded(p)
	if err != nil || !ok {
		return err
	}
	slots, err := l.readSlots(p)
	if err != nil {
		return err
	}
	if err := receivable.ShareLine(c.LimitFen, c.Bank, slots); err != nil {
		return err
	}
	return l.putSlotWrites(allSlots(p, slots))
}

func lineKey(obligor, bank string) string {
	if bank == "" {
		return linePrefix + obligor
	}
	return linePrefix + obligor + "/" + bank
}

// readPart returns one part of an obligor's exposure and the keys of the changes it added to the
// part's base; more than maxExposureDeltas changes are refused (readFold takes them in steps).
func (l ledger) readPart(p receivable.ExposurePart) (receivable.Exposure, []string, error) {
	return l.readDeltas(p, false, "")
}

// readFold is readPart for a fold that only keeps reading cheap (FoldExposure): it takes the base
// and at most maxExposureDeltas changes, those dated before `before` (a changeTime; "" for all),
// so that a part with more can still be folded, in steps.
func (l ledger) readFold(p receivable.ExposurePart, before string) (receivable.Exposure, []string, error) {
	return l.readDeltas(p, true, before)
}

func (l ledger) readDeltas(p receivable.ExposurePart, bounded bool, before string) (receivable.Exposure, []string, error) {
	var e receivable.Exposure
	if _, err := l.getJSON(exposureBase(p), &e); err != nil {
		return e, nil, err
	}
	legacy, changes := exposureLegacy(p), exposureChanges(p)
	end := rangeEnd(changes)
	if before != "" {
		end = changes + before
	}
	var keys []string
	for _, r := range [][2]string{{legacy, rangeEnd(legacy)}, {changes, end}} {
		full, err := l.addChanges(&e, &keys, p, r[0], r[1], bounded)
		if err != nil || full {
			return e, keys, err
		}
	}
	return e, keys, nil
}

// addChanges adds the changes in [start, end) to e and their keys to keys; past maxExposureDeltas
// in all it refuses, or, bounded, stops and reports full.
func (l ledger) addChanges(e *receivable.Exposure, keys *[]string, p receivable.ExposurePart, start, end string, bounded bool) (bool, error) {
	it, err := l.stub.GetStateByRange(start, end)
	if err != nil {
		return false, fmt.Errorf("reading the exposure of %s: %w", p.Obligor, err)
	}
	defer it.Close()
	for it.HasNext() {
		if len(*keys) >= maxExposureDeltas {
			if bounded {
				return true, nil
			}
			return false, receivable.Conflictf("the exposure of %s has more than %d unfolded changes: fold them first (recv fold-exposure %s, which folds up to %d a run)", p.Obligor, maxExposureDeltas, p.Obligor, maxExposureDeltas)
		}
		kv, err := it.Next()
		if err != nil {
			return false, fmt.Errorf("reading the exposure of %s: %w", p.Obligor, err)
		}
		var d receivable.Exposure
		if err := json.Unmarshal(kv.Value, &d); err != nil {
			return false, fmt.Errorf("decoding %s: %w", kv.Key, err)
		}
		if err := e.Add(d, 1); err != nil {
			return false, err
		}
		*keys = append(*keys, kv.Key)
	}
	return false, nil
}

// exposureParts returns the parts of an obligor's exposure: its own, and every bank's the
// registry index records, in key order.
func (l ledger) exposureParts(obligor string) ([]receivable.ExposurePart, error) {
	parts := []receivable.ExposurePart{{Obligor: obligor}}
	idx, err := l.index()
	if err != nil || idx == nil {
		return parts, err
	}
	for _, name := range idx.BankParts {
		if o, bank, _ := strings.Cut(name, "/"); o == obligor {
			parts = append(parts, receivable.ExposurePart{Obligor: obligor, Bank: bank})
		}
	}
	return parts, nil
}

// Exposure implements receivable.Reader: every part added up.
func (l ledger) Exposure(obligor string) (receivable.Exposure, error) {
	var e receivable.Exposure
	parts, err := l.exposureParts(obligor)
	if err != nil {
		return e, err
	}
	for _, p := range parts {
		pe, err := l.ExposurePart(p)
		if err != nil {
			return e, err
		}
		if err := e.Add(pe, 1); err != nil {
			return e, err
		}
	}
	return e, nil
}

// ExposurePart implements receivable.Reader.
func (l ledger) ExposurePart(p receivable.ExposurePart) (receivable.Exposure, error) {
	if p.Bank != "" {
		return l.readBankPart(p)
	}
	e, _, err := l.readPart(p)
	return e, err
}

// Line implements receivable.Reader.
func (l ledger) Line(obligor, bank string) (*wire.CreditLine, error) {
	var c wire.CreditLine
	found, err := l.getJSON(lineKey(obligor, bank), &c)
	if !found || err != nil {
		return nil, err
	}
	return &c, nil
}

// Instruction implements receivable.Reader.
func (l ledger) Instruction(id string) (*wire.Instruction, error) {
	var in wire.Instruction
	found, err := l.getJSON(instructionPrefix+id, &in)
	if !found || err != nil {
		return nil, err
	}
	return &in, nil
}

// OpenInstruction implements receivable.Reader.
func (l ledger) OpenInstruction(tx, target string) (string, error) {
	raw, err := l.stub.GetState(openPrefix + tx + "/" + target)
	if err != nil {
		return "", fmt.Errorf("reading the open instruction of %s %s: %w", tx, target, err)
	}
	return string(raw), nil
}

// applyExposure records how the change moves each part of each obligor's exposure: a bank's part
// in the slots planBankParts planned (banks), an obligor's own part blind, under the
// transaction's own key, or folded into the part's base with every earlier change when the rule
// read the part (the issuance limit, FoldExposure).
func (l ledger) applyExposure(tx receivable.Tx, ch receivable.Change, banks []slotWrite) error {
	if err := l.putSlotWrites(banks); err != nil {
		return err
	}
	deltas, err := receivable.ExposureDeltas(ch.Writes)
	if err != nil {
		return err
	}
	moved := map[string]receivable.Exposure{} // the obligors' own parts, by obligor
	for o, d := range deltas {
		if own := d.Part(""); !own.IsZero() {
			moved[o] = own
		}
	}
	fold := map[string]bool{}
	stepwise := map[string]bool{} // FoldExposure's parts: at most maxExposureDeltas changes each
	foldBefore := ""              // FoldExposure: only changes dated before this changeTime
	for _, p := range ch.Fold {   // an obligor's own part: a bank's holds totals in its slots
		fold[p.Obligor] = true
		if p.Whole {
			stepwise[p.Obligor] = true
			if !p.Before.IsZero() {
				foldBefore = changeTime(p.Before)
			}
		}
	}
	obligors := slices.Collect(maps.Keys(moved))
	for o := range fold {
		if _, ok := moved[o]; !ok {
			obligors = append(obligors, o)
		}
	}
	slices.Sort(obligors)
	for _, o := range obligors {
		p := receivable.ExposurePart{Obligor: o}
		d, isMoved := moved[o]
		if !fold[o] {
			if err := l.putJSON(changeKey(p, tx.Time, tx.ID), d); err != nil {
				return err
			}
			continue
		}
		var (
			e    receivable.Exposure
			keys []string
		)
		if stepwise[o] {
			e, keys, err = l.readFold(p, foldBefore)
		} else {
			e, keys, err = l.readPart(p)
		}
		if err != nil {
			return err
		}
		if !isMoved && len(keys) == 0 {
			continue // nothing to fold into the base
		}
		if err := e.Add(d, 1); err != nil {
			return err
		}
		for _, k := range keys {
			if err := l.stub.DelState(k); err != nil {
				return fmt.Errorf("folding the exposure of %s: %w", o, err)
			}
		}
		if err := l.putJSON(exposureBase(p), e); err != nil {
			return err
		}
	}
	return nil
}

// applyBusiness writes the credit lines and instructions of a change.
func (l ledger) applyBusiness(ch receivable.Change) error {
	var err error
	for _, c := range ch.Lines {
		if err := l.putJSON(lineKey(c.Obligor, c.Bank), c); err != nil {
			return err
		}
		if err := l.endorsedBy(lineKey(c.Obligor, c.Bank), receivable.LineEndorsers(c.Obligor, c.Bank)); err != nil {
			return err
		}
		if c.Bank != "" {
			if err := l.shareBankLine(c); err != nil {
				return err
			}
		}
	}
	for _, in := range ch.Instructions {
		if err := l.putJSON(instructionPrefix+in.ID, in); err != nil {
			return err
		}
		if err := l.endorsedBy(instructionPrefix+in.ID, receivable.InstructionEndorsers(in)); err != nil {
			return err
		}
		open := openPrefix + in.Tx + "/" + in.Target
		if in.Status == wire.InstructionOpen {
			err = l.stub.PutState(open, []byte(in.ID))
		} else {
			err = l.stub.DelState(open)
		}
		if err != nil {
			return fmt.Errorf("indexing instruction %s: %w", in.ID, err)
		}
	}
	return nil
}

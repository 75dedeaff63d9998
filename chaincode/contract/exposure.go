package contract

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/recv-ledger/recv/chaincode/receivable"
	"github.com/recv-ledger/recv/chaincode/wire"
)

// State layout of the business around the receivable:
//
//	exposure/<obligor>/base                          the obligor's exposure but its banks' financing, as last folded
//	exposure/<obligor>/t/<time>/<txId>               one transaction's change to it, written blind
//	exposure/<obligor>/bank/<bank>/base              the financing the bank bears on the obligor, as last folded
//	exposure/<obligor>/bank/<bank>/t/<time>/<txId>   one transaction's change to it, written blind
//	exposure/<obligor>/[bank/<bank>/]d/<txId>        a change written before changes sorted by time
//	line/<obligor>                           the obligor's issuance limit
//	line/<obligor>/<bank>                    a bank's credit line on the obligor
//	instr/<id>                               a maker-checker instruction
//	instrfor/<tx>/<target>                   the id of the undecided instruction asking tx on target
//	\x00overdue\x00<obligor>\x00<maturity>\x00<id>   index: the overdue pieces, oldest maturity first
//
// Every write that moves an obligor's exposure writes its change to each part it moves under a key
// of its own without reading the total, so writes on one obligor never conflict with each other. A
// reader adds a part's changes to its base. A transaction that checks a limit reads only the part
// the limit is about (receivable.ExposurePart: a bank's financing for its credit line, the rest for
// the issuance limit) and folds that part's changes into its base; FoldExposure folds every part.
// Folding reads the range of a part's changes, so a change another transaction of the same block
// adds to that part makes the folding transaction a phantom-read conflict: the parts keep such
// conflicts to writes that move what the limit checks (two approvals at one bank on one obligor),
// not every write on the obligor. No other write folds. A change's key starts with its
// transaction's time (UTC, to the second): FoldExposure folds only the changes dated before the
// time beacon it reads, a range no valid write can add to any more (a write is never dated before
// the beacon it read, and one that read an older beacon is invalid once the newer one committed),
// so a fold is not invalidated by the writes that go on while it runs.
const (
	exposurePrefix    = "exposure/"
	linePrefix        = "line/"
	instructionPrefix = "instr/"
	openPrefix        = "instrfor/"
	overdueIndex      = "overdue"
)

// maxExposureDeltas bounds the changes one read of an exposure part adds up.
var maxExposureDeltas = 20000

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

// exposureBanks is the key prefix of every bank's part of an obligor's exposure.
func exposureBanks(obligor string) string { return exposurePrefix + obligor + "/bank/" }

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

// exposureParts returns the parts of an obligor's exposure the ledger holds: the rest, and every
// bank with a base or a change, in key order.
func (l ledger) exposureParts(obligor string) ([]receivable.ExposurePart, error) {
	parts := []receivable.ExposurePart{{Obligor: obligor}}
	prefix := exposureBanks(obligor)
	it, err := l.stub.GetStateByRange(prefix, rangeEnd(prefix))
	if err != nil {
		return nil, fmt.Errorf("reading the exposure of %s: %w", obligor, err)
	}
	defer it.Close()
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("reading the exposure of %s: %w", obligor, err)
		}
		bank, _, _ := strings.Cut(strings.TrimPrefix(kv.Key, prefix), "/")
		if last := parts[len(parts)-1]; last.Bank != bank {
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
		pe, _, err := l.readPart(p)
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

// applyExposure records how the change moves each part of each obligor's exposure: blind, under
// the transaction's own key, or folded into the part's base with every earlier change when the rule
// read the part (a limit check, FoldExposure).
func (l ledger) applyExposure(tx receivable.Tx, ch receivable.Change) error {
	deltas, err := receivable.ExposureDeltas(ch.Writes)
	if err != nil {
		return err
	}
	moved := map[receivable.ExposurePart]receivable.Exposure{}
	for o, d := range deltas {
		if rest := d.Part(""); !rest.IsZero() {
			moved[receivable.ExposurePart{Obligor: o}] = rest
		}
		for bank := range d.Financed {
			moved[receivable.ExposurePart{Obligor: o, Bank: bank}] = d.Part(bank)
		}
	}
	fold := map[receivable.ExposurePart]bool{}
	stepwise := map[receivable.ExposurePart]bool{} // FoldExposure's parts: at most maxExposureDeltas changes each
	foldBefore := ""                               // FoldExposure: only changes dated before this changeTime
	for _, p := range ch.Fold {
		if !p.Whole {
			fold[p] = true
			continue
		}
		if !p.Before.IsZero() {
			foldBefore = changeTime(p.Before)
		}
		// The banks of the registry, not a scan of every bank's keys: such a scan would be
		// invalidated by any financing change written while the fold runs.
		banks, err := orgsOfKind(l, wire.OrgBank)
		if err != nil {
			return err
		}
		parts := []receivable.ExposurePart{{Obligor: p.Obligor}}
		for _, b := range banks {
			parts = append(parts, receivable.ExposurePart{Obligor: p.Obligor, Bank: b})
		}
		for _, q := range parts {
			fold[q], stepwise[q] = true, true
		}
	}
	parts := slices.Collect(maps.Keys(moved))
	for p := range fold {
		if _, ok := moved[p]; !ok {
			parts = append(parts, p)
		}
	}
	byKey := func(a, b receivable.ExposurePart) int { return strings.Compare(exposurePartKey(a), exposurePartKey(b)) }
	slices.SortFunc(parts, byKey)
	for i := 0; i < len(parts); i++ {
		p := parts[i]
		d, isMoved := moved[p]
		if !fold[p] {
			if err := l.putJSON(changeKey(p, tx.Time, tx.ID), d); err != nil {
				return err
			}
			continue
		}
		var (
			e    receivable.Exposure
			keys []string
		)
		if stepwise[p] {
			e, keys, err = l.readFold(p, foldBefore)
		} else {
			e, keys, err = l.readPart(p)
		}
		if err != nil {
			return err
		}
		if !isMoved && len(keys) == 0 && len(e.Financed) == 0 {
			continue // nothing to fold into the base
		}
		if isMoved {
			if err := e.Add(d, 1); err != nil {
				return err
			}
		}
		if p.Bank == "" && len(e.Financed) > 0 {
			// Financing recorded in the rest before the banks had parts: handed to each bank's part
			// (which sorts after the rest), folded in the same transaction.
			for _, bank := range slices.Sorted(maps.Keys(e.Financed)) {
				bp := receivable.ExposurePart{Obligor: p.Obligor, Bank: bank}
				bd := moved[bp]
				if err := bd.Add(e.Part(bank), 1); err != nil {
					return err
				}
				moved[bp] = bd
				if !fold[bp] && !slices.Contains(parts[i+1:], bp) {
					parts = append(parts, bp)
				}
				fold[bp] = true
				stepwise[bp] = stepwise[bp] || stepwise[p]
			}
			slices.SortFunc(parts[i+1:], byKey)
			e.Financed = nil
		}
		for _, k := range keys {
			if err := l.stub.DelState(k); err != nil {
				return fmt.Errorf("folding the exposure of %s: %w", p.Obligor, err)
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

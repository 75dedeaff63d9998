package contract

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/recv-ledger/recv/chaincode/receivable"
	"github.com/recv-ledger/recv/chaincode/wire"
)

// State layout of the business around the receivable:
//
//	exposure/<obligor>/base            the obligor's exposure (receivable.Exposure) as last folded
//	exposure/<obligor>/d/<txId>        one transaction's change to it, written blind
//	line/<obligor>                     the obligor's issuance limit
//	line/<obligor>/<bank>              a bank's credit line on the obligor
//	instr/<id>                         a maker-checker instruction
//	instrfor/<tx>/<target>             the id of the undecided instruction asking tx on target
//	\x00overdue\x00<obligor>\x00<maturity>\x00<id>   index: the overdue pieces, oldest maturity first
//
// Every write that moves an obligor's exposure writes its change under a key of its own without
// reading the total, so writes on one obligor never conflict with each other. A reader adds the
// changes to the base; a transaction that checks a limit, and FoldExposure, fold them into the
// base, which keeps the number of changes a read adds small. No other write folds: folding reads
// the range of changes, and a change another transaction of the same block adds to it would make
// the folding transaction a phantom-read conflict.
const (
	exposurePrefix    = "exposure/"
	linePrefix        = "line/"
	instructionPrefix = "instr/"
	openPrefix        = "instrfor/"
	overdueIndex      = "overdue"
)

// maxExposureDeltas bounds the changes one read of an exposure adds up.
var maxExposureDeltas = 20000

func exposureBase(obligor string) string   { return exposurePrefix + obligor + "/base" }
func exposureDeltas(obligor string) string { return exposurePrefix + obligor + "/d/" }

func lineKey(obligor, bank string) string {
	if bank == "" {
		return linePrefix + obligor
	}
	return linePrefix + obligor + "/" + bank
}

// readExposure returns the obligor's exposure and the keys of the changes it added to the base.
func (l ledger) readExposure(obligor string) (receivable.Exposure, []string, error) {
	var e receivable.Exposure
	if _, err := l.getJSON(exposureBase(obligor), &e); err != nil {
		return e, nil, err
	}
	prefix := exposureDeltas(obligor)
	it, err := l.stub.GetStateByRange(prefix, rangeEnd(prefix))
	if err != nil {
		return e, nil, fmt.Errorf("reading the exposure of %s: %w", obligor, err)
	}
	defer it.Close()
	var keys []string
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return e, nil, fmt.Errorf("reading the exposure of %s: %w", obligor, err)
		}
		if len(keys) >= maxExposureDeltas {
			return e, nil, receivable.Conflictf("the exposure of %s has more than %d unfolded changes: fold them first (recv fold-exposure %s)", obligor, maxExposureDeltas, obligor)
		}
		var d receivable.Exposure
		if err := json.Unmarshal(kv.Value, &d); err != nil {
			return e, nil, fmt.Errorf("decoding %s: %w", kv.Key, err)
		}
		if err := e.Add(d, 1); err != nil {
			return e, nil, err
		}
		keys = append(keys, kv.Key)
	}
	return e, keys, nil
}

// Exposure implements receivable.Reader.
func (l ledger) Exposure(obligor string) (receivable.Exposure, error) {
	e, _, err := l.readExposure(obligor)
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

// applyExposure records how the change moves each obligor's exposure: blind, under the
// transaction's own key, or folded into the base with every earlier change when the rule read the
// exposure (a limit check, FoldExposure).
func (l ledger) applyExposure(txID string, ch receivable.Change) error {
	deltas, err := receivable.ExposureDeltas(ch.Writes)
	if err != nil {
		return err
	}
	obligors := slices.Clone(ch.Fold)
	for o := range deltas {
		obligors = append(obligors, o)
	}
	slices.Sort(obligors)
	for _, o := range slices.Compact(obligors) {
		d, moved := deltas[o]
		if !slices.Contains(ch.Fold, o) {
			if err := l.putJSON(exposureDeltas(o)+txID, d); err != nil {
				return err
			}
			continue
		}
		e, keys, err := l.readExposure(o)
		if err != nil {
			return err
		}
		if moved {
			if err := e.Add(d, 1); err != nil {
				return err
			}
		}
		for _, k := range keys {
			if err := l.stub.DelState(k); err != nil {
				return fmt.Errorf("folding the exposure of %s: %w", o, err)
			}
		}
		if err := l.putJSON(exposureBase(o), e); err != nil {
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
	}
	for _, in := range ch.Instructions {
		if err := l.putJSON(instructionPrefix+in.ID, in); err != nil {
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

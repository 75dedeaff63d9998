package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/fabric"
)

// beaconLedger is what the beacon needs of the Fabric client: a tick, and for a standby a read of
// the beacon.
type beaconLedger interface {
	Submit(ctx context.Context, name, txName string, args []string, transient map[string][]byte, onSubmitted func(txID string)) (*fabric.Result, error)
	Evaluate(ctx context.Context, name, txName string, args ...string) ([]byte, error)
}

// beaconSchedule is a gateway's part in advancing the time beacon.
type beaconSchedule struct {
	Identity string        // the admin that ticks (--service-user)
	Interval time.Duration // how often the beacon is ticked
	// Standby ticks only when the beacon is late, older than lateAfter intervals (the primary
	// missed a tick), or cannot be read: a second organisation keeps the beacon going while the
	// primary's gateway is down without doubling the ticks while it is up.
	Standby bool
	Now     func() time.Time // the clock the beacon's age is measured on; default time.Now
	// Fold is the core enterprise whose exposure changes are folded after each tick (FoldExposure,
	// which folds those dated before the beacon): the gateway's own organisation. When the chaincode
	// says it is no core enterprise, or that the identity may not fold, folding stops.
	Fold string
}

// lateAfter is how many intervals old the beacon must be before a standby ticks: the primary's
// interval, plus room for its tick's commit and a little clock difference.
const lateAfter = 1.5

// runBeacon advances the network's time beacon (the chaincode's Tick, docs/security.md "No
// back-dating") as s.Identity every s.Interval until ctx ends: every write reads the beacon, so an
// endorsement held across a tick can no longer commit. A failed tick is logged and tried again at
// the next interval; a tick another member's gateway made at the same instant is a conflict, which
// is harmless (the beacon advanced).
//
// A standby reads the beacon first and ticks only when it is late. It reads again when the beacon
// it saw would turn late (at most lateAfter intervals on), so while the primary is down the beacon
// is never much more than lateAfter intervals old, and while the primary ticks the standby only
// reads.
func runBeacon(ctx context.Context, fc beaconLedger, s beaconSchedule, log *slog.Logger) {
	op, ok := wire.ByTx("Tick")
	if !ok {
		log.Error("time beacon disabled: the wire contract has no Tick")
		return
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	for {
		started := time.Now()
		wait := s.Interval
		if late, until := s.late(ctx, fc, log); late {
			ticked, ok := s.tick(ctx, fc, op.Tx, log)
			if !ok {
				return
			}
			if ticked && s.Fold != "" && !s.fold(ctx, fc, log) {
				s.Fold = ""
			}
			wait -= time.Since(started)
		} else {
			wait = until
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// tick submits one Tick; it reports whether the beacon advanced, and false for ok when ctx ended.
func (s beaconSchedule) tick(ctx context.Context, fc beaconLedger, tx string, log *slog.Logger) (ticked, ok bool) {
	tctx, cancel := context.WithTimeout(ctx, s.Interval)
	res, err := fc.Submit(tctx, s.Identity, tx, nil, nil, nil)
	cancel()
	switch {
	case err == nil && s.Standby:
		log.Info("time beacon advanced by the standby", "txId", res.TransactionID)
	case err == nil:
		log.Debug("time beacon advanced", "txId", res.TransactionID)
	case ctx.Err() != nil:
		return false, false
	default:
		log.Warn("time beacon: tick failed; trying again at the next interval", "identity", s.Identity, "err", err)
		return false, true
	}
	return true, true
}

// fold folds s.Fold's exposure changes dated before the beacon just ticked, so that reading the
// exposure (risk, limits) stays cheap under load without anyone running recv fold-exposure. It
// reports false when folding should stop: the chaincode refused it as invalid (not a core
// enterprise) or forbidden (the identity's role). Other failures are logged and tried at the next
// tick.
func (s beaconSchedule) fold(ctx context.Context, fc beaconLedger, log *slog.Logger) bool {
	fctx, cancel := context.WithTimeout(ctx, s.Interval)
	res, err := fc.Submit(fctx, s.Identity, "FoldExposure", []string{s.Fold}, nil, nil)
	cancel()
	var fe *fabric.Error
	switch {
	case err == nil:
		log.Debug("exposure folded", "obligor", s.Fold, "txId", res.TransactionID)
	case errors.As(err, &fe) && (fe.Kind == wire.KindInvalid || fe.Kind == wire.KindForbidden):
		log.Info("not folding the exposure after ticks", "obligor", s.Fold, "reason", err)
		return false
	case ctx.Err() == nil:
		log.Warn("exposure fold failed; trying again after the next tick", "obligor", s.Fold, "err", err)
	}
	return true
}

// late says whether the beacon needs a tick now; when it does not, until is how long before the
// beacon it read turns late. The primary always ticks. A standby ticks when the beacon is older
// than lateAfter intervals, when there is none yet, or when it cannot read it (the primary may be
// cut off the same way: better a tick too many than none).
func (s beaconSchedule) late(ctx context.Context, fc beaconLedger, log *slog.Logger) (late bool, until time.Duration) {
	if !s.Standby {
		return true, 0
	}
	at, by, err := s.read(ctx, fc)
	var fe *fabric.Error
	switch {
	case err == nil:
	case errors.As(err, &fe) && fe.Kind == wire.KindNotFound:
		log.Info("time beacon: none yet; the standby ticks", "err", err)
		return true, 0
	default:
		if ctx.Err() == nil {
			log.Warn("time beacon: the standby cannot read the beacon; ticking", "err", err)
		}
		return true, 0
	}
	bound := time.Duration(lateAfter * float64(s.Interval))
	age := s.Now().Sub(at)
	if age > bound {
		log.Info("time beacon is late; the standby ticks", "age", age.Round(time.Second), "lastTickBy", by, "bound", bound)
		return true, 0
	}
	if age < 0 {
		age = 0 // the beacon's clock is ahead of ours: wait no more than the full bound
	}
	return false, bound - age
}

// read returns the time of the beacon and who ticked it.
func (s beaconSchedule) read(ctx context.Context, fc beaconLedger) (time.Time, string, error) {
	op, ok := wire.ByTx("GetBeacon")
	if !ok {
		return time.Time{}, "", fmt.Errorf("the wire contract has no GetBeacon")
	}
	rctx, cancel := context.WithTimeout(ctx, s.Interval)
	defer cancel()
	raw, err := fc.Evaluate(rctx, s.Identity, op.Tx)
	if err != nil {
		return time.Time{}, "", err
	}
	var b wire.Beacon
	if err := json.Unmarshal(raw, &b); err != nil {
		return time.Time{}, "", fmt.Errorf("decoding the time beacon: %w", err)
	}
	at, err := time.Parse(time.RFC3339, b.Time)
	if err != nil {
		return time.Time{}, "", fmt.Errorf("the time beacon has a bad time %q", b.Time)
	}
	return at, b.By, nil
}

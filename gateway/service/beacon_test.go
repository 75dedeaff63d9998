package service

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/fabric"
)

// fakeBeaconLedger records ticks and answers reads of the beacon with what beacon returns.
type fakeBeaconLedger struct {
	mu      sync.Mutex
	calls   []string // identity/tx of each submit
	reads   int
	fail    bool
	foldErr error                  // what a FoldExposure returns
	beacon  func() ([]byte, error) // nil: reading fails
	done    chan struct{}
	want    int // close done at this many submits (or reads, when want < 0: -want reads)
}

func (f *fakeBeaconLedger) Submit(_ context.Context, name, txName string, args []string, _ map[string][]byte, _ func(string)) (*fabric.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, name+"/"+txName)
	if len(f.calls) == f.want {
		close(f.done)
	}
	if f.fail {
		return nil, errors.New("endorse: peer unavailable")
	}
	if txName == "FoldExposure" && f.foldErr != nil {
		return nil, f.foldErr
	}
	return &fabric.Result{TransactionID: "tx"}, nil
}

func (f *fakeBeaconLedger) Evaluate(_ context.Context, name, txName string, _ ...string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if txName != "GetBeacon" {
		return nil, errors.New("unexpected query " + txName)
	}
	f.reads++
	if f.reads == -f.want {
		close(f.done)
	}
	if f.beacon == nil {
		return nil, errors.New("evaluate: peer unavailable")
	}
	return f.beacon()
}

func (f *fakeBeaconLedger) ticks() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// beaconAt is a beacon ticked at t by the core enterprise's admin.
func beaconAt(t time.Time) func() ([]byte, error) {
	return func() ([]byte, error) {
		return json.Marshal(wire.Beacon{Time: t.UTC().Format(time.RFC3339Nano), By: "CoreMSP/admin", TxID: "t1"})
	}
}

// runUntilDone runs the beacon until f.done, then stops it, and returns its log.
func runUntilDone(t *testing.T, f *fakeBeaconLedger, s beaconSchedule) string {
	t.Helper()
	var log bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() {
		runBeacon(ctx, f, s, slog.New(slog.NewTextHandler(&log, nil)))
		close(stopped)
	}()
	select {
	case <-f.done:
	case <-time.After(10 * time.Second):
		t.Fatal("the beacon did not get there")
	}
	cancel()
	<-stopped
	return log.String()
}

func TestBeacon_TicksAsTheServiceIdentityOnScheduleAndSurvivesFailures(t *testing.T) {
	for _, fail := range []bool{false, true} {
		f := &fakeBeaconLedger{fail: fail, done: make(chan struct{}), want: 3}
		log := runUntilDone(t, f, beaconSchedule{Identity: "admin", Interval: time.Millisecond})
		require.GreaterOrEqual(t, len(f.ticks()), 3)
		for _, c := range f.ticks() {
			require.Equal(t, "admin/Tick", c)
		}
		require.Zero(t, f.reads, "the primary ticks without reading the beacon")
		if fail {
			require.Contains(t, log, "tick failed; trying again at the next interval", "a failed tick is logged, and the next one still runs")
		}
	}
}

// A standby reads the beacon and ticks only when it is older than 1.5 intervals, or unreadable.
func TestBeacon_StandbyTicksOnlyWhenTheBeaconIsLate(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		beacon    func() ([]byte, error)
		late      bool
		until     time.Duration
		logs      string
		notLogged bool
	}{
		{name: "fresh: the primary ticked 10 s ago", beacon: beaconAt(now.Add(-10 * time.Second)), until: 80 * time.Second, notLogged: true},
		{name: "one interval old: the primary's next tick is due", beacon: beaconAt(now.Add(-60 * time.Second)), until: 30 * time.Second, notLogged: true},
		{name: "just at the bound", beacon: beaconAt(now.Add(-90 * time.Second)), until: 0, notLogged: true},
		{name: "stale: the primary missed a tick", beacon: beaconAt(now.Add(-91 * time.Second)), late: true, logs: `msg="time beacon is late; the standby ticks" age=1m31s lastTickBy=CoreMSP/admin`},
		{name: "ahead of this clock", beacon: beaconAt(now.Add(5 * time.Second)), until: 90 * time.Second, notLogged: true},
		{name: "read error", late: true, logs: `msg="time beacon: the standby cannot read the beacon; ticking" err="evaluate: peer unavailable"`},
		{name: "no beacon yet", beacon: func() ([]byte, error) {
			return nil, &fabric.Error{Kind: wire.KindNotFound, Stage: "evaluate", Message: "not_found: no time beacon yet: no Tick has committed"}
		}, late: true, logs: "no time beacon yet"},
		{name: "a bad time", beacon: func() ([]byte, error) { return []byte(`{"time":"yesterday"}`), nil }, late: true, logs: `the time beacon has a bad time \"yesterday\"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeBeaconLedger{beacon: tt.beacon}
			var log bytes.Buffer
			s := beaconSchedule{Identity: "admin", Interval: time.Minute, Standby: true, Now: func() time.Time { return now }}
			late, until := s.late(context.Background(), f, slog.New(slog.NewTextHandler(&log, nil)))
			require.Equal(t, tt.late, late)
			require.Equal(t, 1, f.reads, "the standby reads the beacon first")
			if !late {
				require.Equal(t, tt.until, until, "it reads again when the beacon it saw turns late")
			}
			if tt.notLogged {
				require.Empty(t, log.String())
			} else {
				require.Contains(t, log.String(), tt.logs)
			}
		})
	}
}

func TestBeacon_AStandbyWhosePrimaryTicksNeverTicks(t *testing.T) {
	f := &fakeBeaconLedger{beacon: func() ([]byte, error) { return beaconAt(time.Now())() }, done: make(chan struct{}), want: -5}
	runUntilDone(t, f, beaconSchedule{Identity: "admin", Interval: 50 * time.Millisecond, Standby: true})
	require.Empty(t, f.ticks(), "the beacon was always fresh: no tick")
}

func TestBeacon_AStandbyTicksWhileTheBeaconIsLateOrUnreadable(t *testing.T) {
	stale := &fakeBeaconLedger{beacon: beaconAt(time.Now().Add(-time.Hour)), done: make(chan struct{}), want: 3}
	log := runUntilDone(t, stale, beaconSchedule{Identity: "admin", Interval: time.Millisecond, Standby: true})
	require.Equal(t, []string{"admin/Tick", "admin/Tick", "admin/Tick"}, stale.ticks()[:3])
	require.Contains(t, log, "time beacon is late; the standby ticks")
	require.Contains(t, log, "time beacon advanced by the standby")

	unreadable := &fakeBeaconLedger{done: make(chan struct{}), want: 2}
	log = runUntilDone(t, unreadable, beaconSchedule{Identity: "admin", Interval: time.Millisecond, Standby: true})
	require.GreaterOrEqual(t, len(unreadable.ticks()), 2)
	require.Contains(t, log, "the standby cannot read the beacon; ticking")
}

// After each tick the gateway folds its own organisation's exposure changes dated before the
// beacon; when the chaincode says the organisation is no core enterprise (or the identity may not
// fold) it stops folding and only ticks; other fold failures are tried again after the next tick.
func TestBeacon_FoldsTheOwnExposureAfterEachTick(t *testing.T) {
	f := &fakeBeaconLedger{done: make(chan struct{}), want: 4}
	runUntilDone(t, f, beaconSchedule{Identity: "admin", Interval: time.Millisecond, Fold: "CoreMSP"})
	require.Equal(t, []string{"admin/Tick", "admin/FoldExposure", "admin/Tick", "admin/FoldExposure"}, f.ticks()[:4])

	notCore := &fabric.Error{Kind: wire.KindInvalid, Stage: "endorse", Message: "invalid: obligor AuditorMSP is a auditor organisation, not a core enterprise"}
	f = &fakeBeaconLedger{done: make(chan struct{}), want: 4, foldErr: notCore}
	log := runUntilDone(t, f, beaconSchedule{Identity: "admin", Interval: time.Millisecond, Fold: "AuditorMSP"})
	require.Equal(t, []string{"admin/Tick", "admin/FoldExposure", "admin/Tick", "admin/Tick"}, f.ticks()[:4])
	require.Contains(t, log, "not folding the exposure after ticks")

	f = &fakeBeaconLedger{done: make(chan struct{}), want: 4, foldErr: errors.New("endorse: peer unavailable")}
	log = runUntilDone(t, f, beaconSchedule{Identity: "admin", Interval: time.Millisecond, Fold: "CoreMSP"})
	require.Equal(t, []string{"admin/Tick", "admin/FoldExposure", "admin/Tick", "admin/FoldExposure"}, f.ticks()[:4])
	require.Contains(t, log, "exposure fold failed; trying again after the next tick")
}

package service

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/gateway/fabric"
)

type fakeTicker struct {
	mu    sync.Mutex
	calls []string // identity/tx of each submit
	fail  bool
	done  chan struct{}
	want  int
}

func (f *fakeTicker) Submit(_ context.Context, name, txName string, args []string, _ map[string][]byte, _ func(string)) (*fabric.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, name+"/"+txName)
	if len(f.calls) == f.want {
		close(f.done)
	}
	if f.fail {
		return nil, errors.New("endorse: peer unavailable")
	}
	return &fabric.Result{TransactionID: "tx"}, nil
}

func TestBeacon_TicksAsTheServiceIdentityOnScheduleAndSurvivesFailures(t *testing.T) {
	for _, fail := range []bool{false, true} {
		f := &fakeTicker{fail: fail, done: make(chan struct{}), want: 3}
		var log bytes.Buffer
		ctx, cancel := context.WithCancel(context.Background())
		stopped := make(chan struct{})
		go func() {
			runBeacon(ctx, f, "admin", time.Millisecond, slog.New(slog.NewTextHandler(&log, nil)))
			close(stopped)
		}()
		<-f.done
		cancel()
		<-stopped
		f.mu.Lock()
		require.GreaterOrEqual(t, len(f.calls), 3)
		for _, c := range f.calls {
			require.Equal(t, "admin/Tick", c)
		}
		f.mu.Unlock()
		if fail {
			require.Contains(t, log.String(), "tick failed; trying again at the next interval", "a failed tick is logged, and the next one still runs")
		}
	}
}

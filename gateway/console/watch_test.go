package console

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/fabric"
)

func event(t *testing.T, block uint64, tx, name string, items ...wire.EventItem) fabric.Event {
	payload, err := json.Marshal(wire.Event{TxID: tx, Op: name, Items: items})
	require.NoError(t, err)
	return fabric.Event{BlockNumber: block, TransactionID: tx, Name: name, Payload: payload}
}

func TestWatcher_KeepsWhatIsInFinancingAndTheRecentTransactions(t *testing.T) {
	events := make(chan fabric.Event)
	var asked []fabric.Position
	w := newWatcher(func(_ context.Context, pos fabric.Position) (<-chan fabric.Event, error) {
		asked = append(asked, pos)
		return events, nil
	}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go w.run(ctx)

	events <- event(t, 3, "t1", "RequestFinancing", wire.EventItem{ID: "R1", Status: wire.StatusFinancing})
	events <- event(t, 4, "t2", "RequestFinancing", wire.EventItem{ID: "R2", Status: wire.StatusFinancing})
	events <- event(t, 5, "t3", "ApproveFinancing", wire.EventItem{ID: "R1", Status: wire.StatusActive})
	w.caughtUp(ctx, 5, 10*time.Second)
	require.Equal(t, []string{"R2"}, w.inFinancing(), "an approved request leaves the queue")
	latest := w.latest()
	require.Len(t, latest, 3)
	require.Equal(t, "t3", latest[0].TxID, "newest first")
	require.Equal(t, "ApproveFinancing", w.nameOf("t3"))
	require.Equal(t, []fabric.Position{{}}, asked, "the stream starts at the first block")
}

func TestWatcher_CaughtUpGivesUpAfterItsBound(t *testing.T) {
	w := newWatcher(func(ctx context.Context, _ fabric.Position) (<-chan fabric.Event, error) {
		return make(chan fabric.Event), nil
	}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	w.caughtUp(context.Background(), 100, 50*time.Millisecond) // returns: a page never waits for ever
	require.Empty(t, w.inFinancing())
}

func TestWatcher_KeepsABoundedNumberOfRecentTransactions(t *testing.T) {
	w := newWatcher(nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	for i := range maxRecent + 10 {
		w.add(event(t, uint64(i), "tx"+string(rune('a'+i%26))+string(rune('0'+i/26)), "Accept"))
	}
	require.Len(t, w.latest(), maxRecent)
	require.Len(t, w.byTx, maxRecent)
}

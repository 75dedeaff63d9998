package console

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strconv"
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

// reasonEvent is the event of a write with a reason (Reject).
func reasonEvent(t *testing.T, block uint64, tx, name, reason string, items ...wire.EventItem) fabric.Event {
	payload, err := json.Marshal(wire.Event{TxID: tx, Op: name, Items: items, Reason: reason})
	require.NoError(t, err)
	return fabric.Event{BlockNumber: block, TransactionID: tx, Name: name, Payload: payload}
}

func TestWatcher_KeepsTheRejectionsOfEachReceivable(t *testing.T) {
	w := newWatcher(nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	w.add(reasonEvent(t, 3, "t1", "Reject", "wrong amount", wire.EventItem{ID: "R1", Status: wire.StatusActive}))
	w.add(event(t, 4, "t2", "Accept", wire.EventItem{ID: "R1", Status: wire.StatusActive}))
	w.add(event(t, 5, "t3", "RejectFinancing", wire.EventItem{ID: "R1", Status: wire.StatusActive, Bank: "Bank1MSP", TermsHash: "ab"}))
	w.add(reasonEvent(t, 6, "t4", "FreezeReceivable", "court order", wire.EventItem{ID: "R1", Status: wire.StatusActive}))
	require.Equal(t, []rejection{
		{TxID: "t1", Block: 3, Op: "Reject", Reason: "wrong amount"},
		{TxID: "t3", Block: 5, Op: "RejectFinancing", Bank: "Bank1MSP", TermsHash: "ab"},
	}, w.rejections("R1"), "rejections only, oldest first; a financing's reason stays private (its hash)")
	require.Empty(t, w.rejections("R2"))

	for i := range maxRejections + 5 {
		w.add(reasonEvent(t, uint64(10+i), "r"+strconv.Itoa(i), "Reject", "no", wire.EventItem{ID: "R2"}))
	}
	kept := w.rejections("R2")
	require.Len(t, kept, maxRejections, "bounded per receivable")
	require.Equal(t, "r"+strconv.Itoa(maxRejections+4), kept[len(kept)-1].TxID, "the latest are kept")
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

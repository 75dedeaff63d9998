package console

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
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
	w := newWatcher(nil, "", slog.New(slog.NewTextHandler(io.Discard, nil)))
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
	}, "", slog.New(slog.NewTextHandler(io.Discard, nil)))
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
	}, "", slog.New(slog.NewTextHandler(io.Discard, nil)))
	w.caughtUp(context.Background(), 100, 50*time.Millisecond) // returns: a page never waits for ever
	require.Empty(t, w.inFinancing())
}

func TestWatcher_KeepsABoundedNumberOfRecentTransactions(t *testing.T) {
	w := newWatcher(nil, "", slog.New(slog.NewTextHandler(io.Discard, nil)))
	for i := range maxRecent + 10 {
		w.add(event(t, uint64(i), "tx"+string(rune('a'+i%26))+string(rune('0'+i/26)), "Accept"))
	}
	require.Len(t, w.latest(), maxRecent)
	require.Len(t, w.byTx, maxRecent)
}

// feed is an event source whose streams are fed from events; it records where each starts.
type feed struct {
	events chan fabric.Event
	mu     sync.Mutex
	asked  []fabric.Position
}

func newFeed() *feed { return &feed{events: make(chan fabric.Event)} }

func (f *feed) source(ctx context.Context, pos fabric.Position) (<-chan fabric.Event, error) {
	f.mu.Lock()
	f.asked = append(f.asked, pos)
	f.mu.Unlock()
	return f.events, nil
}

func (f *feed) positions() []fabric.Position {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.asked)
}

// story is the events of a few transactions: R1 and R2 asked for financing, R1 approved, R3's
// offer rejected, instruction I1 still open.
func story(t *testing.T) []fabric.Event {
	open := wire.Instruction{ID: "I1", Maker: "CoreMSP/treasurer", Status: wire.InstructionOpen}
	return []fabric.Event{
		event(t, 3, "t1", "RequestFinancing", wire.EventItem{ID: "R1", Status: wire.StatusFinancing}),
		event(t, 3, "t2", "RequestFinancing", wire.EventItem{ID: "R2", Status: wire.StatusFinancing}),
		event(t, 4, "t3", "ApproveFinancing", wire.EventItem{ID: "R1", Status: wire.StatusActive}),
		reasonEvent(t, 5, "t4", "Reject", "wrong amount", wire.EventItem{ID: "R3", Status: wire.StatusActive}),
		instructionEvent(t, 6, "t5", open),
	}
}

// seen is what a watcher shows.
type seen struct {
	Financing []string
	Open      []string
	Recent    []recentTx
	Rejected  []rejection
}

func seenBy(w *watcher) seen {
	return seen{w.inFinancing(), w.openInstructions("CoreMSP"), w.latest(), w.rejections("R3")}
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// start runs w until the returned stop is called, which waits for it to end (and save).
func start(w *watcher) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.run(ctx); close(done) }()
	return func() { cancel(); <-done }
}

func TestWatcher_ResumesAfterTheLastEventItSavedAndShowsWhatItShowedBefore(t *testing.T) {
	file := filepath.Join(t.TempDir(), "console-events.json")
	events := story(t)

	// The first start reads from block 0, and saves when it stops.
	first := newFeed()
	w := newWatcher(first.source, file, discard())
	stop := start(w)
	for _, ev := range events[:4] {
		first.events <- ev
	}
	w.caughtUp(context.Background(), 5, 10*time.Second)
	before := seenBy(w)
	stop()
	require.Equal(t, []fabric.Position{{}}, first.positions(), "the first start reads from block 0")

	// The restart shows the same before any event, asks for the events after t4 only, and
	// applies the next one once.
	again := newFeed()
	w = newWatcher(again.source, file, discard())
	require.Equal(t, before, seenBy(w), "nothing lost, nothing applied twice")
	require.Equal(t, []string{"R2"}, before.Financing)
	require.Len(t, before.Recent, 4)
	stop = start(w)
	defer stop()
	again.events <- events[4]
	w.caughtUp(context.Background(), 6, 10*time.Second)
	require.Equal(t, []fabric.Position{{StartBlock: 5, AfterTx: "t4"}}, again.positions())
	require.Equal(t, []string{"I1"}, w.openInstructions("CoreMSP"))
	require.Len(t, w.latest(), 5)
	require.Equal(t, "t5", w.latest()[0].TxID)
}

func TestWatcher_AfterACrashReplaysFromTheLastSaveOntoWhatWasSaved(t *testing.T) {
	file := filepath.Join(t.TempDir(), "console-events.json")
	events := story(t)
	all := newWatcher(nil, "", discard())
	for _, ev := range events {
		all.add(ev)
	}

	w := newWatcher(nil, file, discard())
	for _, ev := range events[:2] {
		w.add(ev)
	}
	w.save()
	for _, ev := range events[2:4] { // applied, never saved: the gateway is killed here
		w.add(ev)
	}

	again := newWatcher(nil, file, discard())
	require.Equal(t, fabric.Position{StartBlock: 3, AfterTx: "t2"}, again.position(), "resumes after the last event saved")
	for _, ev := range events[2:] { // what the stream delivers after t2
		again.add(ev)
	}
	require.Equal(t, seenBy(all), seenBy(again), "the same as a watcher that never stopped")
}

func TestWatcher_AFileItCannotReadIsReadAgainFromBlock0(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{"garbage": "{not json", "no position": `{"financing":["R1"]}`} {
		t.Run(name, func(t *testing.T) {
			file := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".json")
			require.NoError(t, os.WriteFile(file, []byte(content), 0o600))
			w := newWatcher(nil, file, discard())
			require.Equal(t, fabric.Position{}, w.position())
			require.Empty(t, w.inFinancing(), "nothing of a state whose position is unknown")
		})
	}
}

func TestWatcher_SavesNothingBeforeAnEvent(t *testing.T) {
	file := filepath.Join(t.TempDir(), "console-events.json")
	newWatcher(nil, file, discard()).save()
	_, err := os.Stat(file)
	require.ErrorIs(t, err, os.ErrNotExist, "the first start saves no position it never read")
}

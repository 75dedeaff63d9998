package console

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"maps"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/fabric"
	"github.com/recv-ledger/recv/gateway/statefile"
)

// maxRecent bounds the recent transactions kept for the auditor's chain page.
const maxRecent = 50

// watcher follows the chaincode events and keeps what no list of the ledger gives: the receivables that went into FINANCING (candidates of a bank's queue: each is read
// again as the officer before it is shown), the makers' instructions still OPEN (candidates of an
// approver's queue, read again as the approver), the rejections of offers and financing requests
// (their reasons are in the events and the private terms, never on the receivable) and the latest
// transactions.
//
// With a file it keeps them across restarts: it saves them with the position after the last event
// they hold (the event id of the SSE stream, fabric.EventID) at most every saveEvery and when it
// stops, and a new start resumes after that event, so no event is lost and none is applied twice;
// without a file, or on the first start, it reads from block 0.
type watcher struct {
	src  EventSource
	log  *slog.Logger
	file string

	mu        sync.Mutex
	changed   *sync.Cond
	financing map[string]bool   // receivable id -> in FINANCING as of its last event
	open      map[string]string // instruction id -> its maker's MSP, while OPEN as of its last event
	recent    []recentTx        // newest last
	byTx      map[string]string
	rejected  map[string][]rejection // receivable id -> its rejections, oldest first
	block     uint64                 // the last block an event was seen in
	pos       fabric.Position        // after the last event applied
	dirty     bool                   // applied events not saved yet
}

// recentTx is one transaction of the chain as its event told it.
type recentTx struct {
	Block uint64   `json:"block"`
	TxID  string   `json:"txId"`
	Name  string   `json:"name"`
	IDs   []string `json:"ids,omitempty"`
}

// rejection is a refusal an event told: an offer rejected (Reject: its reason is in the event, for
// whoever may read the receivable) or a financing request rejected (RejectFinancing: its reason is
// private, recorded under TermsHash for the parties to the terms, GetTerms).
type rejection struct {
	TxID      string `json:"txId"`
	Block     uint64 `json:"block"`
	Op        string `json:"op"`
	Reason    string `json:"reason,omitempty"`
	Bank      string `json:"bank,omitempty"`
	TermsHash string `json:"termsHash,omitempty"`
}

// maxRejections bounds the rejections kept per receivable (the latest are kept).
const maxRejections = 20

// saveEvery is how often the watcher saves what it gathered while events arrive.
const saveEvery = time.Second

// watchState is what a watcher saves: the event id of the last event applied and what the events
// up to it left.
type watchState struct {
	After     string                 `json:"after"`
	Financing []string               `json:"financing"`
	Open      map[string]string      `json:"open"`
	Recent    []recentTx             `json:"recent"`
	Rejected  map[string][]rejection `json:"rejected"`
}

// newWatcher makes a watcher of src that keeps its state in file ("": in memory only), resuming
// from what file holds. A file that cannot be read is reported and the events are read again
// from block 0.
func newWatcher(src EventSource, file string, log *slog.Logger) *watcher {
	w := &watcher{src: src, log: log, file: file}
	w.changed = sync.NewCond(&w.mu)
	w.restore(watchState{})
	if file == "" {
		return w
	}
	raw, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return w
	}
	var st watchState
	if err == nil {
		err = json.Unmarshal(raw, &st)
	}
	var pos fabric.Position
	if err == nil {
		pos, err = fabric.After(st.After)
	}
	if err != nil {
		log.Warn("console: cannot resume the events from the saved position; reading them from block 0", "file", file, "err", err)
		return w
	}
	w.restore(st)
	w.pos, w.block = pos, pos.StartBlock
	return w
}

// restore sets what the events left to st's.
func (w *watcher) restore(st watchState) {
	w.financing, w.open, w.byTx, w.rejected = map[string]bool{}, map[string]string{}, map[string]string{}, map[string][]rejection{}
	for _, id := range st.Financing {
		w.financing[id] = true
	}
	maps.Copy(w.open, st.Open)
	maps.Copy(w.rejected, st.Rejected)
	w.recent = st.Recent
	for _, tx := range w.recent {
		w.byTx[tx.TxID] = tx.Name
	}
}

// save writes what the events left with the position after the last one, if an event was
// applied since the last save.
func (w *watcher) save() {
	w.mu.Lock()
	if w.file == "" || !w.dirty {
		w.mu.Unlock()
		return
	}
	st := watchState{After: fabric.EventID(w.pos.StartBlock, w.pos.AfterTx), Financing: slices.Sorted(maps.Keys(w.financing)),
		Open: w.open, Recent: w.recent, Rejected: w.rejected}
	raw, err := json.Marshal(st)
	w.dirty = false
	w.mu.Unlock()
	if err == nil {
		err = statefile.Write(w.file, raw)
	}
	if err != nil {
		w.log.Warn("console: cannot save the events' position; a restart reads them again from the last one saved", "file", w.file, "err", err)
		w.mu.Lock()
		w.dirty = true
		w.mu.Unlock()
	}
}

// run reads the events until ctx ends, resuming after the last one when the stream breaks.
func (w *watcher) run(ctx context.Context) {
	if w.src == nil {
		return
	}
	go func() { // wake the waiters when ctx ends
		<-ctx.Done()
		w.mu.Lock()
		w.changed.Broadcast()
		w.mu.Unlock()
	}()
	defer w.save()
	tick := time.NewTicker(saveEvery)
	defer tick.Stop()
	backoff := 500 * time.Millisecond
	for ctx.Err() == nil {
		events, err := w.src(ctx, w.position())
		if err != nil {
			w.log.Warn("console: cannot follow the events", "err", err)
		} else if w.follow(ctx, events, tick.C) > 0 {
			backoff = 500 * time.Millisecond
		}
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
			backoff = min(2*backoff, 10*time.Second)
		}
	}
}

// follow applies the events of one stream until it ends or ctx does, saving on each tick; it
// returns how many it applied.
func (w *watcher) follow(ctx context.Context, events <-chan fabric.Event, tick <-chan time.Time) int {
	n := 0
	for {
		select {
		case <-ctx.Done():
			return n
		case <-tick:
			w.save()
		case ev, ok := <-events:
			if !ok {
				return n
			}
			w.add(ev)
			n++
		}
	}
}

// position is where the stream resumes: after the last event applied.
func (w *watcher) position() fabric.Position {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.pos
}

func (w *watcher) add(ev fabric.Event) {
	var e wire.Event
	_ = json.Unmarshal(ev.Payload, &e)
	w.mu.Lock()
	defer w.mu.Unlock()
	tx := recentTx{Block: ev.BlockNumber, TxID: ev.TransactionID, Name: ev.Name}
	for _, it := range e.Items {
		tx.IDs = append(tx.IDs, it.ID)
		if it.Status == wire.StatusFinancing {
			w.financing[it.ID] = true
		} else {
			delete(w.financing, it.ID)
		}
		if e.Op == "Reject" || e.Op == "RejectFinancing" {
			rs := append(w.rejected[it.ID], rejection{TxID: ev.TransactionID, Block: ev.BlockNumber, Op: e.Op,
				Reason: e.Reason, Bank: it.Bank, TermsHash: it.TermsHash})
			w.rejected[it.ID] = rs[max(0, len(rs)-maxRejections):]
		}
	}
	if in := e.Instruction; in != nil {
		if in.Status == wire.InstructionOpen {
			w.open[in.ID] = wire.MSPOf(in.Maker)
		} else {
			delete(w.open, in.ID)
		}
	}
	w.recent = append(w.recent, tx)
	w.byTx[tx.TxID] = tx.Name
	if len(w.recent) > maxRecent {
		delete(w.byTx, w.recent[0].TxID)
		w.recent = w.recent[1:]
	}
	w.block = ev.BlockNumber
	w.pos = fabric.Position{StartBlock: ev.BlockNumber, AfterTx: ev.TransactionID}
	w.dirty = true
	w.changed.Broadcast()
}

// caughtUp waits (at most d) until an event of block n or later was seen: a page refreshed by the
// browser after an event shows what that event changed.
func (w *watcher) caughtUp(ctx context.Context, n uint64, d time.Duration) {
	if w.src == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	stop := context.AfterFunc(ctx, func() {
		w.mu.Lock()
		w.changed.Broadcast()
		w.mu.Unlock()
	})
	defer stop()
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.block < n && ctx.Err() == nil {
		w.changed.Wait()
	}
}

// inFinancing lists the receivables whose last event left them in FINANCING, sorted.
func (w *watcher) inFinancing() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Sorted(maps.Keys(w.financing))
}

// openInstructions lists the instructions of makers of organisation msp whose last event left them
// OPEN, sorted.
func (w *watcher) openInstructions(msp string) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var ids []string
	for id, m := range w.open {
		if m == msp {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// latest returns the recent transactions, newest first.
func (w *watcher) latest() []recentTx {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := slices.Clone(w.recent)
	slices.Reverse(out)
	return out
}

// rejections lists the rejections of receivable id the events told, oldest first.
func (w *watcher) rejections(id string) []rejection {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.rejected[id])
}

// nameOf is the event name of a recent transaction, or "".
func (w *watcher) nameOf(txID string) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.byTx[txID]
}

package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/fabric"
)

// The SSE id of each event is "<blockNumber>:<txId>" (data: wire.StreamEvent); a client that
// reconnects with it as Last-Event-ID (or ?after=) continues with the next event, so each event is
// delivered once, in ledger order.

// parsePosition reads where the stream starts: Last-Event-ID or ?after=<block>:<txId> resumes
// after that event; ?startBlock=N starts at block N; neither starts with the next block.
func parsePosition(r *http.Request) (fabric.Position, error) {
	after := r.Header.Get("Last-Event-ID")
	if a := r.URL.Query().Get("after"); a != "" {
		after = a
	}
	if after != "" {
		block, tx, ok := strings.Cut(after, ":")
		n, err := strconv.ParseUint(block, 10, 64)
		if !ok || err != nil || tx == "" {
			return fabric.Position{}, badRequest("event position must be <blockNumber>:<txId>, got " + strconv.Quote(after))
		}
		return fabric.Position{StartBlock: n, AfterTx: tx}, nil
	}
	if sb := r.URL.Query().Get("startBlock"); sb != "" {
		n, err := strconv.ParseUint(sb, 10, 64)
		if err != nil {
			return fabric.Position{}, badRequest("startBlock must be a block number")
		}
		return fabric.Position{StartBlock: n}, nil
	}
	return fabric.Position{FromNow: true}, nil
}

func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	pos, err := parsePosition(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ctx := r.Context()
	events, err := s.ledger.Events(ctx, caller(r), pos)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{})
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	_, _ = fmt.Fprint(w, ": recv events\n\n")
	_ = rc.Flush()

	keepAlive := time.NewTicker(15 * time.Second)
	defer keepAlive.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-keepAlive.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return
			}
			_ = rc.Flush()
		case ev, ok := <-events:
			if !ok {
				_, _ = fmt.Fprint(w, "event: end\ndata: {}\n\n")
				_ = rc.Flush()
				return
			}
			data, _ := json.Marshal(wire.StreamEvent{BlockNumber: ev.BlockNumber, TransactionID: ev.TransactionID, Name: ev.Name, Payload: asJSON(ev.Payload)})
			if _, err := fmt.Fprintf(w, "id: %d:%s\nevent: %s\ndata: %s\n\n", ev.BlockNumber, ev.TransactionID, ev.Name, data); err != nil {
				return
			}
			_ = rc.Flush()
		}
	}
}

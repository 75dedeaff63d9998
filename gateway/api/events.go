package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/fabric"
)

// The SSE id of each event is "<blockNumber>:<txId>" (data: wire.StreamEvent); a client that
// reconnects with it as Last-Event-ID (or ?after=) continues with the next event, so each event is
// delivered once, in ledger order.
//
// Each caller gets only what it may read (wire.Viewer.Filter, the chaincode's own read rules, over
// the facts every event item carries): the events of receivables it may read, with only those
// items, and the accounts it may read. The decision depends on the event alone, never on the time
// it is read, so a stream resumed from a checkpoint delivers exactly what the first stream would
// have delivered after it. A bank's decision reaches the parties to its terms with the terms
// (read with the caller's identity from its organisation's peer, GetTerms); the others get the
// bank and the hash.

// parsePosition reads where the stream starts: Last-Event-ID or ?after=<block>:<txId> resumes
// after that event; ?startBlock=N starts at block N; neither starts with the next block.
func parsePosition(r *http.Request) (fabric.Position, error) {
	after := r.Header.Get("Last-Event-ID")
	if a := r.URL.Query().Get("after"); a != "" {
		after = a
	}
	if after != "" {
		pos, err := fabric.After(after)
		if err != nil {
			return fabric.Position{}, badRequest("event position must be <blockNumber>:<txId>, got " + strconv.Quote(after))
		}
		return pos, nil
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
	id, ok := s.ledger.Identity(caller(r))
	if !ok {
		s.writeError(w, r, &Failure{Kind: wire.KindUnauthenticated, Stage: "auth", Message: "unauthenticated: unknown identity"})
		return
	}
	viewer := id.Viewer()
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
			payload := s.visible(ctx, caller(r), viewer, ev.Payload)
			if payload == nil {
				continue
			}
			data, _ := json.Marshal(wire.StreamEvent{BlockNumber: ev.BlockNumber, TransactionID: ev.TransactionID, Name: ev.Name, Payload: payload})
			if _, err := fmt.Fprintf(w, "id: %s\nevent: %s\ndata: %s\n\n", fabric.EventID(ev.BlockNumber, ev.TransactionID), ev.Name, data); err != nil {
				return
			}
			_ = rc.Flush()
		}
	}
}

// decisions are the writes whose items carry the hash of a bank's decision with private terms.
var decisions = map[string]bool{"DecideFinancing": true, "ApproveFinancing": true, "RejectFinancing": true}

// visible is the part of an event's payload that viewer may see, with the terms of a decision for
// a party to them; nil when nothing is left (or the payload is not an event: fail closed).
func (s *Server) visible(ctx context.Context, name string, viewer wire.Viewer, payload []byte) json.RawMessage {
	var ev wire.Event
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil
	}
	out := viewer.Filter(&ev)
	if out == nil {
		return nil
	}
	if decisions[out.Op] {
		for i, it := range out.Items {
			if it.TermsHash != "" && mayBeParty(viewer, it.Bank) {
				out.Items[i].Terms = s.terms(ctx, name, it.ID, it.TermsHash)
			}
		}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil
	}
	return b
}

// mayBeParty: the auditor, the bank's financiers and the suppliers (one of them asked) may be
// parties to a decision's terms; the chaincode decides (GetTerms).
func mayBeParty(v wire.Viewer, bank string) bool {
	return v.Role == wire.RoleAuditor || v.Role == wire.RoleSupplier || (v.Role == wire.RoleFinancier && v.MSPID == bank)
}

// terms reads a decision's terms as the caller: nil when it is not a party or its peer does not
// hold them (yet).
func (s *Server) terms(ctx context.Context, name, id, hash string) *wire.Terms {
	raw, err := s.ledger.Evaluate(ctx, name, "GetTerms", id, hash)
	if err != nil {
		return nil
	}
	var t wire.Terms
	if json.Unmarshal(raw, &t) != nil || t.ID != id {
		return nil
	}
	return &t
}

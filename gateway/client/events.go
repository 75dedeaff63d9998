package client

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// StreamOptions say where an event stream starts and when it stops by itself.
type StreamOptions struct {
	// After resumes after this event id ("<blockNumber>:<txId>"); it wins over StartBlock.
	After string
	// StartBlock is the first block to read; negative: from the next block on.
	StartBlock int64
	// IdleStop ends the stream when no event arrives for this long; 0 never.
	IdleStop time.Duration
}

// Event is one event of the stream: its SSE id (resume after it with StreamOptions.After) and
// its data.
type Event struct {
	ID string
	wire.StreamEvent
	// Data is the event's data as the gateway sent it.
	Data json.RawMessage
}

// Events reads the gateway's Server-Sent Events stream of chaincode events, calling fn for each
// until fn returns false (nil is returned), the gateway ends the stream (nil), IdleStop passes
// (nil), or ctx ends (ctx's error). A refused stream is a *wire.Problem.
func (c *Client) Events(ctx context.Context, o StreamOptions, fn func(Event) bool) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	q := url.Values{}
	if o.After != "" {
		q.Set("after", o.After)
	} else if o.StartBlock >= 0 {
		q.Set("startBlock", strconv.FormatInt(o.StartBlock, 10))
	}
	path := "/v1/events"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	resp, err := c.send(ctx, http.MethodGet, path, nil, http.Header{"Accept": {"text/event-stream"}})
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		r, err := readResponse(resp)
		if err != nil {
			return err
		}
		return r.Problem()
	}
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
	}()
	return readEvents(ctx, lines, o.IdleStop, fn)
}

// sse is one Server-Sent Event as it is read.
type sse struct{ id, name, data string }

func readEvents(ctx context.Context, lines <-chan string, idleStop time.Duration, fn func(Event) bool) error {
	var idleC <-chan time.Time
	var idle *time.Timer
	if idleStop > 0 {
		idle = time.NewTimer(idleStop)
		defer idle.Stop()
		idleC = idle.C
	}
	var ev sse
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-idleC:
			return nil
		case line, ok := <-lines:
			if !ok {
				return nil
			}
			switch {
			case line == "":
				if ev.data == "" && ev.name == "" {
					continue
				}
				if ev.name == "end" {
					return nil
				}
				if ev.id != "" && !fn(ev.event()) {
					return nil
				}
				if idle != nil {
					idle.Reset(idleStop)
				}
				ev = sse{}
			case strings.HasPrefix(line, "id: "):
				ev.id = strings.TrimPrefix(line, "id: ")
			case strings.HasPrefix(line, "event: "):
				ev.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.data += strings.TrimPrefix(line, "data: ")
			}
		}
	}
}

func (e sse) event() Event {
	out := Event{ID: e.id, Data: json.RawMessage(e.data)}
	if err := json.Unmarshal([]byte(e.data), &out.StreamEvent); err != nil {
		out.Name = e.name
	}
	if out.Name == "" {
		out.Name = e.name
	}
	return out
}

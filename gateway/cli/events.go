package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

type eventsOptions struct {
	startBlock int64
	after      string
	follow     bool
	count      int
}

func newEventsCommand(g *globals) *cobra.Command {
	o := &eventsOptions{startBlock: -1}
	cmd := &cobra.Command{
		Use:   "events",
		Short: "Print the chaincode's events, one line per transaction",
		Long: `Print chaincode events from the gateway's Server-Sent Events stream. Without --follow it stops
after --count events or when the stream is idle for 2 seconds. With --follow it reconnects after a
dropped connection and resumes after the last event it printed, so no event is printed twice.`,
		Example: `  recv --as AuditorMSP/auditor events --start-block 0 --follow
  recv --as AuditorMSP/auditor events --after 12:3f2a... -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd, g) },
	}
	f := cmd.Flags()
	f.Int64Var(&o.startBlock, "start-block", -1, "first block to read (default: from now on)")
	f.StringVar(&o.after, "after", "", "resume after this event id <block>:<txId>")
	f.BoolVarP(&o.follow, "follow", "f", false, "keep streaming, reconnecting when needed")
	f.IntVar(&o.count, "count", 0, "stop after this many events")
	return cmd
}

type sseEvent struct {
	ID   string
	Name string
	Data string
}

func (o *eventsOptions) run(cmd *cobra.Command, g *globals) error {
	c, err := g.client()
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	if !o.follow {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, g.timeout)
		defer cancel()
	}
	last := o.after
	printed := 0
	for attempt := 0; ; attempt++ {
		q := url.Values{}
		if last != "" {
			q.Set("after", last)
		} else if o.startBlock >= 0 {
			q.Set("startBlock", strconv.FormatInt(o.startBlock, 10))
		}
		err := c.stream(ctx, "/v1/events?"+q.Encode(), !o.follow, func(ev sseEvent) bool {
			if ev.Name == "end" || ev.ID == "" {
				return true
			}
			last = ev.ID
			printed++
			g.printEvent(ev)
			return o.count == 0 || printed < o.count
		})
		if !o.follow || (o.count > 0 && printed >= o.count) || ctx.Err() != nil {
			if _, isAPI := err.(*APIError); isAPI {
				return err
			}
			return nil
		}
		if _, isAPI := err.(*APIError); isAPI && attempt > 3 {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
	}
}

func (g *globals) printEvent(ev sseEvent) {
	if g.output == "json" {
		fmt.Fprintln(g.stdout, ev.Data)
		return
	}
	var e struct {
		BlockNumber uint64 `json:"blockNumber"`
		TxID        string `json:"txId"`
		Name        string `json:"name"`
		Payload     struct {
			Items []struct {
				ID     string `json:"id"`
				Status string `json:"status"`
				Amount string `json:"amount"`
			} `json:"items"`
		} `json:"payload"`
	}
	_ = json.Unmarshal([]byte(ev.Data), &e)
	parts := make([]string, 0, len(e.Payload.Items))
	for _, it := range e.Payload.Items {
		parts = append(parts, fmt.Sprintf("%s %s %s", it.ID, it.Status, it.Amount))
	}
	tx := e.TxID
	if len(tx) > 12 {
		tx = tx[:12]
	}
	fmt.Fprintf(g.stdout, "block %-5d %-18s tx %s  %s\n", e.BlockNumber, e.Name, tx, strings.Join(parts, "; "))
}

// stream reads Server-Sent Events from path, calling fn for each until fn returns false, the
// stream ends, or (when idleStop) no event arrives for 2 seconds.
func (c *Client) stream(ctx context.Context, path string, idleStop bool, fn func(sseEvent) bool) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "text/event-stream")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		ae := &APIError{Status: resp.StatusCode}
		_ = json.NewDecoder(resp.Body).Decode(ae)
		ae.Status = resp.StatusCode
		return ae
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
	var ev sseEvent
	idle := time.NewTimer(2 * time.Second)
	defer idle.Stop()
	for {
		var idleC <-chan time.Time
		if idleStop {
			idleC = idle.C
		}
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
				if ev.Data != "" || ev.Name != "" {
					if !fn(ev) {
						return nil
					}
					if !idle.Stop() {
						select {
						case <-idle.C:
						default:
						}
					}
					idle.Reset(2 * time.Second)
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				ev.ID = strings.TrimPrefix(line, "id: ")
			case strings.HasPrefix(line, "event: "):
				ev.Name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.Data += strings.TrimPrefix(line, "data: ")
			}
		}
	}
}

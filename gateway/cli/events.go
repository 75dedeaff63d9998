package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/client"
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
	stream := client.StreamOptions{After: o.after, StartBlock: o.startBlock}
	if !o.follow {
		stream.IdleStop = 2 * time.Second
	}
	printed := 0
	for attempt := 0; ; attempt++ {
		err := c.Events(ctx, stream, func(ev client.Event) bool {
			stream.After = ev.ID
			printed++
			g.printEvent(ev)
			return o.count == 0 || printed < o.count
		})
		var problem *wire.Problem
		refused := errors.As(err, &problem)
		if !o.follow || (o.count > 0 && printed >= o.count) || ctx.Err() != nil {
			if refused {
				return err
			}
			return nil
		}
		if refused && attempt > 3 {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
	}
}

func (g *globals) printEvent(ev client.Event) {
	if g.output == "json" {
		fmt.Fprintln(g.stdout, string(ev.Data))
		return
	}
	var payload wire.Event
	_ = json.Unmarshal(ev.Payload, &payload)
	parts := make([]string, 0, len(payload.Items))
	for _, it := range payload.Items {
		parts = append(parts, fmt.Sprintf("%s %s %s", it.ID, it.Status, it.Amount))
	}
	tx := ev.TransactionID
	if len(tx) > 12 {
		tx = tx[:12]
	}
	fmt.Fprintf(g.stdout, "block %-5d %-18s tx %s  %s\n", ev.BlockNumber, ev.Name, tx, strings.Join(parts, "; "))
}

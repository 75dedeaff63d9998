package cli

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/recv-ledger/recv/chaincode/wire"
)

func newBeaconCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "beacon",
		Short: "Show the network's time beacon: when it was last ticked, by whom, and how long ago",
		Long: "Every write reads the network's time beacon; a write endorsed before a tick can no longer commit.\n" +
			"The core enterprise's gateway ticks it on a schedule and a standby gateway ticks when it is late\n" +
			"(docs/security.md, \"No back-dating\"); a large age means no gateway is ticking.",
		Example: "  recv beacon\n  recv beacon -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return show(g, cmd, "get-beacon", nil, func(w io.Writer, b *wire.Beacon) {
				age := "unknown"
				if at, err := time.Parse(time.RFC3339, b.Time); err == nil {
					age = time.Since(at).Round(time.Second).String()
				}
				fmt.Fprintf(w, "time:\t%s\nage:\t%s\nby:\t%s\ntxId:\t%s\n", b.Time, age, b.By, b.TxID)
			})
		},
	}
}

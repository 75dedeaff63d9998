package cli

import (
	"encoding/json"
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
			body, err := g.query(cmd, "get-beacon", nil, nil)
			if err != nil {
				return err
			}
			var b wire.Beacon
			if err := json.Unmarshal(body, &b); err != nil {
				return err
			}
			age := "unknown"
			if at, err := time.Parse(time.RFC3339, b.Time); err == nil {
				age = time.Since(at).Round(time.Second).String()
			}
			return g.printer().Print(body, func(w io.Writer) {
				fmt.Fprintf(w, "time:\t%s\nage:\t%s\nby:\t%s\ntxId:\t%s\n", b.Time, age, b.By, b.TxID)
			})
		},
	}
}

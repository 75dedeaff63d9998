package cli

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/recv-ledger/recv/chaincode/wire"
)

func newConfigCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Read or change the channel's receivable settings"}
	cmd.AddCommand(&cobra.Command{
		Use:   "get",
		Short: "Show the settings (maximum term, clock skew)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			body, err := g.query(cmd, "get-config", nil, nil)
			if err != nil {
				return err
			}
			var cfg wire.Config
			if err := json.Unmarshal(body, &cfg); err != nil {
				return err
			}
			return g.printer().Print(body, func(w io.Writer) {
				fmt.Fprintf(w, "maxTermDays:\t%d\nclockSkewSeconds:\t%d\n", cfg.MaxTermDays, cfg.ClockSkewSeconds)
			})
		},
	})
	cmd.AddCommand(newConfigSetCommand(g))
	return cmd
}

func newConfigSetCommand(g *globals) *cobra.Command {
	var maxTerm, skew int
	set := &cobra.Command{
		Use:     "set",
		Short:   "Change settings (role admin)",
		Example: "  recv --as CoreMSP/admin config set --max-term-days 183",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var req wire.ConfigRequest
			if cmd.Flags().Changed("max-term-days") {
				req.MaxTermDays = &maxTerm
			}
			if cmd.Flags().Changed("clock-skew-seconds") {
				req.ClockSkewSeconds = &skew
			}
			if req.MaxTermDays == nil && req.ClockSkewSeconds == nil {
				return usagef("nothing to set")
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			ctx, cancel := g.context(cmd)
			defer cancel()
			res, err := c.Submit(ctx, "set-config", nil, req)
			if err != nil {
				return err
			}
			return g.printer().Print(res, func(w io.Writer) {
				fmt.Fprintf(w, "committed:\ttx %s in block %d\n", res.TransactionID, res.BlockNumber)
			})
		},
	}
	set.Flags().IntVar(&maxTerm, "max-term-days", 0, "longest allowed term in days (at most 365)")
	set.Flags().IntVar(&skew, "clock-skew-seconds", 0, "tolerated difference between a transaction's time and the peer's clock")
	return set
}

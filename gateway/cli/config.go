package cli

import (
	"fmt"
	"io"
	"net/http"

	"github.com/spf13/cobra"
)

func newConfigCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Read or change the channel's receivable settings"}
	cmd.AddCommand(&cobra.Command{
		Use:   "get",
		Short: "Show the settings (maximum term, clock skew)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var body map[string]any
			if err := g.read(cmd, "/v1/config", &body); err != nil {
				return err
			}
			return g.printer().Print(body, func(w io.Writer) {
				for k, v := range body {
					fmt.Fprintf(w, "%s:\t%v\n", k, v)
				}
			})
		},
	})
	var maxTerm, skew int
	set := &cobra.Command{
		Use:     "set",
		Short:   "Change settings (role admin)",
		Example: "  recv --as CoreMSP/admin config set --max-term-days 183",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			body := map[string]int{}
			if cmd.Flags().Changed("max-term-days") {
				body["maxTermDays"] = maxTerm
			}
			if cmd.Flags().Changed("clock-skew-seconds") {
				body["clockSkewSeconds"] = skew
			}
			if len(body) == 0 {
				return usagef("nothing to set")
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			ctx, cancel := g.context(cmd)
			defer cancel()
			var res submitted
			if err := c.Do(ctx, http.MethodPut, "/v1/config", body, &res, nil); err != nil {
				return err
			}
			return g.printer().Print(res, func(w io.Writer) {
				fmt.Fprintf(w, "committed:\ttx %s in block %d\n", res.TransactionID, res.BlockNumber)
			})
		},
	}
	set.Flags().IntVar(&maxTerm, "max-term-days", 0, "longest allowed term in days (at most 365)")
	set.Flags().IntVar(&skew, "clock-skew-seconds", 0, "tolerated difference between a transaction's time and the peer's clock")
	cmd.AddCommand(set)
	return cmd
}

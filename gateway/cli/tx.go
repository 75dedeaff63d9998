package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/recv-ledger/recv/gateway/client"
)

func newTxCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:     "tx TXID",
		Short:   "Show whether a transaction committed, with its validation code and block",
		Example: "  recv --as CoreMSP/treasurer tx 3f2a...",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.call(cmd, func(ctx context.Context, c *client.Client) error {
				st, err := c.Transaction(ctx, args[0])
				if err != nil {
					return err
				}
				return g.printer().Print(st, func(w io.Writer) {
					fmt.Fprintf(w, "tx:\t%s\nvalidation:\t%s\nblock:\t%d\n", st.TransactionID, st.ValidationCode, st.BlockNumber)
				})
			})
		},
	}
}

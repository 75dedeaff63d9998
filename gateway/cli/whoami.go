package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/recv-ledger/recv/gateway/client"
)

func newWhoamiCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "whoami",
		Short: "Show the identity your token acts as",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.call(cmd, func(ctx context.Context, c *client.Client) error {
				me, err := c.WhoAmI(ctx)
				if err != nil {
					return err
				}
				return g.printer().Print(me, func(w io.Writer) {
					fmt.Fprintf(w, "account:\t%s\nrole:\t%s\n", me.Account, me.Role)
				})
			})
		},
	}
}

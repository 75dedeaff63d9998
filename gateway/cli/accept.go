package cli

import "github.com/spf13/cobra"

func newAcceptCommand(g *globals) *cobra.Command {
	wo := &writeOptions{}
	cmd := &cobra.Command{
		Use:     "accept ID",
		Short:   "Accept a receivable offered to you (签收)",
		Example: "  recv --as SupplierMSP/supplier-a accept R-1",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.write(cmd, wo, "accept", args, nil)
		},
	}
	wo.bind(cmd)
	return cmd
}

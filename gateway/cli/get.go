package cli

import "github.com/spf13/cobra"

func newGetCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:     "get ID",
		Short:   "Show one receivable",
		Example: "  recv --as SupplierMSP/supplier-a get R-1.1",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return show(g, cmd, "get", args, receivableDetail)
		},
	}
}

package cli

import "github.com/spf13/cobra"

func newAcceptCommand(g *globals) *cobra.Command {
	return g.writeCommand(&cobra.Command{
		Use:     "accept ID",
		Short:   "Accept a receivable offered to you (签收)",
		Example: "  recv --as SupplierMSP/supplier-a accept R-1",
		Args:    cobra.ExactArgs(1),
	}, "accept", nil)
}

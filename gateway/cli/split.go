package cli

import (
	"github.com/spf13/cobra"

	"github.com/recv-ledger/recv/chaincode/wire"
)

func newSplitCommand(g *globals) *cobra.Command {
	var parts []string
	cmd := g.writeCommand(&cobra.Command{
		Use:     "split ID",
		Short:   "Split a receivable you hold into parts that sum to its amount (拆分)",
		Example: "  recv --as SupplierMSP/supplier-a split R-1 --parts 600000,650000.00",
		Args:    cobra.ExactArgs(1),
	}, "split", func() (any, error) {
		if len(parts) < 2 {
			return nil, usagef("--parts needs at least two amounts")
		}
		return wire.SplitRequest{Parts: parts}, nil
	})
	cmd.Flags().StringSliceVar(&parts, "parts", nil, "amounts in yuan, comma separated (required)")
	return cmd
}

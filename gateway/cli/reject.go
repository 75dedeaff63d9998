package cli

import (
	"github.com/spf13/cobra"

	"github.com/recv-ledger/recv/chaincode/wire"
)

func newRejectCommand(g *globals) *cobra.Command {
	var reason string
	cmd := g.writeCommand(&cobra.Command{
		Use:     "reject ID",
		Short:   "Reject a receivable offered to you",
		Example: `  recv --as SupplierMSP/supplier-a reject R-1 --reason "wrong amount"`,
		Args:    cobra.ExactArgs(1),
	}, "reject", func() (any, error) {
		return wire.ReasonRequest{Reason: reason}, nil
	})
	cmd.Flags().StringVar(&reason, "reason", "", "why")
	return cmd
}

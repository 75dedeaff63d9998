package cli

import (
	"github.com/spf13/cobra"

	"github.com/recv-ledger/recv/chaincode/wire"
)

func newRejectCommand(g *globals) *cobra.Command {
	wo := &writeOptions{}
	var reason string
	cmd := &cobra.Command{
		Use:     "reject ID",
		Short:   "Reject a receivable offered to you",
		Example: `  recv --as SupplierMSP/supplier-a reject R-1 --reason "wrong amount"`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.write(cmd, wo, "reject", args, wire.ReasonRequest{Reason: reason})
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why")
	wo.bind(cmd)
	return cmd
}

package cli

import (
	"github.com/spf13/cobra"

	"github.com/recv-ledger/recv/chaincode/wire"
)

func newTransferCommand(g *globals) *cobra.Command {
	wo := &writeOptions{}
	var to, amount string
	cmd := &cobra.Command{
		Use:   "transfer ID",
		Short: "Offer a receivable you hold, whole or a part of it, to another account (流转)",
		Example: `  recv --as SupplierMSP/supplier-a transfer R-1.2 --to SupplierMSP/supplier-b
  recv --as SupplierMSP/supplier-b transfer R-1.2 --to SupplierMSP/supplier-c --amount 200000`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if to == "" {
				return usagef("--to is required")
			}
			return g.write(cmd, wo, "transfer", args, wire.TransferRequest{To: to, Amount: amount})
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "receiving account MSP/user (required)")
	cmd.Flags().StringVar(&amount, "amount", "", "part to transfer in yuan (default: the whole receivable)")
	wo.bind(cmd)
	return cmd
}

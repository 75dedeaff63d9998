package cli

import (
	"github.com/spf13/cobra"

	"github.com/recv-ledger/recv/chaincode/wire"
)

func newTransferCommand(g *globals) *cobra.Command {
	var to, amount string
	cmd := g.writeCommand(&cobra.Command{
		Use:   "transfer ID",
		Short: "Offer a receivable you hold, whole or a part of it, to another account (流转)",
		Example: `  recv --as SupplierMSP/supplier-a transfer R-1.2 --to SupplierMSP/supplier-b
  recv --as SupplierMSP/supplier-b transfer R-1.2 --to SupplierMSP/supplier-c --amount 200000`,
		Args: cobra.ExactArgs(1),
	}, "transfer", func() (any, error) {
		if to == "" {
			return nil, usagef("--to is required")
		}
		return wire.TransferRequest{To: to, Amount: amount}, nil
	})
	cmd.Flags().StringVar(&to, "to", "", "receiving account MSP/user (required)")
	cmd.Flags().StringVar(&amount, "amount", "", "part to transfer in yuan (default: the whole receivable)")
	return cmd
}

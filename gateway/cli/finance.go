package cli

import (
	"github.com/spf13/cobra"

	"github.com/recv-ledger/recv/chaincode/wire"
)

func newFinanceCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "finance",
		Short: "Ask a bank to finance a receivable, withdraw the request, or approve or reject it (融资)",
	}
	cmd.AddCommand(newFinanceRequestCommand(g), newFinanceWithdrawCommand(g), newFinanceApproveCommand(g), newFinanceRejectCommand(g),
		newFinanceTermsCommand(g))
	return cmd
}

func newFinanceRequestCommand(g *globals) *cobra.Command {
	return g.flagWriteCommand(&cobra.Command{
		Use:     "request ID",
		Short:   "Ask a bank to finance a receivable you hold (it is locked meanwhile)",
		Example: "  recv --as SupplierMSP/supplier-c finance request R-1.2.1 --bank Bank1MSP",
		Args:    cobra.ExactArgs(1),
	}, "request-financing", "bank", "bank MSP ID, e.g. Bank1MSP (required)", func(bank string) any {
		return wire.FinancingRequest{Bank: bank}
	})
}

func newFinanceWithdrawCommand(g *globals) *cobra.Command {
	return g.writeCommand(&cobra.Command{
		Use:     "withdraw ID",
		Short:   "Withdraw your financing request before the bank answers (撤回融资); the receivable is unlocked",
		Example: "  recv --as SupplierMSP/supplier-c finance withdraw R-1.2.1",
		Args:    cobra.ExactArgs(1),
	}, "withdraw-financing", nil)
}

func newFinanceApproveCommand(g *globals) *cobra.Command {
	var rate int64
	var withoutRecourse bool
	cmd := g.writeCommand(&cobra.Command{
		Use:     "approve ID",
		Short:   "Approve financing at an annual rate; the bank pays the discounted amount and becomes holder",
		Example: "  recv --as Bank1MSP/officer finance approve R-1.2.1 --rate-bps 450",
		Args:    cobra.ExactArgs(1),
	}, "approve-financing", func() (any, error) {
		if rate <= 0 {
			return nil, usagef("--rate-bps must be a positive number of basis points")
		}
		return wire.ApproveRequest{RateBps: rate, WithoutRecourse: withoutRecourse}, nil
	})
	cmd.Flags().Int64Var(&rate, "rate-bps", 0, "annual discount rate in basis points, e.g. 450 = 4.50% (required)")
	cmd.Flags().BoolVar(&withoutRecourse, "without-recourse", false, "finance without recourse (无追索权): the bank keeps an overdue claim")
	return cmd
}

func newFinanceRejectCommand(g *globals) *cobra.Command {
	var reason string
	cmd := g.writeCommand(&cobra.Command{
		Use:     "reject ID",
		Short:   "Reject a financing request; the receivable is unlocked",
		Example: `  recv --as Bank1MSP/officer finance reject R-1.2.1 --reason "limit reached"`,
		Args:    cobra.ExactArgs(1),
	}, "reject-financing", func() (any, error) {
		return wire.ReasonRequest{Reason: reason}, nil
	})
	cmd.Flags().StringVar(&reason, "reason", "", "why")
	return cmd
}

func newFinanceTermsCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:     "terms ID HASH",
		Short:   "Show the private terms of a bank's decision (rate, discount, disbursed; or the reason) by their SHA-256 (the parties only)",
		Example: "  recv --as SupplierMSP/supplier-c finance terms R-1.2.1 3f2a...e9",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return show(g, cmd, "get-terms", args, termsDetail)
		},
	}
}

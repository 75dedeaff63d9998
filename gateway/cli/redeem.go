package cli

import (
	"github.com/spf13/cobra"

	"github.com/recv-ledger/recv/chaincode/wire"
)

func newRedeemCommand(g *globals) *cobra.Command {
	return g.flagWriteCommand(&cobra.Command{
		Use:   "redeem ID",
		Short: "Pay the holder of a live receivable at or after maturity (core enterprise, 兑付)",
		Long: `Pay the holder of a live (ACTIVE or OVERDUE) receivable at or after maturity, under the reference
of the payment. Under two-person control this records a request; an approver confirms it
(recv confirm).`,
		Example: "  recv --as CoreMSP/treasurer redeem R-1.1 --payment-ref TRF-2027-0331-001",
		Args:    cobra.ExactArgs(1),
	}, "redeem", "payment-ref", "the reference of the payment, e.g. the bank transfer's number (required)", redeemRequest)
}

func newRedeemAllCommand(g *globals) *cobra.Command {
	return g.flagWriteCommand(&cobra.Command{
		Use:     "redeem-all ROOT",
		Short:   "Settle every live piece of a root receivable in one transaction (清分); a request under two-person control",
		Example: "  recv --as CoreMSP/treasurer redeem-all R-1 --payment-ref TRF-2027-0331-002",
		Args:    cobra.ExactArgs(1),
	}, "redeem-all", "payment-ref", "the reference of the payment batch (required)", redeemRequest)
}

// redeemRequest is the body of redeem and redeem-all.
func redeemRequest(ref string) any { return wire.RedeemRequest{PaymentRef: ref} }

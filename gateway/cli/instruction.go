package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// Two-person control (经办 + 复核): at a core enterprise, issue, redeem and redeem-all by an issuer
// record a request; an approver other than the maker confirms or refuses it here.

func newConfirmCommand(g *globals) *cobra.Command {
	return g.writeCommand(&cobra.Command{
		Use:   "confirm INSTRUCTION",
		Short: "Confirm a maker's issue or redeem request: it commits now (复核; an approver other than the maker)",
		Example: `  recv --as CoreMSP/approver confirm I3f2a9c0d1e2b4a5c6d7e
  recv confirm I3f2a9c0d1e2b4a5c6d7e --sign-with approver-key.pem`,
		Args: cobra.ExactArgs(1),
	}, "confirm", nil)
}

func newRefuseCommand(g *globals) *cobra.Command {
	return g.flagWriteCommand(&cobra.Command{
		Use:     "refuse INSTRUCTION",
		Short:   "Refuse a maker's request with a reason; nothing is issued or paid",
		Example: `  recv --as CoreMSP/approver refuse I3f2a9c0d1e2b4a5c6d7e --reason "invoice does not match the contract"`,
		Args:    cobra.ExactArgs(1),
	}, "refuse", "reason", "why (required)", func(reason string) any {
		return wire.ReasonRequest{Reason: reason}
	})
}

func newInstructionCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:     "instruction INSTRUCTION",
		Short:   "Show a maker-checker instruction: what it asks, who made it, its status",
		Example: "  recv --as CoreMSP/approver instruction I3f2a9c0d1e2b4a5c6d7e",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return show(g, cmd, "get-instruction", args, instructionDetail)
		},
	}
}

// instructionDetail prints an instruction, and what to do next while it is open.
func instructionDetail(w io.Writer, in *wire.Instruction) {
	fmt.Fprintf(w, "instruction:\t%s\nstatus:\t%s\nasks:\t%s %s %s\nmaker:\t%s\nexpires:\t%s\n",
		in.ID, in.Status, in.Tx, in.Target, in.Amount, in.Maker, in.ExpiresAt)
	if in.PaymentRef != "" {
		fmt.Fprintf(w, "payment ref:\t%s\n", in.PaymentRef)
	}
	if in.Checker != "" {
		fmt.Fprintf(w, "checker:\t%s at %s\n", in.Checker, in.DecidedAt)
	}
	if in.Reason != "" {
		fmt.Fprintf(w, "reason:\t%s\n", in.Reason)
	}
	if in.Status == wire.InstructionOpen {
		fmt.Fprintf(w, "next:\tan approver other than %s runs: recv confirm %s (or refuse)\n", in.Maker, in.ID)
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

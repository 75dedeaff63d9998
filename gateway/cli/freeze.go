package cli

import (
	"github.com/spf13/cobra"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// newFreezeCommand is freeze (freeze true) or unfreeze: the auditor's hold on a receivable and its
// pieces (冻结).
func newFreezeCommand(g *globals, freeze bool) *cobra.Command {
	var reason, reference string
	use, op, short := "freeze ID", "freeze", "Freeze a receivable and its pieces on a court order or a dispute (冻结; the auditor)"
	if !freeze {
		use, op, short = "unfreeze ID", "unfreeze", "Lift the freeze of a receivable and its pieces (the auditor)"
	}
	cmd := g.writeCommand(&cobra.Command{
		Use:     use,
		Short:   short,
		Example: "  recv --as AuditorMSP/auditor " + op + ` R-1 --reason "court order" --reference "(2026)沪0115民初123号"`,
		Args:    cobra.ExactArgs(1),
	}, op, func() (any, error) {
		if reason == "" || reference == "" {
			return nil, usagef("--reason and --reference are required")
		}
		return wire.FreezeRequest{Reason: reason, Reference: reference}, nil
	})
	cmd.Flags().StringVar(&reason, "reason", "", "why (required)")
	cmd.Flags().StringVar(&reference, "reference", "", "the court order's or case's reference (required)")
	return cmd
}

func newOverdueCommand(g *globals) *cobra.Command {
	return g.writeCommand(&cobra.Command{
		Use:     "overdue ID",
		Short:   "Mark a piece not redeemed by maturity plus the grace period OVERDUE (逾期; its holder or the auditor)",
		Example: "  recv --as SupplierMSP/supplier-a overdue R-1.2",
		Args:    cobra.ExactArgs(1),
	}, "mark-overdue", nil)
}

func newRecourseCommand(g *globals) *cobra.Command {
	return g.writeCommand(&cobra.Command{
		Use:     "recourse ID",
		Short:   "Move an overdue piece financed with recourse back to the supplier that asked for the financing (追索; the bank)",
		Example: "  recv --as Bank1MSP/officer recourse R-1.2.1",
		Args:    cobra.ExactArgs(1),
	}, "recourse", nil)
}

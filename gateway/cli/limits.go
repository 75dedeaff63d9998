package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/recv-ledger/recv/chaincode/wire"
)

func newLimitsCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:     "limits CORE_MSP",
		Short:   "Show a core enterprise's issuance limit and the credit lines on it: limit, use, headroom",
		Example: "  recv --as Bank1MSP/officer limits CoreMSP",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return show(g, cmd, "limits", args, func(w io.Writer, l *wire.Limits) {
				fmt.Fprintln(w, "OBLIGOR\tLIMIT OF\tLIMIT\tUSED\tHEADROOM")
				if l.Issuance != nil {
					fmt.Fprintf(w, "%s\tissuance\t%s\t%s\t%s\n", l.Obligor, l.Issuance.Limit, l.Issuance.Used, l.Issuance.Headroom)
				}
				for _, c := range l.Lines {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", l.Obligor, c.Bank, c.Limit, c.Used, c.Headroom)
				}
			})
		},
	}
}

func newCreditLineCommand(g *globals) *cobra.Command {
	return g.flagWriteCommand(&cobra.Command{
		Use:     "credit-line CORE_MSP --amount AMOUNT",
		Short:   "Set your bank's credit line on a core enterprise (授信额度): financings beyond it are refused",
		Example: "  recv --as Bank1MSP/officer credit-line CoreMSP --amount 5000000",
		Args:    cobra.ExactArgs(1),
	}, "set-credit-line", "amount", "the line in yuan (required)", lineRequest)
}

func newIssuanceLimitCommand(g *globals) *cobra.Command {
	return g.flagWriteCommand(&cobra.Command{
		Use:     "issuance-limit --amount AMOUNT",
		Short:   "Cap your core enterprise's outstanding issuance (its approver)",
		Example: "  recv --as CoreMSP/approver issuance-limit --amount 20000000",
		Args:    cobra.NoArgs,
	}, "set-issuance-limit", "amount", "the limit in yuan (required)", lineRequest)
}

// lineRequest is the body of credit-line and issuance-limit.
func lineRequest(amount string) any { return wire.LineRequest{Amount: amount} }

func newRiskCommand(g *globals) *cobra.Command {
	o := &pageOptions{}
	cmd := &cobra.Command{
		Use:   "risk",
		Short: "Risk signals per core enterprise: outstanding, overdue, days past due, financed per bank, largest holders, lines (a bank, the auditor)",
		Long: `Risk signals per core enterprise, read from aggregates the ledger keeps with every write (no scan
of the receivables): outstanding, overdue amount and ratio, days past due of the oldest overdue
piece, financed per bank (a bank sees its own and the other banks' as one sum), the largest
holders' shares, and the credit lines with their use.`,
		Example: "  recv --as AuditorMSP/auditor risk\n  recv --as Bank1MSP/officer -o json risk --all",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return showPages(g, cmd, "risk", nil, o, riskTable)
		},
	}
	o.bind(cmd, "core enterprises")
	return cmd
}

func riskTable(w io.Writer, items []wire.Exposure, bookmark string) {
	fmt.Fprintln(w, "OBLIGOR\tOUTSTANDING\tOVERDUE\tOVERDUE %\tDAYS PAST DUE\tFINANCED\tTOP HOLDERS\tLINES (used/limit)")
	for _, x := range items {
		var fin, top, lines []string
		for _, f := range x.Financed {
			fin = append(fin, f.Bank+" "+f.Amount)
		}
		for _, h := range x.TopHolders {
			top = append(top, fmt.Sprintf("%s %d.%02d%%", h.Holder, h.ShareBps/100, h.ShareBps%100))
		}
		for _, c := range x.Lines {
			lines = append(lines, fmt.Sprintf("%s %s/%s", orDefault(c.Bank, "issuance"), c.Used, c.Limit))
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%d.%02d%%\t%d\t%s\t%s\t%s\n", x.Obligor, x.Outstanding, x.Overdue, x.OverdueBps/100, x.OverdueBps%100,
			x.DaysPastDue, orDash(strings.Join(fin, ", ")), orDash(strings.Join(top, ", ")), orDash(strings.Join(lines, ", ")))
	}
	if bookmark != "" {
		fmt.Fprintf(w, "\nmore:\trecv risk --bookmark %s\n", bookmark)
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func newFoldExposureCommand(g *globals) *cobra.Command {
	return g.writeCommand(&cobra.Command{
		Use:   "fold-exposure CORE_MSP",
		Short: "Fold the pending changes of a core enterprise's exposure into its total (keeps recv risk cheap; changes no figure)",
		Long: `Every write records its change to the obligor's exposure under a key of its own, so that writes never
conflict over the total; limit checks fold the changes into the total, and so does this command.
Run it now and then (a bank, the auditor, the core enterprise) where no credit line or issuance
limit is set, or when recv risk says there are too many unfolded changes. One run folds up to
20,000 changes of each part of the exposure (the rest, each bank's financing); run it again until
recv risk reads the exposure.`,
		Example: "  recv --as AuditorMSP/auditor fold-exposure CoreMSP",
		Args:    cobra.ExactArgs(1),
	}, "fold-exposure", nil)
}

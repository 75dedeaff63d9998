package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/recv-ledger/recv/chaincode/wire"
)

func newTotalsCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:     "totals ACCOUNT",
		Short:   "Show an account's outstanding, financed and redeemed totals",
		Example: "  recv --as AuditorMSP/auditor totals SupplierMSP/supplier-a",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			msp, user, ok := strings.Cut(args[0], "/")
			if !ok {
				return usagef("ACCOUNT is MSP/user")
			}
			return show(g, cmd, "totals", []string{msp, user}, func(w io.Writer, t *wire.Totals) {
				fmt.Fprintf(w, "account:\t%s\noutstanding:\t%s\nfinanced:\t%s\nredeemed:\t%s\n", t.Account, t.Outstanding, t.Financed, t.Redeemed)
			})
		},
	}
}

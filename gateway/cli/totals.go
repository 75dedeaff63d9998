package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
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
			var body raw
			if err := g.read(cmd, "/v1/accounts/"+pathID(msp)+"/"+pathID(user)+"/totals", &body); err != nil {
				return err
			}
			var t map[string]any
			if err := json.Unmarshal(body, &t); err != nil {
				return err
			}
			return g.printer().Print(body, func(w io.Writer) {
				for _, k := range []string{"account", "outstanding", "financed", "redeemed"} {
					fmt.Fprintf(w, "%s:\t%v\n", k, t[k])
				}
			})
		},
	}
}

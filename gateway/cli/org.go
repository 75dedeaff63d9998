package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/recv-ledger/recv/chaincode/wire"
)

func newOrgCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "org",
		Short: "Show the member organisations in the registry and their kinds (成员机构)",
	}
	cmd.AddCommand(newOrgListCommand(g), newOrgShowCommand(g))
	return cmd
}

func newOrgListCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List the member organisations: kind (core, supplier, bank, auditor), legal name, credit code",
		Example: "  recv --as AuditorMSP/auditor org list",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return show(g, cmd, "list-orgs", nil, func(w io.Writer, m *wire.Members) { orgTable(w, m.Orgs) })
		},
	}
}

func newOrgShowCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:     "show MSP",
		Short:   "Show one member organisation",
		Example: "  recv --as SupplierMSP/admin org show Bank1MSP",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return show(g, cmd, "get-org", args, func(w io.Writer, o *wire.Org) {
				fmt.Fprintf(w, "msp:\t%s\nkind:\t%s\nroles:\t%s\nname:\t%s\ncredit code:\t%s\n", o.MSPID, o.Kind, rolesText(o.Kind), o.Name, o.CreditCode)
				if o.LastTxID != "" {
					fmt.Fprintf(w, "updated:\t%s by %s (tx %s)\n", o.UpdatedAt, o.UpdatedBy, o.LastTxID)
				}
			})
		},
	}
}

package cli

import (
	"encoding/json"
	"io"

	"github.com/spf13/cobra"

	"github.com/recv-ledger/recv/chaincode/wire"
)

func newGetCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:     "get ID",
		Short:   "Show one receivable",
		Example: "  recv --as SupplierMSP/supplier-a get R-1.1",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body, err := g.query(cmd, "get", args, nil)
			if err != nil {
				return err
			}
			var r wire.Receivable
			if err := json.Unmarshal(body, &r); err != nil {
				return err
			}
			return g.printer().Print(body, func(w io.Writer) { receivableDetail(w, &r) })
		},
	}
}

package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

func newTxCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:     "tx TXID",
		Short:   "Show whether a transaction committed, with its validation code and block",
		Example: "  recv --as CoreMSP/treasurer tx 3f2a...",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var st struct {
				TxID           string `json:"txId"`
				ValidationCode string `json:"validationCode"`
				Valid          bool   `json:"valid"`
				BlockNumber    uint64 `json:"blockNumber"`
			}
			if err := g.read(cmd, "/v1/transactions/"+pathID(args[0]), &st); err != nil {
				return err
			}
			return g.printer().Print(st, func(w io.Writer) {
				fmt.Fprintf(w, "tx:\t%s\nvalidation:\t%s\nblock:\t%d\n", st.TxID, st.ValidationCode, st.BlockNumber)
			})
		},
	}
}

package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/recv-ledger/recv/chaincode/wire"
)

func newHistoryCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:     "history ID",
		Short:   "Show every version of a receivable with its transaction, time and submitter",
		Example: "  recv --as AuditorMSP/auditor history R-1",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return show(g, cmd, "history", args, func(w io.Writer, versions *[]wire.HistoryEntry) {
				fmt.Fprintln(w, "TIME\tSUBMITTER\tSTATUS\tHOLDER\tAMOUNT\tTX")
				for _, v := range *versions {
					status, holder, amount := "DELETED", "", ""
					if v.Value != nil {
						status, holder, amount = string(v.Value.Status), holderText(v.Value.Holder, v.Value.PendingHolder), v.Value.Amount
					}
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", v.Timestamp, v.Submitter, status, holder, amount, v.TxID)
				}
			})
		},
	}
}

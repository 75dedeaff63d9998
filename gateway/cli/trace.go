package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/recv-ledger/recv/chaincode/wire"
)

func newTraceCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:     "trace ROOT",
		Short:   "Draw the lineage tree of a root receivable: every split, transfer and financing",
		Example: "  recv --as AuditorMSP/auditor trace R-1",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return show(g, cmd, "trace", args, func(w io.Writer, t *wire.Trace) {
				if t.Root != nil && t.Root.Receivable != nil {
					drawTree(w, t.Root, "", "", "")
				}
			})
		},
	}
}

// drawTree writes one node per line with box-drawing branches, children in chaincode order.
func drawTree(w io.Writer, n *wire.TraceNode, prefix, branch, childPrefix string) {
	line := fmt.Sprintf("%s%s%s  %s  %s  %s", prefix, branch, n.ID, n.Amount, n.Status, holderText(n.Holder, n.PendingHolder))
	if f := financingText(n.Receivable); f != "" {
		line += "  [" + f + "]"
	}
	fmt.Fprintln(w, line)
	for i, c := range n.Pieces {
		if c == nil || c.Receivable == nil {
			continue
		}
		if i == len(n.Pieces)-1 {
			drawTree(w, c, prefix+childPrefix, "└── ", "    ")
		} else {
			drawTree(w, c, prefix+childPrefix, "├── ", "│   ")
		}
	}
}

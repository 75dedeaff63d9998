package cli

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

func newTraceCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:     "trace ROOT",
		Short:   "Draw the lineage tree of a root receivable: every split, transfer and financing",
		Example: "  recv --as AuditorMSP/auditor trace R-1",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var body raw
			if err := g.read(cmd, "/v1/roots/"+pathID(args[0])+"/trace", &body); err != nil {
				return err
			}
			var t struct {
				Root *Receivable `json:"root"`
			}
			if err := json.Unmarshal(body, &t); err != nil {
				return err
			}
			return g.printer().Print(body, func(w io.Writer) {
				if t.Root != nil {
					drawTree(w, t.Root, "", "", "")
				}
			})
		},
	}
}

// drawTree writes one node per line with box-drawing branches, children in chaincode order.
func drawTree(w io.Writer, n *Receivable, prefix, branch, childPrefix string) {
	line := fmt.Sprintf("%s%s%s  %s  %s  %s", prefix, branch, n.ID, n.Amount, n.Status, holderText(n))
	if f := financingText(n); f != "" {
		line += "  [" + f + "]"
	}
	fmt.Fprintln(w, line)
	for i, c := range n.Pieces {
		if i == len(n.Pieces)-1 {
			drawTree(w, c, prefix+childPrefix, "└── ", "    ")
		} else {
			drawTree(w, c, prefix+childPrefix, "├── ", "│   ")
		}
	}
}

package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

func newWhoamiCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "whoami",
		Short: "Show the identity your token acts as",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var me map[string]any
			if err := g.read(cmd, "/v1/whoami", &me); err != nil {
				return err
			}
			return g.printer().Print(me, func(w io.Writer) {
				fmt.Fprintf(w, "account:\t%v\nrole:\t%v\n", me["account"], me["role"])
			})
		},
	}
}

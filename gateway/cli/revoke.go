package cli

import "github.com/spf13/cobra"

func newRevokeCommand(g *globals) *cobra.Command {
	wo := &writeOptions{}
	cmd := &cobra.Command{
		Use:     "revoke ID",
		Short:   "Take back an offer that is still pending",
		Example: "  recv --as CoreMSP/treasurer revoke R-1",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.write(cmd, wo, "revoke", args, nil)
		},
	}
	wo.bind(cmd)
	return cmd
}

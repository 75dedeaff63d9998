package cli

import "github.com/spf13/cobra"

func newRevokeCommand(g *globals) *cobra.Command {
	return g.writeCommand(&cobra.Command{
		Use:     "revoke ID",
		Short:   "Take back an offer that is still pending",
		Example: "  recv --as CoreMSP/treasurer revoke R-1",
		Args:    cobra.ExactArgs(1),
	}, "revoke", nil)
}

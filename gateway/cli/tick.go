package cli

import "github.com/spf13/cobra"

func newTickCommand(g *globals) *cobra.Command {
	return g.writeCommand(&cobra.Command{
		Use:   "tick",
		Short: "Advance the network's time beacon to now (an admin; the gateways do it on a schedule)",
		Long: "Every write reads the network's time beacon, so a write endorsed before a tick can no longer\n" +
			"commit, and no write may be dated before the beacon. `recv serve --beacon-interval` ticks on a\n" +
			"schedule; any member's admin may tick by hand.",
		Example: "  recv --as Bank1MSP/admin tick",
		Args:    cobra.NoArgs,
	}, "tick", nil)
}

package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/recv-ledger/recv/chaincode/wire"
)

func newConfigCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Show the channel's receivable settings (设置); change them by a proposal"}
	cmd.AddCommand(&cobra.Command{
		Use:   "get",
		Short: "Show the settings (maximum term, clock skew, proposal lifetime)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return show(g, cmd, "get-config", nil, func(w io.Writer, cfg *wire.Config) {
				fmt.Fprintf(w, "maxTermDays:\t%d\nclockSkewSeconds:\t%d\nproposalTtlHours:\t%d\n", cfg.MaxTermDays, cfg.ClockSkewSeconds, cfg.ProposalTTLHours)
			})
		},
	})
	cmd.AddCommand(newConfigSetCommand())
	return cmd
}

// newConfigSetCommand only points to the proposal that replaced it: no organisation changes the
// settings on its own any more.
func newConfigSetCommand() *cobra.Command {
	return &cobra.Command{
		Use:                "set",
		Short:              "Removed: settings change by a proposal a majority with the core enterprise and every bank approves (recv proposal create --set ...)",
		Hidden:             true,
		DisableFlagParsing: true,
		RunE: func(*cobra.Command, []string) error {
			return usagef("settings change only through a proposal that a majority of the member organisations, the core enterprise and every bank among them, approve: " +
				"recv proposal create --id ID --set maxTermDays=90 [--set clockSkewSeconds=600] [--note ...], then each admin runs recv proposal approve ID")
		},
	}
}

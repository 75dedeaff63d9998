package cli

import "github.com/spf13/cobra"

func newRedeemCommand(g *globals) *cobra.Command {
	wo := &writeOptions{}
	cmd := &cobra.Command{
		Use:     "redeem ID",
		Short:   "Pay the holder of a live receivable at or after maturity (core enterprise, 兑付)",
		Example: "  recv --as CoreMSP/treasurer redeem R-1.1",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.write(cmd, wo, "redeem", args, nil)
		},
	}
	wo.bind(cmd)
	return cmd
}

func newRedeemAllCommand(g *globals) *cobra.Command {
	wo := &writeOptions{}
	cmd := &cobra.Command{
		Use:     "redeem-all ROOT",
		Short:   "Settle every live piece of a root receivable in one transaction (清分)",
		Example: "  recv --as CoreMSP/treasurer redeem-all R-1",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.write(cmd, wo, "redeem-all", args, nil)
		},
	}
	wo.bind(cmd)
	return cmd
}

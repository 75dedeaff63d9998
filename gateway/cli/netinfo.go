package cli

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/config"
	"github.com/recv-ledger/recv/gateway/network"
)

// newNetinfoCommand prints the organisations of network.json for scripts (gateways.sh), so they
// need no JSON tool.
func newNetinfoCommand(g *globals) *cobra.Command {
	var path, keyOf string
	cmd := &cobra.Command{
		Use:    "netinfo",
		Short:  "Print each organisation of network.json: MSP ID, name, gateway address",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if path == "" {
				path = filepath.Join(config.NetDir(), "network.json")
			}
			desc, err := network.Load(path)
			if err != nil {
				return err
			}
			if keyOf != "" {
				msp, user, _ := wire.SplitAccount(keyOf)
				_, org, err := desc.Org(msp)
				if err != nil {
					return err
				}
				u, ok := org.Users[user]
				if !ok {
					return usagef("no user %s in %s", user, msp)
				}
				fmt.Fprintln(g.stdout, u.Key)
				return nil
			}
			for _, id := range desc.MSPIDs() {
				o := desc.Orgs[id]
				fmt.Fprintf(g.stdout, "%s %s %s\n", id, o.Name, o.Gateway.Address)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&keyOf, "key", "", "print the key file of MSP/user instead")
	cmd.Flags().StringVar(&path, "network", "", "network.json (default $RECV_NET_DIR/network.json)")
	return cmd
}

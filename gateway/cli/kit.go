package cli

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/kit"
)

// newKitCommand is the member kit's file verbs: what an organisation makes, signs and exchanges
// to join the channel, each a file (docs/operations.md, "Joining as a member"). None of them talks
// to a gateway or a peer: fetching the configuration block and submitting the envelope are
// `peer channel fetch config` and `peer channel update`, run by the member's own admin.
func newKitCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "kit",
		Short: "A member's join files: its public definition, the channel update adding it, admins' signatures, the envelope",
	}
	cmd.AddCommand(newKitDefinitionCommand(g), newKitAddOrgCommand(g), newKitDescribeCommand(g), newKitSignCommand(g), newKitEnvelopeCommand(g))
	return cmd
}

func newKitDefinitionCommand(g *globals) *cobra.Command {
	var mspDir, mspID, out string
	var anchors []string
	cmd := &cobra.Command{
		Use:   "definition --msp-id ID --msp-dir DIR --anchor HOST:PORT --out FILE",
		Short: "Write the organisation's public definition (CA and TLS roots, NodeOUs, anchor peer) from its MSP folder",
		Long: `Write the organisation's public definition, the file it sends the consortium to join: its MSP
ID, its CA's and TLS CA's root certificates and the NodeOU setting (read from its MSP folder:
cacerts/, intermediatecerts/, tlscacerts/, config.yaml) and the host and port of its anchor peer.
It holds no key: a key found where a certificate should be is refused.`,
		Example: "  recv kit definition --msp-id Bank3MSP --msp-dir orgs/bank3/msp --anchor peer0.bank3.example.com:7051 --out Bank3MSP.json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var eps []kit.Endpoint
			for _, a := range anchors {
				host, port, err := net.SplitHostPort(a)
				n, perr := strconv.Atoi(port)
				if err != nil || perr != nil {
					return usagef("--anchor %q: want HOST:PORT", a)
				}
				eps = append(eps, kit.Endpoint{Host: host, Port: n})
			}
			d, err := kit.ReadMSP(mspDir, mspID, eps)
			if err != nil {
				return err
			}
			if err := d.Save(out); err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "%s: the public definition of %s (%d root, %d TLS root certificates, NodeOUs %t)\n",
				out, d.MSPID, len(d.RootCerts), len(d.TLSRootCerts), d.NodeOUs)
			return nil
		},
	}
	cmd.Flags().StringVar(&mspID, "msp-id", "", "the organisation's MSP ID (required)")
	cmd.Flags().StringVar(&mspDir, "msp-dir", "", "the organisation's MSP folder (required)")
	cmd.Flags().StringSliceVar(&anchors, "anchor", nil, "its anchor peer, HOST:PORT as the other members reach it (required; repeatable)")
	cmd.Flags().StringVar(&out, "out", "", "the definition file to write (required)")
	for _, f := range []string{"msp-id", "msp-dir", "anchor", "out"} {
		_ = cmd.MarkFlagRequired(f)
	}
	return cmd
}

func newKitAddOrgCommand(g *globals) *cobra.Command {
	var configBlock, definition, out string
	var veto bool
	cmd := &cobra.Command{
		Use:   "add-org --config BLOCK --definition FILE [--veto] --out UPDATE",
		Short: "Write the channel configuration update that adds an organisation, from the channel's config block and its definition",
		Long: `Write the channel configuration update (a protobuf ConfigUpdate) that adds the organisation of a
definition to the channel whose latest configuration block is given (peer channel fetch config):
its application group with the policies every member has here and its anchor peer. With --veto
(a bank, a core enterprise) it also joins the Admins and LifecycleEndorsement AND rules: from then
on its admin signs every change of the channel's members and policies, and its peer endorses every
chaincode definition. Exit status 5 (conflict) when the channel has the organisation already.`,
		Example: "  recv kit add-org --config config.block --definition Bank3MSP.json --veto --out add-Bank3MSP.update",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			block, err := os.ReadFile(configBlock)
			if err != nil {
				return err
			}
			d, err := kit.LoadDefinition(definition)
			if err != nil {
				return err
			}
			update, err := kit.AddOrg(block, d, veto)
			if errors.Is(err, kit.ErrMember) {
				return wire.Errorf(wire.KindConflict, "%v", err)
			}
			if err != nil {
				return err
			}
			return writeDescribed(g, out, update, update)
		},
	}
	cmd.Flags().StringVar(&configBlock, "config", "", "the channel's latest configuration block (required)")
	cmd.Flags().StringVar(&definition, "definition", "", "the joining organisation's definition (recv kit definition; required)")
	cmd.Flags().BoolVar(&veto, "veto", false, "the organisation joins the veto set (a bank or a core enterprise)")
	cmd.Flags().StringVar(&out, "out", "", "the update file to write (required)")
	for _, f := range []string{"config", "definition", "out"} {
		_ = cmd.MarkFlagRequired(f)
	}
	return cmd
}

func newKitDescribeCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "describe UPDATE",
		Short: "Say what a channel configuration update changes (read it before you sign it)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			update, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			said, err := kit.Describe(update)
			if err != nil {
				return err
			}
			fmt.Fprintln(g.stdout, said)
			return nil
		},
	}
}

func newKitSignCommand(g *globals) *cobra.Command {
	var mspID, cert, key, out string
	cmd := &cobra.Command{
		Use:   "sign UPDATE --msp-id ID --cert FILE --key FILE --out SIGNATURE",
		Short: "Sign a channel configuration update as your organisation's admin, with your own key",
		Long: `Sign a channel configuration update as your organisation's admin: the signature (a protobuf
ConfigSignature) is the file you send back to whoever submits the update. What the update changes
is printed as it is written (as recv kit describe says it): read it; your key stays where it is.`,
		Example: "  recv kit sign add-Bank3MSP.update --msp-id Bank1MSP --cert admin/msp/signcerts/cert.pem --key admin/msp/keystore/key.pem --out Bank1MSP.sig",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			update, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			certPEM, err := os.ReadFile(cert)
			if err != nil {
				return err
			}
			keyPEM, err := os.ReadFile(key)
			if err != nil {
				return err
			}
			sig, err := kit.Sign(update, mspID, certPEM, keyPEM)
			if err != nil {
				return err
			}
			return writeDescribed(g, out, sig, update)
		},
	}
	cmd.Flags().StringVar(&mspID, "msp-id", "", "your organisation's MSP ID (required)")
	cmd.Flags().StringVar(&cert, "cert", "", "your admin certificate (PEM; required)")
	cmd.Flags().StringVar(&key, "key", "", "your admin key (PEM; required)")
	cmd.Flags().StringVar(&out, "out", "", "the signature file to write (required)")
	for _, f := range []string{"msp-id", "cert", "key", "out"} {
		_ = cmd.MarkFlagRequired(f)
	}
	return cmd
}

func newKitEnvelopeCommand(g *globals) *cobra.Command {
	var sigs []string
	var out string
	cmd := &cobra.Command{
		Use:   "envelope UPDATE --signature FILE... --out ENVELOPE",
		Short: "Wrap an update and the admins' signatures into the envelope `peer channel update -f` submits",
		Example: "  recv kit envelope add-Bank3MSP.update --signature Bank1MSP.sig --signature Bank2MSP.sig --out add-Bank3MSP.tx\n" +
			"  peer channel update -f add-Bank3MSP.tx -c receivables -o orderer1.example.com:7050 --tls --cafile orderer-tls-ca.pem",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			update, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			var raw [][]byte
			for _, s := range sigs {
				b, err := os.ReadFile(s)
				if err != nil {
					return err
				}
				raw = append(raw, b)
			}
			env, err := kit.Envelope(update, raw...)
			if err != nil {
				return err
			}
			return writeDescribed(g, out, env, update)
		},
	}
	cmd.Flags().StringSliceVar(&sigs, "signature", nil, "an admin's signature (recv kit sign; repeatable)")
	cmd.Flags().StringVar(&out, "out", "", "the envelope file to write (required)")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

// writeDescribed writes b to path and says what the update it is about changes.
func writeDescribed(g *globals, path string, b, update []byte) error {
	said, err := kit.Describe(update)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(g.stdout, "%s written; the update:\n%s\n", path, said)
	return nil
}

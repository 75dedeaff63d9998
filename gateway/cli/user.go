package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/ca"
)

func newUserCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "user", Short: "Add users to your organisation and open their accounts (用户)"}
	cmd.AddCommand(newUserRegisterCommand(g), newUserEnrollCommand(g))
	return cmd
}

func newUserRegisterCommand(g *globals) *cobra.Command {
	var role, tokenOut string
	cmd := &cobra.Command{
		Use:     "register NAME",
		Aliases: []string{"add"},
		Short:   "Register and enroll a new user with the org's CA and open its account (开户; role admin)",
		Long: `Register a user with your organisation's Fabric CA, with its recv.role attribute, enroll it, add
it to the gateway's wallet and open its account on the ledger, as you. The role must be one your
organisation's kind allows (core: issuer; supplier: supplier; bank: financier; auditor: auditor;
every kind: admin); anything else is refused before the CA is asked. The answer carries the new
user's bearer token, shown only once: keep it with --token-out.`,
		Example: "  recv --as SupplierMSP/admin user register supplier-d --role supplier --token-out supplier-d.token",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if role == "" {
				return usagef("--role is required (issuer, supplier, financier, auditor, admin)")
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			ctx, cancel := g.context(cmd)
			defer cancel()
			res, err := c.AddUser(ctx, wire.NewUser{Name: args[0], Role: role})
			if err != nil {
				return err
			}
			if tokenOut != "" {
				if err := os.WriteFile(tokenOut, []byte(res.Token+"\n"), 0o600); err != nil {
					return err
				}
			}
			return g.printer().Print(res, func(w io.Writer) {
				fmt.Fprintf(w, "account:\t%s\nrole:\t%s\n", res.Account, res.Role)
				if tokenOut != "" {
					fmt.Fprintf(w, "token:\twritten to %s\n", tokenOut)
				} else {
					fmt.Fprintf(w, "token:\t%s\n", res.Token)
				}
			})
		},
	}
	cmd.Flags().StringVar(&role, "role", "", "role, allowed by your organisation's kind: issuer, supplier, financier, auditor or admin (required)")
	cmd.Flags().StringVar(&tokenOut, "token-out", "", "write the new user's token to this file (0600) instead of printing it")
	return cmd
}

func newUserEnrollCommand(g *globals) *cobra.Command {
	var caURL, caName, tlsCA, secret, out string
	cmd := &cobra.Command{
		Use:   "enroll NAME",
		Short: "Enroll a registered user directly with the CA, keeping the new key on this machine",
		Long: `Enroll a registered identity with its secret. The key pair is made here and written to
--out/key.pem (0600) next to cert.pem; use it with --sign-with for offline signing.`,
		Example: "  recv user enroll treasurer2 --secret S3cret --ca-url https://127.0.0.1:7054 --ca-name ca.core --tls-ca ca-tls.pem --out ./treasurer2",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if caURL == "" || secret == "" || tlsCA == "" || out == "" {
				return usagef("--ca-url, --tls-ca, --secret and --out are required")
			}
			client, err := ca.New(caURL, caName, tlsCA)
			if err != nil {
				return err
			}
			ctx, cancel := g.context(cmd)
			defer cancel()
			cert, key, err := client.Enroll(ctx, args[0], secret)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(out, 0o700); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(out, "cert.pem"), cert, 0o644); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(out, "key.pem"), key, 0o600); err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "enrolled %s: %s, %s\n", args[0], filepath.Join(out, "cert.pem"), filepath.Join(out, "key.pem"))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&caURL, "ca-url", "", "CA server URL, e.g. https://127.0.0.1:7054")
	f.StringVar(&caName, "ca-name", "", "CA name on that server")
	f.StringVar(&tlsCA, "tls-ca", "", "the CA server's TLS CA certificate (PEM)")
	f.StringVar(&secret, "secret", "", "enrollment secret")
	f.StringVar(&out, "out", "", "folder for cert.pem and key.pem")
	return cmd
}

package cli

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"github.com/spf13/cobra"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/ca"
)

func newUserCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "user", Short: "Add users to your organisation and open their accounts (用户)"}
	cmd.AddCommand(newUserRegisterCommand(g), newUserEnrollCommand(g), newUserRevokeCommand(g))
	return cmd
}

func newUserRegisterCommand(g *globals) *cobra.Command {
	var role, tokenOut, keyOut string
	cmd := &cobra.Command{
		Use:     "register NAME",
		Aliases: []string{"add"},
		Short:   "Register and enroll a new user with the org's CA and open its account (开户; role admin)",
		Long: `Register a user with your organisation's Fabric CA, with its recv.role attribute, enroll it, add
it to the gateway's wallet and open its account on the ledger, as you. The role must be one your
organisation's kind allows (core: issuer; supplier: supplier; bank: financier; auditor: auditor;
every kind: admin); anything else is refused before the CA is asked. The answer carries the new
user's bearer token, shown only once: keep it with --token-out.

With --key-out the user's key pair is made here, on the user's side: only a certificate signing
request goes to the gateway, which enrolls it and keeps the certificate, never the key. The key is
written to --key-out (0600) and the certificate next to it (cert.pem); the user signs offline with
--sign-with, in any organisation. The enrollment secret is used once and never shown.`,
		Example: `  recv --as SupplierMSP/admin user register supplier-d --role supplier --token-out supplier-d.token
  recv --as Bank1MSP/admin user register officer2 --role financier --key-out officer2/key.pem --token-out officer2.token`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if role == "" {
				return usagef("--role is required (issuer, supplier, financier, auditor, admin)")
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			req := wire.NewUser{Name: args[0], Role: role}
			var keyPEM []byte
			if keyOut != "" {
				var csr []byte
				if keyPEM, csr, err = newKeyAndCSR(args[0]); err != nil {
					return err
				}
				req.CSR = string(csr)
			}
			ctx, cancel := g.context(cmd)
			defer cancel()
			res, err := c.AddUser(ctx, req)
			if err != nil {
				return err
			}
			if keyOut != "" {
				if err := writeKeyPair(keyOut, keyPEM, []byte(res.Certificate)); err != nil {
					return err
				}
			}
			if tokenOut != "" {
				if err := os.WriteFile(tokenOut, []byte(res.Token+"\n"), 0o600); err != nil {
					return err
				}
			}
			return g.printer().Print(res, func(w io.Writer) {
				fmt.Fprintf(w, "account:\t%s\nrole:\t%s\n", res.Account, res.Role)
				if keyOut != "" {
					fmt.Fprintf(w, "key:\t%s (made here; sign with --sign-with %s)\ncertificate:\t%s\n", keyOut, keyOut,
						filepath.Join(filepath.Dir(keyOut), "cert.pem"))
				}
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
	cmd.Flags().StringVar(&keyOut, "key-out", "", "make the user's key here and write it to this file (0600), its certificate to cert.pem beside it; the gateway gets only a CSR")
	return cmd
}

// newKeyAndCSR makes a P-256 key pair for name and a certificate signing request signed with it.
func newKeyAndCSR(name string) (keyPEM, csrPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	if csrPEM, err = ca.NewCSR(name, key); err != nil {
		return nil, nil, err
	}
	keyPEM, err = identity.PrivateKeyToPEM(key)
	return keyPEM, csrPEM, err
}

// writeKeyPair writes the key (0600) to keyFile and the certificate to cert.pem beside it.
func writeKeyPair(keyFile string, keyPEM, certPEM []byte) error {
	dir := filepath.Dir(keyFile)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "cert.pem"), certPEM, 0o644)
}

func newUserRevokeCommand(g *globals) *cobra.Command {
	var reason, crlOut string
	cmd := &cobra.Command{
		Use:   "revoke NAME",
		Short: "Revoke a user's certificates at the org's CA and get its new CRL (吊销; role admin)",
		Long: `Revoke every certificate of a user of your organisation at its Fabric CA, as its registrar,
and get the CA's new certificate revocation list. The peers refuse the user once the CRL is in your
organisation's MSP in the channel configuration: an update your organisation's admin alone signs
(scripts/network.sh revoke-user ORG NAME does both steps).`,
		Example: "  recv --as SupplierMSP/admin user revoke supplier-d --reason keycompromise --crl-out supplier.crl.pem",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			ctx, cancel := g.context(cmd)
			defer cancel()
			res, err := c.RevokeUser(ctx, args[0], reason)
			if err != nil {
				return err
			}
			if crlOut != "" {
				if err := os.WriteFile(crlOut, []byte(res.CRL), 0o644); err != nil {
					return err
				}
			}
			return g.printer().Print(res, func(w io.Writer) {
				fmt.Fprintf(w, "revoked:\t%s\ncertificates:\t%s\n", res.Account, strings.Join(res.Serials, ", "))
				if crlOut != "" {
					fmt.Fprintf(w, "crl:\twritten to %s\n", crlOut)
				}
			})
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "RFC 5280 reason: keycompromise, affiliationchanged, superseded, cessationofoperation, ... (default unspecified)")
	cmd.Flags().StringVar(&crlOut, "crl-out", "", "write the CA's new CRL (PEM) to this file")
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

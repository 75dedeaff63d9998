package cli

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"github.com/spf13/cobra"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/ca"
	"github.com/recv-ledger/recv/gateway/client"
)

func newUserCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "user", Short: "Add users to your organisation and open their accounts (用户)"}
	cmd.AddCommand(newUserRegisterCommand(g), newUserEnrollCommand(g), newUserTokenCommand(g), newUserRevokeCommand(g),
		newUserRenewCommand(g), newUserListCommand(g))
	return cmd
}

func newUserRegisterCommand(g *globals) *cobra.Command {
	var role, tokenOut, keyOut string
	var browser bool
	cmd := &cobra.Command{
		Use:     "register NAME",
		Aliases: []string{"add"},
		Short:   "Register and enroll a new user with the org's CA and open its account (开户; role admin)",
		Long: `Register a user with your organisation's Fabric CA, with its recv.role attribute, enroll it, add
it to the gateway's wallet and open its account on the ledger, as you. The role must be one your
organisation's kind allows (core: issuer; supplier: supplier; bank: financier; auditor: auditor;
every kind: admin); anything else is refused before the CA is asked. The answer carries the new
user's bearer token, shown only once: keep it with --token-out. The token is issued only once the
account is open.

Should the account not open (a peer down), the user is registered with the CA and in the gateway's
wallet, without an account or a token, and the error says so. Run the same command again: the
gateway finds the user it registered, does not ask the CA again, opens the account and issues the
token (shown as "resumed").

With --key-out the user's key pair is made here, on the user's side: only a certificate signing
request goes to the gateway, which enrolls it and keeps the certificate, never the key. The key is
written to --key-out (0600) before the gateway is asked, and the certificate next to it (cert.pem)
after; a key file that exists already is used, not replaced, so that the same command finishes a
registration that stopped. The user signs offline with --sign-with, in any organisation. The
enrollment secret is used once and never shown.

With --browser the user's key is made and kept by the user's browser: nothing is asked of the CA
yet; the answer is a one-time enrollment code (valid 24 h, shown once, the gateway keeps its
hash). Give the user its name and the code: at the console's /enroll page its browser makes a
non-extractable P-256 key, sends only a CSR, and the user is enrolled, its account opened and
signed in; the console then signs its writes in the browser. Registering the same name again
gives a new code (the old one stops working).`,
		Example: `  recv --as SupplierMSP/admin user register supplier-d --role supplier --token-out supplier-d.token
  recv --as Bank1MSP/admin user register officer2 --role financier --key-out officer2/key.pem --token-out officer2.token
  recv --as SupplierMSP/admin user register clerk --role supplier --browser`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if role == "" {
				return usagef("--role is required (issuer, supplier, financier, auditor, admin)")
			}
			if browser && (keyOut != "" || tokenOut != "") {
				return usagef("--browser: the user's browser makes its key and receives its token; give neither --key-out nor --token-out")
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			req := wire.NewUser{Name: args[0], Role: role, Browser: browser}
			keyMade := false
			if keyOut != "" {
				var csr []byte
				if csr, keyMade, err = keyAndCSR(keyOut, args[0]); err != nil {
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
			if browser && (res.EnrollmentCode == "" || res.EnrollmentExpires == nil) {
				return fmt.Errorf("the gateway answered no enrollment code for %s (a gateway without browser enrollment?)", res.Name)
			}
			if keyOut != "" {
				if err := writeCertificate(keyOut, []byte(res.Certificate)); err != nil {
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
				if browser {
					fmt.Fprintf(w, "enrollment code:\t%s\nvalid until:\t%s\nnext:\tthe user opens the web console's /enroll page and enters its name and this code (shown once)\n",
						res.EnrollmentCode, res.EnrollmentExpires.Format(time.RFC3339))
					return
				}
				if res.Resumed {
					fmt.Fprintf(w, "resumed:\tthe registration that had stopped is finished (account opened, token issued; the CA was not asked again)\n")
				}
				if keyOut != "" {
					made := "made here"
					if !keyMade {
						made = "the existing key file"
					}
					fmt.Fprintf(w, "key:\t%s (%s; sign with --sign-with %s)\ncertificate:\t%s\n", keyOut, made, keyOut,
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
	cmd.Flags().BoolVar(&browser, "browser", false, "the user enrolls in the web console with a key its browser keeps: answer a one-time enrollment code")
	cmd.Flags().StringVar(&keyOut, "key-out", "", "make the user's key here and write it to this file (0600), its certificate to cert.pem beside it; the gateway gets only a CSR")
	return cmd
}

// keyAndCSR returns a certificate signing request for name signed with the key in keyFile: the
// key there, or a new P-256 key written there (0600) first, so that a registration that stops
// can be finished with the same key. made reports a new key.
func keyAndCSR(keyFile, name string) (csrPEM []byte, made bool, err error) {
	keyPEM, err := os.ReadFile(keyFile)
	switch {
	case err == nil:
		key, err := identity.PrivateKeyFromPEM(keyPEM)
		if err != nil {
			return nil, false, usagef("--key-out %s holds no usable private key: %v", keyFile, err)
		}
		ec, ok := key.(*ecdsa.PrivateKey)
		if !ok {
			return nil, false, usagef("--key-out %s is not an ECDSA key", keyFile)
		}
		csrPEM, err = ca.NewCSR(name, ec)
		return csrPEM, false, err
	case !errors.Is(err, os.ErrNotExist):
		return nil, false, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, false, err
	}
	if csrPEM, err = ca.NewCSR(name, key); err != nil {
		return nil, false, err
	}
	if keyPEM, err = identity.PrivateKeyToPEM(key); err != nil {
		return nil, false, err
	}
	if err := os.MkdirAll(filepath.Dir(keyFile), 0o700); err != nil {
		return nil, false, err
	}
	return csrPEM, true, os.WriteFile(keyFile, keyPEM, 0o600)
}

// writeCertificate writes the user's certificate to cert.pem beside its key file.
func writeCertificate(keyFile string, certPEM []byte) error {
	return os.WriteFile(filepath.Join(filepath.Dir(keyFile), "cert.pem"), certPEM, 0o644)
}

func newUserTokenCommand(g *globals) *cobra.Command {
	var tokenOut string
	cmd := &cobra.Command{
		Use:   "token NAME",
		Short: "Issue a user a new bearer token; the old one stops working at once (role admin)",
		Long: `Issue a new bearer token to a user of your organisation's gateway wallet, for a lost or leaked
token. The new token is shown only once (keep it with --token-out); the user's previous token is
refused from this moment on. A user whose token is in the gateway's tokens folder (the users of
network.json) gets the new one in that file too. Asking again issues yet another token.`,
		Example: "  recv --as SupplierMSP/admin user token supplier-d --token-out supplier-d.token",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.call(cmd, func(ctx context.Context, c *client.Client) error {
				return g.tokenReissued(ctx, c, args[0], tokenOut)
			})
		},
	}
	cmd.Flags().StringVar(&tokenOut, "token-out", "", "write the new token to this file (0600) instead of printing it")
	return cmd
}

// tokenReissued has the gateway issue name a new token and writes or prints it.
func (g *globals) tokenReissued(ctx context.Context, c *client.Client, name, tokenOut string) error {
	res, err := c.ReissueToken(ctx, name)
	if err != nil {
		return err
	}
	if tokenOut != "" {
		if err := os.WriteFile(tokenOut, []byte(res.Token+"\n"), 0o600); err != nil {
			return fmt.Errorf("the new token was issued but not written (%w); issue another with: recv user token %s", err, name)
		}
	}
	return g.printer().Print(res, func(w io.Writer) {
		fmt.Fprintf(w, "account:\t%s\nold token:\trefused from now on\n", res.Account)
		if tokenOut != "" {
			fmt.Fprintf(w, "token:\twritten to %s\n", tokenOut)
		} else {
			fmt.Fprintf(w, "token:\t%s\n", res.Token)
		}
	})
}

func newUserRevokeCommand(g *globals) *cobra.Command {
	var reason, crlOut string
	cmd := &cobra.Command{
		Use:   "revoke NAME",
		Short: "Take a user out at the gateway and revoke its certificates at the org's CA, get its new CRL (吊销; role admin)",
		Long: `Take a user of your organisation out: first the gateway removes its bearer token and its wallet
entry (its certificate, and its key if the gateway held it), so it no longer authenticates there,
at once; then the gateway revokes every certificate of the user at the organisation's Fabric CA,
as its registrar, and returns the CA's new certificate revocation list. Should the CA fail, run
the same command again. The peers refuse the user once the CRL is in your organisation's MSP in
the channel configuration: an update your organisation's admin alone signs (scripts/network.sh
revoke-user ORG NAME does both steps).`,
		Example: "  recv --as SupplierMSP/admin user revoke supplier-d --reason keycompromise --crl-out supplier.crl.pem",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.call(cmd, func(ctx context.Context, c *client.Client) error {
				return g.userRevoked(ctx, c, args[0], reason, crlOut)
			})
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "RFC 5280 reason: keycompromise, affiliationchanged, superseded, cessationofoperation, ... (default unspecified)")
	cmd.Flags().StringVar(&crlOut, "crl-out", "", "write the CA's new CRL (PEM) to this file")
	return cmd
}

// userRevoked has the gateway take name out and revoke it at the CA, and writes the new CRL.
func (g *globals) userRevoked(ctx context.Context, c *client.Client, name, reason, crlOut string) error {
	res, err := c.RevokeUser(ctx, name, reason)
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
		if res.RemovedFromGateway {
			fmt.Fprintf(w, "gateway:\ttoken and wallet entry removed\n")
		} else {
			fmt.Fprintf(w, "gateway:\tnothing of the user was left there\n")
		}
		if crlOut != "" {
			fmt.Fprintf(w, "crl:\twritten to %s\n", crlOut)
		}
	})
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

func newUserRenewCommand(g *globals) *cobra.Command {
	var idempotencyKey string
	cmd := &cobra.Command{
		Use:   "renew NAME",
		Short: "Renew a user's enrollment certificate at the org's CA, in place, without a restart (role admin)",
		Long: `Renew the enrollment certificate of a user whose key your organisation's gateway holds: the
gateway reenrolls the user at the organisation's Fabric CA, signing the request with the user's
current certificate and key, for a new key made in the gateway, and keeps the new pair in its
wallet folder (a restart keeps it). From the next call on the gateway signs for the user with the
new certificate; calls already in flight finish with the previous one, so no call fails. The
user's token is unchanged. The previous certificate stays valid until it expires (nothing is
revoked). Prints the new certificate's serial and expiry; make certs lists every user's expiry.

A user who holds its own key (registered with --key-out and signing with --sign-with, or enrolled in
its browser) is refused: the gateway neither signs for it nor may hold its new key; it renews its
certificate itself (docs/operations.md, "A user's enrollment certificate"). The renewal is
retry-safe: a lost answer asked again with the same --idempotency-key is replayed, not renewed twice.`,
		Example: "  recv --as SupplierMSP/admin user renew supplier-a\n  recv --as Bank1MSP/admin user renew officer -o json",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var res *wire.RenewedUser
			if err := g.call(cmd, func(ctx context.Context, c *client.Client) (err error) {
				res, err = c.RenewUser(ctx, args[0], client.WithIdempotencyKey(keyOrNew(idempotencyKey)))
				return err
			}); err != nil {
				return err
			}
			return g.printer().Print(res, func(w io.Writer) {
				fmt.Fprintf(w, "renewed:\t%s\nserial:\t%s\nexpires:\t%s (%s)\n", res.Account, res.Serial,
					res.NotAfter.UTC().Format(time.RFC3339), untilWords(time.Until(res.NotAfter)))
				fmt.Fprintf(w, "previous:\tserial %s, valid until %s (not revoked)\n", res.PreviousSerial,
					res.PreviousNotAfter.UTC().Format(time.RFC3339))
				fmt.Fprintf(w, "gateway:\tsigns for %s with the new certificate from now on; the token is unchanged\n", res.Name)
			})
		},
	}
	cmd.Flags().StringVar(&idempotencyKey, "idempotency-key", "", "retry-safe key: asked again with it, the first answer is replayed (default: a new one per command)")
	return cmd
}

// untilWords says how long d is, to the minute: in days from two days, in hours from two hours,
// in an hour and minutes from an hour, else in minutes.
func untilWords(d time.Duration) string {
	if d < 0 {
		return "expired"
	}
	d = d.Round(time.Minute)
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
	case d >= 2*time.Hour:
		return fmt.Sprintf("%d hours", int(d/time.Hour))
	case d >= time.Hour:
		return fmt.Sprintf("1 hour %d minutes", int((d-time.Hour)/time.Minute))
	default:
		return fmt.Sprintf("%d minutes", int(d/time.Minute))
	}
}

func newUserListCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "The users of your organisation's gateway wallet, the first certificate to expire first (role admin)",
		Long: `List the users of your organisation's gateway wallet with their enrollment certificates' serial and
expiry, the first to expire first, and who renews each: "gateway" (recv user renew NAME) when the
gateway holds the user's key, "own key" when the user signs with its own key and renews its
certificate itself. make certs lists every certificate of the state folder, users' included.`,
		Example: "  recv --as Bank1MSP/admin user list",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var users []wire.WalletUser
			if err := g.call(cmd, func(ctx context.Context, c *client.Client) (err error) {
				users, err = c.ListUsers(ctx)
				return err
			}); err != nil {
				return err
			}
			return g.printer().Print(users, func(w io.Writer) {
				fmt.Fprintf(w, "ACCOUNT\tROLE\tEXPIRES (UTC)\tLEFT\tRENEWED BY\tSERIAL\n")
				for _, u := range users {
					by := "own key"
					if u.KeyHeldByGateway {
						by = "gateway"
					}
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", u.Account, u.Role, u.NotAfter.UTC().Format("2006-01-02 15:04"),
						untilWords(time.Until(u.NotAfter)), by, u.Serial)
				}
			})
		},
	}
}

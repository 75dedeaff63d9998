// Package cli is the recv command line: one file per command, each built by a newXCommand
// function, sharing the global options and the printer in this file's neighbours. A command only
// turns flags into a request of the wire contract, calls the gateway through package client and
// prints the answer.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/client"
	"github.com/recv-ledger/recv/gateway/config"
)

// globals are the options every command shares.
type globals struct {
	gateway   string
	gatewayCA string
	token     string
	tokenFile string
	as        string
	timeout   time.Duration
	output    string

	stdout io.Writer
	stderr io.Writer
}

// NewRootCommand builds the recv command tree writing to stdout and stderr.
func NewRootCommand(stdout, stderr io.Writer) *cobra.Command {
	g := &globals{stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:   "recv",
		Short: "Digital receivables on Hyperledger Fabric: the gateway service and its command line",
		Long: `recv talks to your organisation's gateway (REST) to issue, accept, split, transfer, finance and
redeem receivables, and to read them; admins open accounts and propose and approve governed
changes. "recv serve" runs the gateway itself.

Exit codes: 0 ok, 2 invalid input, 3 not found, 4 forbidden or unauthenticated, 5 conflict, 1 other failure.`,
		Example: `  recv --as CoreMSP/treasurer issue --to SupplierMSP/supplier-a --amount 1250000.00 \
      --maturity 2027-03-31 --contract C-1:<sha256> --invoice INV-1:<sha256>:1250000.00
  recv --as SupplierMSP/supplier-a accept R-1
  recv --as AuditorMSP/auditor trace R-1
  RECV_GATEWAY=http://127.0.0.1:8802 RECV_TOKEN_FILE=supplier-a.token recv list --holder SupplierMSP/supplier-a -o json`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	fs := root.PersistentFlags()
	fs.StringVar(&g.gateway, "gateway", os.Getenv("RECV_GATEWAY"), "gateway URL, e.g. http://127.0.0.1:8801 (env RECV_GATEWAY)")
	fs.StringVar(&g.gatewayCA, "gateway-ca", os.Getenv("RECV_GATEWAY_CA"), "PEM file of the CA that issued an https:// gateway's certificate (default: the system's roots; with --as, network.json names it) (env RECV_GATEWAY_CA)")
	fs.StringVar(&g.token, "token", os.Getenv("RECV_TOKEN"), "bearer token (env RECV_TOKEN)")
	fs.StringVar(&g.tokenFile, "token-file", os.Getenv("RECV_TOKEN_FILE"), "file holding the bearer token (env RECV_TOKEN_FILE)")
	fs.StringVar(&g.as, "as", os.Getenv("RECV_AS"), "act as MSP/user of the local network: its gateway and token file from $RECV_NET_DIR/network.json (env RECV_AS)")
	timeout := 2 * time.Minute
	if v, err := time.ParseDuration(os.Getenv("RECV_TIMEOUT")); err == nil {
		timeout = v
	}
	fs.DurationVar(&g.timeout, "timeout", timeout, "give up after this long (env RECV_TIMEOUT)")
	fs.StringVarP(&g.output, "output", "o", "table", "output format: table or json")

	root.AddCommand(
		newIssueCommand(g), newAcceptCommand(g), newRejectCommand(g), newRevokeCommand(g),
		newSplitCommand(g), newTransferCommand(g), newFinanceCommand(g), newRedeemCommand(g),
		newRedeemAllCommand(g), newGetCommand(g), newListCommand(g), newTraceCommand(g),
		newHistoryCommand(g), newTotalsCommand(g), newEventsCommand(g), newUserCommand(g),
		newConfigCommand(g), newOrgCommand(g), newAccountCommand(g), newProposalCommand(g),
		newTxCommand(g), newWhoamiCommand(g), newServeCommand(stderr), newNetinfoCommand(g),
		newAuditCommand(g), newConfirmCommand(g), newRefuseCommand(g), newInstructionCommand(g),
		newFreezeCommand(g, true), newFreezeCommand(g, false), newOverdueCommand(g), newRecourseCommand(g),
		newLimitsCommand(g), newCreditLineCommand(g), newIssuanceLimitCommand(g), newRiskCommand(g), newFoldExposureCommand(g), newTickCommand(g), newBeaconCommand(g),
		newKitCommand(g),
	)
	return root
}

// Execute runs recv with args and returns its exit code.
func Execute(args []string, stdout, stderr io.Writer) int {
	root := NewRootCommand(stdout, stderr)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return wire.ExitOK
	}
	fmt.Fprintln(stderr, "Error:", err)
	return ExitCode(err)
}

// usageError is bad input found before anything was sent.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

// ExitCode maps an error to recv's exit code: a gateway's problem and a wire error by their kind
// through wire.Kinds, bad input found here and cobra's argument errors as invalid.
func ExitCode(err error) int {
	var ue *usageError
	if errors.As(err, &ue) {
		return wire.ExitInvalid
	}
	var p *wire.Problem
	if errors.As(err, &p) {
		return p.Kind.Info().Exit
	}
	if k := wire.KindOf(err); k != "" {
		return k.Info().Exit
	}
	// cobra's own argument and flag errors
	msg := err.Error()
	if strings.Contains(msg, "unknown flag") || strings.Contains(msg, "accepts ") || strings.Contains(msg, "required flag") ||
		strings.Contains(msg, "invalid argument") || strings.Contains(msg, "unknown command") || strings.Contains(msg, "unknown shorthand") {
		return wire.ExitInvalid
	}
	return wire.ExitFailure
}

// client resolves the gateway URL and token from the flags, the environment or --as (the
// network's description and token files: client.Locate).
func (g *globals) client() (*client.Client, error) {
	gw, gwCA, token, tokenFile := g.gateway, g.gatewayCA, g.token, g.tokenFile
	opts := []client.Option{client.WithRequestTimeout(g.timeout)}
	if g.as != "" {
		loc, err := client.Locate(config.NetDir(), g.as)
		if wire.KindOf(err) == wire.KindInvalid {
			return nil, usagef("--as: %v", err)
		}
		if err != nil {
			return nil, fmt.Errorf("--as needs the local network: %w", err)
		}
		if gw == "" {
			gw = loc.BaseURL
			if gwCA == "" {
				gwCA = loc.TLSCACert
			}
		}
		if token == "" && tokenFile == "" {
			tokenFile = loc.TokenFile
		}
		// What a proposal signed offline must name, from the network description, not the gateway.
		opts = append(opts, client.WithNetwork(loc.Channel, loc.Chaincode))
	}
	if gw == "" {
		return nil, usagef("no gateway: give --gateway, RECV_GATEWAY or --as MSP/user")
	}
	if token == "" && tokenFile != "" {
		var err error
		if token, err = client.ReadToken(tokenFile); err != nil {
			return nil, err
		}
	}
	if g.output != "table" && g.output != "json" {
		return nil, usagef("--output must be table or json")
	}
	if gwCA != "" {
		opts = append(opts, client.WithTLSCAFile(gwCA))
	}
	c, err := client.New(gw, token, opts...)
	if err != nil {
		return nil, usagef("--gateway: %v", err)
	}
	return c, nil
}

func (g *globals) context(cmd *cobra.Command) (context.Context, context.CancelFunc) {
	return context.WithTimeout(cmd.Context(), g.timeout)
}

// call runs f with the gateway's client and a context that ends after --timeout.
func (g *globals) call(cmd *cobra.Command, f func(context.Context, *client.Client) error) error {
	c, err := g.client()
	if err != nil {
		return err
	}
	ctx, cancel := g.context(cmd)
	defer cancel()
	return f(ctx, c)
}

func (g *globals) printer() printer {
	if g.output == "json" {
		return jsonPrinter{w: g.stdout}
	}
	return tablePrinter{w: g.stdout}
}

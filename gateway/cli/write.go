package cli

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/client"
	"github.com/recv-ledger/recv/gateway/config"
)

// writeOptions are the options of every command that submits a transaction.
type writeOptions struct {
	signWith       string
	signCert       string
	idempotencyKey string
}

func (w *writeOptions) bind(cmd *cobra.Command) {
	cmd.Flags().StringVar(&w.signWith, "sign-with", "", "sign offline with this private key (PEM): the gateway never sees it, and what it signs is checked here first")
	cmd.Flags().StringVar(&w.signCert, "sign-cert", "", "the certificate (PEM) of the --sign-with key, which the proposals must name as creator (default: cert.pem beside the key, or the MSP folder's signcerts/cert.pem)")
	cmd.Flags().StringVar(&w.idempotencyKey, "idempotency-key", "", "retry-safe key: a repeated request with it returns the first result (default: a new one per command)")
}

// writeCommand makes cmd a command that submits op with its arguments as the path values: it binds
// the write options, and its RunE sends the body that request builds from the flags, or refuses
// with request's error before anything is sent. A nil request sends no body.
func (g *globals) writeCommand(cmd *cobra.Command, op string, request func() (any, error)) *cobra.Command {
	wo := &writeOptions{}
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		var body any
		if request != nil {
			var err error
			if body, err = request(); err != nil {
				return err
			}
		}
		return g.write(cmd, wo, op, args, body)
	}
	wo.bind(cmd)
	return cmd
}

// flagWriteCommand makes cmd a write command whose body is the one that body makes of the value of
// the required string flag it adds, named flag.
func (g *globals) flagWriteCommand(cmd *cobra.Command, op, flag, usage string, body func(string) any) *cobra.Command {
	var value string
	g.writeCommand(cmd, op, func() (any, error) {
		if value == "" {
			return nil, usagef("--%s is required", flag)
		}
		return body(value), nil
	})
	cmd.Flags().StringVar(&value, flag, "", usage)
	return cmd
}

// write runs one write op: directly or, with --sign-with, through the offline-signing
// endpoints, checking what the gateway asks to sign against the command's operation and
// arguments and signing it here with a key the gateway never sees.
func (g *globals) write(cmd *cobra.Command, wo *writeOptions, op string, pathValues []string, body any) error {
	c, err := g.client()
	if err != nil {
		return err
	}
	var signer *client.Identity
	if wo.signWith != "" {
		if signer, err = g.signer(wo); err != nil {
			return err
		}
	} else if wo.signCert != "" {
		return usagef("--sign-cert needs --sign-with")
	}
	ctx, cancel := g.context(cmd)
	defer cancel()
	// Every write carries a key, the user's or a new one: an answer that its outcome is pending
	// (202) is then asked again with it until the outcome is known, which follows the very
	// transaction sent instead of sending a second one.
	idem := client.WithIdempotencyKey(keyOrNew(wo.idempotencyKey))
	stop := g.progress("waiting for commit")
	var res *wire.SubmitResponse
	if signer == nil {
		res, err = c.Submit(ctx, op, pathValues, body, idem)
	} else {
		res, err = c.SubmitOffline(ctx, signer, op, strings.Join(pathValues, "/"), body, idem)
	}
	stop()
	if err != nil {
		return err
	}
	return g.printer().Print(res, func(w io.Writer) {
		fmt.Fprintf(w, "committed:\ttx %s in block %d\n", res.TransactionID, res.BlockNumber)
		printResult(w, res.Result)
	})
}

// signer reads the --sign-with key and its certificate: --sign-cert, else cert.pem beside the key
// (recv user register --key-out), else the MSP folder's signcerts/cert.pem (a key in
// msp/keystore). With --as, the proposals must also name that account's organisation.
func (g *globals) signer(wo *writeOptions) (*client.Identity, error) {
	keyPEM, err := os.ReadFile(wo.signWith)
	if err != nil {
		return nil, usagef("--sign-with: %v", err)
	}
	certFile := wo.signCert
	if certFile == "" {
		dir := filepath.Dir(wo.signWith)
		for _, f := range []string{filepath.Join(dir, "cert.pem"), filepath.Join(dir, "..", "signcerts", "cert.pem")} {
			if _, err := os.Stat(f); err == nil {
				certFile = f
				break
			}
		}
		if certFile == "" {
			return nil, usagef("--sign-with %s: no certificate beside the key (cert.pem, or ../signcerts/cert.pem): give it with --sign-cert", wo.signWith)
		}
	}
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, usagef("--sign-cert: %v", err)
	}
	mspID := ""
	if loc, err := client.Locate(config.NetDir(), g.as); g.as != "" && err == nil {
		mspID = loc.MSPID
	}
	id, err := client.NewIdentity(mspID, certPEM, keyPEM)
	if err != nil {
		return nil, usagef("--sign-with %s with the certificate %s: %v", wo.signWith, certFile, err)
	}
	return id, nil
}

// printResult shows the chaincode's answer, the transaction's event: the receivables, accounts,
// organisations or proposal it changed as a table, anything else as JSON.
func printResult(w io.Writer, raw json.RawMessage) {
	if len(raw) == 0 || string(raw) == "null" {
		return
	}
	var ev wire.Event
	if json.Unmarshal(raw, &ev) != nil {
		fmt.Fprintf(w, "result:\t%s\n", raw)
		return
	}
	if ev.Instruction != nil {
		fmt.Fprintln(w)
		instructionDetail(w, ev.Instruction)
	}
	switch {
	case ev.Instruction != nil && len(ev.Items) == 0:
	case ev.Line != nil:
		fmt.Fprintf(w, "\nobligor:\t%s\nbank:\t%s\nlimit:\t%s\n", ev.Line.Obligor, orDash(ev.Line.Bank), ev.Line.Limit)
	case len(ev.Items) > 0 && ev.Items[0].ID != "":
		fmt.Fprintln(w)
		fmt.Fprintln(w, "ID\tSTATUS\tAMOUNT\tHOLDER")
		for _, it := range ev.Items {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", it.ID, it.Status, it.Amount, holderText(it.Holder, it.PendingHolder))
		}
	case ev.Proposal != nil:
		fmt.Fprintln(w)
		proposalDetail(w, ev.Proposal)
	case len(ev.Accounts) > 0:
		fmt.Fprintln(w)
		accountTable(w, ev.Accounts)
	case len(ev.Orgs) > 0:
		fmt.Fprintln(w)
		orgs := make([]wire.Org, 0, len(ev.Orgs))
		for _, o := range ev.Orgs {
			orgs = append(orgs, *o)
		}
		orgTable(w, orgs)
	default:
		fmt.Fprintf(w, "result:\t%s\n", raw)
	}
}

// progress shows "<msg> 1.2s" on stderr while waiting, when stderr is a terminal.
func (g *globals) progress(msg string) func() {
	f, ok := g.stderr.(*os.File)
	if !ok {
		return func() {}
	}
	if st, err := f.Stat(); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(finished)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				fmt.Fprint(f, "\r\033[K")
				return
			case <-t.C:
				fmt.Fprintf(f, "\r%s %.1fs", msg, time.Since(start).Seconds())
			}
		}
	}()
	return func() { close(done); <-finished }
}

// keyOrNew is the caller's Idempotency-Key, or a new one when it gave none.
func keyOrNew(key string) string {
	if key == "" {
		return "recv-cli-" + rand.Text()
	}
	return key
}

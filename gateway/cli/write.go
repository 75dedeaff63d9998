package cli

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/recv-ledger/recv/gateway/fabric"
)

// writeOptions are the options of every command that submits a transaction.
type writeOptions struct {
	signWith       string
	idempotencyKey string
}

func (w *writeOptions) bind(cmd *cobra.Command) {
	cmd.Flags().StringVar(&w.signWith, "sign-with", "", "sign offline with this private key (PEM): the gateway never sees it")
	cmd.Flags().StringVar(&w.idempotencyKey, "idempotency-key", "", "retry-safe key: a repeated request with it returns the first result")
}

// submitted is a write's answer.
type submitted struct {
	TransactionID string          `json:"txId"`
	BlockNumber   uint64          `json:"blockNumber"`
	Attempts      int             `json:"attempts,omitempty"`
	Result        json.RawMessage `json:"result"`
}

// write runs one operation: directly (POST path with body) or, with --sign-with, through the
// offline-signing endpoints, signing the two digests here.
func (g *globals) write(cmd *cobra.Command, wo *writeOptions, op, id, path string, body any) error {
	c, err := g.client()
	if err != nil {
		return err
	}
	var sign func([]byte) ([]byte, error)
	if wo.signWith != "" {
		keyPEM, err := os.ReadFile(wo.signWith)
		if err != nil {
			return usagef("--sign-with: %v", err)
		}
		if sign, err = fabric.NewSigner(keyPEM); err != nil {
			return usagef("--sign-with %s: %v", wo.signWith, err)
		}
	}
	ctx, cancel := g.context(cmd)
	defer cancel()
	header := http.Header{}
	if wo.idempotencyKey != "" {
		header.Set("Idempotency-Key", wo.idempotencyKey)
	}
	stop := g.progress("waiting for commit")
	var res submitted
	if sign == nil {
		err = c.Do(ctx, http.MethodPost, path, body, &res, header)
	} else {
		err = offlineWrite(ctx, c, sign, op, id, body, header, &res)
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

// offlineWrite: prepare -> sign proposal digest -> endorse -> sign transaction digest -> submit.
func offlineWrite(ctx context.Context, c *Client, sign func([]byte) ([]byte, error), op, id string, body any, header http.Header, out *submitted) error {
	var raw json.RawMessage
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		raw = b
	}
	var prop struct {
		TransactionID string `json:"txId"`
		Digest        string `json:"digest"`
	}
	req := map[string]any{"operation": op, "id": id, "body": raw}
	if err := c.Do(ctx, http.MethodPost, "/v1/offline/proposals", req, &prop, header); err != nil {
		return err
	}
	sig, err := signDigest(sign, prop.Digest)
	if err != nil {
		return err
	}
	var tx struct {
		TransactionID string `json:"txId"`
		Digest        string `json:"digest"`
	}
	if err := c.Do(ctx, http.MethodPost, "/v1/offline/proposals/"+prop.TransactionID+"/endorse", map[string]string{"signature": sig}, &tx, nil); err != nil {
		return err
	}
	if sig, err = signDigest(sign, tx.Digest); err != nil {
		return err
	}
	return c.Do(ctx, http.MethodPost, "/v1/offline/transactions/"+tx.TransactionID+"/submit", map[string]string{"signature": sig}, out, nil)
}

func signDigest(sign func([]byte) ([]byte, error), digestB64 string) (string, error) {
	digest, err := base64.StdEncoding.DecodeString(digestB64)
	if err != nil || len(digest) != 32 {
		return "", fmt.Errorf("gateway sent a malformed digest %q", digestB64)
	}
	sig, err := sign(digest)
	if err != nil {
		return "", fmt.Errorf("sign digest: %w", err)
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// printResult shows the chaincode's answer: the receivables the transaction changed as a table
// (the answer is {"txId","op","items":[...]}), anything else as JSON.
func printResult(w io.Writer, raw json.RawMessage) {
	if len(raw) == 0 || string(raw) == "null" {
		return
	}
	var items struct {
		Items []Receivable `json:"items"`
	}
	if json.Unmarshal(raw, &items) == nil && len(items.Items) > 0 && items.Items[0].ID != "" {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "ID\tSTATUS\tAMOUNT\tHOLDER")
		for i := range items.Items {
			r := &items.Items[i]
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", r.ID, r.Status, r.Amount, holderText(r))
		}
		return
	}
	fmt.Fprintf(w, "result:\t%s\n", raw)
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

// newKey returns a random idempotency key.
func newKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

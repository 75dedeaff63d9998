package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/recv-ledger/recv/chaincode/wire"
)

type issueOptions struct {
	id           string
	to           string
	amount       string
	maturity     string
	contract     string
	contractFile string
	invoices     []string
	invoiceFiles []string
}

func newIssueCommand(g *globals) *cobra.Command {
	o := &issueOptions{}
	cmd := g.writeCommand(&cobra.Command{
		Use:   "issue",
		Short: "Issue a receivable to a supplier against a contract and invoices (core enterprise)",
		Example: `  recv --as CoreMSP/treasurer issue --to SupplierMSP/supplier-a --amount 1250000.00 --maturity 2027-03-31 \
      --contract C-1:<sha256> --invoice INV-1:<sha256>:1250000.00
  recv issue --to SupplierMSP/supplier-a --amount 800000 --maturity 2027-01-15 \
      --contract-file contract-C-2.pdf --invoice-file INV-7:800000:invoice-7.pdf --sign-with treasurer-key.pem`,
		Args: cobra.NoArgs,
	}, "issue", func() (any, error) { return o.request() })
	f := cmd.Flags()
	f.StringVar(&o.id, "id", "", "receivable id (default: derived by the chaincode, or from --idempotency-key)")
	f.StringVar(&o.to, "to", "", "beneficiary account MSP/user (required)")
	f.StringVar(&o.amount, "amount", "", "amount in yuan, at most two decimals (required)")
	f.StringVar(&o.maturity, "maturity", "", "maturity date YYYY-MM-DD (required)")
	f.StringVar(&o.contract, "contract", "", "contract NUMBER:SHA256")
	f.StringVar(&o.contractFile, "contract-file", "", "contract document; its SHA-256 is computed, the number is [NUMBER:]PATH or the file name")
	f.StringArrayVar(&o.invoices, "invoice", nil, "invoice NUMBER:SHA256:AMOUNT (repeatable)")
	f.StringArrayVar(&o.invoiceFiles, "invoice-file", nil, "invoice document [NUMBER:AMOUNT:]PATH; SHA-256 computed, number defaults to the file name, amount to --amount (repeatable)")
	return cmd
}

func (o *issueOptions) request() (*wire.IssueRequest, error) {
	if o.to == "" || o.amount == "" || o.maturity == "" {
		return nil, usagef("--to, --amount and --maturity are required")
	}
	contract, err := o.contractDoc()
	if err != nil {
		return nil, err
	}
	var invoices []wire.Invoice
	for _, inv := range o.invoices {
		parts := strings.Split(inv, ":")
		if len(parts) != 3 {
			return nil, usagef("--invoice %q: want NUMBER:SHA256:AMOUNT", inv)
		}
		invoices = append(invoices, wire.Invoice{Number: parts[0], SHA256: parts[1], Amount: parts[2]})
	}
	for _, spec := range o.invoiceFiles {
		number, amount, path := "", o.amount, spec
		if _, err := os.Stat(spec); err != nil {
			if p := strings.SplitN(spec, ":", 3); len(p) == 3 {
				number, amount, path = p[0], p[1], p[2]
			}
		}
		sum, err := fileSHA256(path)
		if err != nil {
			return nil, usagef("--invoice-file: %v", err)
		}
		if number == "" {
			number = baseName(path)
		}
		invoices = append(invoices, wire.Invoice{Number: number, SHA256: sum, Amount: amount})
	}
	if len(invoices) == 0 {
		return nil, usagef("give at least one --invoice or --invoice-file")
	}
	return &wire.IssueRequest{ID: o.id, Beneficiary: o.to, Amount: o.amount, MaturityDate: o.maturity,
		Contract: contract, Invoices: invoices}, nil
}

func (o *issueOptions) contractDoc() (wire.Document, error) {
	switch {
	case o.contract != "" && o.contractFile != "":
		return wire.Document{}, usagef("give --contract or --contract-file, not both")
	case o.contract != "":
		num, sum, ok := strings.Cut(o.contract, ":")
		if !ok {
			return wire.Document{}, usagef("--contract %q: want NUMBER:SHA256", o.contract)
		}
		return wire.Document{Number: num, SHA256: sum}, nil
	case o.contractFile != "":
		number, path := "", o.contractFile
		if _, err := os.Stat(path); err != nil {
			if n, p, ok := strings.Cut(path, ":"); ok {
				number, path = n, p
			}
		}
		sum, err := fileSHA256(path)
		if err != nil {
			return wire.Document{}, usagef("--contract-file: %v", err)
		}
		if number == "" {
			number = baseName(path)
		}
		return wire.Document{Number: number, SHA256: sum}, nil
	}
	return wire.Document{}, usagef("--contract or --contract-file is required")
}

// fileSHA256 is the hex SHA-256 of a file's bytes, read as a stream.
func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func baseName(path string) string {
	b := filepath.Base(path)
	return strings.TrimSuffix(b, filepath.Ext(b))
}

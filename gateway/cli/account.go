package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/recv-ledger/recv/chaincode/wire"
)

func newAccountCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "account",
		Short: "Open, show, freeze, unfreeze or close the accounts of your organisation (开户, 冻结, 销户)",
		Long: `An identity acts on the ledger only once its organisation's admin has opened its account, with a
role the organisation's kind allows (core: issuer; supplier: supplier; bank: financier; auditor:
auditor; every kind: admin). A frozen account can neither send nor receive; a closed one never again.`,
	}
	cmd.AddCommand(newAccountOpenCommand(g), newAccountShowCommand(g), newAccountListCommand(g),
		newAccountStatusCommand(g, "freeze", "freeze-account", "Freeze an account: it can neither send nor receive (冻结)", true),
		newAccountStatusCommand(g, "unfreeze", "unfreeze-account", "Unfreeze a frozen account (解冻)", false),
		newAccountStatusCommand(g, "close", "close-account", "Close an account for good (销户)", true))
	return cmd
}

func newAccountOpenCommand(g *globals) *cobra.Command {
	wo := &writeOptions{}
	var role, name string
	cmd := &cobra.Command{
		Use:     "open USER",
		Short:   "Open an account of your organisation for an enrolled user (开户; role admin)",
		Example: `  recv --as SupplierMSP/admin account open supplier-d --role supplier --name "Tier-2 Supplier D"`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if role == "" {
				return usagef("--role is required (issuer, supplier, financier, auditor or admin, as your organisation's kind allows)")
			}
			return g.write(cmd, wo, "open-account", nil, wire.AccountRequest{User: args[0], Role: role, DisplayName: name})
		},
	}
	cmd.Flags().StringVar(&role, "role", "", "the account's role, allowed by your organisation's kind (required)")
	cmd.Flags().StringVar(&name, "name", "", "display name, e.g. the company's name")
	wo.bind(cmd)
	return cmd
}

// splitAccount reads an account argument MSP/user into its path values.
func splitAccount(arg string) ([]string, error) {
	msp, user, ok := wire.SplitAccount(arg)
	if !ok || strings.Contains(user, "/") {
		return nil, usagef("account %q: want MSP/user, e.g. SupplierMSP/supplier-a", arg)
	}
	return []string{msp, user}, nil
}

func newAccountShowCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:     "show MSP/USER",
		Short:   "Show one account (your own, your organisation's as its admin, any as the auditor)",
		Example: "  recv --as SupplierMSP/admin account show SupplierMSP/supplier-a",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := splitAccount(args[0])
			if err != nil {
				return err
			}
			return show(g, cmd, "get-account", path, accountDetail)
		},
	}
}

func newAccountListCommand(g *globals) *cobra.Command {
	o := &pageOptions{}
	cmd := &cobra.Command{
		Use:     "list MSP",
		Short:   "List the accounts of an organisation (its admin, the auditor)",
		Example: "  recv --as AuditorMSP/auditor account list SupplierMSP --all",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return showPages(g, cmd, "list-accounts", args, o, func(w io.Writer, accounts []*wire.Account, bookmark string) {
				accountTable(w, accounts)
				moreLine(w, bookmark)
			})
		},
	}
	o.bind(cmd, "accounts")
	return cmd
}

func newAccountStatusCommand(g *globals, verb, op, short string, needsReason bool) *cobra.Command {
	wo := &writeOptions{}
	var reason string
	cmd := &cobra.Command{
		Use:     verb + " MSP/USER",
		Short:   short + "; your organisation's admin",
		Example: fmt.Sprintf("  recv --as SupplierMSP/admin account %s SupplierMSP/supplier-b", verb),
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := splitAccount(args[0])
			if err != nil {
				return err
			}
			if !needsReason {
				return g.write(cmd, wo, op, path, nil)
			}
			if strings.TrimSpace(reason) == "" {
				return usagef("--reason is required: it is kept on the account and in its history")
			}
			return g.write(cmd, wo, op, path, wire.ReasonRequest{Reason: reason})
		},
	}
	if needsReason {
		cmd.Example += ` --reason "court order 2026-118"`
		cmd.Flags().StringVar(&reason, "reason", "", "why (required)")
	}
	wo.bind(cmd)
	return cmd
}

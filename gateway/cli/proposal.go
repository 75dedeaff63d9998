package cli

import (
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/recv-ledger/recv/chaincode/wire"
)

func newProposalCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "proposal",
		Short: "Propose, approve and follow governed changes: settings, member organisations (治理提案)",
		Long: `Settings and the membership registry change only by a proposal: an organisation's admin proposes
(its organisation approves in the same step), the other organisations' admins approve, and the
change applies once a majority of the member organisations approved it with the core enterprise
and every bank among them (each of them has a veto, as on the channel's Admins policy). Until then
"proposal show" says whose approval it waits for. A proposal not approved in time expires.`,
	}
	cmd.AddCommand(newProposalCreateCommand(g), newProposalApproveCommand(g), newProposalListCommand(g), newProposalShowCommand(g))
	return cmd
}

type proposalCreateOptions struct {
	id, note                       string
	set                            []string
	addOrg, kind, name, creditCode string
	admin, dualControl             string
}

// settings are the names --set accepts, as in wire.ConfigRequest.
var settings = []string{"maxTermDays", "clockSkewSeconds", "proposalTtlHours", "instructionTtlHours", "graceDays"}

func newProposalCreateCommand(g *globals) *cobra.Command {
	o := &proposalCreateOptions{}
	cmd := g.writeCommand(&cobra.Command{
		Use:   "create --id ID (--set NAME=VALUE ... | --add-org MSP --kind KIND --name NAME --credit-code CODE)",
		Short: "Propose a change of the settings or of a member organisation (提案; role admin)",
		Example: `  recv --as CoreMSP/admin proposal create --id P-2026-07 --set maxTermDays=90 --note "shorter terms from 2027"
  recv --as Bank1MSP/admin proposal create --id P-2026-08 --add-org Bank3MSP --kind bank \
      --name "Example Bank Co., Ltd." --credit-code 91310000MA1FL0000N`,
		Args: cobra.NoArgs,
	}, "create-proposal", func() (any, error) { return o.request() })
	f := cmd.Flags()
	f.StringVar(&o.id, "id", "", "the proposal's id, [A-Za-z0-9_-]{1,64} (required)")
	f.StringArrayVar(&o.set, "set", nil, "a setting to change, NAME=VALUE, repeatable: "+strings.Join(settings, ", "))
	f.StringVar(&o.addOrg, "add-org", "", "MSP ID of the organisation to add to the registry or change")
	f.StringVar(&o.kind, "kind", "", "with --add-org: core, supplier, bank or auditor")
	f.StringVar(&o.name, "name", "", "with --add-org: the organisation's legal name")
	f.StringVar(&o.creditCode, "credit-code", "", "with --add-org: its unified social credit code (统一社会信用代码, 18 characters)")
	f.StringVar(&o.admin, "admin", "", "with --add-org: the newcomer's admin user, whose account the applied proposal opens (default admin)")
	f.StringVar(&o.dualControl, "dual-control", "", "with --add-org: on or off, whether its issuances and redemptions need a maker and a checker (default: on for a core enterprise)")
	f.StringVar(&o.note, "note", "", "why, for the other organisations' admins")
	return cmd
}

// request builds the proposal from the flags: exactly one of a settings change or an organisation.
func (o *proposalCreateOptions) request() (wire.ProposalRequest, error) {
	req := wire.ProposalRequest{ID: o.id, Note: o.note}
	if o.id == "" {
		return req, usagef("--id is required")
	}
	if (len(o.set) > 0) == (o.addOrg != "") {
		return req, usagef("give either --set NAME=VALUE (settings) or --add-org MSP (an organisation)")
	}
	if o.addOrg == "" {
		if o.kind != "" || o.name != "" || o.creditCode != "" || o.admin != "" || o.dualControl != "" {
			return req, usagef("--kind, --name, --credit-code, --admin and --dual-control go with --add-org")
		}
		cfg, err := configChange(o.set)
		if err != nil {
			return req, err
		}
		req.Action, req.Config = wire.ActionSetConfig, cfg
		return req, nil
	}
	kind := wire.OrgKind(o.kind)
	if _, ok := wire.KindRoles[kind]; !ok {
		return req, usagef("--kind must be one of core, supplier, bank, auditor")
	}
	if o.name == "" || o.creditCode == "" {
		return req, usagef("--add-org needs --name and --credit-code")
	}
	req.Action = wire.ActionSetOrg
	req.Org = &wire.Org{MSPID: o.addOrg, Kind: kind, Name: o.name, CreditCode: o.creditCode, DualControl: o.dualControl}
	req.Admin = o.admin
	return req, nil
}

// configChange reads --set NAME=VALUE pairs into the settings to change.
func configChange(pairs []string) (*wire.ConfigRequest, error) {
	cfg := &wire.ConfigRequest{}
	fields := map[string]*int{"maxTermDays": &cfg.MaxTermDays, "clockSkewSeconds": &cfg.ClockSkewSeconds, "proposalTtlHours": &cfg.ProposalTTLHours,
		"instructionTtlHours": &cfg.InstructionTTLHours, "graceDays": &cfg.GraceDays}
	for _, p := range pairs {
		name, value, _ := strings.Cut(p, "=")
		field, ok := fields[name]
		if !ok {
			return nil, usagef("--set %s: the settings are %s", p, strings.Join(settings, ", "))
		}
		n, err := strconv.Atoi(value)
		if err != nil || n <= 0 {
			return nil, usagef("--set %s: the value must be a positive whole number", p)
		}
		*field = n
	}
	return cfg, nil
}

func newProposalApproveCommand(g *globals) *cobra.Command {
	return g.writeCommand(&cobra.Command{
		Use:     "approve ID",
		Short:   "Approve a proposal for your organisation (批准; role admin); a majority with the core enterprise and every bank applies it",
		Example: "  recv --as Bank1MSP/admin proposal approve P-2026-07",
		Args:    cobra.ExactArgs(1),
	}, "approve-proposal", nil)
}

func newProposalListCommand(g *globals) *cobra.Command {
	o := &pageOptions{}
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List the proposals: status and approvals",
		Example: "  recv --as CoreMSP/admin proposal list --all",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return showPages(g, cmd, "list-proposals", nil, o, func(w io.Writer, ps []*wire.Proposal, bookmark string) {
				proposalTable(w, ps)
				moreLine(w, bookmark)
			})
		},
	}
	o.bind(cmd, "proposals")
	return cmd
}

func newProposalShowCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:     "show ID",
		Short:   "Show a proposal: the change, its approvals, how many are needed, whose it waits for, its status",
		Example: "  recv --as AuditorMSP/auditor proposal show P-2026-07",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return show(g, cmd, "get-proposal", args, proposalDetail)
		},
	}
}

package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// printer shows a command's result: a table for people, JSON for scripts.
type printer interface {
	// Print writes v as JSON, or calls table to write it for people.
	Print(v any, table func(w io.Writer)) error
}

type jsonPrinter struct{ w io.Writer }

func (p jsonPrinter) Print(v any, _ func(io.Writer)) error {
	enc := json.NewEncoder(p.w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

type tablePrinter struct{ w io.Writer }

func (p tablePrinter) Print(_ any, table func(io.Writer)) error {
	t := newTable(p.w)
	table(t)
	return t.Flush()
}

// holderText shows who holds a receivable and to whom it is offered.
func holderText(holder, pending string) string {
	if pending != "" && holder == "" {
		return "(offered) -> " + pending
	}
	if pending != "" {
		return holder + " -> " + pending
	}
	return holder
}

func financingText(r *wire.Receivable) string {
	if r.Financing == nil || r.Financing.Bank == "" {
		return ""
	}
	f := r.Financing
	switch {
	case f.Terms != nil:
		return fmt.Sprintf("%s %dbps %dd paid %s", f.Bank, f.Terms.RateBps, f.Terms.Days, f.Terms.Disbursed)
	case f.ApprovedAt != "":
		// The terms are private to the parties: others see the hash that proves them.
		return fmt.Sprintf("%s approved, terms sha256 %.12s...", f.Bank, f.TermsHash)
	}
	return f.Bank + " requested"
}

func termsDetail(w io.Writer, t *wire.Terms) {
	fmt.Fprintf(w, "receivable:\t%s\n", t.ID)
	fmt.Fprintf(w, "decision:\t%s by %s at %s\n", t.Decision, t.DecidedBy, t.DecidedAt)
	fmt.Fprintf(w, "bank / requested by:\t%s / %s\n", t.Bank, t.RequestedBy)
	if t.Decision == wire.DecisionApproved {
		fmt.Fprintf(w, "rate:\t%d bps for %d days\n", t.RateBps, t.Days)
		fmt.Fprintf(w, "discount / disbursed:\t%s / %s\n", t.Discount, t.Disbursed)
	}
	if t.Reason != "" {
		fmt.Fprintf(w, "reason:\t%s\n", t.Reason)
	}
	fmt.Fprintf(w, "transaction:\t%s\n", t.TxID)
}

func receivableTable(w io.Writer, items []*wire.Receivable) {
	fmt.Fprintln(w, "ID\tSTATUS\tAMOUNT\tHOLDER\tMATURITY\tFINANCING")
	for _, r := range items {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Status, r.Amount, holderText(r.Holder, r.PendingHolder), r.MaturityDate, financingText(r))
	}
}

func receivableDetail(w io.Writer, r *wire.Receivable) {
	fmt.Fprintf(w, "id:\t%s\n", r.ID)
	fmt.Fprintf(w, "status:\t%s\n", r.Status)
	fmt.Fprintf(w, "amount:\t%s %s\n", r.Amount, r.Currency)
	fmt.Fprintf(w, "issuer:\t%s\n", r.Issuer)
	fmt.Fprintf(w, "holder:\t%s\n", holderText(r.Holder, r.PendingHolder))
	fmt.Fprintf(w, "maturity:\t%s\n", r.MaturityDate)
	if r.RootID != r.ID {
		fmt.Fprintf(w, "root / parent:\t%s / %s\n", r.RootID, r.ParentID)
	}
	if len(r.Children) > 0 {
		fmt.Fprintf(w, "children:\t%v\n", r.Children)
	}
	if f := financingText(r); f != "" {
		fmt.Fprintf(w, "financing:\t%s\n", f)
	}
	if r.LastTxID != "" {
		fmt.Fprintf(w, "last tx:\t%s\n", r.LastTxID)
	}
}

// rolesText lists the roles an organisation of kind may give its accounts.
func rolesText(kind wire.OrgKind) string { return strings.Join(wire.KindRoles[kind], ", ") }

// orgTable puts the legal name, the longest cell, last.
func orgTable(w io.Writer, orgs []wire.Org) {
	fmt.Fprintln(w, "MSP\tKIND\tCREDIT CODE\tNAME")
	for _, o := range orgs {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", o.MSPID, o.Kind, o.CreditCode, o.Name)
	}
}

func accountTable(w io.Writer, accounts []*wire.Account) {
	fmt.Fprintln(w, "ACCOUNT\tROLE\tSTATUS\tREASON\tNAME")
	for _, a := range accounts {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", a.ID, a.Role, a.Status, a.Reason, a.DisplayName)
	}
}

func accountDetail(w io.Writer, a *wire.Account) {
	fmt.Fprintf(w, "account:\t%s\n", a.ID)
	fmt.Fprintf(w, "role:\t%s\n", a.Role)
	fmt.Fprintf(w, "status:\t%s\n", a.Status)
	if a.DisplayName != "" {
		fmt.Fprintf(w, "name:\t%s\n", a.DisplayName)
	}
	if a.Reason != "" {
		fmt.Fprintf(w, "reason:\t%s\n", a.Reason)
	}
	fmt.Fprintf(w, "opened:\t%s\n", a.OpenedAt)
	fmt.Fprintf(w, "updated:\t%s by %s\n", a.UpdatedAt, a.UpdatedBy)
	if a.LastTxID != "" {
		fmt.Fprintf(w, "last tx:\t%s\n", a.LastTxID)
	}
}

// changeText says in one line what a proposal changes.
func changeText(p *wire.Proposal) string {
	switch {
	case p.Config != nil:
		var parts []string
		for _, s := range []struct {
			name  string
			value int
		}{{"maxTermDays", p.Config.MaxTermDays}, {"clockSkewSeconds", p.Config.ClockSkewSeconds}, {"proposalTtlHours", p.Config.ProposalTTLHours}} {
			if s.value != 0 {
				parts = append(parts, fmt.Sprintf("%s=%d", s.name, s.value))
			}
		}
		return strings.Join(parts, " ")
	case p.Org != nil:
		return fmt.Sprintf("%s as %s: %s (%s)", p.Org.MSPID, p.Org.Kind, p.Org.Name, p.Org.CreditCode)
	}
	return ""
}

func proposalTable(w io.Writer, ps []*wire.Proposal) {
	fmt.Fprintln(w, "ID\tACTION\tSTATUS\tAPPROVALS\tWAITING FOR\tEXPIRES\tCHANGE")
	for _, p := range ps {
		waiting := strings.TrimPrefix(p.Pending(), "waiting for ")
		if waiting == "" {
			waiting = "-"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%d/%d\t%s\t%s\t%s\n", p.ID, p.Action, p.Status, len(p.Approvals), p.Needed, waiting, p.ExpiresAt, changeText(p))
	}
}

func proposalDetail(w io.Writer, p *wire.Proposal) {
	fmt.Fprintf(w, "id:\t%s\n", p.ID)
	fmt.Fprintf(w, "action:\t%s\n", p.Action)
	fmt.Fprintf(w, "change:\t%s\n", changeText(p))
	if p.Note != "" {
		fmt.Fprintf(w, "note:\t%s\n", p.Note)
	}
	if pending := p.Pending(); pending != "" {
		fmt.Fprintf(w, "status:\t%s, %s\n", p.Status, pending)
	} else {
		fmt.Fprintf(w, "status:\t%s\n", p.Status)
	}
	fmt.Fprintf(w, "approvals:\t%d of %d needed\n", len(p.Approvals), p.Needed)
	if len(p.Vetoes) > 0 {
		fmt.Fprintf(w, "vetoes:\t%s (each must approve)\n", strings.Join(p.Vetoes, ", "))
	}
	fmt.Fprintf(w, "proposer:\t%s at %s\n", p.Proposer, p.CreatedAt)
	fmt.Fprintf(w, "expires:\t%s\n", p.ExpiresAt)
	if p.AppliedAt != "" {
		fmt.Fprintf(w, "applied:\t%s\n", p.AppliedAt)
	}
	if len(p.Approvals) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "APPROVED BY\tACCOUNT\tAT\tTX")
		for _, a := range p.Approvals {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", a.MSPID, a.Account, a.At, a.TxID)
		}
	}
}

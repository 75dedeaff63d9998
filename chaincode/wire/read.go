package wire

import "slices"

// Viewer is who reads: the caller's MSP ID, account (MSPID/enrollmentID) and role. Its methods are
// the one statement of the read rules, applied by the chaincode to what it answers and by a
// gateway to the events it streams.
type Viewer struct {
	MSPID   string
	Account string
	Role    string
}

// MayRead reports whether v may read a receivable with these facts: the auditor reads all;
// otherwise the issuer's MSP's issuers, the holder, the pending holder, the financiers of the bank
// a financing is (or was just decided) at, and every party of its lineage.
func (v Viewer) MayRead(issuer, holder, pendingHolder, bank string, parties []string) bool {
	switch {
	case v.Role == RoleAuditor:
		return true
	case (v.Role == RoleIssuer || v.Role == RoleApprover) && mspOf(issuer) == v.MSPID:
		return true
	case v.Account == holder || v.Account == pendingHolder:
		return true
	case v.Role == RoleFinancier && bank != "" && bank == v.MSPID:
		return true
	}
	return slices.Contains(parties, v.Account)
}

// MayReadAccount reports whether v may read account: its own; its organisation's as an admin;
// every account as the auditor.
func (v Viewer) MayReadAccount(account string) bool {
	return v.Role == RoleAuditor || v.Account == account || (v.Role == RoleAdmin && mspOf(account) == v.MSPID)
}

// Filter returns what v may read of an event: the items of receivables it may read, the accounts
// it may read, and the registry, proposal and settings (every member reads those); nil when
// nothing of a receivable or account event is left. Terms are left as they are (the chaincode
// never sets them; a gateway adds them for parties).
func (v Viewer) Filter(ev *Event) *Event {
	out := *ev
	out.Items = []EventItem{}
	for _, it := range ev.Items {
		if v.MayRead(it.Issuer, it.Holder, it.PendingHolder, it.Bank, it.Parties) {
			out.Items = append(out.Items, it)
		}
	}
	out.Accounts = nil
	for _, a := range ev.Accounts {
		if v.MayReadAccount(a.ID) {
			out.Accounts = append(out.Accounts, a)
		}
	}
	if len(ev.Items) > 0 && len(out.Items) == 0 {
		return nil
	}
	// A maker-checker instruction is its organisation's (and the auditor's); a credit line or an
	// issuance limit its obligor's, its bank's and the auditor's.
	if in := ev.Instruction; in != nil && v.Role != RoleAuditor && mspOf(in.Maker) != v.MSPID {
		out.Instruction = nil
		if len(ev.Items) == 0 {
			return nil
		}
	}
	if l := ev.Line; l != nil && v.Role != RoleAuditor && v.MSPID != l.Obligor && v.MSPID != l.Bank {
		return nil
	}
	if len(ev.Accounts) > 0 && len(out.Accounts) == 0 && len(ev.Orgs) == 0 && ev.Config == nil && ev.Proposal == nil {
		return nil
	}
	if len(out.Items) < len(ev.Items) {
		// A reason belongs to the whole write; it stays only when every item does.
		out.Reason = ""
	}
	return &out
}

func mspOf(account string) string {
	for i := 0; i < len(account); i++ {
		if account[i] == '/' {
			return account[:i]
		}
	}
	return account
}

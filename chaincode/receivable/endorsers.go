package receivable

import (
	"slices"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// Who must endorse the next change of a key. The chaincode sets each key's state-based
// (key-level) endorsement policy to "every one of these organisations' peers" whenever it writes
// the key, so Fabric's validation at commit, not the chaincode, refuses a change that the parties
// it affects did not endorse: code run by other organisations, changed or not, cannot stand in for
// them (docs/security.md, "Who must endorse what"). A key is created under the chaincode-level
// policy; its key-level policy binds every change after that.

// ReceivableEndorsers returns the organisations (MSP IDs, sorted, once each) that must endorse the
// next change of r: its obligor's, always, so that no pair without the obligor changes what it
// owes; its holder's, so that none without the holder moves what it owns; the organisation it is
// offered to while pending (an offer accepted for it is a claim it did not take); the bank a
// financing is requested at; and the auditor's organisation while the auditor holds it frozen.
//
// A bank's decision on a financing request writes its private terms in a transaction of its own
// (DecideFinancing, governed by the collection's policy), so the public approval the obligor
// endorses carries no terms.
func ReceivableEndorsers(r *wire.Receivable) []string {
	var orgs []string
	add := func(account string) {
		if account != "" {
			orgs = append(orgs, wire.MSPOf(account))
		}
	}
	add(r.Issuer)
	add(r.Holder)
	if r.Status == wire.StatusPending {
		add(r.PendingHolder)
	}
	if r.Status == wire.StatusFinancing && r.Financing != nil && r.Financing.Bank != "" {
		orgs = append(orgs, r.Financing.Bank)
	}
	if r.Frozen != nil {
		add(r.Frozen.By)
	}
	return sortedOrgs(orgs)
}

// RegistryEndorsers returns who must endorse a change of the settings or of a registry entry: the
// channel's veto set, every core enterprise and every bank (Vetoes), as a governed change needs
// their approvals.
func RegistryEndorsers(orgs []wire.Org) []string { return sortedOrgs(Vetoes(orgs)) }

// AccountEndorsers returns who must endorse a change of an account: its own organisation, whose
// admin alone opens, freezes and closes it.
func AccountEndorsers(account string) []string { return []string{wire.MSPOf(account)} }

// LineEndorsers returns who must endorse a change of a credit line (the bank that sets it) or of
// an issuance limit (bank ""; the obligor that sets it).
func LineEndorsers(obligor, bank string) []string {
	if bank == "" {
		return []string{obligor}
	}
	return []string{bank}
}

// InstructionEndorsers returns who must endorse a change of an instruction under two-person
// control: the organisation whose maker asked and whose checker decides.
func InstructionEndorsers(in *wire.Instruction) []string { return []string{wire.MSPOf(in.Maker)} }

func sortedOrgs(orgs []string) []string {
	slices.Sort(orgs)
	return slices.Compact(orgs)
}

// BankPartEndorsers returns who must endorse a change of a bank's part of an obligor's exposure
// (the financing it bears, which its credit line checks): the bank. Every honest write that moves
// it is one the bank endorses anyway: its approval, the redemption or recourse of a piece it holds.
func BankPartEndorsers(bank string) []string { return []string{bank} }

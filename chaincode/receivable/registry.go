package receivable

import (
	"slices"
	"strconv"
	"strings"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// Directory is what the membership rules read from the ledger: the registry of organisations, the
// accounts and the governance proposals.
type Directory interface {
	// Org returns the member organisation with mspID, or nil.
	Org(mspID string) (*wire.Org, error)
	// Orgs returns every member organisation, sorted by MSP ID.
	Orgs() ([]wire.Org, error)
	// Account returns the account id (MSPID/user), or nil.
	Account(id string) (*wire.Account, error)
	// Proposal returns the proposal id, or nil.
	Proposal(id string) (*wire.Proposal, error)
}

// MaxOrgs bounds the registry, so that reading all of it stays cheap.
const MaxOrgs = 64

// creditCodeChars are the characters of a unified social credit code (GB 32100-2015), in the
// order of their values: digits and upper-case letters without I, O, S, V and Z.
const creditCodeChars = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// creditCodeWeights are the weights of the first 17 characters for the check character.
var creditCodeWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// CreditCodeCheck returns the check character for the first 17 characters of a credit code.
func CreditCodeCheck(first17 string) (byte, bool) {
	if len(first17) != 17 {
		return 0, false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		v := strings.IndexByte(creditCodeChars, first17[i])
		if v < 0 {
			return 0, false
		}
		sum += v * creditCodeWeights[i]
	}
	return creditCodeChars[(31-sum%31)%31], true
}

// ValidateCreditCode checks a unified social credit code: 18 characters of its alphabet, the last
// one the check character of the first 17.
func ValidateCreditCode(code string) error {
	if len(code) != 18 {
		return Invalidf("creditCode %.40q must have 18 characters, it has %d", code, len(code))
	}
	check, ok := CreditCodeCheck(code[:17])
	if !ok {
		return Invalidf("creditCode %q may hold only digits and the letters %s", code, creditCodeChars[10:])
	}
	if code[17] != check {
		return Invalidf("creditCode %s has check character %c, expected %c: a digit is mistyped", code, code[17], check)
	}
	return nil
}

// ValidateOrg checks an organisation's registry entry.
func ValidateOrg(o wire.Org) error {
	if err := ValidateMSPID("mspId", o.MSPID); err != nil {
		return err
	}
	if _, ok := wire.KindRoles[o.Kind]; !ok {
		return Invalidf("org %s: kind %.40q is not one of core, supplier, bank, auditor", o.MSPID, o.Kind)
	}
	if n := len([]rune(strings.TrimSpace(o.Name))); n < 1 || n > 128 {
		return Invalidf("org %s: name must have 1..128 characters", o.MSPID)
	}
	if err := ValidateCreditCode(o.CreditCode); err != nil {
		return within("org "+o.MSPID, err)
	}
	if o.DualControl != "" && o.DualControl != wire.DualControlOn && o.DualControl != wire.DualControlOff {
		return Invalidf("org %s: dualControl %.20q is not one of on, off (empty: the kind's default)", o.MSPID, o.DualControl)
	}
	return nil
}

// RequiresDualControl reports whether org's issuances and redemptions need a maker and a checker:
// its registry setting, by default on for core enterprises.
func RequiresDualControl(org *wire.Org) bool {
	if org == nil {
		return false
	}
	switch org.DualControl {
	case wire.DualControlOn:
		return true
	case wire.DualControlOff:
		return false
	}
	return org.Kind == wire.OrgCore
}

// loadOrg returns the member organisation mspID, or not found.
func loadOrg(d Directory, mspID string) (*wire.Org, error) {
	o, err := d.Org(mspID)
	if err != nil {
		return nil, err
	}
	if o == nil {
		return nil, NotFoundf("organisation %s is not a member of the network", mspID)
	}
	return o, nil
}

// Admit checks a caller against the registry before any transaction: its organisation is a member,
// its role one that the organisation's kind allows, and its account opened with that role; a write
// needs the account OPEN, a read any account not CLOSED. The certificate's role attribute alone
// proves nothing across organisations (each runs its own CA), the registry does.
func Admit(d Directory, c Caller, write bool) error {
	org, err := d.Org(c.MSPID)
	if err != nil {
		return err
	}
	if org == nil {
		return Forbiddenf("organisation %s is not a member of the network", c.MSPID)
	}
	if !org.Kind.Allows(c.Role) {
		return Forbiddenf("role %q is not allowed in %s, a %s organisation (allowed: %s)",
			c.Role, c.MSPID, org.Kind, strings.Join(wire.KindRoles[org.Kind], ", "))
	}
	acct, err := d.Account(c.Account())
	if err != nil {
		return err
	}
	switch {
	case acct == nil:
		return Forbiddenf("account %s is not opened on the ledger; its organisation's admin opens it", c.Account())
	case acct.Role != c.Role:
		return Forbiddenf("account %s has role %s on the ledger, the certificate says %q", c.Account(), acct.Role, c.Role)
	case acct.Status == wire.AccountClosed:
		return Forbiddenf("account %s is closed", c.Account())
	case write && acct.Status != wire.AccountOpen:
		return Forbiddenf("account %s is %s: it can neither send nor receive", c.Account(), acct.Status)
	}
	return nil
}

// CheckRecipient refuses to offer a receivable to an account that cannot accept it: not opened,
// frozen or closed, or of a role that never holds receivables (issuer, auditor, admin).
func CheckRecipient(d Directory, field, account string) error {
	if err := ValidateAccount(field, account); err != nil {
		return err
	}
	acct, err := d.Account(account)
	if err != nil {
		return err
	}
	if acct == nil {
		return NotFoundf("%s %s is not an account opened on the ledger", field, account)
	}
	if acct.Status != wire.AccountOpen {
		return Conflictf("%s %s is %s and cannot receive", field, account, acct.Status)
	}
	if !slices.Contains(wire.HolderRoles, acct.Role) {
		return Invalidf("%s %s has role %s, which cannot hold receivables (roles that can: %s)",
			field, account, acct.Role, strings.Join(wire.HolderRoles, ", "))
	}
	return nil
}

// CheckBank refuses financing at an organisation that is not a member bank.
func CheckBank(d Directory, bank string) error {
	if err := ValidateMSPID("bank", bank); err != nil {
		return err
	}
	org, err := d.Org(bank)
	if err != nil {
		return err
	}
	if org == nil {
		return NotFoundf("bank %s is not a member of the network", bank)
	}
	if org.Kind != wire.OrgBank {
		return Invalidf("bank %s is a %s organisation, not a bank", bank, org.Kind)
	}
	return nil
}

// InitRegistry creates the registry, the first accounts and the settings when the network is
// created. It runs once: when a registry exists it is refused, so nobody can re-seed it later;
// after that, organisations change only through proposals.
func InitRegistry(d Directory, tx Tx, reg wire.Registry) (Change, error) {
	existing, err := d.Orgs()
	if err != nil {
		return Change{}, err
	}
	if len(existing) > 0 {
		return Change{}, Conflictf("the registry already holds %d organisations; change it through a proposal", len(existing))
	}
	if tx.Caller.Role != wire.RoleAdmin {
		return Change{}, Forbiddenf("InitRegistry needs an organisation admin; %s has role %q", tx.Caller.Account(), tx.Caller.Role)
	}
	if len(reg.Orgs) == 0 || len(reg.Orgs) > MaxOrgs {
		return Change{}, Invalidf("orgs: %d given, 1..%d needed", len(reg.Orgs), MaxOrgs)
	}
	ch := Change{Op: "InitRegistry"}
	kinds := map[string]wire.OrgKind{}
	for i, o := range reg.Orgs {
		if err := ValidateOrg(o); err != nil {
			return Change{}, within("orgs["+strconv.Itoa(i)+"]", err)
		}
		if _, dup := kinds[o.MSPID]; dup {
			return Change{}, Invalidf("orgs[%d]: %s is listed twice", i, o.MSPID)
		}
		kinds[o.MSPID] = o.Kind
		org := o
		stampOrg(&org, tx)
		ch.Orgs = append(ch.Orgs, &org)
	}
	if _, ok := kinds[tx.Caller.MSPID]; !ok {
		return Change{}, Forbiddenf("InitRegistry: the caller's organisation %s is not in the registry it seeds", tx.Caller.MSPID)
	}
	seen := map[string]bool{}
	for i, a := range reg.Accounts {
		kind, ok := kinds[a.MSPID]
		if !ok {
			return Change{}, Invalidf("accounts[%d]: organisation %s is not in orgs", i, a.MSPID)
		}
		acct, err := newAccount(kind, a.MSPID, wire.AccountRequest{User: a.User, Role: a.Role, DisplayName: a.DisplayName}, tx)
		if err != nil {
			return Change{}, within("accounts["+strconv.Itoa(i)+"]", err)
		}
		if seen[acct.ID] {
			return Change{}, Invalidf("accounts[%d]: %s is listed twice", i, acct.ID)
		}
		seen[acct.ID] = true
		ch.Accounts = append(ch.Accounts, acct)
	}
	cfg := DefaultConfig()
	if reg.Config != nil {
		if cfg, err = ApplyConfig(cfg, *reg.Config); err != nil {
			return Change{}, err
		}
	}
	ch.Config = &cfg
	// The time beacon starts here, in the transaction every organisation approved the definition
	// of, so that its key exists, guarded by the veto set, before anyone could create it with
	// another policy (a first Tick would be a new key under the chaincode-level policy).
	ch.Beacon = &wire.Beacon{Time: FormatTime(tx.Time), By: tx.Caller.Account(), TxID: tx.ID}
	return ch, nil
}

func stampOrg(o *wire.Org, tx Tx) {
	o.UpdatedAt, o.UpdatedBy, o.LastTxID = FormatTime(tx.Time), tx.Caller.Account(), tx.ID
}

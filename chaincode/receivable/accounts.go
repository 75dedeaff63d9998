package receivable

import (
	"regexp"
	"strings"

	"github.com/recv-ledger/recv/chaincode/wire"
)

var userPattern = regexp.MustCompile(`^[A-Za-z0-9._@-]{1,64}$`)

// newAccount builds an OPEN account of an organisation of kind, checking the user name and that the
// kind allows the role.
func newAccount(kind wire.OrgKind, mspID string, req wire.AccountRequest, tx Tx) (*wire.Account, error) {
	if !userPattern.MatchString(req.User) {
		return nil, Invalidf("user %.80q must match [A-Za-z0-9._@-]{1,64}", req.User)
	}
	if !kind.Allows(req.Role) {
		return nil, Invalidf("role %.40q is not allowed in %s, a %s organisation (allowed: %s)",
			req.Role, mspID, kind, strings.Join(wire.KindRoles[kind], ", "))
	}
	if len([]rune(req.DisplayName)) > 128 {
		return nil, Invalidf("displayName must have at most 128 characters")
	}
	now := FormatTime(tx.Time)
	return &wire.Account{
		ID: wire.AccountID(mspID, req.User), MSPID: mspID, User: req.User, Role: req.Role, DisplayName: req.DisplayName,
		Status: wire.AccountOpen, OpenedAt: now, UpdatedAt: now, UpdatedBy: tx.Caller.Account(), LastTxID: tx.ID,
	}, nil
}

// OpenAccount opens an account of the caller's organisation (开户); only its admin may.
func OpenAccount(d Directory, tx Tx, req wire.AccountRequest) (Change, error) {
	if tx.Caller.Role != wire.RoleAdmin {
		return Change{}, Forbiddenf("only an admin of %s opens its accounts; %s has role %q", tx.Caller.MSPID, tx.Caller.Account(), tx.Caller.Role)
	}
	org, err := loadOrg(d, tx.Caller.MSPID)
	if err != nil {
		return Change{}, err
	}
	acct, err := newAccount(org.Kind, org.MSPID, req, tx)
	if err != nil {
		return Change{}, err
	}
	if existing, err := d.Account(acct.ID); err != nil {
		return Change{}, err
	} else if existing != nil {
		return Change{}, Conflictf("account %s already exists (%s)", acct.ID, existing.Status)
	}
	return Change{Op: "OpenAccount", Accounts: []*wire.Account{acct}}, nil
}

// accountTransitions says which status each account operation moves from and to.
var accountTransitions = map[string]struct {
	from []wire.AccountStatus
	to   wire.AccountStatus
}{
	"FreezeAccount":   {[]wire.AccountStatus{wire.AccountOpen}, wire.AccountFrozen},
	"UnfreezeAccount": {[]wire.AccountStatus{wire.AccountFrozen}, wire.AccountOpen},
	"CloseAccount":    {[]wire.AccountStatus{wire.AccountOpen, wire.AccountFrozen}, wire.AccountClosed},
}

// Holdings finds what an account still holds.
type Holdings interface {
	// LiveHeldBy returns the id of a live receivable (pending, active, financing or overdue) that
	// account holds or is offered, or "" when there is none.
	LiveHeldBy(account string) (string, error)
}

// Live reports whether r can still move or be paid: pending, active, financing or overdue.
func Live(r *wire.Receivable) bool {
	switch r.Status {
	case wire.StatusPending, wire.StatusActive, wire.StatusFinancing, wire.StatusOverdue:
		return true
	}
	return false
}

// SetAccountStatus freezes, unfreezes or closes an account of the caller's organisation; only its
// admin may, and never its own account (an organisation must keep an admin that can act). An
// account that still holds or is offered a live receivable is not closed: the piece would be
// stranded (nobody could accept, move or finance it); freezing it is the way to stop it.
func SetAccountStatus(d interface {
	Directory
	Holdings
}, tx Tx, op, account, reason string) (Change, error) {
	t, ok := accountTransitions[op]
	if !ok {
		return Change{}, Invalidf("unknown account operation %q", op)
	}
	if err := ValidateAccount("account", account); err != nil {
		return Change{}, err
	}
	if op != "UnfreezeAccount" {
		if err := checkReason(reason); err != nil {
			return Change{}, err
		}
	}
	if tx.Caller.Role != wire.RoleAdmin || wire.MSPOf(account) != tx.Caller.MSPID {
		return Change{}, Forbiddenf("only an admin of %s may change account %s", wire.MSPOf(account), account)
	}
	if account == tx.Caller.Account() {
		return Change{}, Invalidf("an admin cannot change its own account %s", account)
	}
	acct, err := d.Account(account)
	if err != nil {
		return Change{}, err
	}
	if acct == nil {
		return Change{}, NotFoundf("account %s", account)
	}
	allowed := false
	for _, s := range t.from {
		allowed = allowed || acct.Status == s
	}
	if !allowed {
		return Change{}, Conflictf("account %s is %s", account, acct.Status)
	}
	if op == "CloseAccount" {
		id, err := d.LiveHeldBy(account)
		if err != nil {
			return Change{}, err
		}
		if id != "" {
			return Change{}, Conflictf("account %s still holds or is offered receivable %s: it is closed once its pieces are redeemed or passed on (freeze it to stop it meanwhile)", account, id)
		}
	}
	next := *acct
	next.Status, next.Reason = t.to, reason
	next.UpdatedAt, next.UpdatedBy, next.LastTxID = FormatTime(tx.Time), tx.Caller.Account(), tx.ID
	return Change{Op: op, Accounts: []*wire.Account{&next}, Reason: reason}, nil
}

// ReadableAccount returns an account the caller may read: its own, any of its organisation's for
// its admin, every one for the auditor.
func ReadableAccount(d Directory, c Caller, account string) (*wire.Account, error) {
	if err := ValidateAccount("account", account); err != nil {
		return nil, err
	}
	if !c.Viewer().MayReadAccount(account) {
		return nil, Forbiddenf("%s may not read account %s", c.Account(), account)
	}
	acct, err := d.Account(account)
	if err != nil {
		return nil, err
	}
	if acct == nil {
		return nil, NotFoundf("account %s", account)
	}
	return acct, nil
}

package wire

import (
	"slices"
	"strconv"
	"strings"
)

// OrgKind is what an organisation is on the network; it bounds the roles its identities may have.
type OrgKind string

// The kinds of organisation.
const (
	OrgCore     OrgKind = "core"     // core enterprise: issues and redeems
	OrgSupplier OrgKind = "supplier" // suppliers of any tier: hold, split, transfer, ask for financing
	OrgBank     OrgKind = "bank"     // member bank: finances
	OrgAuditor  OrgKind = "auditor"  // auditor or regulator: reads everything, writes nothing
)

// KindRoles lists the roles an organisation of each kind may give its identities. Every
// transaction checks the caller's role against its organisation's kind on the ledger, so a
// certificate attribute minted by a member's own CA cannot reach beyond it.
var KindRoles = map[OrgKind][]string{
	OrgCore:     {RoleIssuer, RoleApprover, RoleAdmin},
	OrgSupplier: {RoleSupplier, RoleAdmin},
	OrgBank:     {RoleFinancier, RoleAdmin},
	OrgAuditor:  {RoleAuditor, RoleAdmin},
}

// Allows reports whether an identity of an organisation of kind k may have role.
func (k OrgKind) Allows(role string) bool { return slices.Contains(KindRoles[k], role) }

// HolderRoles are the roles of accounts that can receive and hold a receivable.
var HolderRoles = []string{RoleSupplier, RoleFinancier}

// Org is a member organisation in the registry on the ledger.
type Org struct {
	MSPID      string  `json:"mspId"`
	Kind       OrgKind `json:"kind"`
	Name       string  `json:"name"`       // legal name
	CreditCode string  `json:"creditCode"` // unified social credit code (统一社会信用代码), 18 characters
	// DualControl says whether the organisation's issuances and redemptions need a maker and a
	// different checker: "on", "off", or empty for its kind's default (on for a core enterprise).
	DualControl string `json:"dualControl,omitempty" metadata:",optional"`
	UpdatedAt   string `json:"updatedAt,omitempty" metadata:",optional"`
	UpdatedBy   string `json:"updatedBy,omitempty" metadata:",optional"`
	LastTxID    string `json:"lastTxId,omitempty" metadata:",optional"`
}

// AccountStatus is the state of an account.
type AccountStatus string

// The account states.
const (
	AccountOpen   AccountStatus = "OPEN"   // may send and receive
	AccountFrozen AccountStatus = "FROZEN" // may read, neither send nor receive; its admin may unfreeze it
	AccountClosed AccountStatus = "CLOSED" // terminal
)

// AccountID is the one spelling of an account: "MSP/user", its organisation's MSP ID and the
// user's enrollment id.
func AccountID(mspID, user string) string { return mspID + "/" + user }

// SplitAccount is the two parts of an account "MSP/user"; ok is false unless it has both.
func SplitAccount(account string) (mspID, user string, ok bool) {
	mspID, user, ok = strings.Cut(account, "/")
	return mspID, user, ok && mspID != "" && user != ""
}

// MSPOf is the MSP ID part of an account "MSP/user".
func MSPOf(account string) string {
	msp, _, _ := SplitAccount(account)
	return msp
}

// Account is an identity of a member organisation opened on the ledger (开户) by that
// organisation's admin. ID is MSPID/user, as the chaincode reads it from the caller's certificate.
type Account struct {
	ID          string        `json:"id"`
	MSPID       string        `json:"mspId"`
	User        string        `json:"user"`
	Role        string        `json:"role"`
	DisplayName string        `json:"displayName,omitempty" metadata:",optional"`
	Status      AccountStatus `json:"status"`
	Reason      string        `json:"reason,omitempty" metadata:",optional"` // why it was frozen or closed
	OpenedAt    string        `json:"openedAt"`
	UpdatedAt   string        `json:"updatedAt"`
	UpdatedBy   string        `json:"updatedBy"`
	LastTxID    string        `json:"lastTxId"`
}

// AccountRequest is the body of open-account: the user (enrollment id) in the caller's organisation.
type AccountRequest struct {
	User        string `json:"user"`
	Role        string `json:"role"`
	DisplayName string `json:"displayName,omitempty" metadata:",optional"`
}

// Registry is the argument of InitRegistry: the members and the accounts the network starts with.
type Registry struct {
	Orgs     []Org          `json:"orgs"`
	Accounts []SeedAccount  `json:"accounts"`
	Config   *ConfigRequest `json:"config,omitempty" metadata:",optional"`
}

// SeedAccount is an account opened when the registry is created.
type SeedAccount struct {
	MSPID       string `json:"mspId"`
	User        string `json:"user"`
	Role        string `json:"role"`
	DisplayName string `json:"displayName,omitempty" metadata:",optional"`
}

// ProposalAction is what a governance proposal changes.
type ProposalAction string

// The governed changes.
const (
	ActionSetConfig ProposalAction = "set-config" // change the channel settings
	ActionSetOrg    ProposalAction = "set-org"    // add an organisation to the registry or change its kind or names
)

// ProposalStatus is the state of a proposal.
type ProposalStatus string

// The proposal states. An OPEN proposal past its expiry reads as EXPIRED.
const (
	ProposalOpen    ProposalStatus = "OPEN"
	ProposalApplied ProposalStatus = "APPLIED"
	ProposalExpired ProposalStatus = "EXPIRED"
)

// ProposalRequest is the body of create-proposal.
type ProposalRequest struct {
	ID     string         `json:"id"`
	Action ProposalAction `json:"action"`
	Config *ConfigRequest `json:"config,omitempty" metadata:",optional"`
	Org    *Org           `json:"org,omitempty" metadata:",optional"`
	Note   string         `json:"note,omitempty" metadata:",optional"`
	// Admin is the user whose admin account a set-org proposal opens when it adds a new
	// organisation, so the newcomer can open its own accounts (default "admin").
	Admin string `json:"admin,omitempty" metadata:",optional"`
}

// Proposal is a governed change: it takes effect in the transaction that brings its approvals to a
// majority of the member organisations with every core enterprise and every bank among them (one
// approval per organisation, by its admin).
type Proposal struct {
	ID        string         `json:"id"`
	Action    ProposalAction `json:"action"`
	Config    *ConfigRequest `json:"config,omitempty" metadata:",optional"`
	Org       *Org           `json:"org,omitempty" metadata:",optional"`
	Note      string         `json:"note,omitempty" metadata:",optional"`
	Admin     string         `json:"admin,omitempty" metadata:",optional"`
	Proposer  string         `json:"proposer"`
	CreatedAt string         `json:"createdAt"`
	ExpiresAt string         `json:"expiresAt"`
	Status    ProposalStatus `json:"status"`
	Needed    int            `json:"needed"` // approvals needed: a majority of the members when last approved
	// Vetoes are the organisations that must be among the approvals whatever the count: every core
	// enterprise and every bank in the registry when last approved.
	Vetoes []string `json:"vetoes,omitempty" metadata:",optional"`
	// Waiting are those of Vetoes that have not approved: while it is not empty, no majority
	// applies the proposal.
	Waiting   []string   `json:"waiting,omitempty" metadata:",optional"`
	Approvals []Approval `json:"approvals"`
	AppliedAt string     `json:"appliedAt,omitempty" metadata:",optional"`
	UpdatedAt string     `json:"updatedAt"`
	LastTxID  string     `json:"lastTxId"`
}

// Pending says in one phrase whose approval an OPEN proposal waits for ("waiting for CoreMSP,
// Bank2MSP", "waiting for Bank2MSP and 1 more organisation"), or "" when it is not open or nothing
// holds it back. The vetoing organisations' approvals count towards the majority too.
func (p *Proposal) Pending() string {
	if p.Status != ProposalOpen {
		return ""
	}
	var parts []string
	if len(p.Waiting) > 0 {
		parts = append(parts, strings.Join(p.Waiting, ", "))
	}
	if more := p.Needed - len(p.Approvals) - len(p.Waiting); more == 1 {
		parts = append(parts, "1 more organisation")
	} else if more > 1 {
		parts = append(parts, strconv.Itoa(more)+" more organisations")
	}
	if len(parts) == 0 {
		return ""
	}
	return "waiting for " + strings.Join(parts, " and ")
}

// Approval is one organisation's approval of a proposal.
type Approval struct {
	MSPID   string `json:"mspId"`
	Account string `json:"account"`
	At      string `json:"at"`
	TxID    string `json:"txId"`
}

// Members is the answer of list-orgs.
type Members struct {
	Orgs []Org `json:"orgs"`
}

// AccountPage is one page of an organisation's accounts; Bookmark continues it ("" on the last).
type AccountPage struct {
	Items    []Account `json:"items"`
	Bookmark string    `json:"bookmark"`
	Count    int       `json:"count"`
}

// ProposalPage is one page of the governance proposals; Bookmark continues it ("" on the last).
type ProposalPage struct {
	Items    []Proposal `json:"items"`
	Bookmark string     `json:"bookmark"`
	Count    int        `json:"count"`
}

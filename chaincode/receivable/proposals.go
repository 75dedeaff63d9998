package receivable

import (
	"regexp"
	"slices"
	"time"

	"github.com/recv-ledger/recv/chaincode/wire"
)

var proposalIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// Majority is how many of n member organisations make a majority.
func Majority(n int) int { return n/2 + 1 }

// Vetoes returns the organisations whose approval every proposal needs besides the majority: each
// core enterprise and each bank in the registry, in the registry's order. They are the veto set of
// the channel's Admins and LifecycleEndorsement policies, so a majority without the obligor or a
// financier changes neither the channel nor the chaincode's own rules (docs/security.md, 5).
func Vetoes(orgs []wire.Org) []string {
	var out []string
	for _, o := range orgs {
		if o.Kind == wire.OrgCore || o.Kind == wire.OrgBank {
			out = append(out, o.MSPID)
		}
	}
	return out
}

// CreateProposal records a governed change proposed by an organisation's admin; the proposer's
// organisation approves it in the same step. It takes effect when a majority has approved, the
// core enterprise and every bank among them.
func CreateProposal(d Directory, tx Tx, req wire.ProposalRequest) (Change, error) {
	if tx.Caller.Role != wire.RoleAdmin {
		return Change{}, Forbiddenf("only an organisation admin proposes changes; %s has role %q", tx.Caller.Account(), tx.Caller.Role)
	}
	if !proposalIDPattern.MatchString(req.ID) {
		return Change{}, Invalidf("id %.80q must match [A-Za-z0-9_-]{1,64}", req.ID)
	}
	if len([]rune(req.Note)) > maxReasonLen {
		return Change{}, Invalidf("note must have at most %d characters", maxReasonLen)
	}
	switch req.Action {
	case wire.ActionSetConfig:
		if req.Config == nil || req.Org != nil {
			return Change{}, Invalidf("a set-config proposal carries config and no org")
		}
		if _, err := ApplyConfig(tx.Config, *req.Config); err != nil {
			return Change{}, err
		}
	case wire.ActionSetOrg:
		if req.Org == nil || req.Config != nil {
			return Change{}, Invalidf("a set-org proposal carries org and no config")
		}
		if err := ValidateOrg(*req.Org); err != nil {
			return Change{}, err
		}
		if req.Admin == "" {
			req.Admin = "admin"
		}
		if !userPattern.MatchString(req.Admin) {
			return Change{}, Invalidf("admin %.80q must match [A-Za-z0-9._@-]{1,64}", req.Admin)
		}
	default:
		return Change{}, Invalidf("action %.40q is not one of set-config, set-org", req.Action)
	}
	if existing, err := d.Proposal(req.ID); err != nil {
		return Change{}, err
	} else if existing != nil {
		return Change{}, Conflictf("proposal %s already exists", req.ID)
	}
	p := &wire.Proposal{
		ID: req.ID, Action: req.Action, Config: req.Config, Org: req.Org, Note: req.Note, Admin: req.Admin,
		Proposer: tx.Caller.Account(), CreatedAt: FormatTime(tx.Time),
		ExpiresAt: FormatTime(tx.Time.Add(time.Duration(tx.Config.ProposalTTLHours) * time.Hour)),
		Status:    wire.ProposalOpen, Approvals: []wire.Approval{},
	}
	return approve(d, tx, p, "CreateProposal")
}

// ApproveProposal adds the caller's organisation's approval; the approval that completes the majority
// and the vetoing organisations' approvals applies the change in the same transaction.
func ApproveProposal(d Directory, tx Tx, id string) (Change, error) {
	if tx.Caller.Role != wire.RoleAdmin {
		return Change{}, Forbiddenf("only an organisation admin approves proposals; %s has role %q", tx.Caller.Account(), tx.Caller.Role)
	}
	p, err := ReadProposal(d, tx, id)
	if err != nil {
		return Change{}, err
	}
	if p.Status != wire.ProposalOpen {
		return Change{}, Conflictf("proposal %s is %s (expired or applied proposals cannot be approved)", id, p.Status)
	}
	for _, a := range p.Approvals {
		if a.MSPID == tx.Caller.MSPID {
			return Change{}, Conflictf("proposal %s is already approved by %s (%s)", id, a.MSPID, a.Account)
		}
	}
	next := *p
	next.Approvals = append([]wire.Approval(nil), p.Approvals...)
	return approve(d, tx, &next, "ApproveProposal")
}

// approve records the caller's approval on p and applies p when the approvals reach a majority of
// the organisations in the registry now and include every vetoing organisation (Vetoes); until
// then p.Waiting names the vetoing organisations it waits for.
func approve(d Directory, tx Tx, p *wire.Proposal, op string) (Change, error) {
	orgs, err := d.Orgs()
	if err != nil {
		return Change{}, err
	}
	now := FormatTime(tx.Time)
	p.Approvals = append(p.Approvals, wire.Approval{MSPID: tx.Caller.MSPID, Account: tx.Caller.Account(), At: now, TxID: tx.ID})
	p.Needed = Majority(len(orgs))
	p.Vetoes = Vetoes(orgs)
	p.Waiting = notApproved(p.Vetoes, p.Approvals)
	p.UpdatedAt, p.LastTxID = now, tx.ID
	ch := Change{Op: op, Proposals: []*wire.Proposal{p}}
	if countMembers(orgs, p.Approvals) < p.Needed || len(p.Waiting) > 0 {
		return ch, nil
	}
	p.Status, p.AppliedAt = wire.ProposalApplied, now
	switch p.Action {
	case wire.ActionSetConfig:
		cfg, err := ApplyConfig(tx.Config, *p.Config)
		if err != nil {
			return Change{}, within("proposal "+p.ID, err)
		}
		ch.Config = &cfg
	case wire.ActionSetOrg:
		org := *p.Org
		stampOrg(&org, tx)
		ch.Orgs = []*wire.Org{&org}
		// A newcomer gets its admin's account, from which it opens its own accounts.
		if existing, err := d.Org(org.MSPID); err != nil {
			return Change{}, err
		} else if existing == nil {
			acct, err := newAccount(org.Kind, org.MSPID, wire.AccountRequest{User: p.Admin, Role: wire.RoleAdmin}, tx)
			if err != nil {
				return Change{}, within("proposal "+p.ID, err)
			}
			ch.Accounts = []*wire.Account{acct}
		}
	}
	return ch, nil
}

// notApproved returns those of msps that no approval comes from, or nil.
func notApproved(msps []string, approvals []wire.Approval) []string {
	var out []string
	for _, m := range msps {
		if !slices.ContainsFunc(approvals, func(a wire.Approval) bool { return a.MSPID == m }) {
			out = append(out, m)
		}
	}
	return out
}

// countMembers counts the approvals by organisations that are members now.
func countMembers(orgs []wire.Org, approvals []wire.Approval) int {
	n := 0
	for _, a := range approvals {
		for _, o := range orgs {
			if o.MSPID == a.MSPID {
				n++
				break
			}
		}
	}
	return n
}

// ReadProposal returns a proposal, reading an OPEN one past its expiry as EXPIRED.
func ReadProposal(d Directory, tx Tx, id string) (*wire.Proposal, error) {
	if !proposalIDPattern.MatchString(id) {
		return nil, Invalidf("proposal id %.80q must match [A-Za-z0-9_-]{1,64}", id)
	}
	p, err := d.Proposal(id)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, NotFoundf("proposal %s", id)
	}
	q := ProposalAsOf(*p, tx.Time)
	return &q, nil
}

// ProposalAsOf returns p as it reads at t: an OPEN proposal past its expiry is EXPIRED.
func ProposalAsOf(p wire.Proposal, t time.Time) wire.Proposal {
	if p.Status == wire.ProposalOpen {
		if exp, err := time.Parse(TimeLayout, p.ExpiresAt); err == nil && !t.Before(exp) {
			p.Status = wire.ProposalExpired
		}
	}
	return p
}

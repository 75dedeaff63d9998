package contract

import (
	"slices"

	"github.com/recv-ledger/recv/chaincode/receivable"
	"github.com/recv-ledger/recv/chaincode/wire"
)

// The membership registry, accounts and governance (docs/design.md section 6): each transaction
// adapts one rule of package receivable, like the lifecycle's.

// InitRegistry seeds the registry, the first accounts and the settings; once only, and only the
// registry whose hash the chaincode's definition names (SeedTag).
func (c *Contract) InitRegistry(ctx *TxContext, registry wire.Registry) (*wire.Event, error) {
	return c.run(ctx, func(rd receivable.Reader, tx receivable.Tx) (receivable.Change, error) {
		ch, err := receivable.InitRegistry(rd, tx, registry)
		if err != nil {
			return ch, err
		}
		return ch, seedAgreed(ctx.GetStub())
	})
}

// OpenAccount opens an account of the caller's organisation; its admin only.
func (c *Contract) OpenAccount(ctx *TxContext, request wire.AccountRequest) (*wire.Event, error) {
	return c.run(ctx, func(rd receivable.Reader, tx receivable.Tx) (receivable.Change, error) {
		return receivable.OpenAccount(rd, tx, request)
	})
}

// FreezeAccount freezes an account of the caller's organisation: it can neither send nor receive.
func (c *Contract) FreezeAccount(ctx *TxContext, account, reason string) (*wire.Event, error) {
	return c.setAccountStatus(ctx, "FreezeAccount", account, reason)
}

// UnfreezeAccount opens a frozen account of the caller's organisation again.
func (c *Contract) UnfreezeAccount(ctx *TxContext, account string) (*wire.Event, error) {
	return c.setAccountStatus(ctx, "UnfreezeAccount", account, "")
}

// CloseAccount closes an account of the caller's organisation for good.
func (c *Contract) CloseAccount(ctx *TxContext, account, reason string) (*wire.Event, error) {
	return c.setAccountStatus(ctx, "CloseAccount", account, reason)
}

func (c *Contract) setAccountStatus(ctx *TxContext, op, account, reason string) (*wire.Event, error) {
	return c.run(ctx, func(rd receivable.Reader, tx receivable.Tx) (receivable.Change, error) {
		return receivable.SetAccountStatus(rd, tx, op, account, reason)
	})
}

// CreateProposal records a governed change; the proposer's organisation approves it.
func (c *Contract) CreateProposal(ctx *TxContext, proposal wire.ProposalRequest) (*wire.Event, error) {
	return c.run(ctx, func(rd receivable.Reader, tx receivable.Tx) (receivable.Change, error) {
		return receivable.CreateProposal(rd, tx, proposal)
	})
}

// ApproveProposal approves a proposal for the caller's organisation; a majority applies it.
func (c *Contract) ApproveProposal(ctx *TxContext, id string) (*wire.Event, error) {
	return c.run(ctx, func(rd receivable.Reader, tx receivable.Tx) (receivable.Change, error) {
		return receivable.ApproveProposal(rd, tx, id)
	})
}

// WithdrawFinancing takes back a financing request the bank has not answered.
func (c *Contract) WithdrawFinancing(ctx *TxContext, id string) (*wire.Event, error) {
	return c.run(ctx, func(rd receivable.Reader, tx receivable.Tx) (receivable.Change, error) {
		return receivable.WithdrawFinancing(rd, tx, id)
	})
}

// ListOrgs returns the member organisations; every member may read the registry.
func (c *Contract) ListOrgs(ctx *TxContext) (*wire.Members, error) {
	orgs, err := ledger{stub: ctx.GetStub()}.Orgs()
	if err != nil {
		return nil, err
	}
	return &wire.Members{Orgs: orgs}, nil
}

// GetOrg returns one member organisation.
func (c *Contract) GetOrg(ctx *TxContext, mspID string) (*wire.Org, error) {
	if err := receivable.ValidateMSPID("mspId", mspID); err != nil {
		return nil, err
	}
	o, err := ledger{stub: ctx.GetStub()}.Org(mspID)
	if err != nil {
		return nil, err
	}
	if o == nil {
		return nil, receivable.NotFoundf("organisation %s is not a member of the network", mspID)
	}
	return o, nil
}

// GetAccount returns an account the caller may read: its own, its organisation's for its admin,
// every one for the auditor.
func (c *Contract) GetAccount(ctx *TxContext, account string) (*wire.Account, error) {
	return receivable.ReadableAccount(ledger{stub: ctx.GetStub()}, ctx.caller, account)
}

// ListAccounts pages through an organisation's accounts: for its admin and the auditor.
func (c *Contract) ListAccounts(ctx *TxContext, mspID string, pageSize int32, bookmark string) (*wire.AccountPage, error) {
	if err := receivable.ValidateMSPID("mspId", mspID); err != nil {
		return nil, err
	}
	if ctx.caller.Role != wire.RoleAuditor && (ctx.caller.Role != wire.RoleAdmin || ctx.caller.MSPID != mspID) {
		return nil, receivable.Forbiddenf("%s may not list the accounts of %s", ctx.caller.Account(), mspID)
	}
	items, next, err := pageJSON[wire.Account](ledger{stub: ctx.GetStub()}, accountPrefix+mspID+"/", pageSize, bookmark)
	if err != nil {
		return nil, err
	}
	return &wire.AccountPage{Items: items, Bookmark: next, Count: len(items)}, nil
}

// GetProposal returns a proposal; an OPEN one past its expiry reads as EXPIRED.
func (c *Contract) GetProposal(ctx *TxContext, id string) (*wire.Proposal, error) {
	tx, err := c.tx(ctx)
	if err != nil {
		return nil, err
	}
	return receivable.ReadProposal(ledger{stub: ctx.GetStub()}, tx, id)
}

// ListProposals pages through the governance proposals, which every member may read.
func (c *Contract) ListProposals(ctx *TxContext, pageSize int32, bookmark string) (*wire.ProposalPage, error) {
	tx, err := c.tx(ctx)
	if err != nil {
		return nil, err
	}
	l := ledger{stub: ctx.GetStub()}
	items, next, err := pageJSON[wire.Proposal](l, proposalPrefix, pageSize, bookmark)
	if err != nil {
		return nil, err
	}
	idx, err := l.index()
	if err != nil {
		return nil, err
	}
	// A proposal the registry index does not list was never created by CreateProposal.
	items = slices.DeleteFunc(items, func(p wire.Proposal) bool { return !listed(idx, indexProposals, p.ID) })
	for i := range items {
		items[i] = receivable.ProposalAsOf(items[i], tx.Time)
	}
	return &wire.ProposalPage{Items: items, Bookmark: next, Count: len(items)}, nil
}

package contract

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/recv-ledger/recv/chaincode/receivable"
	"github.com/recv-ledger/recv/chaincode/wire"
)

// Get returns one receivable.
func (c *Contract) Get(ctx *TxContext, id string) (*wire.Receivable, error) {
	l := ledger{stub: ctx.GetStub()}
	r, err := receivable.Readable(l, ctx.caller, id)
	if err != nil {
		return nil, err
	}
	return l.withTerms(ctx.caller, r)
}

// ListByHolder pages through the receivables held by, or offered to, account.
func (c *Contract) ListByHolder(ctx *TxContext, account string, pageSize int32, bookmark string) (*wire.Page, error) {
	if err := receivable.ValidateAccount("account", account); err != nil {
		return nil, err
	}
	if ctx.caller.Role != wire.RoleAuditor && ctx.caller.Account() != account {
		return nil, receivable.Forbiddenf("%s may not list the receivables of %s", ctx.caller.Account(), account)
	}
	return c.list(ctx, holderIndex, account, pageSize, bookmark)
}

// ListByIssuer pages through the receivables issued by account.
func (c *Contract) ListByIssuer(ctx *TxContext, account string, pageSize int32, bookmark string) (*wire.Page, error) {
	if err := receivable.ValidateAccount("account", account); err != nil {
		return nil, err
	}
	sameIssuer := (ctx.caller.Role == wire.RoleIssuer || ctx.caller.Role == wire.RoleApprover) && wire.MSPOf(account) == ctx.caller.MSPID
	if ctx.caller.Role != wire.RoleAuditor && !sameIssuer {
		return nil, receivable.Forbiddenf("%s may not list the receivables issued by %s", ctx.caller.Account(), account)
	}
	return c.list(ctx, issuerIndex, account, pageSize, bookmark)
}

func (c *Contract) list(ctx *TxContext, index, account string, pageSize int32, bookmark string) (*wire.Page, error) {
	if pageSize < 1 || pageSize > wire.MaxPageSize {
		return nil, receivable.Invalidf("pageSize %d must be an integer in 1..%d", pageSize, wire.MaxPageSize)
	}
	stub := ctx.GetStub()
	prefix, err := stub.CreateCompositeKey(index, []string{account})
	if err != nil {
		return nil, err
	}
	raw, err := decodeBookmark(bookmark, prefix)
	if err != nil {
		return nil, err
	}
	it, meta, err := stub.GetStateByPartialCompositeKeyWithPagination(index, []string{account}, pageSize, raw)
	if err != nil {
		return nil, receivable.Invalidf("bookmark %.80q: %v", bookmark, err)
	}
	defer it.Close()
	l := ledger{stub: stub}
	p := &wire.Page{Items: []*wire.Receivable{}}
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("listing %s: %w", index, err)
		}
		r, err := l.indexed(kv.Key)
		if err != nil {
			return nil, err
		}
		if r, err = l.withTerms(ctx.caller, r); err != nil {
			return nil, err
		}
		if r != nil {
			p.Items = append(p.Items, r)
		}
	}
	p.Count = len(p.Items)
	if meta != nil {
		p.Bookmark = encodeBookmark(meta.Bookmark)
	}
	return p, nil
}

// Trace returns the lineage tree of a root.
func (c *Contract) Trace(ctx *TxContext, rootID string) (*wire.Trace, error) {
	if err := receivable.ValidateID("rootId", rootID); err != nil {
		return nil, err
	}
	if strings.Contains(rootID, ".") {
		return nil, receivable.Invalidf("rootId %s is a piece, not a root", rootID)
	}
	nodes, err := ledger{stub: ctx.GetStub()}.Tree(rootID)
	if err != nil {
		return nil, err
	}
	if len(nodes) == 0 {
		return nil, receivable.NotFoundf("receivable %s", rootID)
	}
	allowed := false
	byID := make(map[string]*wire.TraceNode, len(nodes))
	l := ledger{stub: ctx.GetStub()}
	for _, n := range nodes {
		allowed = allowed || receivable.CanRead(ctx.caller, n)
		if n, err = l.withTerms(ctx.caller, n); err != nil {
			return nil, err
		}
		byID[n.ID] = &wire.TraceNode{Receivable: n, Pieces: []*wire.TraceNode{}}
	}
	if !allowed {
		return nil, receivable.Forbiddenf("receivable %s: %s is not a party to it or any piece", rootID, ctx.caller.Account())
	}
	for _, n := range nodes {
		for _, child := range n.Children {
			if cn, ok := byID[child]; ok {
				byID[n.ID].Pieces = append(byID[n.ID].Pieces, cn)
			}
		}
	}
	return &wire.Trace{Root: byID[rootID]}, nil
}

// History returns every version of a receivable, oldest first as the peer returns them.
func (c *Contract) History(ctx *TxContext, id string) ([]wire.HistoryEntry, error) {
	l := ledger{stub: ctx.GetStub()}
	if _, err := receivable.Readable(l, ctx.caller, id); err != nil {
		return nil, err
	}
	it, err := ctx.GetStub().GetHistoryForKey(receivableKey(id))
	if err != nil {
		return nil, fmt.Errorf("reading history of %s: %w", id, err)
	}
	defer it.Close()
	entries := []wire.HistoryEntry{}
	for it.HasNext() {
		m, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("reading history of %s: %w", id, err)
		}
		e := wire.HistoryEntry{TxID: m.TxId, IsDelete: m.IsDelete}
		if m.Timestamp != nil {
			e.Timestamp = receivable.FormatTime(m.Timestamp.AsTime())
		}
		if !m.IsDelete && len(m.Value) > 0 {
			var r wire.Receivable
			if err := json.Unmarshal(m.Value, &r); err != nil {
				return nil, fmt.Errorf("decoding version %s of receivable %s: %w", m.TxId, id, err)
			}
			v, err := l.withTerms(ctx.caller, &r)
			if err != nil {
				return nil, err
			}
			e.Submitter, e.Value = r.UpdatedBy, v
		}
		entries = append(entries, e)
	}
	return entries, nil
}

// Totals sums what account holds: outstanding (live pieces it holds: ACTIVE, FINANCING, or PENDING
// while it offers them), financed (the part of outstanding a bank has financed) and redeemed (paid to
// it).
func (c *Contract) Totals(ctx *TxContext, account string) (*wire.Totals, error) {
	if err := receivable.ValidateAccount("account", account); err != nil {
		return nil, err
	}
	if ctx.caller.Role != wire.RoleAuditor && ctx.caller.Account() != account {
		return nil, receivable.Forbiddenf("%s may not read the totals of %s", ctx.caller.Account(), account)
	}
	stub := ctx.GetStub()
	it, err := stub.GetStateByPartialCompositeKey(holderIndex, []string{account})
	if err != nil {
		return nil, fmt.Errorf("scanning holder index: %w", err)
	}
	defer it.Close()
	l := ledger{stub: stub}
	t := &wire.Totals{Account: account}
	disbursed, allTerms := int64(0), true
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("scanning holder index: %w", err)
		}
		r, err := l.indexed(kv.Key)
		if err != nil {
			return nil, err
		}
		if err := addTo(t, r); err != nil {
			return nil, err
		}
		if r != nil && r.Holder == account && r.Financed() && r.Status != wire.StatusRedeemed {
			if r, err = l.withTerms(ctx.caller, r); err != nil {
				return nil, err
			}
			if r.Financing.Terms == nil || disbursed > math.MaxInt64-r.Financing.Terms.DisbursedFen {
				allTerms = false
			} else {
				disbursed += r.Financing.Terms.DisbursedFen
			}
		}
	}
	if allTerms && t.FinancedFen > 0 {
		t.DisbursedFen, t.Disbursed = disbursed, wire.FormatAmount(disbursed)
	}
	t.Outstanding = wire.FormatAmount(t.OutstandingFen)
	t.Financed = wire.FormatAmount(t.FinancedFen)
	t.Redeemed = wire.FormatAmount(t.RedeemedFen)
	return t, nil
}

// addTo counts r in the totals of t.Account when that account holds it.
func addTo(t *wire.Totals, r *wire.Receivable) error {
	if r == nil || r.Holder != t.Account {
		return nil
	}
	var sum *int64
	switch r.Status {
	case wire.StatusActive, wire.StatusPending, wire.StatusFinancing, wire.StatusOverdue:
		sum = &t.OutstandingFen
		if r.Financed() {
			if t.FinancedFen > math.MaxInt64-r.AmountFen {
				return receivable.Conflictf("totals of %s overflow int64 fen", t.Account)
			}
			t.FinancedFen += r.AmountFen
		}
	case wire.StatusRedeemed:
		sum = &t.RedeemedFen
	default:
		return nil
	}
	if *sum > math.MaxInt64-r.AmountFen {
		return receivable.Conflictf("totals of %s overflow int64 fen", t.Account)
	}
	*sum += r.AmountFen
	return nil
}

// indexed reads the receivable an index entry's key (index, account, id) names.
func (l ledger) indexed(key string) (*wire.Receivable, error) {
	_, attrs, err := l.stub.SplitCompositeKey(key)
	if err != nil || len(attrs) != 2 {
		return nil, fmt.Errorf("bad index key %q", key)
	}
	return l.Get(attrs[1])
}

// LiveHeldBy implements receivable.Holdings: a scan of the account's holder index (receivables it
// holds or is offered) until the first live one.
func (l ledger) LiveHeldBy(account string) (string, error) {
	it, err := l.stub.GetStateByPartialCompositeKey(holderIndex, []string{account})
	if err != nil {
		return "", fmt.Errorf("scanning holder index: %w", err)
	}
	defer it.Close()
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return "", fmt.Errorf("scanning holder index: %w", err)
		}
		r, err := l.indexed(kv.Key)
		if err != nil {
			return "", err
		}
		if r != nil && receivable.Live(r) && (r.Holder == account || (r.Status == wire.StatusPending && r.PendingHolder == account)) {
			return r.ID, nil
		}
	}
	return "", nil
}

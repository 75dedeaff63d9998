package contract

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/recv-ledger/recv/chaincode/receivable"
)

// Page sizes of the list queries.
const (
	defaultPageSize = 20
	maxPageSize     = 100
)

// Get returns one receivable.
func (c *Contract) Get(ctx *TxContext, id string) (string, error) {
	r, err := receivable.Readable(ledger{stub: ctx.GetStub()}, ctx.caller, id)
	if err != nil {
		return "", err
	}
	return marshal(r)
}

type page struct {
	Items    []*receivable.Receivable `json:"items"`
	Bookmark string                   `json:"bookmark"`
	Count    int                      `json:"count"`
}

// ListByHolder pages through the receivables held by, or offered to, account.
func (c *Contract) ListByHolder(ctx *TxContext, account, pageSize, bookmark string) (string, error) {
	if err := receivable.ValidateAccount("account", account); err != nil {
		return "", err
	}
	if ctx.caller.Role != receivable.RoleAuditor && ctx.caller.Account() != account {
		return "", receivable.Forbiddenf("%s may not list the receivables of %s", ctx.caller.Account(), account)
	}
	return c.list(ctx, holderIndex, account, pageSize, bookmark)
}

// ListByIssuer pages through the receivables issued by account.
func (c *Contract) ListByIssuer(ctx *TxContext, account, pageSize, bookmark string) (string, error) {
	if err := receivable.ValidateAccount("account", account); err != nil {
		return "", err
	}
	sameIssuer := ctx.caller.Role == receivable.RoleIssuer && receivable.MSPOf(account) == ctx.caller.MSPID
	if ctx.caller.Role != receivable.RoleAuditor && !sameIssuer {
		return "", receivable.Forbiddenf("%s may not list the receivables issued by %s", ctx.caller.Account(), account)
	}
	return c.list(ctx, issuerIndex, account, pageSize, bookmark)
}

func parsePageSize(s string) (int32, error) {
	if s == "" {
		return defaultPageSize, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxPageSize {
		return 0, receivable.Invalidf("pageSize %.20q must be an integer in 1..%d", s, maxPageSize)
	}
	return int32(n), nil
}

func (c *Contract) list(ctx *TxContext, index, account, pageSize, bookmark string) (string, error) {
	size, err := parsePageSize(pageSize)
	if err != nil {
		return "", err
	}
	stub := ctx.GetStub()
	it, meta, err := stub.GetStateByPartialCompositeKeyWithPagination(index, []string{account}, size, bookmark)
	if err != nil {
		return "", receivable.Invalidf("bookmark %.80q: %v", bookmark, err)
	}
	defer it.Close()
	l := ledger{stub: stub}
	p := page{Items: []*receivable.Receivable{}}
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return "", fmt.Errorf("listing %s: %w", index, err)
		}
		_, attrs, err := stub.SplitCompositeKey(kv.Key)
		if err != nil || len(attrs) != 2 {
			return "", fmt.Errorf("bad index key %q", kv.Key)
		}
		r, err := l.Get(attrs[1])
		if err != nil {
			return "", err
		}
		if r != nil {
			p.Items = append(p.Items, r)
		}
	}
	p.Count = len(p.Items)
	if meta != nil {
		p.Bookmark = meta.Bookmark
	}
	return marshal(p)
}

// traceNode is a receivable with its pieces.
type traceNode struct {
	*receivable.Receivable
	Pieces []*traceNode `json:"pieces"`
}

// Trace returns the lineage tree of a root.
func (c *Contract) Trace(ctx *TxContext, rootID string) (string, error) {
	if err := receivable.ValidateID("rootId", rootID); err != nil {
		return "", err
	}
	if strings.Contains(rootID, ".") {
		return "", receivable.Invalidf("rootId %s is a piece, not a root", rootID)
	}
	nodes, err := ledger{stub: ctx.GetStub()}.Tree(rootID)
	if err != nil {
		return "", err
	}
	if len(nodes) == 0 {
		return "", receivable.NotFoundf("receivable %s", rootID)
	}
	allowed := false
	byID := make(map[string]*traceNode, len(nodes))
	for _, n := range nodes {
		allowed = allowed || receivable.CanRead(ctx.caller, n)
		byID[n.ID] = &traceNode{Receivable: n, Pieces: []*traceNode{}}
	}
	if !allowed {
		return "", receivable.Forbiddenf("receivable %s: %s is not a party to it or any piece", rootID, ctx.caller.Account())
	}
	for _, n := range nodes {
		for _, child := range n.Children {
			if cn, ok := byID[child]; ok {
				byID[n.ID].Pieces = append(byID[n.ID].Pieces, cn)
			}
		}
	}
	return marshal(struct {
		Root *traceNode `json:"root"`
	}{byID[rootID]})
}

type historyEntry struct {
	TxID      string          `json:"txId"`
	Timestamp string          `json:"timestamp"`
	Submitter string          `json:"submitter"`
	IsDelete  bool            `json:"isDelete"`
	Value     json.RawMessage `json:"value"`
}

// History returns every version of a receivable, oldest first as the peer returns them.
func (c *Contract) History(ctx *TxContext, id string) (string, error) {
	if _, err := receivable.Readable(ledger{stub: ctx.GetStub()}, ctx.caller, id); err != nil {
		return "", err
	}
	it, err := ctx.GetStub().GetHistoryForKey(receivableKey(id))
	if err != nil {
		return "", fmt.Errorf("reading history of %s: %w", id, err)
	}
	defer it.Close()
	entries := []historyEntry{}
	for it.HasNext() {
		m, err := it.Next()
		if err != nil {
			return "", fmt.Errorf("reading history of %s: %w", id, err)
		}
		e := historyEntry{TxID: m.TxId, IsDelete: m.IsDelete, Value: json.RawMessage("null")}
		if m.Timestamp != nil {
			e.Timestamp = receivable.FormatTime(m.Timestamp.AsTime())
		}
		if !m.IsDelete && len(m.Value) > 0 {
			var v struct {
				UpdatedBy string `json:"updatedBy"`
			}
			if err := json.Unmarshal(m.Value, &v); err == nil {
				e.Submitter = v.UpdatedBy
			}
			e.Value = json.RawMessage(m.Value)
		}
		entries = append(entries, e)
	}
	return marshal(entries)
}

type totals struct {
	Account        string `json:"account"`
	Outstanding    string `json:"outstanding"`
	OutstandingFen int64  `json:"outstandingFen"`
	Financed       string `json:"financed"`
	FinancedFen    int64  `json:"financedFen"`
	Redeemed       string `json:"redeemed"`
	RedeemedFen    int64  `json:"redeemedFen"`
}

// Totals sums what account holds: outstanding (live pieces it holds: ACTIVE, FINANCING, or PENDING
// while it offers them), financed (the part of outstanding a bank has financed) and redeemed (paid to
// it).
func (c *Contract) Totals(ctx *TxContext, account string) (string, error) {
	if err := receivable.ValidateAccount("account", account); err != nil {
		return "", err
	}
	if ctx.caller.Role != receivable.RoleAuditor && ctx.caller.Account() != account {
		return "", receivable.Forbiddenf("%s may not read the totals of %s", ctx.caller.Account(), account)
	}
	stub := ctx.GetStub()
	it, err := stub.GetStateByPartialCompositeKey(holderIndex, []string{account})
	if err != nil {
		return "", fmt.Errorf("scanning holder index: %w", err)
	}
	defer it.Close()
	l := ledger{stub: stub}
	t := totals{Account: account}
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return "", fmt.Errorf("scanning holder index: %w", err)
		}
		_, attrs, err := stub.SplitCompositeKey(kv.Key)
		if err != nil || len(attrs) != 2 {
			return "", fmt.Errorf("bad index key %q", kv.Key)
		}
		r, err := l.Get(attrs[1])
		if err != nil {
			return "", err
		}
		if r == nil || r.Holder != account {
			continue
		}
		var sum *int64
		switch r.Status {
		case receivable.StatusActive, receivable.StatusPending, receivable.StatusFinancing:
			sum = &t.OutstandingFen
			if r.Financed() {
				if t.FinancedFen > math.MaxInt64-r.AmountFen {
					return "", receivable.Conflictf("totals of %s overflow int64 fen", account)
				}
				t.FinancedFen += r.AmountFen
			}
		case receivable.StatusRedeemed:
			sum = &t.RedeemedFen
		default:
			continue
		}
		if *sum > math.MaxInt64-r.AmountFen {
			return "", receivable.Conflictf("totals of %s overflow int64 fen", account)
		}
		*sum += r.AmountFen
	}
	t.Outstanding = receivable.FormatAmount(t.OutstandingFen)
	t.Financed = receivable.FormatAmount(t.FinancedFen)
	t.Redeemed = receivable.FormatAmount(t.RedeemedFen)
	return marshal(t)
}

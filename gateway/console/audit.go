package console

import (
	"context"
	"net/http"
	"strings"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/audit"
	"github.com/recv-ledger/recv/gateway/client"
)

type searchData struct {
	Q        string
	Found    *wire.Receivable
	Rejected []rejectionRow // the rejections of Found
	Held     []*wire.Receivable
	Issued   []*wire.Receivable
	Err      string
}

// audit searches by receivable id, or by account (MSP/user): what it holds and what it issued.
func (c *Console) audit(w http.ResponseWriter, r *http.Request, s *session) {
	ctx, cancel := c.reading(r)
	defer cancel()
	cl := c.clientOf(r, s.token)
	d := searchData{Q: strings.TrimSpace(r.URL.Query().Get("q"))}
	switch {
	case d.Q == "":
	case strings.Contains(d.Q, "/"):
		var errs []string
		var err error
		if d.Held, err = listAll(ctx, cl, client.ListQuery{Holder: d.Q}); err != nil {
			errs = append(errs, problemText(err))
		}
		if d.Issued, err = listAll(ctx, cl, client.ListQuery{Issuer: d.Q}); err != nil {
			errs = append(errs, problemText(err))
		}
		d.Err = strings.Join(errs, "; ")
	default:
		it, err := cl.Get(ctx, d.Q)
		if err != nil {
			d.Err = problemText(err)
		} else {
			d.Rejected = c.rejections(ctx, cl, it.ID, "")
		}
		d.Found = it
	}
	c.render(w, r, http.StatusOK, "audit", s, view{Title: "查询 Search", Data: d})
}

type traceData struct {
	ID          string
	Root        *traceNode
	LiveFen     int64
	RedeemedFen int64
	IssuedFen   int64
	Balanced    bool
	Err         string
}

// sumLeaves adds the live and the redeemed leaves of a lineage tree.
func sumLeaves(n *wire.TraceNode, liveFen, redeemedFen *int64) {
	if n == nil || n.Receivable == nil {
		return
	}
	if len(n.Pieces) == 0 {
		switch {
		case n.Status == wire.StatusRedeemed:
			*redeemedFen += n.AmountFen
		case live(n.Status):
			*liveFen += n.AmountFen
		}
	}
	for _, p := range n.Pieces {
		sumLeaves(p, liveFen, redeemedFen)
	}
}

// traceNode is one piece of a lineage tree as the page shows it: with the rejection that wrote it
// last, if one did.
type traceNode struct {
	*wire.Receivable
	Rejection *rejectionRow
	Pieces    []*traceNode
}

// traceNodes is the tree of n as the page shows it.
func (c *Console) traceNodes(ctx context.Context, cl *client.Client, n *wire.TraceNode) *traceNode {
	out := &traceNode{Receivable: n.Receivable, Rejection: c.lastRejection(ctx, cl, n.Receivable)}
	for _, p := range n.Pieces {
		if p != nil && p.Receivable != nil {
			out.Pieces = append(out.Pieces, c.traceNodes(ctx, cl, p))
		}
	}
	return out
}

// trace shows the lineage tree of a root and its reconciliation: live + redeemed = issued.
func (c *Console) trace(w http.ResponseWriter, r *http.Request, s *session) {
	ctx, cancel := c.reading(r)
	defer cancel()
	cl := c.clientOf(r, s.token)
	d := traceData{ID: r.PathValue("id")}
	var t wire.Trace
	if err := cl.Call(ctx, "trace", []string{d.ID}, nil, nil, &t); err != nil {
		d.Err = problemText(err)
	} else if t.Root != nil && t.Root.Receivable != nil {
		d.Root = c.traceNodes(ctx, cl, t.Root)
		sumLeaves(t.Root, &d.LiveFen, &d.RedeemedFen)
		d.IssuedFen = t.Root.AmountFen
		d.Balanced = d.LiveFen+d.RedeemedFen == d.IssuedFen
	}
	c.render(w, r, http.StatusOK, "trace", s, view{Title: "溯源 Lineage " + d.ID, Data: d})
}

type historyRow struct {
	wire.HistoryEntry
	Block     uint64
	Known     bool
	Rejection *rejectionRow // the rejection this transaction was, if it was one
}

type historyData struct {
	ID      string
	Entries []historyRow
	Err     string
}

// history shows every version of a receivable with the transaction and block that wrote it.
func (c *Console) history(w http.ResponseWriter, r *http.Request, s *session) {
	ctx, cancel := c.reading(r)
	defer cancel()
	cl := c.clientOf(r, s.token)
	d := historyData{ID: r.PathValue("id")}
	var entries []wire.HistoryEntry
	if err := cl.Call(ctx, "history", []string{d.ID}, nil, nil, &entries); err != nil {
		d.Err = problemText(err)
	}
	byTx := map[string]*rejectionRow{}
	if len(entries) > 0 { // the person may read the receivable: its rejections too
		for _, rj := range c.rejections(ctx, cl, d.ID, "") {
			byTx[rj.TxID] = &rj
		}
	}
	for _, e := range entries {
		row := historyRow{HistoryEntry: e, Rejection: byTx[e.TxID]}
		if st, err := cl.Transaction(ctx, e.TxID); err == nil {
			row.Block, row.Known = st.BlockNumber, true
		}
		d.Entries = append(d.Entries, row)
	}
	c.render(w, r, http.StatusOK, "history", s, view{Title: "历史 History " + d.ID, Data: d})
}

// rejectionRow is a rejection of a receivable as the signed-in person reads it: an offer's reason
// (the event's, for whoever may read the receivable), or a financing request's, which is private:
// read as the person (GetTerms), the chaincode answers it to the parties to the terms only.
type rejectionRow struct {
	rejection
	Financing bool // a financing request (else an offer) was rejected
	Private   bool // the reason is private to the parties to the terms, and this person is not one
}

// rejections are the rejections of receivable id the events told, oldest first (only those of
// transaction onlyTx when it is given), for a person who may read it: the caller has read it as
// that person.
func (c *Console) rejections(ctx context.Context, cl *client.Client, id, onlyTx string) []rejectionRow {
	var rows []rejectionRow
	for _, rj := range c.watch.rejections(id) {
		if onlyTx != "" && rj.TxID != onlyTx {
			continue
		}
		row := rejectionRow{rejection: rj, Financing: rj.Op == "RejectFinancing"}
		if row.Financing {
			var t wire.Terms
			if rj.TermsHash == "" || cl.Call(ctx, "get-terms", []string{id, rj.TermsHash}, nil, nil, &t) != nil {
				row.Private = true
			}
			row.Reason = t.Reason
		}
		rows = append(rows, row)
	}
	return rows
}

// lastRejection is the rejection that wrote r last, if its last write was one: what a holding or an
// issued root shows beside it.
func (c *Console) lastRejection(ctx context.Context, cl *client.Client, r *wire.Receivable) *rejectionRow {
	rows := c.rejections(ctx, cl, r.ID, r.LastTxID)
	if len(rows) == 0 {
		return nil
	}
	return &rows[0]
}

// blockTx is one transaction of a block as the chain page lists it.
type blockTx struct {
	TxID, Type, Validation, Event string
}

type blockRow struct {
	Number uint64
	Txs    []blockTx
}

type chainData struct {
	Height  uint64
	Hash    string
	Blocks  []blockRow
	Recent  []recentTx
	Err     string
	Showing int
}

// recentBlocks is how many of the last blocks the chain page decodes.
const recentBlocks = 8

// chain shows the height, the last blocks with their transactions and the recent events.
func (c *Console) chain(w http.ResponseWriter, r *http.Request, s *session) {
	ctx, cancel := c.reading(r)
	defer cancel()
	cl := c.clientOf(r, s.token)
	var d chainData
	info, err := cl.ChainInfo(ctx)
	if err != nil {
		d.Err = problemText(err)
	} else {
		d.Height, d.Hash = info.Height, info.CurrentBlockHash
		for n := info.Height; n > 0 && len(d.Blocks) < recentBlocks; n-- {
			raw, err := cl.Block(ctx, n-1)
			if err != nil {
				d.Err = problemText(err)
				break
			}
			row, err := c.decodeBlock(raw)
			if err != nil {
				d.Err = err.Error()
				break
			}
			d.Blocks = append(d.Blocks, row)
		}
	}
	d.Recent = c.watch.latest()
	d.Showing = len(d.Blocks)
	c.render(w, r, http.StatusOK, "chain", s, view{Title: "区块 Chain", Data: d})
}

// decodeBlock lists a block's transactions: id, type and the peer's validation code.
func (c *Console) decodeBlock(raw []byte) (blockRow, error) {
	b, err := audit.ParseBlock(raw)
	if err != nil {
		return blockRow{}, err
	}
	row := blockRow{Number: b.GetHeader().GetNumber()}
	var filter []byte
	if md := b.GetMetadata().GetMetadata(); len(md) > int(common.BlockMetadataIndex_TRANSACTIONS_FILTER) {
		filter = md[common.BlockMetadataIndex_TRANSACTIONS_FILTER]
	}
	for i, data := range b.GetData().GetData() {
		tx := blockTx{Type: "?", Validation: "?"}
		var env common.Envelope
		var pl common.Payload
		var ch common.ChannelHeader
		if proto.Unmarshal(data, &env) == nil && proto.Unmarshal(env.GetPayload(), &pl) == nil &&
			proto.Unmarshal(pl.GetHeader().GetChannelHeader(), &ch) == nil {
			tx.TxID, tx.Type = ch.GetTxId(), common.HeaderType(ch.GetType()).String()
		}
		if i < len(filter) {
			tx.Validation = peer.TxValidationCode(filter[i]).String()
		}
		tx.Event = c.watch.nameOf(tx.TxID)
		row.Txs = append(row.Txs, tx)
	}
	return row, nil
}

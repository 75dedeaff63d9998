package console

import (
	"bytes"
	"cmp"
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/client"
)

// view is what a page template gets.
type view struct {
	Title   string
	CSRF    string
	Data    any
	Org     string
	MSP     string
	Me      *me
	Nav     []navItem
	Notices []notice
	Events  string // the event names the page listens to
	Today   string
	Back    string // where a form on the page returns
}

// me is the signed-in person as the pages show it.
type me struct {
	Account, Role string
	Offline       bool
}

type navItem struct {
	Path, Label string
	Current     bool
}

// navs lists each role's pages.
var navs = map[string][]navItem{
	wire.RoleSupplier:  {{Path: "/inbox", Label: "待签收 Inbox"}, {Path: "/holdings", Label: "持有 Holdings"}},
	wire.RoleIssuer:    {{Path: "/issue", Label: "开立 Issue"}, {Path: "/issued", Label: "已开立 Issued"}, {Path: "/approvals", Label: "待复核 Awaiting approval"}},
	wire.RoleApprover:  {{Path: "/approvals", Label: "待复核 Approvals"}},
	wire.RoleFinancier: {{Path: "/financing", Label: "融资申请 Requests"}, {Path: "/book", Label: "账簿 Book"}},
	wire.RoleAuditor:   {{Path: "/audit", Label: "查询 Search"}, {Path: "/audit/chain", Label: "区块 Chain"}},
}

// eventNames are the names of the chaincode's events: one per write transaction.
var eventNames = func() string {
	var names []string
	for _, op := range wire.Ops {
		if op.Submit && !slices.Contains(names, op.Tx) {
			names = append(names, op.Tx)
		}
	}
	return strings.Join(names, " ")
}()

func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name string, s *session, v view) {
	v.Org, v.MSP, v.Events = c.cfg.OrgName, c.cfg.MSPID, eventNames
	v.Today = c.cfg.Now().UTC().Format("2006-01-02")
	v.Back = r.URL.RequestURI()
	if s != nil {
		v.Me = &me{Account: s.account, Role: s.role, Offline: s.offline}
		v.CSRF = s.csrf
		if r.Header.Get("X-Console-Block") == "" { // a live refresh leaves the notices to the page itself
			v.Notices = s.pop()
		}
		for _, n := range navs[s.role] {
			n.Current = n.Path == r.URL.Path
			v.Nav = append(v.Nav, n)
		}
	}
	t, ok := c.pages[name]
	if !ok {
		http.Error(w, "no page "+name, http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		c.log.Error("console: render", "page", name, "err", err)
		http.Error(w, "the page could not be rendered", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// reading bounds a page's reads; a page refreshed after an event first waits for the console to
// have seen that event's block.
func (c *Console) reading(r *http.Request) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	if b, err := strconv.ParseUint(r.Header.Get("X-Console-Block"), 10, 64); err == nil {
		c.watch.caughtUp(ctx, b, 5*time.Second)
	}
	return ctx, cancel
}

// maxListPages bounds how many pages of 100 a console list reads.
const maxListPages = 10

// listAll reads a list query page by page.
func listAll(ctx context.Context, cl *client.Client, q client.ListQuery) ([]*wire.Receivable, error) {
	q.PageSize = wire.MaxPageSize
	var all []*wire.Receivable
	for range maxListPages {
		page, err := cl.List(ctx, q)
		if err != nil {
			return nil, err
		}
		all = append(all, page.Items...)
		if page.Bookmark == "" || len(page.Items) == 0 {
			break
		}
		q.Bookmark = page.Bookmark
	}
	return all, nil
}

// problemText is an error in the person's terms: the gateway's message.
func problemText(err error) string {
	if p, ok := err.(*wire.Problem); ok {
		return p.Detail
	}
	return err.Error()
}

type inboxData struct {
	Offers []*wire.Receivable
	Err    string
}

func (c *Console) inbox(w http.ResponseWriter, r *http.Request, s *session) {
	ctx, cancel := c.reading(r)
	defer cancel()
	var d inboxData
	items, err := listAll(ctx, c.clientOf(r, s.token), client.ListQuery{Holder: s.account})
	if err != nil {
		d.Err = problemText(err)
	}
	for _, it := range items {
		if it.Status == wire.StatusPending && it.PendingHolder == s.account {
			d.Offers = append(d.Offers, it)
		}
	}
	c.render(w, r, http.StatusOK, "inbox", s, view{Title: "待签收 Inbox", Data: d})
}

type holding struct {
	*wire.Receivable
	Preview   preview
	Rejection *rejectionRow // its last write was a rejection (of its transfer or its financing)
}

type holdingsData struct {
	Held     []holding
	Outgoing []*wire.Receivable
	Totals   *wire.Totals
	Banks    []wire.Org
	Err      string
}

// heldAndTotals reads what account holds and its totals; what could not be read is said in errs.
func heldAndTotals(ctx context.Context, cl *client.Client, account string) ([]*wire.Receivable, *wire.Totals, []string) {
	var errs []string
	items, err := listAll(ctx, cl, client.ListQuery{Holder: account})
	if err != nil {
		errs = append(errs, problemText(err))
	}
	var t wire.Totals
	msp, user, _ := wire.SplitAccount(account)
	if err := cl.Call(ctx, "totals", []string{msp, user}, nil, nil, &t); err != nil {
		return items, nil, append(errs, problemText(err))
	}
	return items, &t, errs
}

func (c *Console) holdings(w http.ResponseWriter, r *http.Request, s *session) {
	ctx, cancel := c.reading(r)
	defer cancel()
	cl := c.clientOf(r, s.token)
	var d holdingsData
	items, totals, errs := heldAndTotals(ctx, cl, s.account)
	d.Totals = totals
	now := c.cfg.Now()
	for _, it := range items {
		switch {
		case it.Holder == s.account && (it.Status == wire.StatusActive || it.Status == wire.StatusFinancing):
			d.Held = append(d.Held, holding{it, previewAt(it.AmountFen, defaultRateBps, daysTo(now, it.MaturityDate)), c.lastRejection(ctx, cl, it)})
		case it.Holder == s.account && it.Status == wire.StatusPending:
			d.Outgoing = append(d.Outgoing, it)
		}
	}
	slices.SortFunc(d.Held, func(a, b holding) int { return cmp.Compare(a.MaturityDate+a.ID, b.MaturityDate+b.ID) })
	var orgs wire.Members
	if err := cl.Call(ctx, "list-orgs", nil, nil, nil, &orgs); err == nil {
		for _, o := range orgs.Orgs {
			if o.Kind == wire.OrgBank {
				d.Banks = append(d.Banks, o)
			}
		}
	}
	d.Err = strings.Join(errs, "; ")
	c.render(w, r, http.StatusOK, "holdings", s, view{Title: "持有 Holdings", Data: d})
}

func (c *Console) issuePage(w http.ResponseWriter, r *http.Request, s *session) {
	now := c.cfg.Now().UTC()
	c.render(w, r, http.StatusOK, "issue", s, view{Title: "开立 Issue", Data: map[string]string{
		"DefaultMaturity": now.AddDate(0, 0, 90).Format("2006-01-02"), "Min": now.Format("2006-01-02")}})
}

type rootRow struct {
	Root    *wire.Receivable
	Pieces  []*wire.Receivable
	Due     bool
	LiveFen int64
}

type maturityRow struct {
	Date    string
	LiveFen int64
	Count   int
}

// rejectedRoot is an issuance its beneficiary rejected, with the reason.
type rejectedRoot struct {
	Root      *wire.Receivable
	Rejection *rejectionRow
}

type issuedData struct {
	Roots      []rootRow
	Rejected   []rejectedRoot
	Maturities []maturityRow
	IssuedFen  int64
	LiveFen    int64
	Err        string
}

func (c *Console) issued(w http.ResponseWriter, r *http.Request, s *session) {
	ctx, cancel := c.reading(r)
	defer cancel()
	cl := c.clientOf(r, s.token)
	var d issuedData
	items, err := listAll(ctx, cl, client.ListQuery{Issuer: s.account})
	if err != nil {
		d.Err = problemText(err)
	}
	today := c.cfg.Now().UTC().Format("2006-01-02")
	byRoot := map[string]*rootRow{}
	var order []string
	for _, it := range items {
		if it.ID == it.RootID {
			byRoot[it.ID] = &rootRow{Root: it, Due: it.MaturityDate <= today}
			order = append(order, it.ID)
		}
	}
	due := map[string]*maturityRow{}
	for _, it := range items {
		row := byRoot[it.RootID]
		if row == nil || !it.IsLeaf() || !live(it.Status) {
			continue
		}
		row.Pieces = append(row.Pieces, it)
		row.LiveFen += it.AmountFen
		m := due[it.MaturityDate]
		if m == nil {
			m = &maturityRow{Date: it.MaturityDate}
			due[it.MaturityDate] = m
		}
		m.LiveFen += it.AmountFen
		m.Count++
	}
	slices.SortFunc(order, func(a, b string) int {
		return cmp.Compare(byRoot[a].Root.MaturityDate+a, byRoot[b].Root.MaturityDate+b)
	})
	for _, id := range order {
		row := byRoot[id]
		if row.Root.Status == wire.StatusRejected {
			d.Rejected = append(d.Rejected, rejectedRoot{row.Root, c.lastRejection(ctx, cl, row.Root)})
		}
		if row.Root.Status == wire.StatusRejected || row.Root.Status == wire.StatusRevoked {
			continue
		}
		d.IssuedFen += row.Root.AmountFen
		d.LiveFen += row.LiveFen
		d.Roots = append(d.Roots, *row)
	}
	for _, m := range due {
		d.Maturities = append(d.Maturities, *m)
	}
	slices.SortFunc(d.Maturities, func(a, b maturityRow) int { return cmp.Compare(a.Date, b.Date) })
	c.render(w, r, http.StatusOK, "issued", s, view{Title: "已开立 Issued", Data: d})
}

type queueRow struct {
	*wire.Receivable
	Preview preview
}

type financingData struct {
	Queue    []queueRow
	Watching bool
	Err      string
}

// financing is a bank's queue: every receivable the events left in FINANCING, read again as the
// officer and kept when it still asks this bank.
func (c *Console) financing(w http.ResponseWriter, r *http.Request, s *session) {
	ctx, cancel := c.reading(r)
	defer cancel()
	cl := c.clientOf(r, s.token)
	d := financingData{Watching: c.cfg.Events != nil}
	now := c.cfg.Now()
	for _, id := range c.watch.inFinancing() {
		it, err := cl.Get(ctx, id)
		if err != nil {
			continue // another bank's request, or not readable by this officer
		}
		if it.Status == wire.StatusFinancing && it.Financing != nil && it.Financing.Bank == c.cfg.MSPID {
			d.Queue = append(d.Queue, queueRow{it, previewAt(it.AmountFen, defaultRateBps, daysTo(now, it.MaturityDate))})
		}
	}
	c.render(w, r, http.StatusOK, "financing", s, view{Title: "融资申请 Financing requests", Data: d})
}

type bookData struct {
	Financed     []*wire.Receivable
	Totals       *wire.Totals
	DisbursedFen int64
	DiscountFen  int64
	Err          string
}

func (c *Console) book(w http.ResponseWriter, r *http.Request, s *session) {
	ctx, cancel := c.reading(r)
	defer cancel()
	var d bookData
	items, totals, errs := heldAndTotals(ctx, c.clientOf(r, s.token), s.account)
	d.Totals = totals
	for _, it := range items {
		if it.Holder == s.account && it.Financed() && it.IsLeaf() {
			d.Financed = append(d.Financed, it)
			// The terms are private; the bank reads its own (financing.terms).
			if t := it.Financing.Terms; t != nil && it.Status != wire.StatusRedeemed {
				d.DisbursedFen += t.DisbursedFen
				d.DiscountFen += t.DiscountFen
			}
		}
	}
	slices.SortFunc(d.Financed, func(a, b *wire.Receivable) int { return cmp.Compare(a.MaturityDate+a.ID, b.MaturityDate+b.ID) })
	d.Err = strings.Join(errs, "; ")
	c.render(w, r, http.StatusOK, "book", s, view{Title: "账簿 Book", Data: d})
}

// approvalRow is a maker's instruction still OPEN, as the signed-in person read it.
type approvalRow struct {
	*wire.Instruction
	AmountFen int64 // the amount it issues or redeems; -1 when the instruction names none
	Mine      bool  // made by the signed-in person: another identity must decide it
}

type approvalsData struct {
	Open     []approvalRow
	Watching bool
	Approver bool // the signed-in person may confirm and refuse
}

// approvals is the queue of two-person control (复核): every instruction of this organisation the
// events left OPEN, read again as the signed-in person and kept while it is still OPEN (not
// decided, not expired). An approver confirms or refuses it; its maker sees it wait.
func (c *Console) approvals(w http.ResponseWriter, r *http.Request, s *session) {
	ctx, cancel := c.reading(r)
	defer cancel()
	cl := c.clientOf(r, s.token)
	d := approvalsData{Watching: c.cfg.Events != nil, Approver: s.role == wire.RoleApprover}
	for _, id := range c.watch.openInstructions(c.cfg.MSPID) {
		var in wire.Instruction
		if err := cl.Call(ctx, "get-instruction", []string{id}, nil, nil, &in); err != nil || in.Status != wire.InstructionOpen {
			continue // decided or expired since its last event, or not readable by this person
		}
		row := approvalRow{Instruction: &in, AmountFen: -1, Mine: in.Maker == s.account}
		amount := in.Amount
		if in.Issue != nil {
			amount = in.Issue.Amount
		}
		if fen, err := wire.ParseAmount(amount); err == nil {
			row.AmountFen = fen
		}
		d.Open = append(d.Open, row)
	}
	c.render(w, r, http.StatusOK, "approvals", s, view{Title: "待复核 Awaiting approval", Data: d})
}

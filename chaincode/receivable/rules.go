package receivable

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// Limits of the rules.
const (
	MinSplitParts   = 2
	MaxSplitParts   = 100
	MaxInvoices     = 50
	MaxRedeemLeaves = 500
	MinRateBps      = 1
	// MaxRateBps is 36% a year: above it a rate is usurious under the Supreme People's Court's
	// private-lending rules, so a larger value is a typo (4500 for 45.00 bps), not a price.
	MaxRateBps   = 3600
	maxReasonLen = 512
	maxNumberLen = 64
)

// Reader is what the rules need to read from the ledger.
type Reader interface {
	// Get returns the receivable with id, or nil when there is none.
	Get(id string) (*Receivable, error)
	// InvoiceRoot returns the root id an invoice hash is bound to, or "".
	InvoiceRoot(sha256 string) (string, error)
	// Tree returns every receivable of a root (the root and all its pieces), sorted by id.
	Tree(rootID string) ([]*Receivable, error)
	// Directory reads the registry: who is a member, which accounts are open.
	Directory
	// Holdings finds what an account still holds.
	Holdings
	// Exposure returns an obligor's exposure as of the last commit.
	Exposure(obligor string) (Exposure, error)
	// ExposurePart returns one part of an obligor's exposure as of the last commit (Part of the
	// whole), reading only that part's changes.
	ExposurePart(p ExposurePart) (Exposure, error)
	// Line returns bank's credit line on obligor, or with bank "" obligor's issuance limit; nil
	// when none is set.
	Line(obligor, bank string) (*wire.CreditLine, error)
	// Instruction returns the maker-checker instruction id, or nil.
	Instruction(id string) (*wire.Instruction, error)
	// OpenInstruction returns the id of the last instruction asking tx on target that was not
	// decided (it may have expired since), or "".
	OpenInstruction(tx, target string) (string, error)
	// PrivateHash returns the hex SHA-256 of the committed value of key in a private data
	// collection, or "" when there is none; every peer holds it, members of the collection or not.
	PrivateHash(collection, key string) (string, error)
}

// Tx is the context of one transaction: its id, timestamp, caller and the channel settings.
type Tx struct {
	ID     string
	Time   time.Time
	Caller Caller
	Config Config
}

// Write is one receivable's change; Before is nil for a new receivable.
type Write struct {
	Before *Receivable
	After  *Receivable
}

// Change is the outcome of an accepted transaction: what to write and what to announce.
type Change struct {
	Op        string
	Writes    []Write
	Invoices  []string // invoice hashes to bind to the issued root
	Reason    string
	Orgs      []*wire.Org      // registry entries to write
	Accounts  []*wire.Account  // accounts to write
	Proposals []*wire.Proposal // proposals to write
	Config    *Config          // settings to write
	Private   []PrivateWrite   // private data to write (a decision's terms)
	// Decided names the recorded terms a rejection binds (no value: the event carries their hash).
	Decided *PrivateWrite
	// Fold lists the parts of obligors' exposures the rule read to check a limit: the ledger folds
	// their pending changes into one total in the same transaction.
	Fold         []ExposurePart
	Lines        []*wire.CreditLine  // credit lines and issuance limits to write
	Instructions []*wire.Instruction // maker-checker instructions to write
	Beacon       *wire.Beacon        // the time beacon to write
}

// IssueRequest is the argument of Issue.
type IssueRequest = wire.IssueRequest

// CanRead reports whether c may read r (wire.Viewer.MayRead, the rule the gateways' event streams
// apply too): the auditor reads all; otherwise the issuer's MSP issuers, the holder, the pending
// holder, the financing bank's financiers and every party of its lineage.
func CanRead(c Caller, r *Receivable) bool {
	bank := ""
	if r.Financing != nil {
		bank = r.Financing.Bank
	}
	return c.Viewer().MayRead(r.Issuer, r.Holder, r.PendingHolder, bank, r.Parties)
}

// Issue creates a root receivable offered to the beneficiary (PENDING).
func Issue(rd Reader, tx Tx, req IssueRequest) (Change, error) {
	if req.ID == "" {
		req.ID = "R" + firstN(tx.ID, 20)
	}
	if !rootIDPattern.MatchString(req.ID) {
		return Change{}, Invalidf("id %.80q must match [A-Za-z0-9_-]{1,64}", req.ID)
	}
	issuer := tx.Caller.Account()
	if req.Beneficiary == issuer {
		return Change{}, Invalidf("beneficiary %s is the issuer itself", req.Beneficiary)
	}
	if err := CheckRecipient(rd, "beneficiary", req.Beneficiary); err != nil {
		return Change{}, err
	}
	amount, err := ParseAmount(req.Amount)
	if err != nil {
		return Change{}, err
	}
	if err := checkMaturity(tx, req.MaturityDate); err != nil {
		return Change{}, err
	}
	trade, hashes, err := checkTrade(req, amount)
	if err != nil {
		return Change{}, err
	}
	if existing, err := rd.Get(req.ID); err != nil {
		return Change{}, err
	} else if existing != nil {
		return Change{}, Conflictf("receivable %s already exists", req.ID)
	}
	for i, h := range hashes {
		root, err := rd.InvoiceRoot(h)
		if err != nil {
			return Change{}, err
		}
		if root != "" {
			return Change{}, Conflictf("invoice %s (sha256 %s) already backs receivable %s", trade.Invoices[i].Number, h, root)
		}
	}
	fold, err := checkIssuanceLimit(rd, tx.Caller.MSPID, amount)
	if err != nil {
		return Change{}, err
	}
	r := &Receivable{
		ID: req.ID, RootID: req.ID, Issuer: issuer, PendingHolder: req.Beneficiary,
		AmountFen: amount, Currency: Currency, IssuedAt: FormatTime(tx.Time),
		MaturityDate: req.MaturityDate, Status: StatusPending, Trade: trade,
		Parties: []string{},
	}
	r.AddParty(issuer)
	r.AddParty(req.Beneficiary)
	stamp(r, tx)
	return Change{Op: "Issue", Writes: []Write{{After: r}}, Invoices: hashes, Fold: fold}, nil
}

func checkMaturity(tx Tx, maturity string) error {
	d, err := ParseDate(maturity)
	if err != nil {
		return within("maturityDate", err)
	}
	days := DaysBetween(tx.Time, d)
	if days < 0 {
		return Invalidf("maturityDate %s is before the transaction day %s", maturity, Day(tx.Time).Format(DateLayout))
	}
	limit := min(tx.Config.MaxTermDays, HardMaxTermDays)
	if days > limit {
		return Invalidf("maturityDate %s is %d days away, more than the limit of %d days", maturity, days, limit)
	}
	return nil
}

func checkTrade(req IssueRequest, amount int64) (Trade, []string, error) {
	c := req.Contract
	if c.Number == "" || len(c.Number) > maxNumberLen {
		return Trade{}, nil, Invalidf("contract.number must have 1..%d characters", maxNumberLen)
	}
	if !hashPattern.MatchString(c.SHA256) {
		return Trade{}, nil, Invalidf("contract.sha256 %.80q is not 64 hex characters", c.SHA256)
	}
	n := len(req.Invoices)
	if n < 1 || n > MaxInvoices {
		return Trade{}, nil, Invalidf("invoices: %d given, 1..%d needed", n, MaxInvoices)
	}
	trade := Trade{Contract: Document{Number: c.Number, SHA256: strings.ToLower(c.SHA256)}}
	hashes := make([]string, 0, n)
	seen := make(map[string]bool, n)
	var total int64
	for i, inv := range req.Invoices {
		if inv.Number == "" || len(inv.Number) > maxNumberLen {
			return Trade{}, nil, Invalidf("invoices[%d].number must have 1..%d characters", i, maxNumberLen)
		}
		if !hashPattern.MatchString(inv.SHA256) {
			return Trade{}, nil, Invalidf("invoices[%d].sha256 %.80q is not 64 hex characters", i, inv.SHA256)
		}
		h := strings.ToLower(inv.SHA256)
		if seen[h] {
			return Trade{}, nil, Invalidf("invoices[%d].sha256 %s is listed twice", i, h)
		}
		seen[h] = true
		fen, err := ParseAmount(inv.Amount)
		if err != nil {
			return Trade{}, nil, within(fmt.Sprintf("invoices[%d].amount", i), err)
		}
		var ok bool
		if total, ok = addFen(total, fen); !ok {
			return Trade{}, nil, Invalidf("invoices: total amount overflows")
		}
		hashes = append(hashes, h)
		trade.Invoices = append(trade.Invoices, Invoice{Number: inv.Number, SHA256: h, Amount: FormatAmount(fen)})
	}
	if total < amount {
		return Trade{}, nil, Invalidf("invoices total %s does not cover amount %s", FormatAmount(total), FormatAmount(amount))
	}
	return trade, hashes, nil
}

// Readable fetches a receivable that c may read: invalid id, not found and forbidden are refused.
func Readable(rd Reader, c Caller, id string) (*Receivable, error) {
	if err := ValidateID("id", id); err != nil {
		return nil, err
	}
	r, err := rd.Get(id)
	if err != nil {
		return nil, err
	}
	if r == nil {
		return nil, NotFoundf("receivable %s", id)
	}
	if !CanRead(c, r) {
		return nil, Forbiddenf("receivable %s: %s is not a party to it", id, c.Account())
	}
	return r, nil
}

func load(rd Reader, tx Tx, id string) (*Receivable, error) { return Readable(rd, tx.Caller, id) }

func checkReason(reason string) error {
	if !utf8.ValidString(reason) {
		return Invalidf("reason is not valid UTF-8 text")
	}
	if n := utf8.RuneCountInString(reason); strings.TrimSpace(reason) == "" || n > maxReasonLen {
		return Invalidf("reason must have 1..%d characters, it has %d", maxReasonLen, n)
	}
	return nil
}

func stamp(r *Receivable, tx Tx) {
	r.Amount = FormatAmount(r.AmountFen)
	r.UpdatedAt = FormatTime(tx.Time)
	r.UpdatedBy = tx.Caller.Account()
	r.LastTxID = tx.ID
}

func single(op string, before, after *Receivable, tx Tx, reason string) Change {
	stamp(after, tx)
	return Change{Op: op, Writes: []Write{{Before: before, After: after}}, Reason: reason}
}

// Accept takes a pending receivable: the pending holder becomes the holder.
func Accept(rd Reader, tx Tx, id string) (Change, error) {
	r, err := loadPendingFor(rd, tx, id)
	if err != nil {
		return Change{}, err
	}
	next := r.Clone()
	next.Holder, next.PendingHolder, next.Status = r.PendingHolder, "", StatusActive
	return single("Accept", r, next, tx, ""), nil
}

// Reject refuses a pending receivable: an issuance becomes REJECTED (its invoices stay bound, so a
// refused trade cannot be re-used silently), a transfer returns to its holder.
func Reject(rd Reader, tx Tx, id, reason string) (Change, error) {
	if err := checkReason(reason); err != nil {
		return Change{}, err
	}
	r, err := loadPendingFor(rd, tx, id)
	if err != nil {
		return Change{}, err
	}
	next := r.Clone()
	next.PendingHolder = ""
	next.Status = StatusActive
	if r.Holder == "" {
		next.Status = StatusRejected
	}
	return single("Reject", r, next, tx, reason), nil
}

func loadPendingFor(rd Reader, tx Tx, id string) (*Receivable, error) {
	r, err := load(rd, tx, id)
	if err != nil {
		return nil, err
	}
	if r.Status != StatusPending {
		return nil, Conflictf("receivable %s is %s, not PENDING", id, r.Status)
	}
	if r.PendingHolder != tx.Caller.Account() {
		return nil, Forbiddenf("receivable %s is offered to %s, not to %s", id, r.PendingHolder, tx.Caller.Account())
	}
	return r, checkNotFrozen(r, "accepted or rejected")
}

// Revoke withdraws an offer: the issuer revokes a pending issuance (REVOKED), the holder a pending
// transfer (back to ACTIVE).
func Revoke(rd Reader, tx Tx, id string) (Change, error) {
	r, err := load(rd, tx, id)
	if err != nil {
		return Change{}, err
	}
	if r.Status != StatusPending {
		return Change{}, Conflictf("receivable %s is %s, not PENDING", id, r.Status)
	}
	offerer := r.Holder
	if offerer == "" {
		offerer = r.Issuer
	}
	if offerer != tx.Caller.Account() {
		return Change{}, Forbiddenf("receivable %s was offered by %s, not by %s", id, offerer, tx.Caller.Account())
	}
	if err := checkNotFrozen(r, "revoked"); err != nil {
		return Change{}, err
	}
	next := r.Clone()
	next.PendingHolder = ""
	next.Status = StatusActive
	if r.Holder == "" {
		next.Status = StatusRevoked
	}
	return single("Revoke", r, next, tx, ""), nil
}

// loadMovable fetches a receivable its holder may move: ACTIVE, held by the caller, not financed.
func loadMovable(rd Reader, tx Tx, id, verb string) (*Receivable, error) {
	r, err := load(rd, tx, id)
	if err != nil {
		return nil, err
	}
	if r.Holder != tx.Caller.Account() {
		return nil, Forbiddenf("receivable %s is held by %s, not by %s", id, r.Holder, tx.Caller.Account())
	}
	if r.Status != StatusActive {
		return nil, Conflictf("receivable %s is %s, only an ACTIVE receivable can be %s", id, r.Status, verb)
	}
	if r.Financed() {
		return nil, Conflictf("receivable %s is financed by %s and waits for redemption", id, r.Financing.Bank)
	}
	return r, checkNotFrozen(r, verb)
}

func checkBeforeMaturity(r *Receivable, tx Tx, verb string) (int, error) {
	m, err := ParseDate(r.MaturityDate)
	if err != nil {
		return 0, err
	}
	days := DaysBetween(tx.Time, m)
	if days < 1 {
		return 0, Conflictf("receivable %s matures on %s: it can no longer be %s", r.ID, r.MaturityDate, verb)
	}
	return days, nil
}

// Split replaces an ACTIVE receivable by 2..100 children <id>.1..n with the given amounts, which must
// sum exactly to its amount. The children keep the holder; the parent is SPLIT forever.
func Split(rd Reader, tx Tx, id string, parts []string) (Change, error) {
	if n := len(parts); n < MinSplitParts || n > MaxSplitParts {
		return Change{}, Invalidf("parts: %d given, %d..%d needed", n, MinSplitParts, MaxSplitParts)
	}
	amounts := make([]int64, len(parts))
	var total int64
	for i, p := range parts {
		fen, err := ParseAmount(p)
		if err != nil {
			return Change{}, within(fmt.Sprintf("parts[%d]", i), err)
		}
		var ok bool
		if total, ok = addFen(total, fen); !ok {
			return Change{}, Invalidf("parts: total overflows")
		}
		amounts[i] = fen
	}
	r, err := loadMovable(rd, tx, id, "split")
	if err != nil {
		return Change{}, err
	}
	if total != r.AmountFen {
		return Change{}, Invalidf("parts sum to %s, receivable %s is %s", FormatAmount(total), id, r.Amount)
	}
	return splitInto(rd, tx, "Split", r, amounts, nil)
}

// splitInto makes the children of r; shape lets Transfer adjust each child before it is stamped.
func splitInto(rd Reader, tx Tx, op string, r *Receivable, amounts []int64, shape func(i int, c *Receivable)) (Change, error) {
	parent := r.Clone()
	parent.Status = StatusSplit
	writes := []Write{{Before: r, After: parent}}
	for i, fen := range amounts {
		childID := r.ID + "." + strconv.Itoa(i+1)
		if len(childID) > maxIDLen {
			return Change{}, Invalidf("receivable %s is split too deep: child id would exceed %d characters", r.ID, maxIDLen)
		}
		if existing, err := rd.Get(childID); err != nil {
			return Change{}, err
		} else if existing != nil {
			return Change{}, Conflictf("receivable %s already exists", childID)
		}
		c := r.Clone()
		c.ID, c.ParentID, c.AmountFen, c.Children = childID, r.ID, fen, nil
		if shape != nil {
			shape(i, c)
		}
		stamp(c, tx)
		parent.Children = append(parent.Children, childID)
		writes = append(writes, Write{After: c})
	}
	stamp(parent, tx)
	return Change{Op: op, Writes: writes}, nil
}

// Transfer offers a receivable (whole, or the given part of it) to another account. A part splits
// the receivable into <id>.1, the offered part (PENDING), and <id>.2, the remainder kept (ACTIVE).
func Transfer(rd Reader, tx Tx, id, to, amount string) (Change, error) {
	if err := CheckRecipient(rd, "to", to); err != nil {
		return Change{}, err
	}
	if to == tx.Caller.Account() {
		return Change{}, Invalidf("to %s is the holder itself", to)
	}
	var part int64
	if amount != "" {
		fen, err := ParseAmount(amount)
		if err != nil {
			return Change{}, err
		}
		part = fen
	}
	r, err := loadMovable(rd, tx, id, "transferred")
	if err != nil {
		return Change{}, err
	}
	if _, err := checkBeforeMaturity(r, tx, "transferred"); err != nil {
		return Change{}, err
	}
	if part > r.AmountFen {
		return Change{}, Invalidf("amount %s exceeds receivable %s of %s", FormatAmount(part), id, r.Amount)
	}
	if part == 0 || part == r.AmountFen {
		next := r.Clone()
		next.Status, next.PendingHolder = StatusPending, to
		next.AddParty(to)
		return single("Transfer", r, next, tx, ""), nil
	}
	return splitInto(rd, tx, "Transfer", r, []int64{part, r.AmountFen - part}, func(i int, c *Receivable) {
		if i == 0 {
			c.Status, c.PendingHolder = StatusPending, to
			c.AddParty(to)
		}
	})
}

// RequestFinancing locks an ACTIVE receivable held by a supplier while a bank decides.
func RequestFinancing(rd Reader, tx Tx, id, bank string) (Change, error) {
	if err := CheckBank(rd, bank); err != nil {
		return Change{}, err
	}
	r, err := loadMovable(rd, tx, id, "financed")
	if err != nil {
		return Change{}, err
	}
	if _, err := checkBeforeMaturity(r, tx, "financed"); err != nil {
		return Change{}, err
	}
	next := r.Clone()
	next.Status = StatusFinancing
	next.Financing = &Financing{Bank: bank, RequestedBy: tx.Caller.Account(), RequestedAt: FormatTime(tx.Time), RequestTx: tx.ID}
	return single("RequestFinancing", r, next, tx, ""), nil
}

// loadFinancingFor fetches a receivable in FINANCING at the caller's bank.
func loadFinancingFor(rd Reader, tx Tx, id string) (*Receivable, error) {
	r, err := load(rd, tx, id)
	if err != nil {
		return nil, err
	}
	if r.Status != StatusFinancing {
		return nil, Conflictf("receivable %s is %s, not FINANCING", id, r.Status)
	}
	if r.Financing.Bank != tx.Caller.MSPID {
		return nil, Forbiddenf("receivable %s asks %s for financing, not %s", id, r.Financing.Bank, tx.Caller.MSPID)
	}
	return r, checkNotFrozen(r, "financed")
}

// DecideFinancing records a bank's decision on r's financing request with its private terms: an
// approval's price (rateBps, with the days to maturity, the discount and the amount disbursed) or a
// rejection's reason. It writes nothing public, only the terms, to the collection of the
// requester's organisation and the bank, whose own endorsement policy (those two organisations'
// peers) governs the write; so the obligor, which endorses every public change of the receivable,
// never sees the terms. The event carries their hash, which ApproveFinancing or RejectFinancing
// then bind into the public state.
func DecideFinancing(rd Reader, tx Tx, id, decision string, rate int64, reason, salt string) (Change, error) {
	if err := checkSalt(salt); err != nil {
		return Change{}, err
	}
	switch decision {
	case wire.DecisionApproved:
		if rate < MinRateBps || rate > MaxRateBps {
			return Change{}, Invalidf("rateBps %d must be an integer in %d..%d", rate, MinRateBps, MaxRateBps)
		}
	case wire.DecisionRejected:
		if err := checkReason(reason); err != nil {
			return Change{}, err
		}
	default:
		return Change{}, Invalidf("decision %.40q must be %q or %q", decision, wire.DecisionApproved, wire.DecisionRejected)
	}
	r, err := loadFinancingFor(rd, tx, id)
	if err != nil {
		return Change{}, err
	}
	terms := newTerms(r, tx, decision, salt)
	if decision == wire.DecisionApproved {
		days, err := checkBeforeMaturity(r, tx, "financed")
		if err != nil {
			return Change{}, err
		}
		discount := Discount(r.AmountFen, rate, int64(days))
		terms.RateBps, terms.Days = rate, int64(days)
		terms.DiscountFen, terms.Discount = discount, FormatAmount(discount)
		terms.DisbursedFen, terms.Disbursed = r.AmountFen-discount, FormatAmount(r.AmountFen-discount)
	} else {
		terms.Reason = reason
	}
	pw, err := privateTerms(r, terms)
	if err != nil {
		return Change{}, err
	}
	return Change{Op: "DecideFinancing", Private: []PrivateWrite{pw}}, nil
}

// recordedTerms checks that the bank recorded a decision of this kind on r under termsHash
// (DecideFinancing): the collection holds a value at its key whose hash is termsHash. Only the
// hash is read (GetPrivateDataHash), which every peer holds, members of the collection or not.
func recordedTerms(rd Reader, r *Receivable, decision, termsHash string) error {
	if !hashPattern.MatchString(termsHash) {
		return Invalidf("termsHash %.80q must be the SHA-256 (64 hex characters) of the terms the bank recorded (DecideFinancing)", termsHash)
	}
	termsHash = strings.ToLower(termsHash)
	coll := wire.TermsCollection(MSPOf(r.Financing.RequestedBy), r.Financing.Bank)
	got, err := rd.PrivateHash(coll, wire.DecisionKey(r.ID, decision, termsHash))
	if err != nil {
		return err
	}
	if got != termsHash {
		return NotFoundf("no %s terms %s of receivable %s recorded by %s: the bank records its decision first (DecideFinancing)",
			decision, termsHash, r.ID, r.Financing.Bank)
	}
	// The terms must be the bank's latest decision on this very request: terms decided on an
	// earlier request of the same piece (withdrawn, then asked again) or superseded are refused.
	bound, err := rd.PrivateHash(coll, wire.RequestKey(r.ID, requestRef(r.Financing)))
	if err != nil {
		return err
	}
	if bound != TermsHash(wire.RequestBinding(decision, termsHash)) {
		return Conflictf("%s terms %s of receivable %s are not %s's latest decision on the financing requested by %s at %s: bind the terms DecideFinancing recorded for this request",
			decision, termsHash, r.ID, r.Financing.Bank, r.Financing.RequestedBy, r.Financing.RequestedAt)
	}
	return nil
}

// requestRef names the financing request f: its transaction (a request recorded before requests
// kept it: its time).
func requestRef(f *Financing) string {
	if f.RequestTx != "" {
		return f.RequestTx
	}
	return f.RequestedAt
}

// ApproveFinancing discounts a receivable in FINANCING at the caller's bank, at the terms the bank
// recorded under termsHash: the caller's account becomes its holder. The obligor, the requester
// and the bank endorse it (the receivable's policy), none of them reading the terms.
func ApproveFinancing(rd Reader, tx Tx, id, termsHash, withoutRecourse string) (Change, error) {
	noRecourse, err := parseFlag("withoutRecourse", withoutRecourse)
	if err != nil {
		return Change{}, err
	}
	r, err := loadFinancingFor(rd, tx, id)
	if err != nil {
		return Change{}, err
	}
	if _, err := checkBeforeMaturity(r, tx, "financed"); err != nil {
		return Change{}, err
	}
	if err := recordedTerms(rd, r, wire.DecisionApproved, termsHash); err != nil {
		return Change{}, err
	}
	fold, err := checkCreditLine(rd, MSPOf(r.Issuer), tx.Caller.MSPID, r)
	if err != nil {
		return Change{}, err
	}
	next := r.Clone()
	f := next.Financing
	f.Financier, f.ApprovedAt, f.TermsHash = tx.Caller.Account(), FormatTime(tx.Time), strings.ToLower(termsHash)
	f.WithoutRecourse = noRecourse
	next.Status, next.Holder = StatusActive, tx.Caller.Account()
	next.AddParty(tx.Caller.Account())
	ch := single("ApproveFinancing", r, next, tx, "")
	ch.Fold = fold
	return ch, nil
}

// newTerms starts the terms of the bank's decision on r's financing request.
func newTerms(r *Receivable, tx Tx, what, salt string) wire.Terms {
	return wire.Terms{ID: r.ID, Bank: r.Financing.Bank, RequestedBy: r.Financing.RequestedBy, Decision: what,
		DecidedBy: tx.Caller.Account(), DecidedAt: FormatTime(tx.Time), TxID: tx.ID, RequestTx: r.Financing.RequestTx,
		Salt: strings.ToLower(salt)}
}

// checkSalt requires the 32 random bytes (64 hex characters) that salt a decision's terms.
func checkSalt(salt string) error {
	if !hashPattern.MatchString(salt) {
		return Invalidf("salt must be 64 hex characters (32 random bytes, sent as transient data)")
	}
	return nil
}

// PrivateWrite is a value written to a private data collection: a decision's terms. Hash is the
// hex SHA-256 of Value, the hash the public state and the event carry. Request and Binding are
// the second write of the decision: which decision the bank made last on the request
// (wire.RequestKey, wire.RequestBinding).
type PrivateWrite struct {
	Collection string
	Key        string
	Value      []byte
	ID         string // the receivable
	Bank       string
	Hash       string
	Request    string
	Binding    []byte
}

// privateTerms encodes terms for the collection of r's requester and bank.
func privateTerms(r *Receivable, t wire.Terms) (PrivateWrite, error) {
	raw, err := json.Marshal(t)
	if err != nil {
		return PrivateWrite{}, fmt.Errorf("encoding terms of %s: %w", r.ID, err)
	}
	h := TermsHash(raw)
	return PrivateWrite{Collection: wire.TermsCollection(MSPOf(t.RequestedBy), t.Bank), Key: wire.DecisionKey(r.ID, t.Decision, h),
		Value: raw, ID: r.ID, Bank: t.Bank, Hash: h,
		Request: wire.RequestKey(r.ID, requestRef(r.Financing)), Binding: wire.RequestBinding(t.Decision, h)}, nil
}

// TermsHash is the hex SHA-256 of a decision's terms as stored.
func TermsHash(raw []byte) string {
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}

// Discount returns amount x rateBps x days / (10000 x 360) in fen, rounded half up, computed exactly.
func Discount(amountFen, rateBps, days int64) int64 {
	num := new(big.Int).Mul(big.NewInt(amountFen), big.NewInt(rateBps))
	num.Mul(num, big.NewInt(days))
	den := big.NewInt(10000 * 360)
	// half up: floor((2*num + den) / (2*den)) for non-negative values
	num.Mul(num, big.NewInt(2)).Add(num, den)
	num.Quo(num, den.Mul(den, big.NewInt(2)))
	return num.Int64()
}

// RejectFinancing unlocks a receivable in FINANCING at the caller's bank: it is ACTIVE again with
// its holder. The reason is private like an approval's terms, recorded under termsHash by
// DecideFinancing; the event carries the bank and the hash.
func RejectFinancing(rd Reader, tx Tx, id, termsHash string) (Change, error) {
	r, err := loadFinancingFor(rd, tx, id)
	if err != nil {
		return Change{}, err
	}
	if err := recordedTerms(rd, r, wire.DecisionRejected, termsHash); err != nil {
		return Change{}, err
	}
	next := r.Clone()
	next.Status, next.Financing = StatusActive, nil
	ch := single("RejectFinancing", r, next, tx, "")
	ch.Decided = &PrivateWrite{ID: r.ID, Bank: r.Financing.Bank, Hash: strings.ToLower(termsHash)}
	return ch, nil
}

// WithdrawFinancing takes back a financing request the bank has not answered: only the holder who
// asked may, and the receivable is ACTIVE again.
func WithdrawFinancing(rd Reader, tx Tx, id string) (Change, error) {
	r, err := load(rd, tx, id)
	if err != nil {
		return Change{}, err
	}
	if r.Holder != tx.Caller.Account() {
		return Change{}, Forbiddenf("receivable %s is held by %s, not by %s", id, r.Holder, tx.Caller.Account())
	}
	if r.Status != StatusFinancing {
		return Change{}, Conflictf("receivable %s is %s: there is no open financing request to withdraw", id, r.Status)
	}
	if err := checkNotFrozen(r, "withdrawn from financing"); err != nil {
		return Change{}, err
	}
	next := r.Clone()
	next.Status, next.Financing = StatusActive, nil
	return single("WithdrawFinancing", r, next, tx, ""), nil
}

// checkRedeemer checks that the caller speaks for the obligor and that the receivable has matured.
func checkRedeemer(r *Receivable, tx Tx) error {
	if MSPOf(r.Issuer) != tx.Caller.MSPID {
		return Forbiddenf("receivable %s is owed by %s, not by %s", r.ID, MSPOf(r.Issuer), tx.Caller.MSPID)
	}
	m, err := ParseDate(r.MaturityDate)
	if err != nil {
		return err
	}
	if DaysBetween(tx.Time, m) > 0 {
		return Conflictf("receivable %s matures on %s, it cannot be redeemed before", r.ID, r.MaturityDate)
	}
	return nil
}

func redeemed(r *Receivable, tx Tx, paymentRef string) *Receivable {
	next := r.Clone()
	next.Status, next.RedeemedAt, next.RedeemedTo = StatusRedeemed, FormatTime(tx.Time), r.Holder
	next.Redemption = &wire.Redemption{PaymentRef: paymentRef, Paid: r.Amount, PaidFen: r.AmountFen, PaidTo: r.Holder, Late: r.Status == StatusOverdue}
	stamp(next, tx)
	return next
}

// redeemable reports whether a leaf can be paid: ACTIVE, or OVERDUE (paid late).
func redeemable(r *Receivable) bool { return r.Status == StatusActive || r.Status == StatusOverdue }

// checkPaymentRef checks the reference of the payment that settles a redemption.
func checkPaymentRef(ref string) error {
	if err := checkReference(ref); err != nil {
		return Invalidf("paymentRef must have 1..%d characters", maxReferenceLen)
	}
	return nil
}

// Redeem pays the holder of one ACTIVE (or, late, OVERDUE) leaf at or after maturity.
func Redeem(rd Reader, tx Tx, id, paymentRef string) (Change, error) {
	if err := checkPaymentRef(paymentRef); err != nil {
		return Change{}, err
	}
	r, err := load(rd, tx, id)
	if err != nil {
		return Change{}, err
	}
	if err := checkRedeemer(r, tx); err != nil {
		return Change{}, err
	}
	if !redeemable(r) {
		return Change{}, Conflictf("receivable %s is %s, only an ACTIVE or OVERDUE receivable can be redeemed", id, r.Status)
	}
	if err := checkNotFrozen(r, "redeemed"); err != nil {
		return Change{}, err
	}
	return Change{Op: "Redeem", Writes: []Write{{Before: r, After: redeemed(r, tx, paymentRef)}}}, nil
}

// RedeemAll settles every ACTIVE leaf of a root in one transaction (清分). It refuses, writing
// nothing, while any leaf is PENDING or FINANCING, or when the root has more than MaxRedeemLeaves.
func RedeemAll(rd Reader, tx Tx, rootID, paymentRef string) (Change, error) {
	if err := checkPaymentRef(paymentRef); err != nil {
		return Change{}, err
	}
	root, err := load(rd, tx, rootID)
	if err != nil {
		return Change{}, err
	}
	if root.RootID != root.ID {
		return Change{}, Invalidf("rootId %s is a piece of %s, not a root", rootID, root.RootID)
	}
	if err := checkRedeemer(root, tx); err != nil {
		return Change{}, err
	}
	nodes, err := rd.Tree(rootID)
	if err != nil {
		return Change{}, err
	}
	var leaves []*Receivable
	for _, n := range nodes {
		if n.IsLeaf() {
			leaves = append(leaves, n)
		}
	}
	if len(leaves) > MaxRedeemLeaves {
		return Change{}, Invalidf("root %s has %d pieces, more than %d: redeem them one by one", rootID, len(leaves), MaxRedeemLeaves)
	}
	var writes []Write
	for _, l := range leaves {
		switch l.Status {
		case StatusActive, StatusOverdue:
			if err := checkNotFrozen(l, "redeemed"); err != nil {
				return Change{}, err
			}
			writes = append(writes, Write{Before: l, After: redeemed(l, tx, paymentRef)})
		case StatusRedeemed:
		default:
			return Change{}, Conflictf("receivable %s is %s: settle it before redeeming root %s", l.ID, l.Status, rootID)
		}
	}
	if len(writes) == 0 {
		return Change{}, Conflictf("root %s has nothing left to redeem", rootID)
	}
	return Change{Op: "RedeemAll", Writes: writes}, nil
}

// CheckConservation verifies the invariant of one root: once accepted, the amounts of its leaves
// that are ACTIVE, PENDING, FINANCING, OVERDUE or REDEEMED sum exactly to the root amount, and no leaf is in
// any other status.
func CheckConservation(nodes []*Receivable) error {
	var root *Receivable
	for _, n := range nodes {
		if n.ID == n.RootID {
			root = n
		}
	}
	if root == nil {
		return fmt.Errorf("no root among %d nodes", len(nodes))
	}
	if root.Holder == "" {
		return nil // never accepted: PENDING, REJECTED or REVOKED issuance
	}
	var sum int64
	for _, n := range nodes {
		if !n.IsLeaf() {
			continue
		}
		switch n.Status {
		case StatusActive, StatusPending, StatusFinancing, StatusOverdue, StatusRedeemed:
			sum += n.AmountFen
		default:
			return fmt.Errorf("leaf %s of root %s is %s", n.ID, root.ID, n.Status)
		}
	}
	if sum != root.AmountFen {
		return fmt.Errorf("root %s: leaves sum to %d fen, root is %d fen", root.ID, sum, root.AmountFen)
	}
	return nil
}

func firstN(s string, n int) string {
	if len(s) < n {
		return s
	}
	return s[:n]
}

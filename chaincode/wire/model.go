package wire

import "slices"

// Status is the lifecycle state of a receivable (docs/design.md section 3).
type Status string

// The statuses.
const (
	StatusPending   Status = "PENDING"   // offered to pendingHolder (issuance or transfer)
	StatusActive    Status = "ACTIVE"    // held, may move
	StatusSplit     Status = "SPLIT"     // replaced by its children, never moves again
	StatusFinancing Status = "FINANCING" // financing requested at a bank, locked
	StatusRedeemed  Status = "REDEEMED"  // paid at maturity, terminal
	StatusRejected  Status = "REJECTED"  // issuance refused by the beneficiary, terminal
	StatusRevoked   Status = "REVOKED"   // issuance withdrawn by the issuer, terminal
	StatusOverdue   Status = "OVERDUE"   // not redeemed by maturity plus the grace period; still live
)

// Roles carried by the recv.role certificate attribute.
const (
	RoleIssuer    = "issuer"
	RoleSupplier  = "supplier"
	RoleFinancier = "financier"
	RoleAuditor   = "auditor"
	RoleAdmin     = "admin"
	// RoleApprover is the checker of a core enterprise (复核): it confirms or refuses what an
	// issuer (the maker, 经办) asked for, and sets the enterprise's issuance limit.
	RoleApprover = "approver"
)

// Currency is the only currency the ledger keeps.
const Currency = "CNY"

// Receivable is one ledger object. Amount is derived from AmountFen and kept for readers.
type Receivable struct {
	ID            string      `json:"id"`
	RootID        string      `json:"rootId"`
	ParentID      string      `json:"parentId,omitempty" metadata:",optional"`
	Issuer        string      `json:"issuer"`
	Holder        string      `json:"holder"`
	PendingHolder string      `json:"pendingHolder,omitempty" metadata:",optional"`
	Amount        string      `json:"amount"`
	AmountFen     int64       `json:"amountFen"`
	Currency      string      `json:"currency"`
	IssuedAt      string      `json:"issuedAt"`
	MaturityDate  string      `json:"maturityDate"`
	Status        Status      `json:"status"`
	Children      []string    `json:"children,omitempty" metadata:",optional"`
	Parties       []string    `json:"parties"`
	Trade         Trade       `json:"trade"`
	Financing     *Financing  `json:"financing,omitempty" metadata:",optional"`
	RedeemedAt    string      `json:"redeemedAt,omitempty" metadata:",optional"`
	RedeemedTo    string      `json:"redeemedTo,omitempty" metadata:",optional"`
	Redemption    *Redemption `json:"redemption,omitempty" metadata:",optional"`
	Frozen        *Freeze     `json:"frozen,omitempty" metadata:",optional"`
	OverdueAt     string      `json:"overdueAt,omitempty" metadata:",optional"`
	Recourse      *Recourse   `json:"recourse,omitempty" metadata:",optional"`
	UpdatedAt     string      `json:"updatedAt"`
	UpdatedBy     string      `json:"updatedBy"`
	LastTxID      string      `json:"lastTxId"`
}

// Trade is the trade background: the contract and the invoices behind a root receivable.
type Trade struct {
	Contract Document  `json:"contract"`
	Invoices []Invoice `json:"invoices"`
}

// Document is a trade document identified by its number and the SHA-256 of its content.
type Document struct {
	Number string `json:"number"`
	SHA256 string `json:"sha256"`
}

// Invoice is an invoice backing a receivable. Amount is a decimal yuan string.
type Invoice struct {
	Number string `json:"number"`
	SHA256 string `json:"sha256"`
	Amount string `json:"amount"`
}

// Financing records a financing request and, once approved, who approved it and the SHA-256 of
// its private terms. The terms themselves live in the private data collection of the holder's
// organisation and the bank (TermsCollection); a query fills Terms for the parties to them.
type Financing struct {
	Bank        string `json:"bank"`
	RequestedBy string `json:"requestedBy"`
	RequestedAt string `json:"requestedAt"`
	// RequestTx is the transaction that asked for this financing: a bank's decision is recorded
	// for one request (RequestKey), so terms decided on an earlier request never bind a later one.
	RequestTx  string `json:"requestTx,omitempty" metadata:",optional"`
	Financier  string `json:"financier,omitempty" metadata:",optional"`
	ApprovedAt string `json:"approvedAt,omitempty" metadata:",optional"`
	TermsHash  string `json:"termsHash,omitempty" metadata:",optional"`
	Terms      *Terms `json:"terms,omitempty" metadata:",optional"`
	// WithoutRecourse is a term of the financing, public to every reader: without recourse (无追索权)
	// the bank keeps an overdue claim; with recourse (the default) it may move it back to the
	// supplier that asked for the financing.
	WithoutRecourse bool `json:"withoutRecourse,omitempty" metadata:",optional"`
}

// The decisions of a bank that Terms record.
const (
	DecisionApproved = "approved"
	DecisionRejected = "rejected"
)

// Terms are the private terms of a bank's decision on a financing request: the price of an
// approval (rate, days, discount, disbursed amount) or the reason of a rejection. They are stored,
// as their JSON encoding, in TermsCollection(MSP of RequestedBy, Bank) under TermsKey; the public
// state and the event carry only TermsHash, the SHA-256 of that encoding, which Fabric's hashed
// private write set in the block carries too. Salt, 32 random bytes the client sends with the
// terms, keeps the hash of a handful of plausible rates from being guessed.
type Terms struct {
	ID           string `json:"id"`
	Bank         string `json:"bank"`
	RequestedBy  string `json:"requestedBy"`
	Decision     string `json:"decision"`
	DecidedBy    string `json:"decidedBy"`
	DecidedAt    string `json:"decidedAt"`
	TxID         string `json:"txId"`
	RequestTx    string `json:"requestTx,omitempty" metadata:",optional"`
	Salt         string `json:"salt"`
	RateBps      int64  `json:"rateBps,omitempty" metadata:",optional"`
	Days         int64  `json:"days,omitempty" metadata:",optional"`
	Discount     string `json:"discount,omitempty" metadata:",optional"`
	DiscountFen  int64  `json:"discountFen,omitempty" metadata:",optional"`
	Disbursed    string `json:"disbursed,omitempty" metadata:",optional"`
	DisbursedFen int64  `json:"disbursedFen,omitempty" metadata:",optional"`
	Reason       string `json:"reason,omitempty" metadata:",optional"`
}

// Redemption records how a piece was paid (清分): the payment reference, the amount paid to its
// holder, and whether it was paid after being marked overdue.
type Redemption struct {
	PaymentRef  string `json:"paymentRef"`
	Paid        string `json:"paid"`
	PaidFen     int64  `json:"paidFen"`
	PaidTo      string `json:"paidTo"`
	Late        bool   `json:"late,omitempty" metadata:",optional"`
	Instruction string `json:"instruction,omitempty" metadata:",optional"`
}

// Freeze is a hold the auditor put on a receivable (a court order, a dispute): a frozen piece
// cannot move until it is unfrozen.
type Freeze struct {
	Reason    string `json:"reason"`
	Reference string `json:"reference"`
	By        string `json:"by"`
	At        string `json:"at"`
}

// Recourse records that the financing bank moved an overdue claim back to the supplier (追索).
type Recourse struct {
	Bank string `json:"bank"`
	From string `json:"from"`
	To   string `json:"to"`
	At   string `json:"at"`
}

// TermsCollection names the private data collection of the financing terms between the holder-side
// organisation holderMSP and the bank bankMSP; its members are those two and the auditor
// organisations (scripts/lib/net-chaincode.sh collections_json writes one per pair).
func TermsCollection(holderMSP, bankMSP string) string { return "terms_" + holderMSP + "_" + bankMSP }

// DecisionKey is the key of one decision's terms in its collection: an approval's under
// "terms/<id>/<hash>", a rejection's under "reason/<id>/<hash>", so that binding a hash to a
// decision of the other kind finds nothing.
func DecisionKey(id, decision, termsHash string) string {
	if decision == DecisionRejected {
		return "reason/" + id + "/" + termsHash
	}
	return "terms/" + id + "/" + termsHash
}

// RequestKey is the key, in the same collection, that records which decision the bank made last
// on one financing request (requestTx, Financing.RequestTx): its value is RequestBinding of that
// decision. The approval or rejection checks its hash, so it binds only terms decided on the
// request it ends, and the bank's latest decision on it.
func RequestKey(id, requestTx string) string { return "request/" + id + "/" + requestTx }

// RequestBinding is the value under RequestKey: the decision and its terms' hash.
func RequestBinding(decision, termsHash string) []byte { return []byte(decision + "/" + termsHash) }

// TermsParty reports whether the caller (its MSP, account and role) is a party to the terms of a
// financing between requestedBy and bank: the requesting account, the bank's financiers, the
// auditor.
func TermsParty(mspID, account, role, requestedBy, bank string) bool {
	return role == RoleAuditor || account == requestedBy || (role == RoleFinancier && mspID == bank)
}

// Financed reports whether a bank has approved financing on r: it then waits for redemption.
func (r *Receivable) Financed() bool { return r.Financing != nil && r.Financing.ApprovedAt != "" }

// Live reports whether r is a leaf that still owes money: ACTIVE, PENDING, FINANCING or OVERDUE.
func (r *Receivable) Live() bool {
	switch r.Status {
	case StatusActive, StatusPending, StatusFinancing, StatusOverdue:
		return true
	}
	return false
}

// IsLeaf reports whether r has not been split.
func (r *Receivable) IsLeaf() bool { return r.Status != StatusSplit }

// Clone returns a deep copy, so rules never modify what a caller loaded.
// Terms are shared: they are never changed once read.
func (r *Receivable) Clone() *Receivable {
	c := *r
	c.Children = slices.Clone(r.Children)
	c.Parties = slices.Clone(r.Parties)
	c.Trade.Invoices = slices.Clone(r.Trade.Invoices)
	if r.Financing != nil {
		f := *r.Financing
		c.Financing = &f
	}
	if r.Frozen != nil {
		f := *r.Frozen
		c.Frozen = &f
	}
	if r.Redemption != nil {
		d := *r.Redemption
		c.Redemption = &d
	}
	if r.Recourse != nil {
		d := *r.Recourse
		c.Recourse = &d
	}
	return &c
}

// AddParty records account as a party of r, keeping Parties sorted.
func (r *Receivable) AddParty(account string) {
	if i, found := slices.BinarySearch(r.Parties, account); !found {
		r.Parties = slices.Insert(r.Parties, i, account)
	}
}

// Config holds the channel settings the chaincode keeps on the ledger.
type Config struct {
	// MaxTermDays caps maturity, in days after the issue day (default 183, the rules' recommended 6 months).
	MaxTermDays int `json:"maxTermDays"`
	// ClockSkewSeconds is how far a transaction's timestamp may be from the endorsing peer's clock.
	ClockSkewSeconds int `json:"clockSkewSeconds"`
	// ProposalTTLHours is how long a governance proposal waits for its majority (default 168, a week).
	ProposalTTLHours int `json:"proposalTtlHours"`
	// InstructionTTLHours is how long a maker's request waits for its checker (default 24).
	InstructionTTLHours int `json:"instructionTtlHours"`
	// GraceDays is how many days after maturity a live piece may still be redeemed before a holder
	// or the auditor may mark it OVERDUE (default 3).
	GraceDays int `json:"graceDays"`
}

// Event is both the chaincode event of a write transaction (named after Op) and its result.
type Event struct {
	TxID   string      `json:"txId"`
	Op     string      `json:"op"`
	Items  []EventItem `json:"items"`
	Reason string      `json:"reason,omitempty" metadata:",optional"`
	Config *Config     `json:"config,omitempty" metadata:",optional"`
	// The registry, accounts and proposal a membership or governance transaction wrote.
	Orgs     []*Org     `json:"orgs,omitempty" metadata:",optional"`
	Accounts []*Account `json:"accounts,omitempty" metadata:",optional"`
	Proposal *Proposal  `json:"proposal,omitempty" metadata:",optional"`
	// The maker-checker instruction, credit line or issuance limit a transaction wrote.
	Instruction *Instruction `json:"instruction,omitempty" metadata:",optional"`
	Line        *CreditLine  `json:"line,omitempty" metadata:",optional"`
	// The time beacon a Tick advanced.
	Beacon *Beacon `json:"beacon,omitempty" metadata:",optional"`
}

// Beacon is the network's time beacon: every write reads it, so a write endorsed before the
// beacon last advanced can no longer commit (MVCC), and none may be dated before it.
type Beacon struct {
	Time string `json:"time"` // the Tick's transaction time
	By   string `json:"by"`   // the account that advanced it
	TxID string `json:"txId"`
}

// EventItem is one receivable a write changed, as it is after the write.
type EventItem struct {
	ID            string `json:"id"`
	Status        Status `json:"status"`
	Amount        string `json:"amount"`
	AmountFen     int64  `json:"amountFen"`
	Holder        string `json:"holder,omitempty" metadata:",optional"`
	PendingHolder string `json:"pendingHolder,omitempty" metadata:",optional"`
	// Issuer and Parties: who may read the item (Viewer.MayRead), as on the receivable.
	Issuer  string   `json:"issuer,omitempty" metadata:",optional"`
	Parties []string `json:"parties,omitempty" metadata:",optional"`
	// Bank and TermsHash: a bank's decision on financing (its terms stay private).
	Bank      string `json:"bank,omitempty" metadata:",optional"`
	TermsHash string `json:"termsHash,omitempty" metadata:",optional"`
	// Terms are filled by a gateway's event stream for the parties to them; never by the chaincode.
	Terms *Terms `json:"terms,omitempty" metadata:",optional"`
}

// Page is one page of a list query; Bookmark continues it ("" on the last page).
type Page struct {
	Items    []*Receivable `json:"items"`
	Bookmark string        `json:"bookmark"`
	Count    int           `json:"count"`
}

// Trace is the lineage tree of a root receivable.
type Trace struct {
	Root *TraceNode `json:"root"`
}

// TraceNode is one receivable of a lineage tree and the pieces it was split into.
type TraceNode struct {
	*Receivable
	Pieces []*TraceNode `json:"pieces"`
}

// HistoryEntry is one version of a receivable, with the transaction that wrote it.
type HistoryEntry struct {
	TxID      string      `json:"txId"`
	Timestamp string      `json:"timestamp"`
	Submitter string      `json:"submitter"`
	IsDelete  bool        `json:"isDelete"`
	Value     *Receivable `json:"value"`
}

// Totals are an account's sums over the receivables it holds, financed and had redeemed.
type Totals struct {
	Account        string `json:"account"`
	Outstanding    string `json:"outstanding"`
	OutstandingFen int64  `json:"outstandingFen"`
	Financed       string `json:"financed"`
	FinancedFen    int64  `json:"financedFen"`
	Redeemed       string `json:"redeemed"`
	RedeemedFen    int64  `json:"redeemedFen"`
	// Disbursed sums the private disbursed amounts of the financed part, when the caller may read
	// all their terms on this peer; otherwise it is absent.
	Disbursed    string `json:"disbursed,omitempty" metadata:",optional"`
	DisbursedFen int64  `json:"disbursedFen,omitempty" metadata:",optional"`
}

package receivable

import (
	"regexp"
	"slices"
	"strings"
)

// Status is the lifecycle state of a receivable.
type Status string

// Statuses; see DESIGN section 2.
const (
	StatusPending   Status = "PENDING"   // offered to pendingHolder (issuance or transfer)
	StatusActive    Status = "ACTIVE"    // held, may move
	StatusSplit     Status = "SPLIT"     // replaced by its children, never moves again
	StatusFinancing Status = "FINANCING" // financing requested at a bank, locked
	StatusRedeemed  Status = "REDEEMED"  // paid at maturity, terminal
	StatusRejected  Status = "REJECTED"  // issuance refused by the beneficiary, terminal
	StatusRevoked   Status = "REVOKED"   // issuance withdrawn by the issuer, terminal
)

// Roles carried by the recv.role certificate attribute.
const (
	RoleIssuer    = "issuer"
	RoleSupplier  = "supplier"
	RoleFinancier = "financier"
	RoleAuditor   = "auditor"
	RoleAdmin     = "admin"
)

// Currency is the only currency the ledger keeps.
const Currency = "CNY"

// Receivable is one ledger object. Amount is derived from AmountFen and kept for readers.
type Receivable struct {
	ID            string     `json:"id"`
	RootID        string     `json:"rootId"`
	ParentID      string     `json:"parentId,omitempty"`
	Issuer        string     `json:"issuer"`
	Holder        string     `json:"holder"`
	PendingHolder string     `json:"pendingHolder,omitempty"`
	Amount        string     `json:"amount"`
	AmountFen     int64      `json:"amountFen"`
	Currency      string     `json:"currency"`
	IssuedAt      string     `json:"issuedAt"`
	MaturityDate  string     `json:"maturityDate"`
	Status        Status     `json:"status"`
	Children      []string   `json:"children,omitempty"`
	Parties       []string   `json:"parties"`
	Trade         Trade      `json:"trade"`
	Financing     *Financing `json:"financing,omitempty"`
	RedeemedAt    string     `json:"redeemedAt,omitempty"`
	RedeemedTo    string     `json:"redeemedTo,omitempty"`
	UpdatedAt     string     `json:"updatedAt"`
	UpdatedBy     string     `json:"updatedBy"`
	LastTxID      string     `json:"lastTxId"`
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

// Financing records a financing request and, once approved, its terms.
type Financing struct {
	Bank         string `json:"bank"`
	RequestedBy  string `json:"requestedBy"`
	RequestedAt  string `json:"requestedAt"`
	Financier    string `json:"financier,omitempty"`
	RateBps      int64  `json:"rateBps,omitempty"`
	Days         int64  `json:"days,omitempty"`
	Discount     string `json:"discount,omitempty"`
	DiscountFen  int64  `json:"discountFen,omitempty"`
	Disbursed    string `json:"disbursed,omitempty"`
	DisbursedFen int64  `json:"disbursedFen,omitempty"`
	ApprovedAt   string `json:"approvedAt,omitempty"`
}

// Financed reports whether a bank has approved financing on r: it then waits for redemption.
func (r *Receivable) Financed() bool { return r.Financing != nil && r.Financing.ApprovedAt != "" }

// IsLeaf reports whether r has not been split.
func (r *Receivable) IsLeaf() bool { return r.Status != StatusSplit }

// Clone returns a deep copy, so rules never modify what a caller loaded.
func (r *Receivable) Clone() *Receivable {
	c := *r
	c.Children = slices.Clone(r.Children)
	c.Parties = slices.Clone(r.Parties)
	c.Trade.Invoices = slices.Clone(r.Trade.Invoices)
	if r.Financing != nil {
		f := *r.Financing
		c.Financing = &f
	}
	return &c
}

// HasParty reports whether account appears in r's lineage as a party.
func (r *Receivable) HasParty(account string) bool {
	_, found := slices.BinarySearch(r.Parties, account)
	return found
}

func (r *Receivable) addParty(account string) {
	if i, found := slices.BinarySearch(r.Parties, account); !found {
		r.Parties = slices.Insert(r.Parties, i, account)
	}
}

// Caller is the identity behind a transaction, from its certificate.
type Caller struct {
	MSPID string
	ID    string
	Role  string
}

// Account returns MSPID/enrollmentID.
func (c Caller) Account() string { return c.MSPID + "/" + c.ID }

var (
	rootIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	mspPattern    = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)
	hashPattern   = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)
)

// maxIDLen bounds derived ids (children add ".n" at each split).
const maxIDLen = 200

// ValidateAccount checks the MSPID/enrollmentID form of an account named in arguments.
func ValidateAccount(field, account string) error {
	msp, id, ok := strings.Cut(account, "/")
	if !ok || !mspPattern.MatchString(msp) || id == "" || len(id) > 128 || strings.Contains(id, "/") {
		return Invalidf("%s %.80q is not an account MSPID/enrollmentID", field, account)
	}
	for _, c := range id {
		if c <= ' ' || c == 0x7f || c == '\uFFFD' {
			return Invalidf("%s %.80q is not an account MSPID/enrollmentID", field, account)
		}
	}
	return nil
}

// ValidateMSPID checks an MSP ID named in arguments.
func ValidateMSPID(field, msp string) error {
	if !mspPattern.MatchString(msp) {
		return Invalidf("%s %.80q is not an MSP ID", field, msp)
	}
	return nil
}

// ValidateID checks a receivable id named in arguments: a root id, or a root id followed by ".n"
// segments.
func ValidateID(field, id string) error {
	root, rest, _ := strings.Cut(id, ".")
	if len(id) > maxIDLen || !rootIDPattern.MatchString(root) {
		return Invalidf("%s %.80q is not a receivable id", field, id)
	}
	if rest == "" && strings.HasSuffix(id, ".") {
		return Invalidf("%s %.80q is not a receivable id", field, id)
	}
	for seg := range strings.SplitSeq(rest, ".") {
		if rest == "" {
			break
		}
		if seg == "" || seg[0] == '0' || len(seg) > 3 || strings.Trim(seg, "0123456789") != "" {
			return Invalidf("%s %.80q is not a receivable id", field, id)
		}
	}
	return nil
}

// MSPOf returns the MSP ID part of an account.
func MSPOf(account string) string {
	msp, _, _ := strings.Cut(account, "/")
	return msp
}

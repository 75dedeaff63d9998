package wire

// The business around the receivable (docs/chaincode.md, "Two-person control", "Credit lines",
// "Overdue and recourse", "Freeze", "Risk"): the types its operations carry.

// InstructionStatus is the state of a maker's request.
type InstructionStatus string

// The instruction states. An OPEN instruction past its expiry reads as EXPIRED.
const (
	InstructionOpen      InstructionStatus = "OPEN"
	InstructionConfirmed InstructionStatus = "CONFIRMED"
	InstructionRefused   InstructionStatus = "REFUSED"
	InstructionExpired   InstructionStatus = "EXPIRED"
)

// DualControl values of an organisation's registry entry: whether its issuances and redemptions
// need a maker and a different checker. Empty is the default of its kind: on for core enterprises.
const (
	DualControlOn  = "on"
	DualControlOff = "off"
)

// Instruction is a maker's request (经办) at an organisation under two-person control: an issuance,
// a redemption of one piece or of a whole root. Only the confirmation by a different identity of
// the same organisation with role approver (复核) commits it; the checker may refuse it with a
// reason, and it expires after the instructionTtlHours setting.
type Instruction struct {
	ID         string            `json:"id"`
	Tx         string            `json:"tx"`     // the transaction it stands for: Issue, Redeem, RedeemAll
	Target     string            `json:"target"` // the receivable id it issues or redeems
	Amount     string            `json:"amount,omitempty" metadata:",optional"`
	Issue      *IssueRequest     `json:"issue,omitempty" metadata:",optional"`
	PaymentRef string            `json:"paymentRef,omitempty" metadata:",optional"`
	Maker      string            `json:"maker"`
	MakerRole  string            `json:"makerRole"`
	CreatedAt  string            `json:"createdAt"`
	ExpiresAt  string            `json:"expiresAt"`
	Status     InstructionStatus `json:"status"`
	Checker    string            `json:"checker,omitempty" metadata:",optional"`
	DecidedAt  string            `json:"decidedAt,omitempty" metadata:",optional"`
	Reason     string            `json:"reason,omitempty" metadata:",optional"`
	RequestTx  string            `json:"requestTxId"`
	LastTxID   string            `json:"lastTxId"`
}

// RedeemRequest is the body of redeem and redeem-all: the reference of the payment that settles
// the piece(s), such as the bank transfer's number.
type RedeemRequest struct {
	PaymentRef string `json:"paymentRef,omitempty"`
}

// FreezeRequest is the body of freeze: why, and the court order's or case's reference.
type FreezeRequest struct {
	Reason    string `json:"reason,omitempty"`
	Reference string `json:"reference,omitempty"`
}

// LineRequest is the body of set-credit-line and set-issuance-limit: the amount in yuan.
type LineRequest struct {
	Amount string `json:"amount,omitempty"`
}

// CreditLine is a limit on the ledger: a bank's credit line (授信额度) for the receivables of one
// core enterprise (Bank set), or a core enterprise's cap on its own outstanding issuance (Bank
// empty). Use is computed from the ledger's aggregates when read.
type CreditLine struct {
	Obligor   string `json:"obligor"`
	Bank      string `json:"bank,omitempty" metadata:",optional"`
	Limit     string `json:"limit"`
	LimitFen  int64  `json:"limitFen"`
	Used      string `json:"used,omitempty" metadata:",optional"` // use and headroom: filled when read
	UsedFen   int64  `json:"usedFen,omitempty" metadata:",optional"`
	Headroom  string `json:"headroom,omitempty" metadata:",optional"`
	HeadFen   int64  `json:"headroomFen,omitempty" metadata:",optional"`
	SetBy     string `json:"setBy"`
	UpdatedAt string `json:"updatedAt"`
	LastTxID  string `json:"lastTxId"`
}

// Limits is the answer of limits: an obligor's issuance limit (nil when none is set) and the
// credit lines the banks granted on it that the caller may read.
type Limits struct {
	Obligor  string       `json:"obligor"`
	Issuance *CreditLine  `json:"issuance,omitempty" metadata:",optional"`
	Lines    []CreditLine `json:"lines"`
}

// Exposure is an obligor's risk picture, kept up to date by every write (no scan when read).
type Exposure struct {
	Obligor        string        `json:"obligor"`
	Outstanding    string        `json:"outstanding"`
	OutstandingFen int64         `json:"outstandingFen"`
	Overdue        string        `json:"overdue"`
	OverdueFen     int64         `json:"overdueFen"`
	OverdueBps     int64         `json:"overdueBps"` // overdue / outstanding, in basis points
	DaysPastDue    int           `json:"daysPastDue"`
	Financed       []BankAmount  `json:"financed"`
	TopHolders     []HolderShare `json:"topHolders"`
	Lines          []CreditLine  `json:"lines"`
}

// BankAmount is a bank's outstanding financed amount on an obligor.
type BankAmount struct {
	Bank      string `json:"bank"`
	Amount    string `json:"amount"`
	AmountFen int64  `json:"amountFen"`
}

// HolderShare is one holder's part of an obligor's outstanding amount, in basis points.
type HolderShare struct {
	Holder    string `json:"holder"`
	Amount    string `json:"amount"`
	AmountFen int64  `json:"amountFen"`
	ShareBps  int64  `json:"shareBps"`
}

// RiskPage is one page of the risk view: one exposure per core enterprise.
type RiskPage struct {
	Items    []Exposure `json:"items"`
	Bookmark string     `json:"bookmark"`
	Count    int        `json:"count"`
}

package receivable

import (
	"fmt"
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
	Get(id string) (*wire.Receivable, error)
	// InvoiceRoot returns the root id an invoice hash is bound to, or "".
	InvoiceRoot(sha256 string) (string, error)
	// Tree returns every receivable of a root (the root and all its pieces), sorted by id.
	Tree(rootID string) ([]*wire.Receivable, error)
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
	Config wire.Config
}

// Write is one receivable's change; Before is nil for a new receivable.
type Write struct {
	Before *wire.Receivable
	After  *wire.Receivable
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
	Config    *wire.Config     // settings to write
	Private   []PrivateWrite   // private data to write (a decision's terms)
	// Decided names the recorded terms a rejection binds (no value: the event carries their hash).
	Decided *PrivateWrite
	// Fold lists the obligors' own parts of their exposures the rule read to check a limit (a
	// bank's part holds totals): the ledger folds their pending changes into one total in the
	// same transaction.
	Fold         []ExposurePart
	Lines        []*wire.CreditLine  // credit lines and issuance limits to write
	Instructions []*wire.Instruction // maker-checker instructions to write
	Beacon       *wire.Beacon        // the time beacon to write
	// Draw is a financing under a credit line, which the ledger checks against the line's
	// sub-line the transaction draws from (sublines.go).
	Draw *LineDraw
}

// CanRead reports whether c may read r (wire.Viewer.MayRead, the rule the gateways' event streams
// apply too): the auditor reads all; otherwise the issuer's MSP issuers, the holder, the pending
// holder, the financing bank's financiers and every party of its lineage.
func CanRead(c Caller, r *wire.Receivable) bool {
	bank := ""
	if r.Financing != nil {
		bank = r.Financing.Bank
	}
	return c.Viewer().MayRead(r.Issuer, r.Holder, r.PendingHolder, bank, r.Parties)
}

// Readable fetches a receivable that c may read: invalid id, not found and forbidden are refused.
func Readable(rd Reader, c Caller, id string) (*wire.Receivable, error) {
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

func load(rd Reader, tx Tx, id string) (*wire.Receivable, error) { return Readable(rd, tx.Caller, id) }

func checkReason(reason string) error {
	if !utf8.ValidString(reason) {
		return Invalidf("reason is not valid UTF-8 text")
	}
	if n := utf8.RuneCountInString(reason); strings.TrimSpace(reason) == "" || n > maxReasonLen {
		return Invalidf("reason must have 1..%d characters, it has %d", maxReasonLen, n)
	}
	return nil
}

func stamp(r *wire.Receivable, tx Tx) {
	r.Amount = wire.FormatAmount(r.AmountFen)
	r.UpdatedAt = FormatTime(tx.Time)
	r.UpdatedBy = tx.Caller.Account()
	r.LastTxID = tx.ID
}

func single(op string, before, after *wire.Receivable, tx Tx, reason string) Change {
	stamp(after, tx)
	return Change{Op: op, Writes: []Write{{Before: before, After: after}}, Reason: reason}
}

// CheckConservation verifies the invariant of one root: once accepted, the amounts of its leaves
// that are ACTIVE, PENDING, FINANCING, OVERDUE or REDEEMED sum exactly to the root amount, and no leaf is in
// any other status.
func CheckConservation(nodes []*wire.Receivable) error {
	var root *wire.Receivable
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
		case wire.StatusActive, wire.StatusPending, wire.StatusFinancing, wire.StatusOverdue, wire.StatusRedeemed:
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

package receivable

// Financing at a bank: the request, the bank's decision with its private terms, the approval that
// binds them, the rejection and the withdrawal.

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"

	"github.com/recv-ledger/recv/chaincode/wire"
)

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
	next.Status = wire.StatusFinancing
	next.Financing = &wire.Financing{Bank: bank, RequestedBy: tx.Caller.Account(), RequestedAt: FormatTime(tx.Time), RequestTx: tx.ID}
	return single("RequestFinancing", r, next, tx, ""), nil
}

// loadFinancingFor fetches a receivable in FINANCING at the caller's bank.
func loadFinancingFor(rd Reader, tx Tx, id string) (*wire.Receivable, error) {
	r, err := load(rd, tx, id)
	if err != nil {
		return nil, err
	}
	if r.Status != wire.StatusFinancing {
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
		terms.DiscountFen, terms.Discount = discount, wire.FormatAmount(discount)
		terms.DisbursedFen, terms.Disbursed = r.AmountFen-discount, wire.FormatAmount(r.AmountFen-discount)
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
func recordedTerms(rd Reader, r *wire.Receivable, decision, termsHash string) error {
	if !hashPattern.MatchString(termsHash) {
		return Invalidf("termsHash %.80q must be the SHA-256 (64 hex characters) of the terms the bank recorded (DecideFinancing)", termsHash)
	}
	termsHash = strings.ToLower(termsHash)
	coll := wire.TermsCollection(wire.MSPOf(r.Financing.RequestedBy), r.Financing.Bank)
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
func requestRef(f *wire.Financing) string {
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
	draw, err := checkCreditLine(rd, wire.MSPOf(r.Issuer), tx.Caller.MSPID, r)
	if err != nil {
		return Change{}, err
	}
	next := r.Clone()
	f := next.Financing
	f.Financier, f.ApprovedAt, f.TermsHash = tx.Caller.Account(), FormatTime(tx.Time), strings.ToLower(termsHash)
	f.WithoutRecourse = noRecourse
	next.Status, next.Holder = wire.StatusActive, tx.Caller.Account()
	next.AddParty(tx.Caller.Account())
	ch := single("ApproveFinancing", r, next, tx, "")
	ch.Draw = draw
	return ch, nil
}

// newTerms starts the terms of the bank's decision on r's financing request.
func newTerms(r *wire.Receivable, tx Tx, what, salt string) wire.Terms {
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
func privateTerms(r *wire.Receivable, t wire.Terms) (PrivateWrite, error) {
	raw, err := json.Marshal(t)
	if err != nil {
		return PrivateWrite{}, fmt.Errorf("encoding terms of %s: %w", r.ID, err)
	}
	h := TermsHash(raw)
	return PrivateWrite{Collection: wire.TermsCollection(wire.MSPOf(t.RequestedBy), t.Bank), Key: wire.DecisionKey(r.ID, t.Decision, h),
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
	next.Status, next.Financing = wire.StatusActive, nil
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
	if r.Status != wire.StatusFinancing {
		return Change{}, Conflictf("receivable %s is %s: there is no open financing request to withdraw", id, r.Status)
	}
	if err := checkNotFrozen(r, "withdrawn from financing"); err != nil {
		return Change{}, err
	}
	next := r.Clone()
	next.Status, next.Financing = wire.StatusActive, nil
	return single("WithdrawFinancing", r, next, tx, ""), nil
}

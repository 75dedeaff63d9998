package receivable

// Issuing a receivable: the core enterprise's debt to its supplier, bound to the trade it pays for.

import (
	"fmt"
	"strings"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// IssueRequest is the argument of Issue.
type IssueRequest = wire.IssueRequest

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

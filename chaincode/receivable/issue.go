package receivable

// Issuing a receivable: the core enterprise's debt to its supplier, bound to the trade it pays for.

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// Issue creates a root receivable offered to the beneficiary (PENDING).
func Issue(rd Reader, tx Tx, req wire.IssueRequest) (Change, error) {
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
	amount, err := wire.ParseAmount(req.Amount)
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
	r := &wire.Receivable{
		ID: req.ID, RootID: req.ID, Issuer: issuer, PendingHolder: req.Beneficiary,
		AmountFen: amount, Currency: wire.Currency, IssuedAt: FormatTime(tx.Time),
		MaturityDate: req.MaturityDate, Status: wire.StatusPending, Trade: trade,
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

func checkTrade(req wire.IssueRequest, amount int64) (wire.Trade, []string, error) {
	c := req.Contract
	if err := CheckDocNumber("contract.number", c.Number); err != nil {
		return wire.Trade{}, nil, err
	}
	if !hashPattern.MatchString(c.SHA256) {
		return wire.Trade{}, nil, Invalidf("contract.sha256 %.80q is not 64 hex characters", c.SHA256)
	}
	n := len(req.Invoices)
	if n < 1 || n > MaxInvoices {
		return wire.Trade{}, nil, Invalidf("invoices: %d given, 1..%d needed", n, MaxInvoices)
	}
	trade := wire.Trade{Contract: wire.Document{Number: c.Number, SHA256: strings.ToLower(c.SHA256)}}
	hashes := make([]string, 0, n)
	seen := make(map[string]bool, n)
	var total int64
	for i, inv := range req.Invoices {
		if err := CheckDocNumber(fmt.Sprintf("invoices[%d].number", i), inv.Number); err != nil {
			return wire.Trade{}, nil, err
		}
		if !hashPattern.MatchString(inv.SHA256) {
			return wire.Trade{}, nil, Invalidf("invoices[%d].sha256 %.80q is not 64 hex characters", i, inv.SHA256)
		}
		h := strings.ToLower(inv.SHA256)
		if seen[h] {
			return wire.Trade{}, nil, Invalidf("invoices[%d].sha256 %s is listed twice", i, h)
		}
		seen[h] = true
		fen, err := wire.ParseAmount(inv.Amount)
		if err != nil {
			return wire.Trade{}, nil, within(fmt.Sprintf("invoices[%d].amount", i), err)
		}
		var ok bool
		if total, ok = addFen(total, fen); !ok {
			return wire.Trade{}, nil, Invalidf("invoices: total amount overflows")
		}
		hashes = append(hashes, h)
		trade.Invoices = append(trade.Invoices, wire.Invoice{Number: inv.Number, SHA256: h, Amount: wire.FormatAmount(fen)})
	}
	if total < amount {
		return wire.Trade{}, nil, Invalidf("invoices total %s does not cover amount %s", wire.FormatAmount(total), wire.FormatAmount(amount))
	}
	return trade, hashes, nil
}

// DocNumberChars names the characters a contract or invoice number may have: the numbering of
// Chinese contracts and invoices (沪采〔2026〕12号, INV-2026/0042) in a fixed set that every
// organisation's chaincode reads alike, whatever Go's Unicode tables (no "is a letter" of a newer
// Unicode version).
const DocNumberChars = "A-Z a-z 0-9, Chinese characters (U+4E00..U+9FFF), space (not first or last) and - _ . / # : ( ) [ ] （ ） 〔 〕 【 】 － ／ ："

// CheckDocNumber checks a contract's or an invoice's number: 1..64 characters of DocNumberChars.
func CheckDocNumber(field, n string) error {
	count := utf8.RuneCountInString(n)
	if !utf8.ValidString(n) || count < 1 || count > maxNumberLen {
		return Invalidf("%s must have 1..%d characters", field, maxNumberLen)
	}
	if strings.TrimSpace(n) != n {
		return Invalidf("%s %q starts or ends with a space", field, n)
	}
	for i, r := range []rune(n) {
		if !docNumberRune(r) {
			return Invalidf("%s %q has %U at character %d, outside the document-number set (%s)", field, n, r, i+1, DocNumberChars)
		}
	}
	return nil
}

func docNumberRune(r rune) bool {
	switch {
	case r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z', r >= '0' && r <= '9', r >= 0x4E00 && r <= 0x9FFF:
		return true
	}
	return strings.ContainsRune(" -_./#:()[]（）〔〕【】－／：", r)
}

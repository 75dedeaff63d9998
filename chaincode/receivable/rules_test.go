package receivable

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// book is a map-backed Reader: the rules need nothing more.
type book struct {
	*directory
	items        map[string]*wire.Receivable
	invoices     map[string]string
	lines        map[string]wire.CreditLine
	instructions map[string]wire.Instruction
	private      map[string]string // collection + "\x00" + key -> hash of the value, as every peer holds it
	fail         error
}

func newBook() *book {
	return &book{directory: seedDirectory(otherCore), items: map[string]*wire.Receivable{}, invoices: map[string]string{},
		lines: map[string]wire.CreditLine{}, instructions: map[string]wire.Instruction{}, private: map[string]string{}}
}

func (b *book) PrivateHash(collection, key string) (string, error) {
	return b.private[collection+"\x00"+key], b.fail
}

func (b *book) Get(id string) (*wire.Receivable, error) {
	if b.fail != nil {
		return nil, b.fail
	}
	if r, ok := b.items[id]; ok {
		return r.Clone(), nil
	}
	return nil, nil
}

func (b *book) InvoiceRoot(h string) (string, error) { return b.invoices[h], b.fail }

func (b *book) LiveHeldBy(account string) (string, error) {
	for _, id := range slices.Sorted(maps.Keys(b.items)) {
		r := b.items[id]
		if Live(r) && (r.Holder == account || (r.Status == wire.StatusPending && r.PendingHolder == account)) {
			return id, b.fail
		}
	}
	return "", b.fail
}

func (b *book) Tree(rootID string) ([]*wire.Receivable, error) {
	var out []*wire.Receivable
	for _, id := range slices.Sorted(maps.Keys(b.items)) {
		if r := b.items[id]; r.RootID == rootID {
			out = append(out, r.Clone())
		}
	}
	return out, b.fail
}

// Exposure sums the contributions of every receivable: the reference the ledger's aggregates are
// checked against.
func (b *book) Exposure(obligor string) (Exposure, error) {
	var e Exposure
	for _, id := range slices.Sorted(maps.Keys(b.items)) {
		if r := b.items[id]; wire.MSPOf(r.Issuer) == obligor {
			if err := e.Add(contribution(r), 1); err != nil {
				return e, err
			}
		}
	}
	return e, b.fail
}

func (b *book) ExposurePart(p ExposurePart) (Exposure, error) {
	e, err := b.Exposure(p.Obligor)
	return e.Part(p.Bank), err
}

func (b *book) Line(obligor, bank string) (*wire.CreditLine, error) {
	if l, ok := b.lines[obligor+"/"+bank]; ok {
		return &l, nil
	}
	return nil, nil
}

func (b *book) Instruction(id string) (*wire.Instruction, error) {
	if in, ok := b.instructions[id]; ok {
		return &in, nil
	}
	return nil, nil
}

func (b *book) OpenInstruction(tx, target string) (string, error) {
	for _, id := range slices.Sorted(maps.Keys(b.instructions)) {
		if in := b.instructions[id]; in.Tx == tx && in.Target == target && in.Status == wire.InstructionOpen {
			return id, nil
		}
	}
	return "", nil
}

func (b *book) apply(ch Change) {
	for _, l := range ch.Lines {
		b.lines[l.Obligor+"/"+l.Bank] = *l
	}
	for _, in := range ch.Instructions {
		b.instructions[in.ID] = *in
	}
	b.directory.apply(ch)
	for _, w := range ch.Writes {
		b.items[w.After.ID] = w.After
	}
	for _, h := range ch.Invoices {
		b.invoices[h] = ch.Writes[0].After.RootID
	}
	for _, pw := range ch.Private {
		b.private[pw.Collection+"\x00"+pw.Key] = TermsHash(pw.Value)
		b.private[pw.Collection+"\x00"+pw.Request] = TermsHash(pw.Binding)
	}
}

// approveAt records the bank's approval at rate (DecideFinancing) and binds it (ApproveFinancing), as
// the gateway does for an approval with a rate; it returns the binding change and the recorded one.
func approveAt(b *book, tx Tx, id string, rate int64, salt, withoutRecourse string) (Change, Change, error) {
	decided, err := DecideFinancing(b, tx, id, wire.DecisionApproved, rate, "", salt)
	if err != nil {
		return Change{}, Change{}, err
	}
	b.apply(decided)
	ch, err := ApproveFinancing(b, tx, id, decided.Private[0].Hash, withoutRecourse)
	return ch, decided, err
}

// rejectWith records the bank's rejection with reason and binds it (RejectFinancing).
func rejectWith(b *book, tx Tx, id, reason, salt string) (Change, error) {
	decided, err := DecideFinancing(b, tx, id, wire.DecisionRejected, 0, reason, salt)
	if err != nil {
		return Change{}, err
	}
	b.apply(decided)
	return RejectFinancing(b, tx, id, decided.Private[0].Hash)
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

var (
	core     = Caller{MSPID: "CoreMSP", ID: "treasurer", Role: wire.RoleIssuer}
	supplier = Caller{MSPID: "SupplierMSP", ID: "supplier-a", Role: wire.RoleSupplier}
	officer  = Caller{MSPID: "Bank1MSP", ID: "officer", Role: wire.RoleFinancier}
	t0       = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	salt     = sha("salt")
)

func txAs(c Caller, at time.Time) Tx {
	return Tx{ID: sha(at.String() + c.Account()), Time: at, Caller: c, Config: DefaultConfig()}
}

func request(id string) wire.IssueRequest {
	return wire.IssueRequest{ID: id, Beneficiary: supplier.Account(), Amount: "1000.00", MaturityDate: "2027-01-31",
		Contract: wire.Document{Number: "C-1", SHA256: sha("c")},
		Invoices: []wire.Invoice{{Number: "I-1", SHA256: sha("i" + id), Amount: "1000"}}}
}

func mustApply(t *testing.T, b *book) func(Change, error) {
	return func(ch Change, err error) {
		t.Helper()
		require.NoError(t, err)
		b.apply(ch)
	}
}

func TestRules_LifecycleWithoutFabric(t *testing.T) {
	b := newBook()
	do := mustApply(t, b)
	do(Issue(b, txAs(core, t0), request("R-1")))
	do(Accept(b, txAs(supplier, t0), "R-1"))
	do(Split(b, txAs(supplier, t0), "R-1", []string{"250", "750"}))
	do(RequestFinancing(b, txAs(supplier, t0), "R-1.2", "Bank1MSP"))
	approval, decided, err := approveAt(b, txAs(officer, t0), "R-1.2", 600, salt, "")
	do(approval, err)
	require.Equal(t, officer.Account(), b.items["R-1.2"].Holder)
	require.Empty(t, decided.Writes, "the decision writes nothing public")
	require.Empty(t, approval.Private, "the approval writes nothing private")
	// 75000 fen x 600 x 70 days / 3600000 = 875 fen, in the private terms only
	require.Len(t, decided.Private, 1)
	pw := decided.Private[0]
	require.Equal(t, "terms_SupplierMSP_Bank1MSP", pw.Collection)
	require.Equal(t, TermsHash(pw.Value), b.items["R-1.2"].Financing.TermsHash)
	require.Equal(t, "terms/R-1.2/"+pw.Hash, pw.Key)
	var terms wire.Terms
	require.NoError(t, json.Unmarshal(pw.Value, &terms))
	require.Equal(t, int64(875), terms.DiscountFen)
	require.Equal(t, int64(74125), terms.DisbursedFen)
	require.Equal(t, int64(70), terms.Days)
	require.Equal(t, salt, terms.Salt)
	_, err = DecideFinancing(b, txAs(officer, t0), "R-1.2", wire.DecisionApproved, 600, "", "short")
	require.ErrorIs(t, err, wire.ErrInvalid)
	nodes, _ := b.Tree("R-1")
	require.NoError(t, CheckConservation(nodes))

	maturity := time.Date(2027, 1, 31, 9, 0, 0, 0, time.UTC)
	do(RedeemAll(b, txAs(core, maturity), "R-1", "PAY-1"))
	nodes, _ = b.Tree("R-1")
	require.NoError(t, CheckConservation(nodes))
	require.Equal(t, wire.StatusRedeemed, b.items["R-1.1"].Status)
	require.Equal(t, supplier.Account(), b.items["R-1.1"].RedeemedTo)
}

func TestRules_ReaderErrorsPropagate(t *testing.T) {
	b := newBook()
	b.fail = errors.New("disk on fire")
	_, err := Issue(b, txAs(core, t0), request("R-1"))
	require.ErrorContains(t, err, "disk on fire")
	_, err = Accept(b, txAs(supplier, t0), "R-1")
	require.ErrorContains(t, err, "disk on fire")
	require.Equal(t, wire.Kind(""), wire.KindOf(err))
}

func TestRules_HardLimitAppliesEvenIfConfigIsWrong(t *testing.T) {
	b := newBook()
	tx := txAs(core, t0)
	tx.Config.MaxTermDays = 1000 // never stored by SetConfig, which validates; the rule still caps it
	req := request("R-1")
	req.MaturityDate = "2027-11-23"
	_, err := Issue(b, tx, req)
	require.ErrorContains(t, err, "more than the limit of 365 days")
}

func TestCheckConservation_DetectsBrokenTrees(t *testing.T) {
	root := &wire.Receivable{ID: "R", RootID: "R", Holder: "a", AmountFen: 100, Status: wire.StatusSplit}
	a := &wire.Receivable{ID: "R.1", RootID: "R", AmountFen: 40, Status: wire.StatusActive}
	b := &wire.Receivable{ID: "R.2", RootID: "R", AmountFen: 60, Status: wire.StatusRedeemed}
	require.NoError(t, CheckConservation([]*wire.Receivable{root, a, b}))
	require.ErrorContains(t, CheckConservation([]*wire.Receivable{root, a}), "leaves sum to 40 fen, root is 100 fen")
	bad := *b
	bad.Status = wire.StatusRejected
	require.ErrorContains(t, CheckConservation([]*wire.Receivable{root, a, &bad}), "leaf R.2 of root R is REJECTED")
	require.Error(t, CheckConservation([]*wire.Receivable{a}))
	pending := &wire.Receivable{ID: "P", RootID: "P", AmountFen: 100, Status: wire.StatusPending}
	require.NoError(t, CheckConservation([]*wire.Receivable{pending}))
}

func TestClone_IsDeep(t *testing.T) {
	r := &wire.Receivable{Children: []string{"a"}, Parties: []string{"x"}, Trade: wire.Trade{Invoices: []wire.Invoice{{Number: "1"}}},
		Financing: &wire.Financing{Bank: "B"}}
	c := r.Clone()
	c.Children[0], c.Parties[0], c.Trade.Invoices[0].Number, c.Financing.Bank = "b", "y", "2", "C"
	require.Equal(t, "a", r.Children[0])
	require.Equal(t, "x", r.Parties[0])
	require.Equal(t, "1", r.Trade.Invoices[0].Number)
	require.Equal(t, "B", r.Financing.Bank)
}

func TestRules_OffersFinancingAndRefusalsWithoutFabric(t *testing.T) {
	b := newBook()
	do := mustApply(t, b)
	other := Caller{MSPID: "SupplierMSP", ID: "supplier-b", Role: wire.RoleSupplier}
	do(Issue(b, txAs(core, t0), request("R-1")))
	do(Issue(b, txAs(core, t0), request("R-2")))
	do(Reject(b, txAs(supplier, t0), "R-2", "not ours"))
	require.Equal(t, wire.StatusRejected, b.items["R-2"].Status)
	do(Issue(b, txAs(core, t0), request("R-3")))
	do(Revoke(b, txAs(core, t0), "R-3"))
	require.Equal(t, wire.StatusRevoked, b.items["R-3"].Status)

	do(Accept(b, txAs(supplier, t0), "R-1"))
	do(Transfer(b, txAs(supplier, t0), "R-1", other.Account(), "100"))
	do(Reject(b, txAs(other, t0), "R-1.1", "wrong part"))
	require.Equal(t, wire.StatusActive, b.items["R-1.1"].Status)
	do(Transfer(b, txAs(supplier, t0), "R-1.1", other.Account(), ""))
	do(Revoke(b, txAs(supplier, t0), "R-1.1"))
	do(RequestFinancing(b, txAs(supplier, t0), "R-1.2", "Bank1MSP"))
	do(rejectWith(b, txAs(officer, t0), "R-1.2", "no limit", salt))
	require.Nil(t, b.items["R-1.2"].Financing)
	require.True(t, CanRead(other, b.items["R-1.1"]))
	require.False(t, CanRead(other, b.items["R-1.2"]))

	refusals := []struct {
		name string
		err  func() error
		kind error
	}{
		{"reject without reason", func() error { _, err := Reject(b, txAs(supplier, t0), "R-1.1", ""); return err }, wire.ErrInvalid},
		{"revoke what is not offered", func() error { _, err := Revoke(b, txAs(supplier, t0), "R-1.1"); return err }, wire.ErrConflict},
		{"revoke by the wrong offerer", func() error {
			do(Transfer(b, txAs(supplier, t0), "R-1.1", other.Account(), ""))
			_, err := Revoke(b, txAs(other, t0), "R-1.1")
			return err
		}, wire.ErrForbidden},
		{"transfer to self", func() error { _, err := Transfer(b, txAs(supplier, t0), "R-1.2", supplier.Account(), ""); return err }, wire.ErrInvalid},
		{"transfer a bad amount", func() error {
			_, err := Transfer(b, txAs(supplier, t0), "R-1.2", other.Account(), "x")
			return err
		}, wire.ErrInvalid},
		{"transfer by a stranger", func() error {
			_, err := Transfer(b, txAs(other, t0), "R-1.2", "SupplierMSP/supplier-c", "")
			return err
		}, wire.ErrForbidden},
		{"finance at a bad bank", func() error { _, err := RequestFinancing(b, txAs(supplier, t0), "R-1.2", "Bank 1"); return err }, wire.ErrInvalid},
		{"a bank that declined no longer reads it", func() error { _, _, err := approveAt(b, txAs(officer, t0), "R-1.2", 100, salt, ""); return err }, wire.ErrForbidden},
		{"reject financing without reason", func() error { _, err := rejectWith(b, txAs(officer, t0), "R-1.2", "", salt); return err }, wire.ErrInvalid},
		{"redeem before maturity", func() error { _, err := Redeem(b, txAs(core, t0), "R-1.2", "PAY-1"); return err }, wire.ErrConflict},
		{"redeem by another obligor", func() error {
			_, err := Redeem(b, txAs(Caller{MSPID: "X", ID: "y", Role: wire.RoleIssuer}, t0), "R-1.2", "PAY-1")
			return err
		}, wire.ErrForbidden},
		{"redeem a split parent", func() error { _, err := Redeem(b, txAs(core, t0.AddDate(1, 0, 0)), "R-1", "PAY-1"); return err }, wire.ErrConflict},
		{"redeem all from a piece", func() error { _, err := RedeemAll(b, txAs(core, t0.AddDate(1, 0, 0)), "R-1.1", "PAY-1"); return err }, wire.ErrInvalid},
		{"redeem all with a pending piece", func() error { _, err := RedeemAll(b, txAs(core, t0.AddDate(1, 0, 0)), "R-1", "PAY-1"); return err }, wire.ErrConflict},
		{"unknown id", func() error { _, err := Accept(b, txAs(supplier, t0), "R-9"); return err }, wire.ErrNotFound},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			before := snapshot(b)
			require.ErrorIs(t, tt.err(), tt.kind)
			if tt.name != "revoke by the wrong offerer" {
				require.Equal(t, before, snapshot(b))
			}
		})
	}
	do(Redeem(b, txAs(core, t0.AddDate(1, 0, 0)), "R-1.2", "PAY-1"))
	require.Equal(t, supplier.Account(), b.items["R-1.2"].RedeemedTo)
	nodes, _ := b.Tree("R-1")
	require.NoError(t, CheckConservation(nodes))
}

func snapshot(b *book) map[string]wire.Receivable {
	out := map[string]wire.Receivable{}
	for id, r := range b.items {
		out[id] = *r.Clone()
	}
	return out
}

// Contract and invoice numbers are 1..64 characters of a documented set: Chinese numbering
// (沪采〔2026〕12号) and ASCII references pass; control characters, markup, padding and 65
// characters are refused with the character named.
func TestCheckDocNumber_TheDocumentedCharacterSet(t *testing.T) {
	for _, ok := range []string{"C-2026-001", "INV-2026/0042", "沪采〔2026〕12号", "合同（补充）第3号", "PO#12:A [rev 2]", strings.Repeat("号", 64)} {
		require.NoError(t, CheckDocNumber("contract.number", ok), ok)
	}
	for n, want := range map[string]string{
		"":                      "contract.number must have 1..64 characters",
		strings.Repeat("x", 65): "contract.number must have 1..64 characters",
		" C-1":                  "starts or ends with a space",
		"C-1\a":                 "has U+0007 at character 4",
		"<b>C</b>":              "has U+003C at character 1, outside the document-number set",
		"C\u200b1":              "has U+200B at character 2",
		"\xff":                  "contract.number must have 1..64 characters",
	} {
		err := CheckDocNumber("contract.number", n)
		require.Error(t, err, "%q", n)
		require.Contains(t, err.Error(), want, "%q", n)
		require.Equal(t, wire.KindInvalid, wire.KindOf(err))
	}
}

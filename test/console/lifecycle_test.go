package console_test

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/receivable"
	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/test/internal/gwtest"
)

// The five people of the story.
const (
	treasurer = "CoreMSP/treasurer"
	supplierA = "SupplierMSP/supplier-a"
	supplierB = "SupplierMSP/supplier-b"
	officer   = "Bank1MSP/officer"
	auditor   = "AuditorMSP/auditor"
	approver  = "CoreMSP/approver" // the checker of the core enterprise's two-person control
)

// confirmed has the approver confirm in its own browser what a maker's write in the console asked:
// the request appears on the approver's page of two-person control (saved as shot when named),
// 确认 Confirm commits it; returns the maker's outcome.
func confirmed(t *testing.T, checker *person, o outcome, shot string) outcome {
	t.Helper()
	if o.Instruction == "" {
		return o
	}
	card := fmt.Sprintf(`article.instruction[data-id=%q]`, o.Instruction)
	// The page refreshes itself when the maker's event arrives; a page loaded before the console
	// saw that event is loaded again.
	for range 20 {
		if checker.has(card) {
			break
		}
		time.Sleep(500 * time.Millisecond)
		checker.open("/approvals")
	}
	checker.waitFor(card)
	require.Equal(t, o.Target, checker.attr(card, "data-target"))
	require.Contains(t, checker.text(card), treasurer, "the maker is shown")
	if shot != "" {
		checker.shot(shot)
	}
	done := checker.committed(checker.submit(func() { checker.click(card + ` form[action="/do/confirm"] button`) }))
	require.Equal(t, o.Target, done.Target, "the confirmation names what it committed")
	return o
}

// document writes a trade document with fresh content and returns its path and SHA-256.
func document(t *testing.T, name string) (string, string) {
	b := make([]byte, 4096)
	_, err := rand.Read(b)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, b, 0o600))
	sum := sha256.Sum256(b)
	return path, hex.EncodeToString(sum[:])
}

// issue fills the treasurer's issue form: the documents are chosen as files and hashed by the
// browser; the form is saved as shot (when named) before it is sent; the returned outcome names
// the new receivable.
func issue(t *testing.T, p, checker *person, shot, to, amount, maturity string) (outcome, string, string) {
	t.Helper()
	contract, contractSum := document(t, "contract.pdf")
	invoice, invoiceSum := document(t, "invoice.pdf")
	tag := gwtest.RandomHex(t)[:8]
	p.nav("/issue")
	p.fill("#beneficiary", to)
	p.fill("#amount", amount)
	p.fill("#maturity", maturity)
	p.fill("#contractNumber", "C-"+tag)
	p.upload("#contractFile", contract)
	p.fill("#invoiceNumber1", "INV-"+tag)
	p.fill("#invoiceAmount1", amount)
	p.upload("#invoiceFile1", invoice)
	p.waitFor("#contractSha256-out[data-sha256]")
	p.waitFor("#invoiceSha2561-out[data-sha256]")
	require.Equal(t, contractSum, p.attr("#contractSha256-out", "data-sha256"), "the browser hashed the contract")
	var named int
	require.NoError(t, p.js(`document.querySelectorAll('input[type=file][name]').length`, &named))
	require.Zero(t, named, "no file input is part of the form: the files never leave the browser")
	if shot != "" {
		p.shot(shot)
	}
	approval := ""
	if shot != "" {
		approval = "approver-confirm"
	}
	o := confirmed(t, checker, p.committed(p.submit(func() { p.click("#issue-form button[type=submit]") })), approval)
	require.NotEmpty(t, o.Target)
	return o, contractSum, invoiceSum
}

// TestConsole_Lifecycle is the lifecycle clicked through by the five people in their own sessions:
// the treasurer issues, the supplier sees the offer arrive and accepts, splits, passes part on,
// asks for financing; the bank officer sees the request arrive, approves at a rate; a refusal is
// shown; a receivable due today is redeemed; the auditor traces, reconciles and reads the chain.
func TestConsole_Lifecycle(t *testing.T) {
	started := time.Now()
	root := browser(t)
	people := signIn(t, root, treasurer, supplierA, supplierB, officer, auditor, approver)
	core, a, b, bank, aud, checker := people[0], people[1], people[2], people[3], people[4], people[5]
	t.Logf("six people signed in after %s", time.Since(started).Round(time.Millisecond))
	a.open("/inbox")
	b.open("/inbox")
	bank.open("/financing")
	checker.open("/approvals")

	// 开立 Issue, with the documents hashed in the browser.
	maturity := time.Now().UTC().AddDate(0, 0, 120)
	issued, contractSum, invoiceSum := issue(t, core, checker, "core-issue", supplierA, "1250000.00", maturity.Format("2006-01-02"))
	id := issued.Target
	r := gwtest.As(t, nw.Dir, auditor).Eventually(t, id, func(wire.Receivable) bool { return true })
	require.Equal(t, contractSum, r.Trade.Contract.SHA256)
	require.Equal(t, invoiceSum, r.Trade.Invoices[0].SHA256)

	// The offer appears in the supplier's open inbox without a reload; 签收 Accept.
	offer := fmt.Sprintf(`article.offer[data-id=%q]`, id)
	a.waitFor(offer)
	require.Equal(t, "¥1,250,000.00", a.text(offer+" .amount"))
	a.shot("supplier-inbox")
	a.committed(a.submit(func() { a.click(offer + ` form[action="/do/accept"] button`) }))

	// 拆分 Split, then a split that does not add up is refused with the chaincode's message.
	a.nav("/holdings")
	held := fmt.Sprintf(`article.holding[data-id=%q]`, id)
	a.committed(a.submit(func() {
		a.click(held + " details:nth-of-type(1) summary")
		a.fill("#part1-"+cssID(id), "600000")
		a.fill("#part2-"+cssID(id), "650000.00")
		a.click(held + ` form[action="/do/split"] button`)
	}))
	piece1 := fmt.Sprintf(`article.holding[data-id=%q]`, id+".1")
	refused := a.submit(func() {
		a.click(piece1 + " details:nth-of-type(1) summary")
		a.fill("#part1-"+cssID(id+".1"), "1.00")
		a.fill("#part2-"+cssID(id+".1"), "2.00")
		a.click(piece1 + ` form[action="/do/split"] button`)
	})
	require.False(t, refused.OK)
	require.Equal(t, string(wire.KindInvalid), refused.Kind)
	require.Contains(t, refused.Detail, "parts sum to 3.00")
	a.shot("supplier-refusal")

	// 流转 Transfer part of the second piece to supplier B, who sees it live and accepts.
	piece2 := fmt.Sprintf(`article.holding[data-id=%q]`, id+".2")
	a.committed(a.submit(func() {
		a.click(piece2 + " details:nth-of-type(2) summary")
		a.fill("#to-"+cssID(id+".2"), supplierB)
		a.fill("#tamount-"+cssID(id+".2"), "200000.00")
		a.click(piece2 + ` form[action="/do/transfer"] button`)
	}))
	passed := fmt.Sprintf(`article.offer[data-id^=%q]`, id+".2.")
	b.waitFor(passed)
	bPiece := b.attr(passed, "data-id")
	b.committed(b.submit(func() { b.click(passed + ` form[action="/do/accept"] button`) }))

	// 融资 Request financing of the first piece at Bank1, with the discount previewed.
	a.nav("/holdings")
	a.click(piece1 + " details:nth-of-type(3) summary")
	days := int64(receivable.DaysBetween(time.Now(), maturity))
	require.Equal(t, yuan(receivable.Discount(60000000, 450, days)), a.text(piece1+" output.discount"))
	a.shot("supplier-holdings")
	a.committed(a.submit(func() {
		a.fill("#bank-"+cssID(id+".1"), "Bank1MSP")
		a.click(piece1 + ` form[action="/do/request-financing"] button`)
	}))

	// The request appears in the officer's open queue; 放款 Approve at 5.00%, the discount shown first.
	request := fmt.Sprintf(`article.request[data-id=%q]`, id+".1")
	bank.waitFor(request)
	bank.fill("#rate-"+cssID(id+".1"), "500")
	require.Equal(t, yuan(receivable.Discount(60000000, 500, days)), bank.text(request+" output.discount"))
	bank.shot("bank-queue")
	approved := bank.committed(bank.submit(func() { bank.click(request + ` form[action="/do/approve-financing"] button`) }))
	bank.nav("/book")
	bank.waitFor(fmt.Sprintf(`#book tr[data-id=%q]`, id+".1"))
	bank.shot("bank-book")

	// 拒绝 Bank1 rejects supplier B's request with a reason: B reads it beside its piece, the
	// auditor on the piece's history, as text (the markup in it is shown, never run).
	reason := "额度已满 <b>credit line full</b> & more"
	bank.open("/financing")
	b.nav("/holdings")
	bHeld := fmt.Sprintf(`article.holding[data-id=%q]`, bPiece)
	b.click(bHeld + " details:nth-of-type(3) summary")
	b.committed(b.submit(func() {
		b.fill("#bank-"+cssID(bPiece), "Bank1MSP")
		b.click(bHeld + ` form[action="/do/request-financing"] button`)
	}))
	bRequest := fmt.Sprintf(`article.request[data-id=%q]`, bPiece)
	bank.waitFor(bRequest)
	b.open("/holdings")
	bank.committed(bank.submit(func() {
		bank.fill("#freason-"+cssID(bPiece), reason)
		bank.click(bRequest + ` form[action="/do/reject-financing"] button`)
	}))
	b.waitFor(bHeld + " .last-rejection q.reason")
	require.Equal(t, reason, b.text(bHeld+" .last-rejection q.reason"))
	require.Contains(t, b.text(bHeld+" .last-rejection"), "Financing rejected by Bank1MSP")
	b.open("/inbox")

	// A receivable due today: issued, accepted, then 全部兑付 Redeem all.
	due, _, _ := issue(t, core, checker, "", supplierB, "80000.00", time.Now().UTC().Format("2006-01-02"))
	dueOffer := fmt.Sprintf(`article.offer[data-id=%q]`, due.Target)
	b.waitFor(dueOffer)
	b.committed(b.submit(func() { b.click(dueOffer + ` form[action="/do/accept"] button`) }))
	core.open("/issued")
	dueRoot := fmt.Sprintf(`article.root[data-id=%q]`, due.Target)
	core.waitFor(dueRoot + ` form[action="/do/redeem-all"]`)
	core.shot("core-issued")
	core.fill(dueRoot+` form[action="/do/redeem-all"] input[name=paymentRef]`, "TRF-"+due.Target)
	confirmed(t, checker, core.committed(core.submit(func() { core.click(dueRoot + ` form[action="/do/redeem-all"] button`) })), "")

	// The auditor: search, the lineage tree with the financing marked and the reconciliation,
	// the history with its transactions, the chain.
	aud.nav("/audit")
	aud.fill("#q", id)
	aud.click(`form[role=search] button`)
	aud.click(`a[href^="/audit/trace/"]`)
	aud.waitFor("#reconciliation")
	require.Contains(t, aud.text("#reconciliation"), "¥1,250,000.00 ✔")
	require.Contains(t, aud.text(fmt.Sprintf(`li[data-id=%q] .tag`, id+".1")), "Bank1MSP at 5.00%")
	aud.shot("auditor-trace")
	aud.nav("/audit/history/" + id + ".1")
	require.Contains(t, aud.text("#timeline"), approved.TxID)
	aud.shot("auditor-history")
	rejected := "#timeline .rejection q.reason"
	for range 20 { // the auditor's gateway follows the events on its own
		if aud.nav("/audit/history/" + bPiece); aud.has(rejected) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	require.Equal(t, reason, aud.text(rejected))
	aud.nav("/audit/trace/" + due.Target)
	require.Contains(t, aud.text("#reconciliation"), "已兑付 redeemed ¥80,000.00 = 开立 issued ¥80,000.00 ✔")
	aud.open("/audit/chain")
	require.NotEqual(t, "0", aud.text("#height"))
	aud.shot("auditor-chain")

	// The same page on a phone-sized screen.
	a.viewport(390, 844, true)
	a.nav("/holdings")
	a.shot("supplier-holdings-phone")
}

// cssID escapes the dots of a receivable id for a #id selector.
func cssID(id string) string {
	out := make([]rune, 0, len(id))
	for _, r := range id {
		if r == '.' {
			out = append(out, '\\')
		}
		out = append(out, r)
	}
	return string(out)
}

// yuan is the console's rendering of fen, written out here independently.
func yuan(fen int64) string {
	s := fmt.Sprintf("%d", fen/100)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return fmt.Sprintf("¥%s.%02d", s, fen%100)
}

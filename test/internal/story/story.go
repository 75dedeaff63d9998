// Package story is the lifecycle of receivables told through the recv gateways, once over their
// REST API and once with the recv CLI, so that every network the gateways run on is held to the
// same story: the native network (test/gateway) and the compose network (test/docker).
//
// A suite tells it in two lines:
//
//	func TestLifecycle_REST(t *testing.T) { story.REST(t, nw) }
//	func TestLifecycle_CLI(t *testing.T)  { story.CLI(t, nw) }
//
// The story writes only receivables with fresh ids and reads totals as lower bounds, so it holds
// on a ledger other suites and earlier runs have written to.
package story

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/client"
	"github.com/recv-ledger/recv/test/internal/gwtest"
	"github.com/recv-ledger/recv/test/internal/testnet"
)

// The accounts of the story: the core enterprise, three tiers of suppliers, two banks, the auditor.
const (
	Treasurer = "CoreMSP/treasurer"
	Approver  = "CoreMSP/approver" // the checker of the core enterprise's two-person control
	Tier1     = "SupplierMSP/supplier-a"
	Tier2     = "SupplierMSP/supplier-b"
	Tier3     = "SupplierMSP/supplier-c"
	Bank1     = "Bank1MSP/officer"
	Bank2     = "Bank2MSP/officer"
	Auditor   = "AuditorMSP/auditor"
)

// REST: the core enterprise issues 1,250,000.00 to tier 1, which accepts and splits it; one piece
// goes whole to tier 2, which passes part of it to tier 3; tier 3 is financed by Bank1, tier 2 is
// turned down by Bank2. Refusals keep their kind; trace, history, listing and totals agree. A
// second receivable that matures today is split, one leaf redeemed, then every other live leaf.
func REST(t *testing.T, n *testnet.Network) {
	as := func(account string) *gwtest.Client { return gwtest.As(t, n.Dir, account) }
	core, checker, a, b, c := as(Treasurer), as(Approver), as(Tier1), as(Tier2), as(Tier3)
	bank1, bank2, auditor := as(Bank1), as(Bank2), as(Auditor)
	id := gwtest.UniqueID(t, "LR")

	issued := core.Made(t, checker, "issue", "", gwtest.IssueBody(t, id, Tier1, "1250000.00", gwtest.InDays(120)))
	require.Equal(t, "ConfirmInstruction", issued.Result.Op, "the checker's confirmation commits the issuance")
	require.Equal(t, Approver, issued.Result.Instruction.Checker)
	a.Sees(t, id, wire.StatusPending)

	a.Submit(t, "accept", id, nil)
	a.Submit(t, "split", id, wire.SplitRequest{Parts: []string{"600000", "650000.00"}})
	a.Submit(t, "transfer", id+".2", wire.TransferRequest{To: Tier2})
	b.Submit(t, "accept", id+".2", nil)
	b.Submit(t, "transfer", id+".2", wire.TransferRequest{To: Tier3, Amount: "200000.00"})
	c.Submit(t, "accept", id+".2.1", nil)
	c.Submit(t, "request-financing", id+".2.1", wire.FinancingRequest{Bank: "Bank1MSP"})
	bank1.Sees(t, id+".2.1", wire.StatusFinancing)
	bank1.Submit(t, "approve-financing", id+".2.1", wire.ApproveRequest{RateBps: 450})

	financed := auditor.Eventually(t, id+".2.1", func(r wire.Receivable) bool { return r.Financed() })
	require.Equal(t, Bank1, financed.Holder)
	require.Equal(t, wire.StatusActive, financed.Status)
	require.NotNil(t, financed.Financing)
	terms := PrivateTerms(t, n, id+".2.1", Tier3, Bank1MSP)
	require.Equal(t, int64(450), terms.RateBps)
	require.Equal(t, int64(20000000), terms.DiscountFen+terms.DisbursedFen)
	require.Less(t, terms.DisbursedFen, int64(20000000), "the bank pays the discounted amount")

	// Tier 2 asks Bank2 to finance the 450,000.00 it kept; Bank2 declines and it is unlocked.
	kept := id + ".2.2"
	require.Equal(t, Tier2, auditor.Eventually(t, kept, func(r wire.Receivable) bool { return r.Holder == Tier2 }).Holder)
	b.Submit(t, "request-financing", kept, wire.FinancingRequest{Bank: "Bank2MSP"})
	bank2.Sees(t, kept, wire.StatusFinancing)
	rejected := bank2.Submit(t, "reject-financing", kept, wire.ReasonRequest{Reason: "credit line exhausted"})
	require.Equal(t, wire.StatusActive, rejected.Result.Items[0].Status)
	require.Empty(t, rejected.Result.Reason, "the reason is private")
	require.Equal(t, "Bank2MSP", rejected.Result.Items[0].Bank)
	var reason wire.Terms
	b.ReadEventually(t, "get-terms", &reason, kept, rejected.Result.Items[0].TermsHash)
	require.Equal(t, "credit line exhausted", reason.Reason, "the requester reads the reason")
	require.Equal(t, http.StatusNotFound, bank1.Refusal(t, "get-terms", kept+"/"+rejected.Result.Items[0].TermsHash, nil).Status,
		"another bank does not")
	require.Equal(t, Tier2, b.Sees(t, kept, wire.StatusActive).Holder)

	// The chaincode's refusals keep their kind through the gateway: conflict, invalid, not found,
	// forbidden, the conflict with its message, stage and transaction.
	p := core.Refusal(t, "redeem-all", id, wire.RedeemRequest{PaymentRef: "TRF-" + id})
	require.Equal(t, http.StatusConflict, p.Status)
	require.Equal(t, wire.KindConflict, p.Kind)
	require.Contains(t, p.Detail, "cannot be redeemed before")
	require.NotEmpty(t, p.TransactionID)
	require.Equal(t, "endorse", p.Stage)
	require.Equal(t, http.StatusBadRequest, a.Refusal(t, "split", id+".1", wire.SplitRequest{Parts: []string{"1", "2"}}).Status)
	require.Equal(t, http.StatusNotFound, auditor.Refusal(t, "get", id+"-missing", nil).Status)
	require.Equal(t, http.StatusForbidden, b.Refusal(t, "transfer", id+".1", wire.TransferRequest{To: Tier3}).Status)

	var trace wire.Trace
	auditor.Read(t, "trace", &trace, id)
	live, redeemed := LeafSums(t, trace.Root)
	require.Equal(t, int64(125000000), live, "the leaves add up to the root")
	require.Zero(t, redeemed)

	var history []wire.HistoryEntry
	auditor.Read(t, "history", &history, id+".2.1")
	require.Len(t, history, 4, "offered, accepted, financing requested, approved")
	require.Equal(t, Bank1, history[0].Submitter, "newest first")

	_, err := c.Client.List(context.Background(), client.ListQuery{Holder: Tier2})
	require.ErrorIs(t, err, wire.ErrForbidden, "tier 3 cannot list tier 2's holdings")
	require.Contains(t, ids(b.List(t, client.ListQuery{Holder: Tier2})), kept)

	var totals wire.Totals
	auditor.Read(t, "totals", &totals, "Bank1MSP", "officer")
	require.GreaterOrEqual(t, totals.FinancedFen, int64(20000000), "Bank1's financed total counts this piece")
	auditor.Read(t, "totals", &totals, "SupplierMSP", "supplier-b")
	require.GreaterOrEqual(t, totals.OutstandingFen, int64(45000000), "tier 2's outstanding total counts what it kept")

	// A receivable that matures today is redeemed at once: one leaf, then every other live leaf.
	due := gwtest.UniqueID(t, "LD")
	core.Made(t, checker, "issue", "", gwtest.IssueBody(t, due, Tier1, "80000.00", gwtest.Today()))
	a.Sees(t, due, wire.StatusPending)
	a.Submit(t, "accept", due, nil)
	a.Submit(t, "split", due, wire.SplitRequest{Parts: []string{"30000", "50000"}})
	core.Sees(t, due+".1", wire.StatusActive)
	core.Made(t, checker, "redeem", due+".1", wire.RedeemRequest{PaymentRef: "TRF-" + due + "-1"})
	all := core.Made(t, checker, "redeem-all", due, wire.RedeemRequest{PaymentRef: "TRF-" + due})
	require.Len(t, all.Result.Items, 1)
	require.Equal(t, due+".2", all.Result.Items[0].ID)
	for _, piece := range []string{due + ".1", due + ".2"} {
		auditor.Sees(t, piece, wire.StatusRedeemed)
	}
	require.Equal(t, "TRF-"+due, auditor.Get(t, due+".2").Redemption.PaymentRef, "the redemption records its payment")
	auditor.Read(t, "trace", &trace, due)
	live, redeemed = LeafSums(t, trace.Root)
	require.Zero(t, live, "every live leaf of %s is redeemed", due)
	require.Equal(t, int64(8000000), redeemed)

	st, err := auditor.Transaction(context.Background(), all.TxID)
	require.NoError(t, err)
	require.Equal(t, "VALID", st.ValidationCode)
	_, err = auditor.Transaction(context.Background(), strings.Repeat("0", 64))
	require.ErrorIs(t, err, wire.ErrNotFound)
}

// CLI tells the same story with the recv binary on this host, which finds the gateways and the
// users' tokens through the network's state folder (RECV_NET_DIR); exit codes carry the kinds of
// refusal (invalid 2, not found 3, forbidden 4, conflict 5).
func CLI(t *testing.T, n *testnet.Network) {
	require.NotEmpty(t, n.RecvBin, "the suite's testnet.Config needs RecvCLI")
	cli := gwtest.CLI{Bin: n.RecvBin, NetDir: n.Dir}
	recv := func(as string, args ...string) string {
		return cli.Must(t, nil, append([]string{"--as", as}, args...)...)
	}
	issue := func(id, amount, maturity string) string {
		issued := cli.Made(t, Treasurer, Approver, "issue", "--id", id, "--to", Tier1, "--amount", amount,
			"--maturity", maturity, "--contract", "C-9:"+gwtest.RandomHex(t), "--invoice", "INV-"+id+":"+gwtest.RandomHex(t)+":"+amount)
		return issued.TransactionID
	}
	// Before an organisation acts on another's write, its gateway must see it (see gwtest.Sees).
	sees := func(account, id string, s wire.Status) { gwtest.As(t, n.Dir, account).Sees(t, id, s) }
	id := gwtest.UniqueID(t, "LC")
	require.NotEmpty(t, issue(id, "1000.00", gwtest.InDays(60)))
	sees(Tier1, id, wire.StatusPending)

	recv(Tier1, "accept", id)
	recv(Tier1, "split", id, "--parts", "400,600")
	recv(Tier1, "transfer", id+".2", "--to", Tier2)
	recv(Tier2, "accept", id+".2")
	recv(Tier2, "transfer", id+".2", "--to", Tier3, "--amount", "100")
	recv(Tier3, "accept", id+".2.1")
	recv(Tier3, "finance", "request", id+".2.1", "--bank", "Bank1MSP")
	sees(Bank1, id+".2.1", wire.StatusFinancing)
	recv(Bank1, "finance", "approve", id+".2.1", "--rate-bps", "450")

	out := cli.Eventually(t, func(s string) bool { return strings.Contains(s, "Bank1MSP 450bps") }, "--as", Auditor, "trace", id)
	require.Contains(t, out, id+"  1000.00  SPLIT")
	require.Contains(t, out, "└── "+id+".2.2  500.00  ACTIVE  "+Tier2)
	require.Contains(t, out, "Bank1MSP 450bps")

	out = recv(Auditor, "history", id+".2.1")
	require.Len(t, strings.Split(strings.TrimSpace(out), "\n"), 5, "header and four versions:\n%s", out)

	recv(Tier2, "finance", "request", id+".2.2", "--bank", "Bank2MSP")
	sees(Bank2, id+".2.2", wire.StatusFinancing)
	recv(Bank2, "finance", "reject", id+".2.2", "--reason", "limit reached")
	var got wire.Receivable
	cli.Eventually(t, func(s string) bool { return decode(s, &got) && got.Status == wire.StatusActive }, "--as", Tier2, "-o", "json", "get", id+".2.2")
	require.Equal(t, wire.StatusActive, got.Status)

	var totals wire.Totals
	cli.Must(t, &totals, "--as", Auditor, "-o", "json", "totals", Bank1)
	require.GreaterOrEqual(t, totals.FinancedFen, int64(10000))

	code, _, stderr := cli.Run(t, "--as", Treasurer, "redeem-all", id, "--payment-ref", "TRF-"+id)
	require.Equal(t, 5, code, stderr)
	require.Contains(t, stderr, "cannot be redeemed before")
	code, _, stderr = cli.Run(t, "--as", Auditor, "get", id+"-nope")
	require.Equal(t, 3, code, stderr)
	code, _, stderr = cli.Run(t, "--as", Tier3, "transfer", id+".1", "--to", Tier2)
	require.Equal(t, 4, code, stderr)
	code, _, stderr = cli.Run(t, "--as", Tier1, "split", id+".1", "--parts", "1,2")
	require.Equal(t, 2, code, stderr)

	// A receivable due today: one leaf redeemed, then the rest of the root.
	due := gwtest.UniqueID(t, "LT")
	issue(due, "500.00", gwtest.Today())
	sees(Tier1, due, wire.StatusPending)
	recv(Tier1, "accept", due)
	recv(Tier1, "split", due, "--parts", "200,300")
	sees(Treasurer, due+".1", wire.StatusActive)
	cli.Made(t, Treasurer, Approver, "redeem", due+".1", "--payment-ref", "TRF-"+due+"-1")
	cli.Made(t, Treasurer, Approver, "redeem-all", due, "--payment-ref", "TRF-"+due)
	cli.Eventually(t, func(s string) bool { return decode(s, &got) && got.Status == wire.StatusRedeemed }, "--as", Auditor, "-o", "json", "get", due+".2")
	require.Equal(t, wire.StatusRedeemed, got.Status)
}

// Bank1MSP is the bank of the story's financing.
const Bank1MSP = "Bank1MSP"

// PrivateTerms checks who sees the terms of id's approved financing, requested by requester from
// bank: the requester, the bank's financier and the auditor read the same terms, which hash to
// the public termsHash everyone who may read the receivable sees; the core enterprise sees the
// hash only, the other bank neither the receivable nor the terms. It returns the terms.
func PrivateTerms(t *testing.T, n *testnet.Network, id, requester, bank string) wire.Terms {
	t.Helper()
	as := func(account string) *gwtest.Client { return gwtest.As(t, n.Dir, account) }
	other := Bank2
	if bank != Bank1MSP {
		other = Bank1
	}
	var seen *wire.Terms
	for _, party := range []string{requester, bank + "/officer", Auditor} {
		// A member peer that did not endorse gets the terms from the endorsers, a moment later.
		r := as(party).Eventually(t, id, func(r wire.Receivable) bool { return r.Financing != nil && r.Financing.Terms != nil })
		require.NotNil(t, r.Financing.Terms, "%s is a party to the terms of %s", party, id)
		raw, err := json.Marshal(r.Financing.Terms)
		require.NoError(t, err)
		sum := sha256.Sum256(raw)
		require.Equal(t, r.Financing.TermsHash, hex.EncodeToString(sum[:]), "the public hash is the SHA-256 of the terms")
		if seen != nil {
			require.Equal(t, *seen, *r.Financing.Terms)
		}
		seen = r.Financing.Terms
	}
	// The core enterprise's peer may be a block behind the parties' for a moment.
	obligor := as(Treasurer).Eventually(t, id, func(r wire.Receivable) bool { return r.Financing != nil && r.Financing.TermsHash != "" })
	require.Nil(t, obligor.Financing.Terms, "the core enterprise sees the hash, not the price")
	require.Equal(t, seen.ID, id)
	require.NotEmpty(t, obligor.Financing.TermsHash)
	rival := as(other)
	require.Equal(t, http.StatusForbidden, rival.Refusal(t, "get", id, nil).Status)
	require.Equal(t, http.StatusNotFound, rival.Refusal(t, "get-terms", id+"/"+obligor.Financing.TermsHash, nil).Status)
	return *seen
}

// LeafSums adds the amounts of a lineage tree's live (pending, active, financing) and redeemed
// leaves, and requires every split node's pieces to add up to it.
func LeafSums(t *testing.T, n *wire.TraceNode) (live, redeemed int64) {
	t.Helper()
	require.NotNil(t, n)
	if len(n.Pieces) == 0 {
		switch n.Status {
		case wire.StatusRedeemed:
			return 0, n.AmountFen
		case wire.StatusActive, wire.StatusPending, wire.StatusFinancing:
			return n.AmountFen, 0
		}
		t.Fatalf("leaf %s has status %s", n.ID, n.Status)
	}
	var sum int64
	for _, p := range n.Pieces {
		l, r := LeafSums(t, p)
		live, redeemed, sum = live+l, redeemed+r, sum+p.AmountFen
	}
	require.Equal(t, n.AmountFen, sum, "the pieces of %s add up to it", n.ID)
	return live, redeemed
}

func ids(rs []*wire.Receivable) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

func decode(s string, v any) bool { return json.Unmarshal([]byte(s), v) == nil }

package contract_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/stretchr/testify/require"
)

func TestGet_ReadAccess(t *testing.T) {
	h := newHarness(t)
	h.active("R-1", supA, "1000")
	h.ok(supA, "Transfer", "R-1", supB, "400")
	h.ok(supB, "Accept", "R-1.1")
	h.ok(supB, "RequestFinancing", "R-1.1", "Bank2MSP")

	tests := []struct {
		caller, id string
		allowed    bool
	}{
		{auditor, "R-1.1", true},
		{treasurer, "R-1.1", true},
		{treasurer2, "R-1.1", true}, // issuer of the obligor's MSP
		{otherCore, "R-1.1", false},
		{supA, "R-1.1", true}, // party of the lineage
		{supB, "R-1.1", true}, // holder
		{supB, "R-1.2", false},
		{supC, "R-1.1", false},
		{bank2, "R-1.1", true}, // asked to finance it
		{bank1, "R-1.1", false},
		{admin, "R-1", false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s reads %s", tt.caller, tt.id), func(t *testing.T) {
			if tt.allowed {
				var r wire.Receivable
				require.NoError(t, json.Unmarshal([]byte(h.ok(tt.caller, "Get", tt.id)), &r))
				require.Equal(t, tt.id, r.ID)
			} else {
				h.refuse("forbidden: receivable "+tt.id, tt.caller, "Get", tt.id)
			}
		})
	}
	h.refuse("not_found: receivable R-2", auditor, "Get", "R-2")
	h.refuse("invalid: id", auditor, "Get", "R-1..1")
	h.refuse("invalid: id", auditor, "Get", "R-1.01")
	h.refuse("invalid: id", auditor, "Get", "R-1.")
}

type listPage struct {
	Items    []wire.Receivable `json:"items"`
	Bookmark string            `json:"bookmark"`
	Count    int               `json:"count"`
}

func TestListByHolder_PagesWithBookmarks(t *testing.T) {
	h := newHarness(t)
	for i := range 5 {
		h.active(fmt.Sprintf("R-%d", i), supA, "10")
	}
	h.issue(issueJSON(issueOpts{ID: "R-P", Beneficiary: supA})) // offered to supA: listed too
	h.active("R-X", supB, "10")

	var seen []string
	bookmark := ""
	for range 10 {
		var p listPage
		require.NoError(t, json.Unmarshal([]byte(h.ok(supA, "ListByHolder", supA, "4", bookmark)), &p))
		require.Equal(t, len(p.Items), p.Count)
		for _, r := range p.Items {
			seen = append(seen, r.ID)
		}
		if bookmark = p.Bookmark; bookmark == "" {
			break
		}
	}
	require.Equal(t, []string{"R-0", "R-1", "R-2", "R-3", "R-4", "R-P"}, seen)

	var p listPage
	require.NoError(t, json.Unmarshal([]byte(h.ok(auditor, "ListByHolder", supB, "20", "")), &p))
	require.Equal(t, 1, p.Count)

	h.refuse("forbidden: SupplierMSP/supplier-b may not list the receivables of SupplierMSP/supplier-a", supB, "ListByHolder", supA, "20", "")
	h.refuse("invalid: pageSize 0 must be an integer in 1..100", supA, "ListByHolder", supA, "0", "")
	h.refuse("invalid: pageSize -1 must be", supA, "ListByHolder", supA, "-1", "")
	h.refuse("invalid: pageSize \"\" is not an integer", supA, "ListByHolder", supA, "", "")
	h.refuse("invalid: pageSize 101 must be", supA, "ListByHolder", supA, "101", "")
	h.refuse("invalid: pageSize \"99999999999\" is out of range", supA, "ListByHolder", supA, "99999999999", "")
	h.refuse("invalid: account", supA, "ListByHolder", "supplier-a", "20", "")
}

func TestListByHolder_FollowsTheHolder(t *testing.T) {
	h := newHarness(t)
	h.active("R-1", supA, "10")
	h.ok(supA, "Transfer", "R-1", supB, "")
	h.ok(supB, "Accept", "R-1")
	var p listPage
	require.NoError(t, json.Unmarshal([]byte(h.ok(supA, "ListByHolder", supA, "20", "")), &p))
	require.Zero(t, p.Count)
	require.NoError(t, json.Unmarshal([]byte(h.ok(supB, "ListByHolder", supB, "20", "")), &p))
	require.Equal(t, 1, p.Count)
}

func TestListByIssuer_ForIssuersOfThatMSPAndTheAuditor(t *testing.T) {
	h := newHarness(t)
	h.active("R-1", supA, "10")
	h.ok(supA, "Split", "R-1", `["4","6"]`)
	for _, caller := range []string{treasurer, treasurer2, auditor} {
		var p listPage
		require.NoError(t, json.Unmarshal([]byte(h.ok(caller, "ListByIssuer", treasurer, "20", "")), &p))
		require.Equal(t, 3, p.Count, caller)
	}
	h.refuse("forbidden: ", otherCore, "ListByIssuer", treasurer, "20", "")
	h.refuse("forbidden: ", supA, "ListByIssuer", treasurer, "20", "")
	h.refuse("invalid: pageSize \"x\" is not an integer", treasurer, "ListByIssuer", treasurer, "x", "")
}

type traceNode struct {
	ID     string      `json:"id"`
	Status string      `json:"status"`
	Pieces []traceNode `json:"pieces"`
}

func TestTrace_ReturnsTheLineageTree(t *testing.T) {
	h := newHarness(t)
	h.active("R-1", supA, "1000")
	h.ok(supA, "Split", "R-1", `["400","600"]`)
	h.ok(supA, "Transfer", "R-1.2", supB, "100")
	h.active("R-10", supC, "5") // R-10 is not a piece of R-1

	var out struct{ Root traceNode }
	require.NoError(t, json.Unmarshal([]byte(h.ok(supB, "Trace", "R-1")), &out))
	require.Equal(t, "R-1", out.Root.ID)
	require.Len(t, out.Root.Pieces, 2)
	require.Equal(t, "R-1.2", out.Root.Pieces[1].ID)
	require.Equal(t, []string{"R-1.2.1", "R-1.2.2"}, []string{out.Root.Pieces[1].Pieces[0].ID, out.Root.Pieces[1].Pieces[1].ID})
	require.Empty(t, out.Root.Pieces[0].Pieces)

	h.ok(auditor, "Trace", "R-1")
	h.ok(treasurer, "Trace", "R-1")
	h.refuse("forbidden: receivable R-1: SupplierMSP/supplier-c is not a party", supC, "Trace", "R-1")
	h.refuse("invalid: rootId R-1.2 is a piece", auditor, "Trace", "R-1.2")
	h.refuse("not_found: receivable R-2", auditor, "Trace", "R-2")
	h.refuse("invalid: rootId", auditor, "Trace", "")
}

func TestHistory_ListsEveryVersionWithSubmitter(t *testing.T) {
	h := newHarness(t)
	h.active("R-1", supA, "1000")
	h.ok(supA, "Transfer", "R-1", supB, "")
	var hist []struct {
		TxID      string          `json:"txId"`
		Timestamp string          `json:"timestamp"`
		Submitter string          `json:"submitter"`
		IsDelete  bool            `json:"isDelete"`
		Value     json.RawMessage `json:"value"`
	}
	require.NoError(t, json.Unmarshal([]byte(h.ok(supB, "History", "R-1")), &hist))
	require.Len(t, hist, 3)
	require.Equal(t, []string{supA, supA, approver}, []string{hist[0].Submitter, hist[1].Submitter, hist[2].Submitter})
	require.Equal(t, "2026-11-22T10:00:00Z", hist[0].Timestamp)
	require.NotEmpty(t, hist[0].TxID)
	var v wire.Receivable
	require.NoError(t, json.Unmarshal(hist[2].Value, &v))
	require.Equal(t, wire.StatusPending, v.Status)
	h.refuse("forbidden: ", supC, "History", "R-1")
	h.refuse("not_found: ", auditor, "History", "R-2")
}

func TestTotals_SumsOutstandingFinancedAndRedeemed(t *testing.T) {
	h := newHarness(t)
	h.active("R-1", supA, "1000")
	h.ok(supA, "Split", "R-1", `["100","200","300","400"]`)
	h.ok(supA, "Transfer", "R-1.1", supB, "")           // offered, still held by supA
	h.ok(supA, "RequestFinancing", "R-1.2", "Bank1MSP") // locked, still held
	h.ok(supA, "RequestFinancing", "R-1.3", "Bank1MSP")
	h.ok(bank1, "ApproveFinancing", "R-1.3", "", "100") // moved to the bank
	h.days(129)
	h.redeem(treasurer, "R-1.4")

	var tot struct {
		Account        string `json:"account"`
		Outstanding    string `json:"outstanding"`
		OutstandingFen int64  `json:"outstandingFen"`
		Financed       string `json:"financed"`
		Redeemed       string `json:"redeemed"`
	}
	require.NoError(t, json.Unmarshal([]byte(h.ok(supA, "Totals", supA)), &tot))
	require.Equal(t, supA, tot.Account)
	require.Equal(t, "300.00", tot.Outstanding)
	require.Equal(t, int64(30000), tot.OutstandingFen)
	require.Equal(t, "0.00", tot.Financed)
	require.Equal(t, "400.00", tot.Redeemed)

	require.NoError(t, json.Unmarshal([]byte(h.ok(auditor, "Totals", bank1)), &tot))
	require.Equal(t, "300.00", tot.Outstanding)
	require.Equal(t, "300.00", tot.Financed)
	require.Equal(t, "0.00", tot.Redeemed)

	h.refuse("forbidden: ", supB, "Totals", supA)
	h.refuse("invalid: account", auditor, "Totals", "x")
}

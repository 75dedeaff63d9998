package contract_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
)

func TestSplit_MakesActiveChildrenWithTheSameHolder(t *testing.T) {
	h := newHarness(t)
	h.active("R-1", supA, "1250000.00")
	h.ok(supA, "Split", "R-1", `["600000","650000.00"]`)

	parent := h.get("R-1")
	require.Equal(t, wire.StatusSplit, parent.Status)
	require.Equal(t, []string{"R-1.1", "R-1.2"}, parent.Children)
	for i, want := range []int64{60000000, 65000000} {
		c := h.get(fmt.Sprintf("R-1.%d", i+1))
		require.Equal(t, wire.StatusActive, c.Status)
		require.Equal(t, supA, c.Holder)
		require.Equal(t, "R-1", c.ParentID)
		require.Equal(t, "R-1", c.RootID)
		require.Equal(t, want, c.AmountFen)
		require.Equal(t, parent.Parties, c.Parties)
		require.Equal(t, parent.Trade, c.Trade)
	}
	e := h.lastEvent()
	require.Len(t, e.Items, 3)
	require.Equal(t, "SPLIT", e.Items[0].Status)
	require.Equal(t, "600000.00", e.Items[1].Amount)
}

func TestSplit_AllowsAHundredParts(t *testing.T) {
	h := newHarness(t)
	h.active("R-1", supA, "100.00")
	parts, _ := json.Marshal(slicesRepeat("1", 100))
	h.ok(supA, "Split", "R-1", string(parts))
	require.Len(t, h.get("R-1").Children, 100)
	require.Equal(t, "R-1.100", h.get("R-1").Children[99])
}

func slicesRepeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func TestSplit_Refusals(t *testing.T) {
	tooMany, _ := json.Marshal(slicesRepeat("0.01", 101))
	tests := []struct {
		name   string
		caller string
		id     string
		parts  string
		want   string
	}{
		{"parts must sum to the amount", supA, "R-1", `["600000","650000.01"]`, "invalid: parts sum to 1250000.01, receivable R-1 is 1250000.00"},
		{"one part is not a split", supA, "R-1", `["1250000"]`, "invalid: parts: 1 given, 2..100 needed"},
		{"at most a hundred parts", supA, "R-1", string(tooMany), "invalid: parts: 101 given"},
		{"each part greater than zero", supA, "R-1", `["1250000","0"]`, "invalid: parts[1]: amount \"0\" must be greater than zero"},
		{"parts must be a JSON array of strings", supA, "R-1", `[1,2]`, "invalid: parts must be a JSON array"},
		{"only the holder", supB, "R-1", `["600000","650000"]`, "forbidden: receivable R-1: SupplierMSP/supplier-b is not a party to it"},
		{"issuer role may not split", treasurer, "R-1", `["600000","650000"]`, "forbidden: Split needs role supplier|financier"},
		{"a split receivable never moves again", supA, "R-S", `["50","50"]`, "conflict: receivable R-S is SPLIT, only an ACTIVE receivable can be split"},
		{"pending receivable", supA, "R-P", `["50","50"]`, "forbidden: receivable R-P is held by , not by SupplierMSP/supplier-a"},
		{"financing receivable", supA, "R-F", `["50","50"]`, "conflict: receivable R-F is FINANCING"},
		{"financed receivable waits for redemption", bank1, "R-B", `["50","50"]`, "conflict: receivable R-B is financed by Bank1MSP and waits for redemption"},
		{"unknown", supA, "R-9", `["50","50"]`, "not_found: receivable R-9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.active("R-1", supA, "1250000.00")
			h.active("R-S", supA, "100")
			h.ok(supA, "Split", "R-S", `["50","50"]`)
			h.issue(issueJSON(issueOpts{ID: "R-P", Amount: "100"}))
			h.active("R-F", supA, "100")
			h.ok(supA, "RequestFinancing", "R-F", "Bank1MSP")
			h.active("R-B", supA, "100")
			h.ok(supA, "RequestFinancing", "R-B", "Bank1MSP")
			h.ok(bank1, "ApproveFinancing", "R-B", "", "450")
			h.refuse(tt.want, tt.caller, "Split", tt.id, tt.parts)
		})
	}
}

func TestTransfer_WholeIsOfferedThenAccepted(t *testing.T) {
	h := newHarness(t)
	h.active("R-1", supA, "1000")
	h.ok(supA, "Transfer", "R-1", supB, "")
	r := h.get("R-1")
	require.Equal(t, wire.StatusPending, r.Status)
	require.Equal(t, supA, r.Holder)
	require.Equal(t, supB, r.PendingHolder)
	require.Contains(t, r.Parties, supB)

	h.ok(supB, "Accept", "R-1")
	r = h.get("R-1")
	require.Equal(t, wire.StatusActive, r.Status)
	require.Equal(t, supB, r.Holder)
	h.ok(supB, "Transfer", "R-1", supC, "1000.00") // the full amount is a whole transfer
	require.Equal(t, supC, h.get("R-1").PendingHolder)
}

func TestTransfer_PartSplitsIntoOfferedPartAndKeptRemainder(t *testing.T) {
	h := newHarness(t)
	h.active("R-1", supA, "1000")
	h.ok(supA, "Transfer", "R-1", supB, "300.50")
	require.Equal(t, wire.StatusSplit, h.get("R-1").Status)
	offered, kept := h.get("R-1.1"), h.get("R-1.2")
	require.Equal(t, wire.StatusPending, offered.Status)
	require.Equal(t, supA, offered.Holder)
	require.Equal(t, supB, offered.PendingHolder)
	require.Equal(t, int64(30050), offered.AmountFen)
	require.Equal(t, wire.StatusActive, kept.Status)
	require.Equal(t, supA, kept.Holder)
	require.Equal(t, int64(69950), kept.AmountFen)
	require.NotContains(t, kept.Parties, supB)
	e := h.lastEvent()
	require.Equal(t, "Transfer", e.Op)
	require.Len(t, e.Items, 3)

	h.ok(supB, "Accept", "R-1.1")
	require.Equal(t, supB, h.get("R-1.1").Holder)
}

func TestTransfer_RejectOrRevokeReturnsItToTheHolder(t *testing.T) {
	for _, tc := range []struct{ who, fn string }{{supB, "Reject"}, {supA, "Revoke"}} {
		t.Run(tc.fn, func(t *testing.T) {
			h := newHarness(t)
			h.active("R-1", supA, "1000")
			h.ok(supA, "Transfer", "R-1", supB, "")
			args := []string{"R-1"}
			if tc.fn == "Reject" {
				args = append(args, "not ours")
			}
			h.ok(tc.who, tc.fn, args...)
			r := h.get("R-1")
			require.Equal(t, wire.StatusActive, r.Status)
			require.Equal(t, supA, r.Holder)
			require.Empty(t, r.PendingHolder)
		})
	}
}

func TestTransfer_Refusals(t *testing.T) {
	tests := []struct {
		name   string
		caller string
		args   []string
		days   int
		want   string
	}{
		{"to self", supA, []string{"R-1", supA, ""}, 0, "invalid: to SupplierMSP/supplier-a is the holder itself"},
		{"to a malformed account", supA, []string{"R-1", "nobody", ""}, 0, "invalid: to"},
		{"more than the amount", supA, []string{"R-1", supB, "1000.01"}, 0, "invalid: amount 1000.01 exceeds receivable R-1 of 1000.00"},
		{"bad amount", supA, []string{"R-1", supB, "1,000"}, 0, "invalid: amount"},
		{"not the holder", supB, []string{"R-1", supC, ""}, 0, "forbidden: "},
		{"auditor", auditor, []string{"R-1", supC, ""}, 0, "forbidden: Transfer needs role"},
		{"on the maturity day", supA, []string{"R-1", supB, ""}, 129, "conflict: receivable R-1 matures on 2027-03-31: it can no longer be transferred"},
		{"after maturity", supA, []string{"R-1", supB, ""}, 200, "conflict: receivable R-1 matures on 2027-03-31"},
		{"already offered", supA, []string{"R-O", supC, ""}, 0, "conflict: receivable R-O is PENDING"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.active("R-1", supA, "1000")
			h.active("R-O", supA, "1000")
			h.ok(supA, "Transfer", "R-O", supB, "")
			h.days(tt.days)
			h.refuse(tt.want, tt.caller, "Transfer", tt.args...)
		})
	}
}

func TestFinancing_ApprovalDiscountsAndMakesTheBankHolder(t *testing.T) {
	h := newHarness(t)
	h.active("R-1", supA, "1250000.00")
	h.ok(supA, "RequestFinancing", "R-1", "Bank1MSP")
	r := h.get("R-1")
	require.Equal(t, wire.StatusFinancing, r.Status)
	require.Equal(t, "Bank1MSP", r.Financing.Bank)
	require.Equal(t, supA, r.Financing.RequestedBy)
	// a bank financier may read what it is asked to finance
	require.Contains(t, h.ok(bank1, "Get", "R-1"), `"status":"FINANCING"`)

	h.ok(bank1, "ApproveFinancing", "R-1", "", "450")
	r = h.get("R-1")
	require.Equal(t, wire.StatusActive, r.Status)
	require.Equal(t, bank1, r.Holder)
	f := r.Financing
	require.NotNil(t, f.Terms, "the auditor reads the terms")
	require.Equal(t, int64(450), f.Terms.RateBps)
	require.Equal(t, int64(129), f.Terms.Days) // 2026-11-22 .. 2027-03-31
	// 125000000 x 450 x 129 / 3600000 = 2015625.0 fen
	require.Equal(t, int64(2015625), f.Terms.DiscountFen)
	require.Equal(t, "20156.25", f.Terms.Discount)
	require.Equal(t, "1229843.75", f.Terms.Disbursed)
	require.Equal(t, bank1, f.Financier)
	require.Equal(t, "2026-11-22T10:00:00Z", f.ApprovedAt)
	require.Contains(t, r.Parties, bank1)
	// the supplier keeps read access as a party
	require.Contains(t, h.ok(supA, "Get", "R-1"), `"status":"ACTIVE"`)
}

func TestFinancing_RejectUnlocksAndKeepsTheReason(t *testing.T) {
	h := newHarness(t)
	h.active("R-1", supA, "1000")
	h.ok(supA, "RequestFinancing", "R-1", "Bank2MSP")
	h.ok(bank2, "RejectFinancing", "R-1", "limit reached")
	ev := h.lastEvent()
	require.Empty(t, ev.Reason, "the reason is private")
	require.NotContains(t, string(h.ledger.Events()[len(h.ledger.Events())-1].Payload), "limit reached")
	var terms wire.Terms
	require.NoError(t, json.Unmarshal([]byte(h.ok(supA, "GetTerms", "R-1", ev.Items[0].TermsHash)), &terms))
	require.Equal(t, "limit reached", terms.Reason)
	require.Equal(t, wire.DecisionRejected, terms.Decision)
	r := h.get("R-1")
	require.Equal(t, wire.StatusActive, r.Status)
	require.Nil(t, r.Financing)
	require.Equal(t, supA, r.Holder)
	h.ok(supA, "RequestFinancing", "R-1", "Bank1MSP")
}

func TestFinancing_Refusals(t *testing.T) {
	tests := []struct {
		name   string
		caller string
		fn     string
		args   []string
		days   int
		want   string
	}{
		{"request by a financier", bank1, "RequestFinancing", []string{"R-1", "Bank1MSP"}, 0, "forbidden: RequestFinancing needs role supplier"},
		{"request by a non-holder", supB, "RequestFinancing", []string{"R-1", "Bank1MSP"}, 0, "forbidden: "},
		{"request with a bad bank", supA, "RequestFinancing", []string{"R-1", "Bank 1"}, 0, "invalid: bank"},
		{"request twice", supA, "RequestFinancing", []string{"R-F", "Bank1MSP"}, 0, "conflict: receivable R-F is FINANCING"},
		{"request on the maturity day", supA, "RequestFinancing", []string{"R-1", "Bank1MSP"}, 129, "conflict: receivable R-1 matures on 2027-03-31: it can no longer be financed"},
		{"approve by the other bank", bank2, "ApproveFinancing", []string{"R-F", "", "450"}, 0, "forbidden: "},
		{"approve by a supplier", supA, "ApproveFinancing", []string{"R-F", "", "450"}, 0, "forbidden: DecideFinancing needs role financier"},
		{"approve rate zero", bank1, "ApproveFinancing", []string{"R-F", "", "0"}, 0, "invalid: rateBps 0 must be an integer in 1..3600"},
		{"approve rate above 36%", bank1, "ApproveFinancing", []string{"R-F", "", "3601"}, 0, "invalid: rateBps"},
		{"approve rate not integer", bank1, "ApproveFinancing", []string{"R-F", "", "4.5"}, 0, "invalid: rateBps \"4.5\" is not an integer"},
		{"approve what was not requested", bank1, "ApproveFinancing", []string{"R-B", "", "450"}, 0, "conflict: receivable R-B is ACTIVE, not FINANCING"},
		{"approve on the maturity day", bank1, "ApproveFinancing", []string{"R-F", "", "450"}, 129, "conflict: receivable R-F matures on 2027-03-31"},
		{"reject by the other bank", bank2, "RejectFinancing", []string{"R-F", "no"}, 0, "forbidden: "},
		{"reject without reason", bank1, "RejectFinancing", []string{"R-F", ""}, 0, "invalid: reason"},
		{"reject what was approved", bank1, "RejectFinancing", []string{"R-B", "no"}, 0, "conflict: receivable R-B is ACTIVE, not FINANCING"},
		{"financed cannot be financed again", bank1, "RequestFinancing", []string{"R-B", "Bank2MSP"}, 0, "forbidden: RequestFinancing needs role supplier"},
		{"financed cannot be transferred", bank1, "Transfer", []string{"R-B", supC, ""}, 0, "conflict: receivable R-B is financed by Bank1MSP"},
		{"financing cannot be transferred", supA, "Transfer", []string{"R-F", supC, ""}, 0, "conflict: receivable R-F is FINANCING"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.active("R-1", supA, "1000")
			h.active("R-F", supA, "1000")
			h.ok(supA, "RequestFinancing", "R-F", "Bank1MSP")
			h.active("R-B", supA, "1000")
			h.ok(supA, "RequestFinancing", "R-B", "Bank1MSP")
			h.ok(bank1, "ApproveFinancing", "R-B", "", "450")
			h.days(tt.days)
			h.refuse(tt.want, tt.caller, tt.fn, tt.args...)
		})
	}
}

func TestRedeem_PaysTheHolderOnOrAfterMaturity(t *testing.T) {
	h := newHarness(t)
	h.active("R-1", supA, "1000")
	h.ok(supA, "Transfer", "R-1", supB, "400")
	h.ok(supB, "Accept", "R-1.1")
	h.days(129)
	h.redeem(treasurer2, "R-1.1") // any issuer of the obligor's MSP
	r := h.get("R-1.1")
	require.Equal(t, wire.StatusRedeemed, r.Status)
	require.Equal(t, supB, r.RedeemedTo)
	require.Equal(t, "2027-03-31T10:00:00Z", r.RedeemedAt)
	h.refuse("conflict: receivable R-1.1 is REDEEMED", treasurer, "Redeem", "R-1.1", "PAY-1")
}

func TestRedeem_Refusals(t *testing.T) {
	tests := []struct {
		name   string
		caller string
		id     string
		days   int
		want   string
	}{
		{"before maturity", treasurer, "R-1.2", 128, "conflict: receivable R-1.2 matures on 2027-03-31, it cannot be redeemed before"},
		{"issuer of another MSP", otherCore, "R-1.2", 129, "forbidden: "},
		{"a supplier", supA, "R-1.2", 129, "forbidden: Redeem needs role issuer"},
		{"a split parent", treasurer, "R-1", 129, "conflict: receivable R-1 is SPLIT"},
		{"a pending piece", treasurer, "R-1.1", 129, "conflict: receivable R-1.1 is PENDING"},
		{"a financing piece", treasurer, "R-F", 129, "conflict: receivable R-F is FINANCING"},
		{"unknown", treasurer, "R-9", 129, "not_found: receivable R-9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.active("R-1", supA, "1000")
			h.ok(supA, "Transfer", "R-1", supB, "400")
			h.active("R-F", supA, "1000")
			h.ok(supA, "RequestFinancing", "R-F", "Bank1MSP")
			h.days(tt.days)
			h.refuse(tt.want, tt.caller, "Redeem", tt.id, "PAY-1")
		})
	}
}

func TestRedeemAll_SettlesEveryActiveLeafAndSkipsRedeemedOnes(t *testing.T) {
	h := newHarness(t)
	h.active("R-1", supA, "1000")
	h.ok(supA, "Split", "R-1", `["100","200","700"]`)
	h.ok(supA, "Transfer", "R-1.3", supB, "300")
	h.ok(supB, "Accept", "R-1.3.1")
	h.ok(supA, "RequestFinancing", "R-1.2", "Bank1MSP")
	h.ok(bank1, "ApproveFinancing", "R-1.2", "", "500")
	h.days(129)
	h.redeem(treasurer, "R-1.1")
	h.redeemAll(treasurer, "R-1")
	e := h.lastEvent()
	var ids []string
	for _, it := range e.Items {
		ids = append(ids, it.ID)
		require.Equal(t, "REDEEMED", it.Status)
	}
	require.Equal(t, []string{"R-1.2", "R-1.3.1", "R-1.3.2"}, ids)
	require.Equal(t, bank1, h.get("R-1.2").RedeemedTo)
	require.Equal(t, supB, h.get("R-1.3.1").RedeemedTo)
	h.refuse("conflict: root R-1 has nothing left to redeem", treasurer, "RedeemAll", "R-1", "PAY-1")
}

func TestRedeemAll_Refusals(t *testing.T) {
	tests := []struct {
		name   string
		caller string
		id     string
		setup  func(h *harness)
		days   int
		want   string
	}{
		{"a pending leaf blocks settlement", treasurer, "R-1", func(h *harness) { h.ok(supA, "Transfer", "R-1.1", supB, "") }, 129, "conflict: receivable R-1.1 is PENDING: settle it before redeeming root R-1"},
		{"a financing leaf blocks settlement", treasurer, "R-1", func(h *harness) { h.ok(supA, "RequestFinancing", "R-1.2", "Bank2MSP") }, 129, "conflict: receivable R-1.2 is FINANCING"},
		{"before maturity", treasurer, "R-1", nil, 128, "conflict: receivable R-1 matures on 2027-03-31"},
		{"a piece is not a root", treasurer, "R-1.1", nil, 129, "invalid: rootId R-1.1 is a piece of R-1, not a root"},
		{"issuer of another MSP", otherCore, "R-1", nil, 129, "forbidden: "},
		{"a pending issuance", treasurer, "R-P", nil, 129, "conflict: receivable R-P is PENDING"},
		{"unknown", treasurer, "R-9", nil, 129, "not_found: receivable R-9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.active("R-1", supA, "1000")
			h.ok(supA, "Split", "R-1", `["400","600"]`)
			h.issue(issueJSON(issueOpts{ID: "R-P"}))
			if tt.setup != nil {
				tt.setup(h)
			}
			h.days(tt.days)
			h.refuse(tt.want, tt.caller, "RedeemAll", tt.id, "PAY-1")
		})
	}
}

func TestRedeemAll_IsBoundedTo500Leaves(t *testing.T) {
	h := newHarness(t)
	h.active("R-1", supA, "10000")
	parts, _ := json.Marshal(slicesRepeat("100", 100))
	h.ok(supA, "Split", "R-1", string(parts))
	hundred, _ := json.Marshal(slicesRepeat("1", 100))
	for i := 1; i <= 5; i++ {
		h.ok(supA, "Split", fmt.Sprintf("R-1.%d", i), string(hundred))
	}
	h.days(129)
	msg := h.refuse("invalid: root R-1 has 595 pieces, more than 500", treasurer, "RedeemAll", "R-1", "PAY-1")
	require.True(t, strings.Contains(msg, "redeem them one by one"))
	h.redeem(treasurer, "R-1.1.1")
}

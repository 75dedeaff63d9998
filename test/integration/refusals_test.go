package integration

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// TestRefusals_OrgRoleAndAuditor proves, on real peers, that the access table is enforced with
// identities from the organisations' CAs: a wrong organisation, a wrong role and the auditor
// writing are each refused with "forbidden:" and change nothing.
func TestRefusals_OrgRoleAndAuditor(t *testing.T) {
	forbidden, notFound := string(wire.KindForbidden)+": ", string(wire.KindNotFound)+": "
	invalid, conflict := string(wire.KindInvalid)+": ", string(wire.KindConflict)+": "
	core, a, aud := as(t, treasurer), as(t, tier1), as(t, auditor)
	maturity := time.Now().UTC().AddDate(0, 0, 60).Format("2006-01-02")
	id := uniqueID("RX")
	core.made(t, "Issue", issueRequest(t, id, tier1, "5000.00", maturity, "5000.00"))
	a.submit(t, "Accept", id)
	a.submit(t, "RequestFinancing", id, "Bank1MSP")
	before := aud.get(t, id)

	cases := []struct {
		name    string
		account string
		tx      string
		args    []string
		want    string
	}{
		{"a bank cannot issue (wrong organisation and role)", bank1, "Issue",
			[]string{issueRequest(t, uniqueID("RX"), tier1, "10.00", maturity, "10.00")}, forbidden},
		{"the core enterprise's admin cannot issue (wrong role)", "CoreMSP/admin", "Issue",
			[]string{issueRequest(t, uniqueID("RX"), tier1, "10.00", maturity, "10.00")}, forbidden},
		{"Bank2 cannot approve financing requested at Bank1 (wrong organisation)", bank2, "ApproveFinancing",
			[]string{id, "", "400"}, forbidden},
		{"a supplier cannot approve financing (wrong role)", tier2, "ApproveFinancing",
			[]string{id, "", "400"}, forbidden},
		{"the auditor cannot reject financing (read only)", auditor, "RejectFinancing",
			[]string{id, "no"}, forbidden},
		{"the auditor cannot transfer (read only)", auditor, "Transfer",
			[]string{id, tier2, ""}, forbidden},
		{"another supplier cannot redeem (wrong organisation)", tier2, "Redeem",
			[]string{id, "TRF-1"}, forbidden},
		{"an unknown receivable", treasurer, "Redeem", []string{"NO-SUCH-" + id, "TRF-1"}, notFound},
		{"the maker cannot confirm its own request (role approver only)", treasurer, "ConfirmInstruction", []string{"I0000"}, forbidden},
		{"a supplier cannot freeze (auditor only)", tier1, "FreezeReceivable", []string{id, "dispute", "REF-1"}, forbidden},
		{"marking overdue a piece in financing", tier1, "MarkOverdue", []string{id}, conflict},
		{"a negative amount", treasurer, "Issue",
			[]string{issueRequest(t, uniqueID("RX"), tier1, "-1.00", maturity, "1.00")}, invalid},
		{"a duplicate id", treasurer, "Issue",
			[]string{issueRequest(t, id, tier1, "5000.00", maturity, "5000.00")}, conflict},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := as(t, tc.account).trySubmit(tc.tx, tc.args...)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			after := aud.get(t, id)
			assert.Equal(t, before, after, "the refusal changed nothing")
		})
	}

	t.Run("the auditor reads what others cannot", func(t *testing.T) {
		_, err := as(t, tier3).tryEvaluate("SupplierMSP", "Get", id)
		require.ErrorContains(t, err, forbidden)
		assert.Equal(t, id, aud.get(t, id).ID)
	})
}

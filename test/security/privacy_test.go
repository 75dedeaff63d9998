package security

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/test/internal/gwtest"
)

// TestPrivacy_AMemberPeerDownWhileTermsAreWrittenGetsThemAfterRestart (issue 10, and issue 23's
// private terms without a stand-in witness): the auditor's peer, a member of the terms collection
// of SupplierMSP and Bank1MSP but no party to the deal, is killed; Bank1 approves a financing the
// supplier asked for: the decision with its terms is endorsed by the two parties' peers alone (the
// collection's own endorsement policy, each holding the terms, pushing them nowhere), and the public
// approval by the obligor's, the supplier's and the bank's peers, none of which needs the auditor.
// The supplier reads the terms at once. Restarted, the auditor's peer catches up with the blocks
// and pulls the terms it missed from the other members (at commit, or by reconciliation), so the
// auditor reads them from its own peer.
func TestPrivacy_AMemberPeerDownWhileTermsAreWrittenGetsThemAfterRestart(t *testing.T) {
	as := func(account string) *gwtest.Client { return gwtest.As(t, nw.Dir, account) }
	supplier, bank1, auditor := as("SupplierMSP/supplier-a"), as("Bank1MSP/officer"), as("AuditorMSP/auditor")
	id := gwtest.RequestedAt(t, nw.Dir, "PR", "5000.00", 30, "Bank1MSP")

	require.NoError(t, nw.Signal("peer0.auditor", "KILL"))
	restarted := false
	t.Cleanup(func() {
		if !restarted {
			_ = nw.Restart("peer0.auditor")
		}
	})
	// At once, while gossip still counts the killed peer alive: no endorsement pushes the terms to
	// it (the collection's maxPeerCount 0), so nothing waits for it.
	approved := bank1.Submit(t, "approve-financing", id, wire.ApproveRequest{RateBps: 512})
	hash := approved.Result.Items[0].TermsHash
	r := supplier.Eventually(t, id, func(r wire.Receivable) bool { return r.Financing != nil && r.Financing.Terms != nil })
	require.Equal(t, int64(512), r.Financing.Terms.RateBps, "the supplier's peer holds the terms")

	require.NoError(t, nw.Restart("peer0.auditor"))
	restarted = true
	// The peer catches up from the orderers and fetches the terms from Bank1's or the supplier's
	// peer: wait for the outcome, however long the machine takes, within two minutes.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		got, err := auditor.Client.Get(t.Context(), id)
		if err == nil && got.Financing != nil && got.Financing.Terms != nil {
			require.Equal(t, hash, got.Financing.TermsHash)
			require.Equal(t, int64(512), got.Financing.Terms.RateBps, "the auditor's own peer now holds the terms")
			return
		}
		require.True(t, time.Now().Before(deadline), "the auditor's peer never got the terms (last answer %+v, %v)", got, err)
		time.Sleep(500 * time.Millisecond)
	}
}

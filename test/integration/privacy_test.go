package integration

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// TestPrivacy_FinancingTermsStayBetweenTheParties: Bank1 approves the supplier's request; the
// supplier, Bank1 and the auditor read the terms on their own peers and they hash to the public
// termsHash; Bank2, calling its own peer (or Bank1's) directly, gets neither the receivable nor
// the terms, and the peers outside the collection (Bank2's, the core enterprise's) hold no copy
// even for the auditor; the committed transaction carries neither the rate nor the salt, and a
// rate sent as an argument is refused. A rejection's reason is private the same way.
func TestPrivacy_FinancingTermsStayBetweenTheParties(t *testing.T) {
	core, a, b1, b2, aud := as(t, treasurer), as(t, tier1), as(t, bank1), as(t, bank2), as(t, auditor)
	maturity := time.Now().UTC().AddDate(0, 0, 60).Format("2006-01-02")
	id := uniqueID("RP")
	core.made(t, "Issue", issueRequest(t, id, tier1, "1000.00", maturity, "1000.00"))
	a.submit(t, "Accept", id)
	a.submit(t, "RequestFinancing", id, "Bank1MSP")

	_, err := b1.contract.Submit("DecideFinancing", client.WithArguments(id, "approved", "333"))
	require.ErrorContains(t, describe(err), "invalid: DecideFinancing takes arguments (id, decision), 3 given")

	approved := b1.submit(t, "ApproveFinancing", id, "", "333")
	item := approved.Result.Items[0]
	require.Equal(t, "Bank1MSP", item.Bank)
	require.Len(t, item.TermsHash, 64)

	var terms wire.Terms
	for _, p := range []*actor{a, b1, aud} {
		r := p.get(t, id)
		require.NotNil(t, r.Financing.Terms, "%s reads the terms on its own peer", p.account)
		require.Equal(t, int64(333), r.Financing.Terms.RateBps)
		raw, err := json.Marshal(r.Financing.Terms)
		require.NoError(t, err)
		sum := sha256.Sum256(raw)
		require.Equal(t, item.TermsHash, hex.EncodeToString(sum[:]), "the public hash is the SHA-256 of the private terms")
		var byHash wire.Terms
		p.evaluate(t, &byHash, "GetTerms", id, item.TermsHash)
		require.Equal(t, *r.Financing.Terms, byHash)
		terms = byHash
	}

	for _, onMSP := range []string{"Bank2MSP", "Bank1MSP"} {
		_, err := b2.tryEvaluate(onMSP, "Get", id)
		require.ErrorContains(t, err, "forbidden", "Bank2 on %s's peer", onMSP)
		_, err = b2.tryEvaluate(onMSP, "GetTerms", id, item.TermsHash)
		require.ErrorContains(t, err, "not_found", "Bank2 on %s's peer", onMSP)
	}
	r := core.get(t, id)
	require.Nil(t, r.Financing.Terms, "the core enterprise sees the hash only")
	require.Equal(t, item.TermsHash, r.Financing.TermsHash)
	for _, onMSP := range []string{"Bank2MSP", "CoreMSP"} {
		raw, err := aud.tryEvaluate(onMSP, "Get", id)
		require.NoError(t, err)
		var there wire.Receivable
		require.NoError(t, json.Unmarshal(raw, &there))
		require.Nil(t, there.Financing.Terms, "%s's peer is outside the collection and holds no copy", onMSP)
		require.Equal(t, item.TermsHash, there.Financing.TermsHash)
	}

	tx, err := b1.network.GetContract("qscc").Evaluate("GetTransactionByID",
		client.WithArguments(net.Channel, approved.TxID), client.WithEndorsingOrganizations("Bank1MSP"))
	require.NoError(t, describe(err))
	require.False(t, bytes.Contains(tx, []byte(terms.Salt)), "the salt (and so the transient data) is not in the block")
	require.False(t, bytes.Contains(tx, []byte("rateBps")), "nor the rate")
	require.True(t, bytes.Contains(tx, []byte(item.TermsHash)), "the hash is")

	// Bank2 turns another request down: the reason is private to the supplier, Bank2, the auditor.
	other := uniqueID("RP")
	core.made(t, "Issue", issueRequest(t, other, tier1, "500.00", maturity, "500.00"))
	a.submit(t, "Accept", other)
	a.submit(t, "RequestFinancing", other, "Bank2MSP")
	rejected := b2.submit(t, "RejectFinancing", other, "rate too low for this tenor")
	hash := rejected.Result.Items[0].TermsHash
	require.Empty(t, rejected.Result.Reason)
	for _, p := range []*actor{a, b2, aud} {
		var reason wire.Terms
		p.evaluate(t, &reason, "GetTerms", other, hash)
		require.Equal(t, "rate too low for this tenor", reason.Reason)
	}
	_, err = b1.tryEvaluate("Bank1MSP", "GetTerms", other, hash)
	require.ErrorContains(t, err, "not_found")
}

package integration

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/audit"
)

// networkPolicy is the chaincode endorsement policy scripts/lib/net-common.sh deploys (CC_POLICY).
const networkPolicy = "AND('CoreMSP.peer',OR('SupplierMSP.peer','Bank1MSP.peer','Bank2MSP.peer'))"

// TestAudit_TheAuditorRebuildsTheLedgerFromItsPeersBlocks verifies every block of the channel as
// the auditor reads it from its own peer (qscc), replays the receivables and finds no difference
// with what the chaincode answers. It first makes a root with a split and a split that lost an
// MVCC race, so the chain holds both whatever ran before.
func TestAudit_TheAuditorRebuildsTheLedgerFromItsPeersBlocks(t *testing.T) {
	core, a, aud := as(t, treasurer), as(t, tier1), as(t, auditor)
	root := uniqueID("RA")
	maturity := time.Now().UTC().AddDate(0, 0, 90).Format("2006-01-02")
	core.submit(t, "Issue", issueRequest(t, root, tier1, "1000.00", maturity, "1000.00"))
	a.submit(t, "Accept", root)

	// Two splits of the same receivable endorsed before either is ordered: one commits, the other
	// is MVCC_READ_CONFLICT and must not be replayed.
	var txs []*client.Transaction
	for _, parts := range []string{`["100","900"]`, `["300","700"]`} {
		p, err := a.contract.NewProposal("Split", client.WithArguments(root, parts))
		require.NoError(t, err)
		tx, err := p.Endorse()
		require.NoError(t, describe(err))
		txs = append(txs, tx)
	}
	var commits []*client.Commit
	for _, tx := range txs {
		commits = append(commits, mustSubmit(t, tx))
	}
	var lostTx string
	for _, c := range commits {
		st, err := c.Status()
		require.NoError(t, err)
		if !st.Successful {
			require.Equal(t, peer.TxValidationCode_MVCC_READ_CONFLICT, st.Code)
			lostTx = st.TransactionID
		}
	}
	require.NotEmpty(t, lostTx, "one of the two splits lost the race")

	info, err := aud.chainInfo(aud.mspID)
	require.NoError(t, err)
	pol, err := audit.ParsePolicy(networkPolicy)
	require.NoError(t, err)
	au, err := audit.New(audit.Options{Chaincode: net.Chaincode, Policy: pol})
	require.NoError(t, err)
	qscc := aud.network.GetContract("qscc")
	start := time.Now()
	for n := uint64(0); n < info.Height; n++ {
		raw, err := qscc.Evaluate("GetBlockByNumber", client.WithArguments(net.Channel, strconv.FormatUint(n, 10)))
		require.NoError(t, describe(err))
		b, err := audit.ParseBlock(raw)
		require.NoError(t, err)
		require.NoError(t, au.Verify(b))
	}
	diffs, err := au.Compare(context.Background(), func(_ context.Context, id string) (json.RawMessage, error) {
		b, err := aud.tryEvaluate(aud.mspID, "Get", id)
		if err != nil && strings.Contains(err.Error(), "not_found") {
			return nil, nil
		}
		return b, err
	})
	require.NoError(t, err)
	rep := au.Report()
	t.Logf("audit: %d blocks, %d transactions (%d valid, invalid %v), %d of the chaincode with %d endorsements verified, %d receivables, %d roots, %.1fs",
		rep.Blocks, rep.Transactions, rep.Valid, rep.Invalid, rep.ChaincodeTxs, rep.Endorsements, rep.Receivables, rep.Roots, time.Since(start).Seconds())
	require.Empty(t, diffs)
	require.Empty(t, rep.Conservation)
	require.Equal(t, int(info.Height), rep.Blocks)
	require.Positive(t, rep.ChaincodeTxs)
	require.GreaterOrEqual(t, rep.Endorsements, 2*rep.ChaincodeTxs)
	require.GreaterOrEqual(t, rep.Invalid[peer.TxValidationCode_MVCC_READ_CONFLICT.String()], 1)
	require.Equal(t, wire.StatusSplit, au.Receivable(root).Status)
	require.Len(t, au.Receivable(root).Children, 2)
	require.Equal(t, aud.get(t, root+".1").AmountFen, au.Receivable(root+".1").AmountFen)
}

func mustSubmit(t *testing.T, tx *client.Transaction) *client.Commit {
	t.Helper()
	c, err := tx.Submit()
	require.NoError(t, describe(err))
	return c
}

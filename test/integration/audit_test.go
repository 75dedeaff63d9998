package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/audit"
)

// networkPolicy is the chaincode endorsement policy scripts/lib/net-common.sh deploys (CC_POLICY);
// the audit must read it from the chaincode definition in the blocks.
const networkPolicy = "AND('CoreMSP.peer',OR('SupplierMSP.peer','Bank1MSP.peer','Bank2MSP.peer','AuditorMSP.peer'))"

// TestAudit_TheAuditorRebuildsTheLedgerFromItsPeersBlocks verifies every block of the channel as
// the auditor reads it from its own peer (qscc), replays the receivables and finds no difference
// with what the chaincode answers. It first makes a root with a split and a split that lost an
// MVCC race, so the chain holds both whatever ran before.
func TestAudit_TheAuditorRebuildsTheLedgerFromItsPeersBlocks(t *testing.T) {
	core, a, aud := as(t, treasurer), as(t, tier1), as(t, auditor)
	root := uniqueID("RA")
	maturity := time.Now().UTC().AddDate(0, 0, 90).Format("2006-01-02")
	issued := core.made(t, "Issue", issueRequest(t, root, tier1, "1000.00", maturity, "1000.00"))
	a.submit(t, "Accept", root)

	// Two splits of the same receivable endorsed before either is ordered: one commits, the other
	// is invalid and must not be replayed. Both create the same pieces and set their endorsement
	// policies, so when they share a block the second is ENDORSEMENT_POLICY_FAILURE (a key whose
	// policy an earlier transaction of the block set), otherwise MVCC_READ_CONFLICT.
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
	var lostCode peer.TxValidationCode
	for _, c := range commits {
		st, err := c.Status()
		require.NoError(t, err)
		if !st.Successful {
			require.Contains(t, []peer.TxValidationCode{peer.TxValidationCode_MVCC_READ_CONFLICT,
				peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE}, st.Code)
			lostTx, lostCode = st.TransactionID, st.Code
		}
	}
	require.NotEmpty(t, lostTx, "one of the two splits lost the race")

	// A root of more than 50 pieces: the freeze and its lifting read its tree by a range query that
	// Fabric keeps as a Merkle summary (more results than it records raw), which the audit must
	// summarise again from its rebuilt keys and find the same.
	big := a.get(t, root+".2")
	parts := make([]string, 0, 60)
	for range 59 {
		parts = append(parts, "1.00")
	}
	parts = append(parts, wire.FormatAmount(big.AmountFen-59*100))
	raw, err := json.Marshal(parts)
	require.NoError(t, err)
	a.submit(t, "Split", root+".2", string(raw))
	aud.submit(t, "FreezeReceivable", root, "dispute", "(2026)沪0115财保2号")
	aud.submit(t, "UnfreezeReceivable", root, "settled", "(2026)沪0115财保2号")

	src := qsccSource{aud}
	height, err := src.Height(context.Background())
	require.NoError(t, err)
	au := runAudit(t, aud)
	_, err = au.CompareTrees(context.Background(), func(_ context.Context, rootID string) (*wire.TraceNode, error) {
		return trace(t, aud, rootID), nil
	})
	require.NoError(t, err)
	diffs := au.Report().Differences
	rep := au.Report()
	t.Logf("audit: %d blocks, %d transactions (%d valid, invalid %v), %d of the chaincode with %d endorsements verified, %d receivables, %d roots, %.1fs",
		rep.Blocks, rep.Transactions, rep.Valid, rep.Invalid, rep.ChaincodeTxs, rep.Endorsements, rep.Receivables, rep.Roots, rep.Seconds)
	require.Empty(t, diffs)
	require.Empty(t, rep.Conservation)
	t.Logf("rules re-executed for %d transactions, %d skipped", rep.RulesChecked, rep.RulesSkipped)
	require.Empty(t, rep.Violations, "every valid transaction is what the rules produce on the state before it")
	require.Equal(t, rep.ChaincodeTxs, rep.RulesChecked+rep.RulesSkipped)
	require.Zero(t, rep.RulesSkipped, "the auditor's peer holds every decision's terms")
	require.GreaterOrEqual(t, uint64(rep.Blocks), height)
	require.Positive(t, rep.ChaincodeTxs)
	require.Equal(t, networkPolicy, rep.Policy)
	require.Contains(t, rep.PolicySource, "chaincode definition in block")
	require.Equal(t, rep.Roots, rep.RootsTraced)
	require.GreaterOrEqual(t, rep.Endorsements, 2*rep.ChaincodeTxs)
	require.GreaterOrEqual(t, rep.Invalid[lostCode.String()], 1)
	require.Positive(t, rep.KeyPolicies, "writes checked against their keys' own policies")
	require.Positive(t, rep.RangesSummarised, "the tree reads of the root of 61 pieces, summarised again")
	require.Equal(t, wire.StatusSplit, au.Receivable(root).Status)
	require.Len(t, au.Receivable(root).Children, 2)
	require.Equal(t, aud.get(t, root+".1").AmountFen, au.Receivable(root+".1").AmountFen)

	// A copy of the issue's block with another amount in its write set, and a copy of the next
	// block with a broken link: each fails, naming the block.
	amount := regexp.MustCompile(`"amountFen":100000,`)
	tampered := tamperSource{src, issued.Block, func(raw []byte) []byte {
		require.True(t, amount.Match(raw))
		return amount.ReplaceAll(raw, []byte(`"amountFen":900000,`))
	}}
	_, err = audit.Run(context.Background(), tampered, audit.Options{Chaincode: net.Chaincode}, nil)
	require.ErrorContains(t, err, fmt.Sprintf("block %d: data hash does not match", issued.Block))

	unlinked := tamperSource{src, issued.Block + 1, func(raw []byte) []byte {
		b, err := audit.ParseBlock(raw)
		require.NoError(t, err)
		b.Header.PreviousHash[0] ^= 1
		out, err := proto.Marshal(b)
		require.NoError(t, err)
		return out
	}}
	_, err = audit.Run(context.Background(), unlinked, audit.Options{Chaincode: net.Chaincode}, nil)
	require.ErrorContains(t, err, fmt.Sprintf("block %d: previous hash", issued.Block+1))
}

// tamperSource edits one block of a copy of the chain.
type tamperSource struct {
	qsccSource
	block uint64
	edit  func([]byte) []byte
}

func (s tamperSource) Block(ctx context.Context, n uint64) ([]byte, error) {
	raw, err := s.qsccSource.Block(ctx, n)
	if err != nil || n != s.block {
		return raw, err
	}
	return s.edit(raw), nil
}

// qsccSource reads the blocks from the actor's own peer (qscc), as the gateway's /v1/blocks does.
type qsccSource struct{ a *actor }

func (s qsccSource) Height(context.Context) (uint64, error) {
	info, err := s.a.chainInfo(s.a.mspID)
	if err != nil {
		return 0, err
	}
	return info.Height, nil
}

func (s qsccSource) Block(_ context.Context, n uint64) ([]byte, error) {
	b, err := s.a.network.GetContract("qscc").Evaluate("GetBlockByNumber",
		client.WithArguments(net.Channel, strconv.FormatUint(n, 10)), client.WithEndorsingOrganizations(s.a.mspID))
	return b, describe(err)
}

func mustSubmit(t *testing.T, tx *client.Transaction) *client.Commit {
	t.Helper()
	c, err := tx.Submit()
	require.NoError(t, describe(err))
	return c
}

// runAudit audits every block of the channel as the auditor aud reads them from its own peer.
func runAudit(t *testing.T, aud *actor) *audit.Auditor {
	t.Helper()
	get := func(_ context.Context, id string) (json.RawMessage, error) {
		b, err := aud.tryEvaluate(aud.mspID, "Get", id)
		if err != nil && strings.Contains(err.Error(), "not_found") {
			return nil, nil
		}
		return b, err
	}
	terms := func(id, hash string) (*wire.Terms, error) {
		b, err := aud.tryEvaluate(aud.mspID, "GetTerms", id, hash)
		if err != nil {
			return nil, err
		}
		var t wire.Terms
		return &t, json.Unmarshal(b, &t)
	}
	au, err := audit.Run(context.Background(), qsccSource{aud}, audit.Options{Chaincode: net.Chaincode, Terms: terms}, get)
	require.NoError(t, err)
	return au
}

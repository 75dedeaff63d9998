package audit_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/audit"
	"github.com/recv-ledger/recv/gateway/audit/audittest"
)

const testPolicy = "AND('CoreMSP.peer',OR('SupplierMSP.peer','Bank1MSP.peer','Bank2MSP.peer'))"

func newAuditor(t *testing.T) *audit.Auditor {
	t.Helper()
	p, err := audit.ParsePolicy(testPolicy)
	require.NoError(t, err)
	// The test chains are made of write sets without proposals: nothing to re-execute.
	a, err := audit.New(audit.Options{Policy: p, NoReplay: true})
	require.NoError(t, err)
	return a
}

// A valid transaction whose write set no execution of the chaincode's rules produces is named,
// with its creator and endorsers: here one whose proposal calls no function at all.
func TestVerify_ATransactionTheRulesWouldNotProduceIsAViolation(t *testing.T) {
	c := audittest.NewChain(t)
	p, err := audit.ParsePolicy(testPolicy)
	require.NoError(t, err)
	a, err := audit.New(audit.Options{Policy: p})
	require.NoError(t, err)
	require.NoError(t, verifyAll(a, c.Blocks))
	rep := a.Report()
	require.Len(t, rep.Violations, 2, "the issue and the split of the test chain")
	v := rep.Violations[0]
	require.Equal(t, audit.Violation{Block: 1, TxID: "tx1", Creator: "CoreMSP/user1", Endorsers: []string{"CoreMSP", "SupplierMSP"},
		Problem: "no function in the proposal"}, v)
}

func verifyAll(a *audit.Auditor, blocks []*common.Block) error {
	for _, b := range blocks {
		if err := a.Verify(b); err != nil {
			return err
		}
	}
	return nil
}

func TestVerify_ValidChainRebuildsEveryReceivable(t *testing.T) {
	c := audittest.NewChain(t)
	a := newAuditor(t)
	require.NoError(t, verifyAll(a, c.Blocks))

	rep := a.Report()
	require.Equal(t, 3, rep.Blocks)
	require.Equal(t, uint64(2), rep.LastBlock)
	require.Equal(t, 4, rep.Transactions)
	require.Equal(t, 3, rep.Valid)
	require.Equal(t, map[string]int{"MVCC_READ_CONFLICT": 1}, rep.Invalid)
	require.Equal(t, 2, rep.ChaincodeTxs)
	require.Equal(t, 4, rep.Endorsements)
	require.Equal(t, []string{"R-1", "R-1.1", "R-1.2"}, a.IDs())
	require.Equal(t, 1, rep.Roots)
	require.Empty(t, rep.Conservation)
	require.Equal(t, wire.StatusSplit, a.Receivable("R-1").Status)
	pos, ok := a.Position()
	require.True(t, ok)
	require.Equal(t, audit.HeaderHash(c.Blocks[2].Header), pos.HeaderHash)
}

func TestVerify_MVCCInvalidTransactionIsCountedNotReplayed(t *testing.T) {
	c := audittest.NewChain(t)
	a := newAuditor(t)
	require.NoError(t, verifyAll(a, c.Blocks[:2]))
	require.Nil(t, a.Receivable("R-X"), "the write of an invalid transaction is not state")
	require.Equal(t, 1, a.Report().Invalid[peer.TxValidationCode_MVCC_READ_CONFLICT.String()])
}

func TestVerify_TamperedWriteSetAmountFailsNamingTheBlock(t *testing.T) {
	c := audittest.NewChain(t)
	forged := audittest.Receivable("R-1.1", "R-1", "SupplierMSP/a", 9000, wire.StatusActive)
	tampered := audittest.EndorserTx(t, "tx3", "receivables", c.Supplier.User, []*wire.Receivable{
		audittest.Receivable("R-1", "R-1", "SupplierMSP/a", 10000, wire.StatusSplit, "R-1.1", "R-1.2"), forged,
		audittest.Receivable("R-1.2", "R-1", "SupplierMSP/a", 4000, wire.StatusActive)}, c.Core.Peer, c.Supplier.Peer)

	t.Run("data hash kept", func(t *testing.T) {
		b := audittest.Clone(t, c.Blocks[2])
		b.Data.Data[0] = tampered
		err := verifyAll(newAuditor(t), append(c.Blocks[:2:2], b))
		var be *audit.BlockError
		require.ErrorAs(t, err, &be)
		require.Equal(t, uint64(2), be.Block)
		require.ErrorContains(t, err, "block 2: data hash does not match")
	})
	t.Run("data hash recomputed, endorsements kept", func(t *testing.T) {
		// A tamperer who edits the amount inside the endorsed payload and fixes the data hash
		// still cannot make the creator's and endorsers' signatures cover the new amount.
		b := audittest.Clone(t, c.Blocks[2])
		b.Data.Data[0] = swapEndorsedResults(t, b.Data.Data[0], tampered)
		b.Header.DataHash = audit.DataHash(b.Data)
		err := verifyAll(newAuditor(t), append(c.Blocks[:2:2], b))
		require.ErrorContains(t, err, "block 2, transaction 0 (tx3): ")
		require.ErrorContains(t, err, "signature does not verify")
	})
}

func TestVerify_BrokenHashLinkFailsNamingTheBlock(t *testing.T) {
	c := audittest.NewChain(t)
	b1 := audittest.Clone(t, c.Blocks[1])
	b1.Header.DataHash = audit.DataHash(&common.BlockData{Data: b1.Data.Data[:1]})
	b1.Data.Data, b1.Metadata.Metadata[2] = b1.Data.Data[:1], b1.Metadata.Metadata[2][:1] // drop a transaction, block 1 consistent
	err := verifyAll(newAuditor(t), []*common.Block{c.Blocks[0], b1, c.Blocks[2]})
	var be *audit.BlockError
	require.ErrorAs(t, err, &be)
	require.Equal(t, uint64(2), be.Block)
	require.ErrorContains(t, err, "previous hash")
}

func TestVerify_RefusesBlocksOutOfOrder(t *testing.T) {
	c := audittest.NewChain(t)
	require.ErrorContains(t, verifyAll(newAuditor(t), []*common.Block{c.Blocks[0], c.Blocks[2]}), "block 2: expected block 1")
}

func TestVerify_EndorsementsMustSatisfyThePolicy(t *testing.T) {
	c := audittest.NewChain(t)
	onlyCore := audittest.Block(t, c.Blocks[0], []peer.TxValidationCode{peer.TxValidationCode_VALID},
		audittest.EndorserTx(t, "tx9", "receivables", c.Core.User, []*wire.Receivable{audittest.Receivable("R-9", "R-9", "", 100, wire.StatusPending)}, c.Core.Peer))
	err := verifyAll(newAuditor(t), []*common.Block{c.Blocks[0], onlyCore})
	require.ErrorContains(t, err, "block 1, transaction 0 (tx9): endorsements by [CoreMSP] do not satisfy")

	userNotPeer := audittest.Block(t, c.Blocks[0], []peer.TxValidationCode{peer.TxValidationCode_VALID},
		audittest.EndorserTx(t, "tx9", "receivables", c.Core.User, []*wire.Receivable{audittest.Receivable("R-9", "R-9", "", 100, wire.StatusPending)}, c.Core.User, c.Supplier.Peer))
	require.ErrorContains(t, verifyAll(newAuditor(t), []*common.Block{c.Blocks[0], userNotPeer}), "do not satisfy")

	otherChaincode := audittest.Block(t, c.Blocks[0], []peer.TxValidationCode{peer.TxValidationCode_VALID},
		audittest.EndorserTx(t, "tx9", "_lifecycle", c.Core.User, nil, c.Core.Peer))
	require.NoError(t, verifyAll(newAuditor(t), []*common.Block{c.Blocks[0], otherChaincode}), "other namespaces follow their own policies")
}

func TestVerify_IdentitiesMustChainToTheirMembersCA(t *testing.T) {
	c := audittest.NewChain(t)
	rogue := audittest.NewOrg(t, "RogueMSP")
	forged := c.Core.IssueBy(t, "peer0", "peer", rogue.CACert, rogue.CAKey) // claims CoreMSP, rogue CA
	cases := map[string]struct {
		creator, endorser *audittest.Identity
		want              string
	}{
		"endorser of another CA": {c.Core.User, forged, "endorsement: certificate \"peer0\" does not chain to CoreMSP's CA"},
		"creator of another CA":  {forged, c.Core.Peer, "creator: certificate \"peer0\" does not chain"},
		"not a member":           {rogue.User, c.Core.Peer, "creator: identity of \"RogueMSP\", not a member"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			b := audittest.Block(t, c.Blocks[0], []peer.TxValidationCode{peer.TxValidationCode_VALID},
				audittest.EndorserTx(t, "tx9", "receivables", tc.creator, nil, tc.endorser, c.Supplier.Peer))
			require.ErrorContains(t, verifyAll(newAuditor(t), []*common.Block{c.Blocks[0], b}), tc.want)
		})
	}
}

func TestVerify_ConservationViolationIsReported(t *testing.T) {
	c := audittest.NewChain(t)
	bad := audittest.Block(t, c.Blocks[2], []peer.TxValidationCode{peer.TxValidationCode_VALID},
		audittest.EndorserTx(t, "tx4", "receivables", c.Core.User, []*wire.Receivable{audittest.Receivable("R-1.2", "R-1", "SupplierMSP/a", 3000, wire.StatusActive)}, c.Core.Peer, c.Supplier.Peer))
	a := newAuditor(t)
	require.NoError(t, verifyAll(a, append(c.Blocks[:3:3], bad)))
	require.Equal(t, []string{"root R-1: leaves sum to 9000 fen, root is 10000 fen"}, a.Report().Conservation)
}

func TestResume_FromAPositionVerifiesOnlyTheRest(t *testing.T) {
	c := audittest.NewChain(t)
	first := newAuditor(t)
	require.NoError(t, verifyAll(first, c.Blocks[:2]))
	pos, _ := first.Position()

	p, _ := audit.ParsePolicy(testPolicy)
	a, err := audit.New(audit.Options{Policy: p, Start: &pos})
	require.NoError(t, err)
	idx, err := audit.LastConfigIndex(c.Blocks[2])
	require.NoError(t, err)
	require.NoError(t, a.LoadConfig(c.Blocks[idx]))
	require.NoError(t, a.Verify(c.Blocks[2]))
	rep := a.Report()
	require.Equal(t, 1, rep.Blocks)
	require.Equal(t, uint64(2), rep.FirstBlock)

	broken := audit.Position{Number: pos.Number, HeaderHash: make([]byte, 32)}
	a, _ = audit.New(audit.Options{Policy: p, Start: &broken})
	require.NoError(t, a.LoadConfig(c.Blocks[0]))
	require.ErrorContains(t, a.Verify(c.Blocks[2]), "block 2: previous hash")
}

func TestCompare_ReportsEveryDifferenceByID(t *testing.T) {
	c := audittest.NewChain(t)
	a := newAuditor(t)
	require.NoError(t, verifyAll(a, c.Blocks))
	diffs, err := a.Compare(context.Background(), func(_ context.Context, id string) (json.RawMessage, error) {
		switch id {
		case "R-1.1":
			return nil, nil
		case "R-1.2":
			r := *a.Receivable(id)
			r.Holder = "SupplierMSP/b"
			return json.Marshal(r)
		}
		return json.Marshal(a.Receivable(id))
	})
	require.NoError(t, err)
	require.Equal(t, []audit.Difference{
		{ID: "R-1.1", Detail: "rebuilt from the blocks, unknown to the chaincode"},
		{ID: "R-1.2", Fields: []string{"holder"}, Detail: "the chaincode's answer differs from the replay"},
	}, diffs)
	rep := a.Report()
	require.Len(t, rep.Differences, 2)
	require.Equal(t, 3, rep.ComparedWithPeer)
}

func TestCheckpoint_SignedAndCheckedByTheAuditorsKey(t *testing.T) {
	key, other := audittest.KeyPEM(t), audittest.KeyPEM(t)
	pos := audit.Position{Number: 7, HeaderHash: audit.HeaderHash(&common.BlockHeader{Number: 7})}
	cp, err := audit.NewCheckpoint("receivables", pos, testPolicy, key)
	require.NoError(t, err)

	got, err := cp.Verify(nil)
	require.NoError(t, err)
	require.Equal(t, pos, *got)
	_, err = cp.Verify(key)
	require.NoError(t, err)
	_, err = cp.Verify(other)
	require.ErrorContains(t, err, "another key")

	for _, edit := range []func(c *audit.Checkpoint){
		func(c *audit.Checkpoint) { c.Block = 8 },
		func(c *audit.Checkpoint) { c.Policy = "OR('CoreMSP.peer')" },
	} {
		forged := *cp
		edit(&forged)
		_, err = forged.Verify(nil)
		require.ErrorContains(t, err, "signature does not verify")
	}
}

func TestCompareTrees_FindsWhatTheChaincodeHasBesides(t *testing.T) {
	c := audittest.NewChain(t)
	a := newAuditor(t)
	require.NoError(t, verifyAll(a, c.Blocks))
	node := func(id string, pieces ...*wire.TraceNode) *wire.TraceNode {
		return &wire.TraceNode{Receivable: &wire.Receivable{ID: id}, Pieces: pieces}
	}
	diffs, err := a.CompareTrees(context.Background(), func(_ context.Context, root string) (*wire.TraceNode, error) {
		require.Equal(t, "R-1", root)
		return node("R-1", node("R-1.1"), node("R-1.3")), nil
	})
	require.NoError(t, err)
	require.Equal(t, []audit.Difference{
		{ID: "R-1.2", Detail: "rebuilt from the blocks, missing from the chaincode's trace of R-1"},
		{ID: "R-1.3", Detail: "in the chaincode's trace of R-1, written by no valid transaction"},
	}, diffs)
	require.Equal(t, 1, a.Report().RootsTraced)
}

package audit_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/audit/audittest"
)

// approvalChain appends to the test chain an approval of by Bank1 whose terms are written
// privately (value) and hashed publicly (hash).
func approvalChain(t *testing.T, value []byte, hash string) ([]*common.Block, *wire.Terms) {
	c := audittest.NewChain(t)
	terms := &wire.Terms{ID: "R-1.2", Bank: "Bank1MSP", RequestedBy: "SupplierMSP/a", Decision: wire.DecisionApproved, RateBps: 450}
	if value == nil {
		value, _ = json.Marshal(terms)
	}
	if hash == "" {
		sum := sha256.Sum256(value)
		hash = hex.EncodeToString(sum[:])
	}
	r := audittest.Receivable("R-1.2", "R-1", "Bank1MSP/officer", 4000, wire.StatusActive)
	r.UpdatedBy, r.UpdatedAt = "Bank1MSP/officer", "2026-11-30T08:00:00Z"
	r.Financing = &wire.Financing{Bank: "Bank1MSP", RequestedBy: "SupplierMSP/a", Financier: r.UpdatedBy, ApprovedAt: r.UpdatedAt, TermsHash: hash}
	b3 := audittest.Block(t, c.Blocks[2], []peer.TxValidationCode{peer.TxValidationCode_VALID},
		audittest.PrivateTx(t, "tx4", "receivables", c.Supplier.User, []*wire.Receivable{r},
			wire.TermsCollection("SupplierMSP", "Bank1MSP"), wire.DecisionKey("R-1.2", wire.DecisionApproved, hash), value, c.Core.Peer, c.Supplier.Peer))
	return append(c.Blocks, b3), terms
}

func TestVerify_ApprovalsTermsHashIsAPrivateWriteOfAValidTransaction(t *testing.T) {
	blocks, _ := approvalChain(t, nil, "")
	a := newAuditor(t)
	require.NoError(t, verifyAll(a, blocks))
	require.Equal(t, 1, a.Report().TermsHashes)

	// A public hash that no private write backs is refused.
	blocks, _ = approvalChain(t, nil, hex.EncodeToString(make([]byte, 32)))
	err := verifyAll(newAuditor(t), blocks)
	require.ErrorContains(t, err, "is not the hash of a private write of a valid transaction")
}

// The bank records its decision privately in a transaction of its own (DecideFinancing); the
// approval that binds the hash comes later and writes nothing private.
func TestVerify_AnApprovalBindsTermsRecordedBefore(t *testing.T) {
	c := audittest.NewChain(t)
	value, _ := json.Marshal(&wire.Terms{ID: "R-1.2", Bank: "Bank1MSP", RequestedBy: "SupplierMSP/a", Decision: wire.DecisionApproved, RateBps: 450})
	sum := sha256.Sum256(value)
	hash := hex.EncodeToString(sum[:])
	r := audittest.Receivable("R-1.2", "R-1", "Bank1MSP/officer", 4000, wire.StatusActive)
	r.UpdatedBy, r.UpdatedAt = "Bank1MSP/officer", "2026-11-30T08:00:00Z"
	r.Financing = &wire.Financing{Bank: "Bank1MSP", RequestedBy: "SupplierMSP/a", Financier: r.UpdatedBy, ApprovedAt: r.UpdatedAt, TermsHash: hash}
	b3 := audittest.Block(t, c.Blocks[2], []peer.TxValidationCode{peer.TxValidationCode_VALID, peer.TxValidationCode_VALID},
		audittest.PrivateTx(t, "tx4", "receivables", c.Supplier.User, nil,
			wire.TermsCollection("SupplierMSP", "Bank1MSP"), wire.DecisionKey("R-1.2", wire.DecisionApproved, hash), value, c.Core.Peer, c.Supplier.Peer),
		audittest.EndorserTx(t, "tx5", "receivables", c.Supplier.User, []*wire.Receivable{r}, c.Core.Peer, c.Supplier.Peer))
	a := newAuditor(t)
	require.NoError(t, verifyAll(a, append(c.Blocks, b3)))
	require.Equal(t, 1, a.Report().TermsHashes)
}

func TestCompare_TermsTheAuditorReadsMustHashToThePublicHash(t *testing.T) {
	blocks, terms := approvalChain(t, nil, "")
	answer := func(a interface {
		Receivable(string) *wire.Receivable
	}, shown *wire.Terms) func(context.Context, string) (json.RawMessage, error) {
		return func(_ context.Context, id string) (json.RawMessage, error) {
			r := a.Receivable(id).Clone()
			if r.Financing != nil {
				r.Financing.Terms = shown
			}
			return json.Marshal(r)
		}
	}
	a := newAuditor(t)
	require.NoError(t, verifyAll(a, blocks))
	diffs, err := a.Compare(context.Background(), answer(a, terms))
	require.NoError(t, err)
	require.Empty(t, diffs)
	require.Equal(t, 1, a.Report().TermsRead)

	b := newAuditor(t)
	require.NoError(t, verifyAll(b, blocks))
	forged := *terms
	forged.RateBps = 300
	diffs, err = b.Compare(context.Background(), answer(b, &forged))
	require.NoError(t, err)
	require.Len(t, diffs, 1)
	require.Equal(t, "R-1.2", diffs[0].ID)
	require.Contains(t, diffs[0].Detail, "the private terms the chaincode shows hash to")
}

// A key's own endorsement policy, set by a metadata write, binds its next change at commit; the
// audit checks it instead of the chaincode's: the core enterprise and the supplier (enough for
// the chaincode's policy) cannot move a piece whose policy names Bank1MSP, and the audit names
// the write that did.
func TestVerify_AKeysOwnPolicyBindsItsNextChange(t *testing.T) {
	c := audittest.NewChain(t)
	financed := audittest.Receivable("R-1.2", "R-1", "Bank1MSP/officer", 4000, wire.StatusActive)
	b3 := audittest.Block(t, c.Blocks[2], []peer.TxValidationCode{peer.TxValidationCode_VALID},
		audittest.GuardedTx(t, "tx4", "receivables", c.Core.User, []*wire.Receivable{financed},
			audittest.PeersPolicy(t, 2, "CoreMSP", "Bank1MSP"), c.Core.Peer, c.Supplier.Peer))
	moved := audittest.Receivable("R-1.2", "R-1", "SupplierMSP/a", 4000, wire.StatusActive)
	b4 := audittest.Block(t, b3, []peer.TxValidationCode{peer.TxValidationCode_VALID},
		audittest.EndorserTx(t, "tx5", "receivables", c.Supplier.User, []*wire.Receivable{moved}, c.Core.Peer, c.Supplier.Peer))

	a := newAuditor(t)
	require.NoError(t, verifyAll(a, append(c.Blocks, b3)), "a new key's policy is set under the chaincode's")
	err := a.Verify(b4)
	require.ErrorContains(t, err, "block 4, transaction 0 (tx5): endorsements by [CoreMSP SupplierMSP] do not satisfy the policy AND('CoreMSP.peer','Bank1MSP.peer') of key rcv/R-1.2")
	require.Equal(t, 1, a.Report().KeyPolicies)
}

// The peer's validation flags lie outside the block's data hash: a transaction flagged VALID whose
// read set does not match the versions the valid transactions before it leave (it read R-1 before
// the split rewrote it) is named, not replayed; read at the right version it passes.
func TestVerify_AValidFlagThatTheReadSetContradictsIsNamed(t *testing.T) {
	c := audittest.NewChain(t)
	moved := audittest.Receivable("R-1.1", "R-1", "SupplierMSP/b", 6000, wire.StatusActive)
	stale := map[string]*kvrwset.Version{"rcv/R-1.1": {BlockNum: 1, TxNum: 0}}
	b3 := audittest.Block(t, c.Blocks[2], []peer.TxValidationCode{peer.TxValidationCode_VALID},
		audittest.ReadingTx(t, "tx4", "receivables", c.Supplier.User, stale, []*wire.Receivable{moved}, c.Core.Peer, c.Supplier.Peer))
	err := verifyAll(newAuditor(t), append(c.Blocks, b3))
	require.ErrorContains(t, err, "block 3, transaction 0 (tx4): flagged VALID, but it read rcv/R-1.1 at version 1:0 while the valid transactions before it leave version 2:0")

	current := map[string]*kvrwset.Version{"rcv/R-1.1": {BlockNum: 2, TxNum: 0}, "rcv/R-9": nil}
	b3 = audittest.Block(t, c.Blocks[2], []peer.TxValidationCode{peer.TxValidationCode_VALID},
		audittest.ReadingTx(t, "tx4", "receivables", c.Supplier.User, current, []*wire.Receivable{moved}, c.Core.Peer, c.Supplier.Peer))
	require.NoError(t, verifyAll(newAuditor(t), append(c.Blocks, b3)), "the versions the blocks leave, and an absent key")
}

// A range query flagged VALID must find the same keys again on the state the blocks before it
// leave: a key that entered the range after the endorsement (a phantom) or one read that is not
// there is named; the keys as they are pass.
func TestVerify_ARangeQueryThatTheBlocksContradictIsNamed(t *testing.T) {
	c := audittest.NewChain(t)
	at := &kvrwset.Version{BlockNum: 2, TxNum: 0}
	rangeTx := func(exhausted bool, keys ...string) *common.Block {
		rq := &kvrwset.RangeQueryInfo{StartKey: "rcv/R-1.", EndKey: "rcv/R-1/", ItrExhausted: exhausted,
			ReadsInfo: &kvrwset.RangeQueryInfo_RawReads{RawReads: &kvrwset.QueryReads{}}}
		for _, k := range keys {
			rq.GetRawReads().KvReads = append(rq.GetRawReads().KvReads, &kvrwset.KVRead{Key: k, Version: at})
		}
		return audittest.Block(t, c.Blocks[2], []peer.TxValidationCode{peer.TxValidationCode_VALID},
			audittest.SetTx(t, "tx4", "receivables", c.Supplier.User, &kvrwset.KVRWSet{RangeQueriesInfo: []*kvrwset.RangeQueryInfo{rq}}, nil,
				c.Core.Peer, c.Supplier.Peer))
	}
	err := verifyAll(newAuditor(t), append(c.Blocks, rangeTx(true, "rcv/R-1.1")))
	require.ErrorContains(t, err, "block 3, transaction 0 (tx4): flagged VALID, but its range query from rcv/R-1. to rcv/R-1/ would now find rcv/R-1.2, which it did not read (a phantom)")
	err = verifyAll(newAuditor(t), append(c.Blocks, rangeTx(true, "rcv/R-1.1", "rcv/R-1.2", "rcv/R-1.3")))
	require.ErrorContains(t, err, "read rcv/R-1.3, which the valid transactions before it do not leave in the range")

	a := newAuditor(t)
	require.NoError(t, verifyAll(a, append(c.Blocks, rangeTx(true, "rcv/R-1.1", "rcv/R-1.2"))), "the keys the blocks leave")
	require.Equal(t, 1, a.Report().RangesRecomputed)
	require.NoError(t, verifyAll(newAuditor(t), append(c.Blocks, rangeTx(false, "rcv/R-1.1"))), "a query that stopped early read the first key")
}

// A private key read by its hash (GetPrivateDataHash, as a binding of a bank's terms does) must be
// at the version the valid private writes before it leave.
func TestVerify_APrivateReadThatTheBlocksContradictIsNamed(t *testing.T) {
	c := audittest.NewChain(t)
	key, coll := "request/R-1.2/tx", wire.TermsCollection("SupplierMSP", "Bank1MSP")
	b3 := audittest.Block(t, c.Blocks[2], []peer.TxValidationCode{peer.TxValidationCode_VALID},
		audittest.PrivateTx(t, "tx4", "receivables", c.Supplier.User, nil, coll, key, []byte("approved/x"), c.Core.Peer, c.Supplier.Peer))
	kh := sha256.Sum256([]byte(key))
	reading := func(v *kvrwset.Version) *common.Block {
		hashed := audittest.Marshal(t, &kvrwset.HashedRWSet{HashedReads: []*kvrwset.KVReadHash{{KeyHash: kh[:], Version: v}}})
		return audittest.Block(t, b3, []peer.TxValidationCode{peer.TxValidationCode_VALID},
			audittest.SetTx(t, "tx5", "receivables", c.Supplier.User, &kvrwset.KVRWSet{},
				[]*rwset.CollectionHashedReadWriteSet{{CollectionName: coll, HashedRwset: hashed}}, c.Core.Peer, c.Supplier.Peer))
	}
	err := verifyAll(newAuditor(t), append(c.Blocks, b3, reading(nil)))
	require.ErrorContains(t, err, "block 4, transaction 0 (tx5): flagged VALID, but it read the private key")
	require.ErrorContains(t, err, "at no version (absent) while the valid transactions before it leave version 3:0")
	require.NoError(t, verifyAll(newAuditor(t), append(c.Blocks, b3, reading(&kvrwset.Version{BlockNum: 3, TxNum: 0}))))
}

// A certificate the organisation revoked (its CA's revocation list in the channel configuration)
// signs nothing from that configuration on: a transaction it creates after is named; those before
// stay valid.
func TestVerify_ARevokedCertificateSignsNothingAfterTheRevocation(t *testing.T) {
	c := audittest.NewChain(t)
	genesis := audittest.Config(t, c.Core, c.Supplier)
	c.Supplier.Revoke(t, c.Supplier.User)
	update, _ := audittest.ConfigUpdate(t, genesis, []*audittest.Org{c.Core, c.Supplier}, c.Supplier.Admin)
	b3 := audittest.Block(t, c.Blocks[2], []peer.TxValidationCode{peer.TxValidationCode_VALID}, update)
	moved := audittest.Receivable("R-1.1", "R-1", "SupplierMSP/b", 6000, wire.StatusActive)
	b4 := audittest.Block(t, b3, []peer.TxValidationCode{peer.TxValidationCode_VALID},
		audittest.EndorserTx(t, "tx4", "receivables", c.Supplier.User, []*wire.Receivable{moved}, c.Core.Peer, c.Supplier.Peer))
	a := newAuditor(t)
	require.NoError(t, verifyAll(a, append(c.Blocks, b3)), "its transactions before the revocation are valid")
	require.Equal(t, 1, a.Report().ConfigUpdates)
	require.Empty(t, a.Report().Violations, "the supplier's admin changes the supplier's MSP")
	require.ErrorContains(t, a.Verify(b4), "block 4, transaction 0 (tx4): creator: certificate \"user1\" (SupplierMSP, serial")
	require.ErrorContains(t, a.Verify(b4), "is revoked")
}

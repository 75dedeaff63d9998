package main

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/recv-ledger/recv/chaincode/bare"
)

func mustMarshal(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	require.NoError(t, err)
	return b
}

// testBlock is a block of two transactions; the second, "tx-2", of chaincode "receivables", reads
// three keys and a range of two, writes two values, deletes one, sets one key policy and writes
// two private values in terms_S_B, endorsed by Core, Bank1 and Core again.
func testBlock(t *testing.T) (*common.Block, map[uint64]*rwset.TxPvtReadWriteSet) {
	tx := func(id string, nsRW []*rwset.NsReadWriteSet, endorsers ...string) []byte {
		var ends []*peer.Endorsement
		for _, e := range endorsers {
			ends = append(ends, &peer.Endorsement{Endorser: mustMarshal(t, &msp.SerializedIdentity{Mspid: e})})
		}
		prp := &peer.ProposalResponsePayload{Extension: mustMarshal(t, &peer.ChaincodeAction{
			Results:  mustMarshal(t, &rwset.TxReadWriteSet{NsRwset: nsRW}),
			Events:   mustMarshal(t, &peer.ChaincodeEvent{EventName: "Decided", Payload: make([]byte, 150)}),
			Response: &peer.Response{Status: 200, Payload: make([]byte, 90)},
		})}
		input := &peer.ChaincodeInvocationSpec{ChaincodeSpec: &peer.ChaincodeSpec{Input: &peer.ChaincodeInput{
			Args: [][]byte{[]byte("contract:DecideFinancing"), []byte("R-1")}}}}
		ccp := &peer.ChaincodeActionPayload{
			ChaincodeProposalPayload: mustMarshal(t, &peer.ChaincodeProposalPayload{Input: mustMarshal(t, input)}),
			Action:                   &peer.ChaincodeEndorsedAction{ProposalResponsePayload: mustMarshal(t, prp), Endorsements: ends},
		}
		payload := &common.Payload{
			Header: &common.Header{ChannelHeader: mustMarshal(t, &common.ChannelHeader{TxId: id})},
			Data:   mustMarshal(t, &peer.Transaction{Actions: []*peer.TransactionAction{{Payload: mustMarshal(t, ccp)}}}),
		}
		return mustMarshal(t, &common.Envelope{Payload: mustMarshal(t, payload)})
	}
	kv := &kvrwset.KVRWSet{
		Reads: []*kvrwset.KVRead{{Key: "a"}, {Key: "b"}, {Key: "c"}},
		RangeQueriesInfo: []*kvrwset.RangeQueryInfo{{StartKey: "p", EndKey: "q", ReadsInfo: &kvrwset.RangeQueryInfo_RawReads{
			RawReads: &kvrwset.QueryReads{KvReads: []*kvrwset.KVRead{{Key: "p1"}, {Key: "p2"}}}}}},
		Writes:         []*kvrwset.KVWrite{{Key: "a", Value: bytes.Repeat([]byte("x"), 700)}, {Key: "d", Value: []byte("yy")}, {Key: "e", IsDelete: true}},
		MetadataWrites: []*kvrwset.KVMetadataWrite{{Key: "d"}},
	}
	hashed := &kvrwset.HashedRWSet{
		HashedReads:  []*kvrwset.KVReadHash{{KeyHash: []byte{1}}},
		HashedWrites: []*kvrwset.KVWriteHash{{KeyHash: []byte{2}}, {KeyHash: []byte{3}}},
	}
	ns := []*rwset.NsReadWriteSet{
		{Namespace: "_lifecycle", Rwset: mustMarshal(t, &kvrwset.KVRWSet{Reads: []*kvrwset.KVRead{{Key: "namespaces/fields/receivables/Sequence"}}})},
		{Namespace: "receivables", Rwset: mustMarshal(t, kv), CollectionHashedRwset: []*rwset.CollectionHashedReadWriteSet{
			{CollectionName: "terms_S_B", HashedRwset: mustMarshal(t, hashed)}}},
	}
	block := &common.Block{Header: &common.BlockHeader{Number: 7}, Data: &common.BlockData{Data: [][]byte{
		tx("tx-1", nil, "CoreMSP"),
		tx("tx-2", ns, "CoreMSP", "Bank1MSP", "CoreMSP"),
	}}}
	pvt := map[uint64]*rwset.TxPvtReadWriteSet{1: {NsPvtRwset: []*rwset.NsPvtReadWriteSet{{Namespace: "receivables",
		CollectionPvtRwset: []*rwset.CollectionPvtReadWriteSet{{CollectionName: "terms_S_B", Rwset: mustMarshal(t, &kvrwset.KVRWSet{
			Writes: []*kvrwset.KVWrite{{Key: "terms", Value: make([]byte, 300)}, {Key: "req", Value: make([]byte, 64)}}})}}}}}}
	return block, pvt
}

func TestShapeOf_CountsTheChaincodesReadWriteSetAndEndorsers(t *testing.T) {
	block, pvt := testBlock(t)
	s, err := shapeOf(block, pvt, "tx-2", "receivables")
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b", "c"}, s.readKeys)
	require.Equal(t, []string{"a", "d"}, s.writeKeys)
	s.readKeys, s.writeKeys = nil, nil
	require.Equal(t, txShape{TxID: "tx-2", Function: "DecideFinancing", Endorsers: []string{"Bank1MSP", "CoreMSP"},
		Reads: 3, Ranges: 1, RangeReads: 2, Writes: []int{700, 2}, Deletes: 1, Policies: 1,
		Private:      []privateWrite{{Collection: "terms_S_B", Size: 300}, {Collection: "terms_S_B", Size: 64}},
		PrivateReads: 1, Event: 150, Response: 90}, s)
}

func TestShapeOf_PrivateSizesUnknownWithoutThePrivateData(t *testing.T) {
	block, _ := testBlock(t)
	s, err := shapeOf(block, nil, "tx-2", "receivables")
	require.NoError(t, err)
	require.Equal(t, []privateWrite{{Collection: "terms_S_B", Size: -1}, {Collection: "terms_S_B", Size: -1}}, s.Private)
}

func TestShapeOf_TransactionNotInTheBlock(t *testing.T) {
	block, pvt := testBlock(t)
	_, err := shapeOf(block, pvt, "tx-9", "receivables")
	require.ErrorContains(t, err, "not in block 7")
}

func TestTwinTxs_SameCountsAndSizesOnKeysOfItsOwn(t *testing.T) {
	block, pvt := testBlock(t)
	s, err := shapeOf(block, pvt, "tx-2", "receivables")
	require.NoError(t, err)
	s.Account = officer
	confirm := txShape{Function: "ConfirmInstruction", Account: treasurer, Endorsers: []string{"CoreMSP"}, Reads: 1, Writes: []int{50}}
	txs := twinTxs("BN-1", "shape-Op", opShape{s, confirm})
	require.Len(t, txs, 2)
	first := txs[0]
	require.Equal(t, officer, first.Account)
	require.Equal(t, []string{"Bank1MSP", "CoreMSP"}, first.Endorsers)
	require.Equal(t, []string{"shape-seed-000", "shape-seed-001", "shape-seed-002", "shape-seed-003", "shape-seed-004"}, first.Shape.Reads,
		"three reads and the range's two keys, of the seeded keys")
	require.Equal(t, []bare.Write{{Key: "BN-1-t0-w0", Size: 700}, {Key: "BN-1-t0-w1", Size: 2}}, first.Shape.Writes)
	require.Equal(t, []string{"BN-1-t0-d0"}, first.Shape.Deletes)
	require.Equal(t, []bare.KeyPolicy{{Key: "BN-1-t0-w0", Orgs: []string{"Bank1MSP", "CoreMSP"}}}, first.Shape.Policies)
	require.Equal(t, []bare.PrivateWrite{{Collection: "terms_S_B", Key: "BN-1-t0-p0", Size: 300}, {Collection: "terms_S_B", Key: "BN-1-t0-p1", Size: 64}}, first.Shape.Private)
	require.Equal(t, []bare.PrivateKey{{Collection: "terms_S_B", Key: "shape-seed-000"}}, first.Shape.PrivateReads)
	require.Equal(t, 150, first.Shape.Event)
	require.Equal(t, 90, first.Shape.Response)
	require.Equal(t, treasurer, txs[1].Account)
	require.Equal(t, []bare.Write{{Key: "BN-1-t1-w0", Size: 50}}, txs[1].Shape.Writes)
	other := twinTxs("BN-2", "shape-Op", opShape{s})
	require.NotEqual(t, first.Shape.Writes[0].Key, other[0].Shape.Writes[0].Key, "no two twins write one key")
	_, err = json.Marshal(first.Shape)
	require.NoError(t, err)
}

func TestShapeTable_RatiosToTheTwinAndToTheOneKeyBare(t *testing.T) {
	r := newReport(t.TempDir(), "test", benchConfig{levels: []int{1}})
	lv := func(tps, ops float64) []levelStats {
		return []levelStats{{Concurrency: 1, TPS: tps, OpsPerSec: ops, Failures: map[string]int{}}}
	}
	r.add(rampResult{Workload: "bare-1024", Via: "sdk", BareSize: 1024, Levels: lv(100, 100), MaxTPS: 100})
	r.add(rampResult{Workload: "Issue", Via: "sdk", BareSize: 1024, Levels: lv(60, 30), MaxTPS: 60})
	r.add(rampResult{Workload: "Issue-shape", Via: "sdk", BareSize: 1024, Levels: lv(80, 40), MaxTPS: 80})
	r.addShape("Issue", opShape{{Function: "Issue", Endorsers: []string{"CoreMSP", "SupplierMSP"}, Reads: 5, Writes: []int{900, 100}},
		{Function: "ConfirmInstruction", Endorsers: []string{"CoreMSP"}, Reads: 2, Writes: []int{50}}})
	var b bytes.Buffer
	r.printShapeTable(&b)
	require.Contains(t, b.String(), "| Issue | 30.0 | 40.0 | 0.75 | 0.60 (1024 B) | Issue: 5r 2w 1000B by Core+Supplier; ConfirmInstruction: 2r 1w 50B by Core |")
}

func TestNameSet(t *testing.T) {
	require.Nil(t, nameSet(""))
	require.Empty(t, nameSet("none"))
	require.Equal(t, map[string]bool{"Issue": true, "Split": true}, nameSet("Issue, Split"))
}

func TestMarkHot_KeysEveryOperationWritesAreSharedByTheTwins(t *testing.T) {
	a := opShape{{Function: "ApproveFinancing", Reads: 3, Writes: []int{500, 80, 40}, Policies: 1,
		readKeys: []string{"registry", "exposure~Bank1", "R-1"}, writeKeys: []string{"R-1", "exposure~Bank1", "cap~Bank1"}}}
	b := opShape{{Function: "ApproveFinancing", readKeys: []string{"registry", "exposure~Bank1", "R-2"},
		writeKeys: []string{"R-2", "exposure~Bank1", "cap~Bank1"}}}
	markHot(a, b)
	require.Equal(t, []hotWrite{{Index: 1, Read: true}, {Index: 2, Read: false}}, a[0].Hot)
	for _, id := range []string{"BN-1", "BN-2"} {
		tx := twinTxs(id, "shape-ApproveFinancing", a)[0].Shape
		require.Equal(t, []string{"shape-ApproveFinancing-t0-hot1", "shape-seed-000", "shape-seed-001"}, tx.Reads,
			"three reads: the hot key it also writes and two seeded keys")
		require.Equal(t, []bare.Write{{Key: id + "-t0-w0", Size: 500}, {Key: "shape-ApproveFinancing-t0-hot1", Size: 80},
			{Key: "shape-ApproveFinancing-t0-hot2", Size: 40}}, tx.Writes)
		require.Equal(t, id+"-t0-w0", tx.Policies[0].Key)
	}
}

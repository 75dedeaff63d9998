package audit_test

import (
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/recv-ledger/recv/gateway/audit/audittest"
)

// swapEndorsedResults puts the proposal response (the write set) of donor into orig, keeping
// orig's endorsements and creator signature: the edit a tamperer could make to a copy.
func swapEndorsedResults(t *testing.T, orig, donor []byte) []byte {
	t.Helper()
	prpOf := func(raw []byte) (*common.Envelope, *common.Payload, *peer.Transaction, *peer.ChaincodeActionPayload) {
		var env common.Envelope
		require.NoError(t, proto.Unmarshal(raw, &env))
		var p common.Payload
		require.NoError(t, proto.Unmarshal(env.Payload, &p))
		var tx peer.Transaction
		require.NoError(t, proto.Unmarshal(p.Data, &tx))
		var cap peer.ChaincodeActionPayload
		require.NoError(t, proto.Unmarshal(tx.Actions[0].Payload, &cap))
		return &env, &p, &tx, &cap
	}
	env, p, tx, cap := prpOf(orig)
	_, _, _, donorCap := prpOf(donor)
	cap.Action.ProposalResponsePayload = donorCap.Action.ProposalResponsePayload
	tx.Actions[0].Payload = audittest.Marshal(t, cap)
	p.Data = audittest.Marshal(t, tx)
	env.Payload = audittest.Marshal(t, p)
	return audittest.Marshal(t, env)
}

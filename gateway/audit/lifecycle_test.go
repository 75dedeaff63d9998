package audit_test

import (
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer/lifecycle"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/audit"
	"github.com/recv-ledger/recv/gateway/audit/audittest"
)

var valid = []peer.TxValidationCode{peer.TxValidationCode_VALID}

// definedChain is the configuration, a chaincode definition with env, then a receivables
// transaction endorsed by the core's and the supplier's peers.
func definedChain(t *testing.T, env *common.SignaturePolicyEnvelope) []*common.Block {
	c := audittest.NewChain(t)
	b1 := audittest.Block(t, c.Blocks[0], valid, audittest.LifecycleTx(t, "def", "receivables", env, c.Core.User, c.Core.Peer))
	b2 := audittest.Block(t, b1, valid, audittest.EndorserTx(t, "tx1", "receivables", c.Core.User,
		[]*wire.Receivable{audittest.Receivable("R-1", "R-1", "", 100, wire.StatusPending)}, c.Core.Peer, c.Supplier.Peer))
	return []*common.Block{c.Blocks[0], b1, b2}
}

func TestPolicy_TakenFromTheChaincodeDefinitionInTheChain(t *testing.T) {
	a, err := audit.New(audit.Options{})
	require.NoError(t, err)
	require.NoError(t, verifyAll(a, definedChain(t, audittest.PeersPolicy(t, 2, "CoreMSP", "SupplierMSP"))))
	rep := a.Report()
	require.Equal(t, "AND('CoreMSP.peer','SupplierMSP.peer')", rep.Policy)
	require.Equal(t, "chaincode definition in block 1", rep.PolicySource)
	require.Equal(t, 1, rep.ChaincodeTxs)
}

func TestPolicy_TheDefinedPolicyIsEnforced(t *testing.T) {
	a, _ := audit.New(audit.Options{})
	err := verifyAll(a, definedChain(t, audittest.PeersPolicy(t, 2, "CoreMSP", "Bank1MSP")))
	require.ErrorContains(t, err, "block 2, transaction 0 (tx1): endorsements by [CoreMSP SupplierMSP] do not satisfy AND('CoreMSP.peer','Bank1MSP.peer')")

	fixed, _ := audit.ParsePolicy("OR('CoreMSP.peer')")
	a, _ = audit.New(audit.Options{Policy: fixed, FixedPolicy: true})
	require.NoError(t, verifyAll(a, definedChain(t, audittest.PeersPolicy(t, 2, "CoreMSP", "Bank1MSP"))), "a fixed policy is not replaced")
}

func TestPolicy_NoneKnownRefusesTheChaincodesTransactions(t *testing.T) {
	c := audittest.NewChain(t)
	a, _ := audit.New(audit.Options{})
	require.ErrorContains(t, verifyAll(a, c.Blocks), "block 1, transaction 0 (tx1): no endorsement policy for receivables")

	// A definition applies from the block after its own.
	b1 := audittest.Block(t, c.Blocks[0], []peer.TxValidationCode{peer.TxValidationCode_VALID, peer.TxValidationCode_VALID},
		audittest.LifecycleTx(t, "def", "receivables", audittest.PeersPolicy(t, 1, "CoreMSP"), c.Core.User, c.Core.Peer),
		audittest.EndorserTx(t, "tx1", "receivables", c.Core.User, nil, c.Core.Peer))
	a, _ = audit.New(audit.Options{})
	require.ErrorContains(t, verifyAll(a, []*common.Block{c.Blocks[0], b1}), "block 1, transaction 1 (tx1): no endorsement policy")
}

func TestPolicyFromValidationInfo_ReadsTheNetworksPolicy(t *testing.T) {
	peerOf := func(m string) *msp.MSPPrincipal {
		return &msp.MSPPrincipal{Principal: audittest.Marshal(t, &msp.MSPRole{MspIdentifier: m, Role: msp.MSPRole_PEER})}
	}
	signedBy := func(i int32) *common.SignaturePolicy {
		return &common.SignaturePolicy{Type: &common.SignaturePolicy_SignedBy{SignedBy: i}}
	}
	nOutOf := func(n int32, rules ...*common.SignaturePolicy) *common.SignaturePolicy {
		return &common.SignaturePolicy{Type: &common.SignaturePolicy_NOutOf_{NOutOf: &common.SignaturePolicy_NOutOf{N: n, Rules: rules}}}
	}
	env := &common.SignaturePolicyEnvelope{
		Rule:       nOutOf(2, signedBy(0), nOutOf(1, signedBy(1), signedBy(2), signedBy(3))),
		Identities: []*msp.MSPPrincipal{peerOf("CoreMSP"), peerOf("SupplierMSP"), peerOf("Bank1MSP"), peerOf("Bank2MSP")},
	}
	ap := audittest.Marshal(t, &peer.ApplicationPolicy{Type: &peer.ApplicationPolicy_SignaturePolicy{SignaturePolicy: env}})
	value := audittest.Marshal(t, &lifecycle.StateData{Type: &lifecycle.StateData_Bytes{
		Bytes: audittest.Marshal(t, &lifecycle.ChaincodeValidationInfo{ValidationPlugin: "vscc", ValidationParameter: ap})}})
	p, err := audit.PolicyFromValidationInfo(value)
	require.NoError(t, err)
	require.Equal(t, testPolicy, p.String())

	ref := audittest.Marshal(t, &peer.ApplicationPolicy{Type: &peer.ApplicationPolicy_ChannelConfigPolicyReference{ChannelConfigPolicyReference: "/Channel/Application/Endorsement"}})
	value = audittest.Marshal(t, &lifecycle.StateData{Type: &lifecycle.StateData_Bytes{
		Bytes: audittest.Marshal(t, &lifecycle.ChaincodeValidationInfo{ValidationParameter: ref})}})
	_, err = audit.PolicyFromValidationInfo(value)
	require.ErrorContains(t, err, "channel policy reference")
}

// The re-executed InitRegistry checks the seed's hash against the definition's version: the
// audit reads it from the definition's EndorsementInfo as _lifecycle writes it.
func TestVersionFromEndorsementInfo(t *testing.T) {
	info, err := proto.Marshal(&lifecycle.ChaincodeEndorsementInfo{Version: "1+seed.ab", EndorsementPlugin: "escc"})
	require.NoError(t, err)
	value, err := proto.Marshal(&lifecycle.StateData{Type: &lifecycle.StateData_Bytes{Bytes: info}})
	require.NoError(t, err)
	v, err := audit.VersionFromEndorsementInfo(value)
	require.NoError(t, err)
	require.Equal(t, "1+seed.ab", v)
	_, err = audit.VersionFromEndorsementInfo([]byte{0xff})
	require.ErrorContains(t, err, "decode lifecycle state")
}

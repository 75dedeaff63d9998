// Package proposaltest builds Fabric proposals and endorsed transaction payloads byte for byte as
// the fabric-gateway SDK and a Fabric 2.5 peer's gateway do, for tests of what an offline signer is
// asked to sign. It has no Fabric dependency beyond the protobuf messages.
package proposaltest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Proposal describes a chaincode proposal: the channel and chaincode, the creator (MSP ID and
// PEM certificate), the transaction function, its arguments and transient data.
type Proposal struct {
	Channel   string
	Chaincode string
	MSPID     string
	Cert      []byte
	Function  string
	Args      []string
	Transient map[string][]byte
	Time      time.Time // zero: now
	Nonce     []byte    // nil: 24 random bytes, as the SDK makes
}

// Build returns the transaction id (hex SHA-256 of nonce and creator) and the peer.Proposal's
// bytes, as fabric-gateway's proposal builder makes them.
func (p Proposal) Build() (txID string, proposal []byte, err error) {
	nonce := p.Nonce
	if nonce == nil {
		nonce = make([]byte, 24)
		if _, err := rand.Read(nonce); err != nil {
			return "", nil, err
		}
	}
	creator, err := proto.Marshal(&msp.SerializedIdentity{Mspid: p.MSPID, IdBytes: p.Cert})
	if err != nil {
		return "", nil, err
	}
	sum := sha256.Sum256(append(append([]byte(nil), nonce...), creator...))
	txID = hex.EncodeToString(sum[:])
	at := p.Time
	if at.IsZero() {
		at = time.Now()
	}
	ext := must(proto.Marshal(&peer.ChaincodeHeaderExtension{ChaincodeId: &peer.ChaincodeID{Name: p.Chaincode}}))
	chdr := must(proto.Marshal(&common.ChannelHeader{Type: int32(common.HeaderType_ENDORSER_TRANSACTION),
		Timestamp: timestamppb.New(at), ChannelId: p.Channel, TxId: txID, Extension: ext}))
	shdr := must(proto.Marshal(&common.SignatureHeader{Creator: creator, Nonce: nonce}))
	args := [][]byte{[]byte(p.Function)}
	for _, a := range p.Args {
		args = append(args, []byte(a))
	}
	spec := must(proto.Marshal(&peer.ChaincodeInvocationSpec{ChaincodeSpec: &peer.ChaincodeSpec{
		ChaincodeId: &peer.ChaincodeID{Name: p.Chaincode}, Input: &peer.ChaincodeInput{Args: args}}}))
	payload := must(proto.Marshal(&peer.ChaincodeProposalPayload{Input: spec, TransientMap: p.Transient}))
	header := must(proto.Marshal(&common.Header{ChannelHeader: chdr, SignatureHeader: shdr}))
	proposal, err = proto.Marshal(&peer.Proposal{Header: header, Payload: payload})
	return txID, proposal, err
}

// Endorsed returns the transaction payload (common.Payload bytes) that a peer's gateway prepares
// from proposal once endorsed (Fabric 2.5, internal/pkg/gateway prepareTransaction): the
// proposal's header, its payload without the transient data, and one endorsement whose
// response carries result.
func Endorsed(proposal, result []byte) ([]byte, error) {
	var prop peer.Proposal
	if err := proto.Unmarshal(proposal, &prop); err != nil {
		return nil, fmt.Errorf("proposal: %w", err)
	}
	var header common.Header
	var payload peer.ChaincodeProposalPayload
	if proto.Unmarshal(prop.GetHeader(), &header) != nil || proto.Unmarshal(prop.GetPayload(), &payload) != nil {
		return nil, errors.New("proposal: malformed header or payload")
	}
	cpp := must(proto.Marshal(&peer.ChaincodeProposalPayload{Input: payload.GetInput()}))
	hash := sha256.New()
	hash.Write(header.GetChannelHeader())
	hash.Write(header.GetSignatureHeader())
	hash.Write(cpp)
	action := must(proto.Marshal(&peer.ChaincodeAction{Response: &peer.Response{Status: 200, Payload: result}}))
	prp := must(proto.Marshal(&peer.ProposalResponsePayload{ProposalHash: hash.Sum(nil), Extension: action}))
	cap := must(proto.Marshal(&peer.ChaincodeActionPayload{ChaincodeProposalPayload: cpp, Action: &peer.ChaincodeEndorsedAction{
		ProposalResponsePayload: prp, Endorsements: []*peer.Endorsement{{Endorser: []byte("endorser"), Signature: []byte("endorsement")}}}}))
	tx := must(proto.Marshal(&peer.Transaction{Actions: []*peer.TransactionAction{{Header: header.GetSignatureHeader(), Payload: cap}}}))
	return proto.Marshal(&common.Payload{Header: &header, Data: tx})
}

// must panics on an error marshalling a message built here, which cannot happen.
func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

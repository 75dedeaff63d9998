package contract

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer/lifecycle"
	"google.golang.org/protobuf/proto"

	"github.com/recv-ledger/recv/chaincode/receivable"
)

// SeedTag joins a chaincode definition's version to the SHA-256 (hex) of the registry its
// InitRegistry must seed: "1+seed.<64 hex digits>". Every organisation approves the definition,
// version included, and a majority commits it, so the seed is what the organisations agreed on
// before any member could call the chaincode: no member's admin can seed another registry first.
const SeedTag = "+seed."

// seedAgreed checks that the registry argument of this InitRegistry is the one the chaincode's
// committed definition names. The definition is read from the peer's _lifecycle system chaincode
// within the transaction (a chaincode-to-chaincode query): its keys join the read set, so a
// definition committed meanwhile invalidates the seeding at commit.
func seedAgreed(stub shim.ChaincodeStubInterface) error {
	args := stub.GetArgs()
	if len(args) != 2 {
		return receivable.Invalidf("InitRegistry takes one argument, the registry; %d given", len(args)-1)
	}
	sum := sha256.Sum256(args[1])
	got := hex.EncodeToString(sum[:])
	name, version, err := ownDefinition(stub)
	if err != nil {
		return err
	}
	i := strings.LastIndex(version, SeedTag)
	if i < 0 {
		return receivable.Forbiddenf("InitRegistry: the definition of chaincode %s (version %q) names no seed; "+
			"the deployment approves a version ending in %s<SHA-256 of the registry>, so that only the registry every organisation approved can be seeded",
			name, version, SeedTag)
	}
	if want := version[i+len(SeedTag):]; want != got {
		return receivable.Forbiddenf("InitRegistry: this registry's SHA-256 is %s; the definition of chaincode %s that the organisations approved (version %q) names %s",
			got, name, version, want)
	}
	return nil
}

// ownDefinition is the name of the chaincode this transaction invokes (from its proposal's
// header) and the version of its committed definition.
func ownDefinition(stub shim.ChaincodeStubInterface) (name, version string, err error) {
	if name, err = invokedChaincode(stub); err != nil {
		return "", "", err
	}
	query, err := proto.Marshal(&lifecycle.QueryChaincodeDefinitionArgs{Name: name})
	if err != nil {
		return "", "", err
	}
	resp := stub.InvokeChaincode("_lifecycle", [][]byte{[]byte("QueryChaincodeDefinition"), query}, "")
	if resp.GetStatus() != shim.OK {
		return "", "", fmt.Errorf("reading the definition of chaincode %s from _lifecycle: %s", name, resp.GetMessage())
	}
	var def lifecycle.QueryChaincodeDefinitionResult
	if err := proto.Unmarshal(resp.GetPayload(), &def); err != nil {
		return "", "", fmt.Errorf("decoding the definition of chaincode %s: %w", name, err)
	}
	return name, def.GetVersion(), nil
}

// invokedChaincode reads the chaincode name from the signed proposal's channel header.
func invokedChaincode(stub shim.ChaincodeStubInterface) (string, error) {
	sp, err := stub.GetSignedProposal()
	if err != nil {
		return "", fmt.Errorf("reading the signed proposal: %w", err)
	}
	var prop peer.Proposal
	var hdr common.Header
	var ch common.ChannelHeader
	var ext peer.ChaincodeHeaderExtension
	if err := decodeProto(sp.GetProposalBytes(), &prop, "proposal"); err != nil {
		return "", err
	}
	if err := decodeProto(prop.GetHeader(), &hdr, "header"); err != nil {
		return "", err
	}
	if err := decodeProto(hdr.GetChannelHeader(), &ch, "channel header"); err != nil {
		return "", err
	}
	if err := decodeProto(ch.GetExtension(), &ext, "chaincode header extension"); err != nil {
		return "", err
	}
	name := ext.GetChaincodeId().GetName()
	if name == "" {
		return "", fmt.Errorf("the proposal names no chaincode")
	}
	return name, nil
}

func decodeProto(b []byte, m proto.Message, what string) error {
	if err := proto.Unmarshal(b, m); err != nil {
		return fmt.Errorf("decoding the proposal's %s: %w", what, err)
	}
	return nil
}

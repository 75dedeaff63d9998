package contract

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// Chaincode is the receivables chaincode: the contract framework's router, answering GetMetadata
// with the typed metadata and giving the framework's own argument errors the "invalid" kind like
// every other refusal.
type Chaincode struct {
	*contractapi.ContractChaincode
	metadata []byte // the answer to GetMetadata: see typedMetadata
}

var _ shim.Chaincode = (*Chaincode)(nil)

// NewChaincode returns the chaincode with this contract as its default contract. It fails when the
// contract's transactions and wire.Ops disagree.
func NewChaincode(opts ...Option) (*Chaincode, error) {
	cc, err := contractapi.NewChaincode(New(opts...))
	if err != nil {
		return nil, fmt.Errorf("creating chaincode: %w", err)
	}
	cc.Info = info
	cc.TransactionSerializer = argSerializer{}
	md, err := typedMetadata(cc)
	if err != nil {
		return nil, fmt.Errorf("creating chaincode: %w", err)
	}
	return &Chaincode{ContractChaincode: cc, metadata: md}, nil
}

// frameworkErrors are the beginnings of the contract framework's messages about bad arguments.
var frameworkErrors = []string{"Blank function name", "Function ", "incorrect number of params", "error managing parameter", "Contract not found"}

// Invoke routes the transaction; see Chaincode.
func (cc *Chaincode) Invoke(stub shim.ChaincodeStubInterface) *peer.Response {
	fn, _ := stub.GetFunctionAndParameters()
	if isGetMetadata(fn) {
		return shim.Success(cc.metadata)
	}
	resp := cc.ContractChaincode.Invoke(stub)
	if resp.Status != shim.OK {
		resp.Message = classify(fn, resp.Message)
	}
	return resp
}

func isGetMetadata(fn string) bool {
	ns, name, _ := strings.Cut(fn, ":")
	return ns == contractapi.SystemContractName && (name == "GetMetadata" || name == "getMetadata")
}

// paramError is how the framework reports an argument its serializer refused.
const paramError = "error managing parameter param"

// classify gives the framework's argument errors the invalid kind and, for a refused argument,
// names the parameter as wire.Ops does: "invalid: rateBps "4.5" is not an integer".
func classify(fn, msg string) string {
	if rest, ok := strings.CutPrefix(msg, paramError); ok {
		index, detail, _ := strings.Cut(rest, ". ")
		op, known := wire.ByTx(fn[strings.LastIndexByte(fn, ':')+1:])
		if i, err := strconv.Atoi(index); err == nil && known && i < len(op.Params) {
			return string(wire.KindInvalid) + ": " + op.Params[i].Name + " " + detail
		}
	}
	for _, prefix := range frameworkErrors {
		if strings.HasPrefix(msg, prefix) {
			return string(wire.KindInvalid) + ": " + msg
		}
	}
	return msg
}

// Package bare is the baseline chaincode of the benchmarks, on the same contract framework as the
// receivables chaincode and with no rules: Put writes one value of a given size (the one-key
// ceiling, the design's cost), Shape reads and writes what a receivable transaction does (its
// same-shape twin, the code's own cost). Measured beside it (in memory by `make bench`, on the network by `make bench-network`), it tells
// what the receivables chaincode's own work costs. It is deployed by the network benchmark only,
// under its own name, so what it writes never mixes with the receivables' state.
package bare

import (
	"bytes"
	"fmt"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

// MaxSize bounds the value one transaction may write.
const MaxSize = 1 << 20

// Contract is the bare chaincode's one contract.
type Contract struct {
	contractapi.Contract
}

// Put writes size bytes under key. The value is made in the chaincode so that, like the
// receivables' transactions, the arguments stay small while the write set has the size asked for.
func (c *Contract) Put(ctx contractapi.TransactionContextInterface, key string, size int) error {
	if size < 0 || size > MaxSize {
		return fmt.Errorf("invalid: size %d is not within 0..%d", size, MaxSize)
	}
	return ctx.GetStub().PutState(key, bytes.Repeat([]byte{'x'}, size))
}

// NewChaincode is the bare chaincode as the contract framework serves it.
func NewChaincode() (*contractapi.ContractChaincode, error) {
	return contractapi.NewChaincode(&Contract{})
}

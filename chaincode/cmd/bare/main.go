// Command bare runs the benchmarks' bare chaincode (package bare), as cmd/receivables runs the
// receivables chaincode: a chaincode server with CHAINCODE_SERVER_ADDRESS and CHAINCODE_ID.
package main

import (
	"log"

	"github.com/recv-ledger/recv/chaincode/bare"
	"github.com/recv-ledger/recv/chaincode/internal/ccserver"
)

func main() {
	cc, err := bare.NewChaincode()
	if err != nil {
		log.Fatalf("bare chaincode: %v", err)
	}
	if err := ccserver.Run("bare", cc); err != nil {
		log.Fatalf("bare chaincode: %v", err)
	}
}

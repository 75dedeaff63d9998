// Command receivables runs the receivables chaincode. With CHAINCODE_SERVER_ADDRESS set it serves
// as an external chaincode (chaincode-as-a-service) for the package CHAINCODE_ID; otherwise it
// starts as an ordinary chaincode that dials its peer.
package main

import (
	"log"

	"github.com/recv-ledger/recv/chaincode/contract"
	"github.com/recv-ledger/recv/chaincode/internal/ccserver"
)

func main() {
	cc, err := contract.NewChaincode()
	if err != nil {
		log.Fatalf("receivables chaincode: %v", err)
	}
	if err := ccserver.Run("receivables", cc); err != nil {
		log.Fatalf("receivables chaincode: %v", err)
	}
}

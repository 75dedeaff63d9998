//go:build tools

// Package tools pins the Fabric v2.5.0 commands the native network runs; build.sh builds them
// from this module so their dependency versions come from this go.mod/go.sum only.
package tools

import (
	_ "github.com/hyperledger/fabric/cmd/configtxgen"
	_ "github.com/hyperledger/fabric/cmd/configtxlator"
	_ "github.com/hyperledger/fabric/cmd/orderer"
	_ "github.com/hyperledger/fabric/cmd/osnadmin"
	_ "github.com/hyperledger/fabric/cmd/peer"
)

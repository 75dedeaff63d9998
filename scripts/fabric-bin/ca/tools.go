//go:build tools

// Package tools pins the Fabric CA v1.5.21 server and client; build.sh builds them from this
// module, apart from the Fabric module, because the two pin clashing dependency versions.
package tools

import (
	_ "github.com/hyperledger/fabric-ca/cmd/fabric-ca-client"
	_ "github.com/hyperledger/fabric-ca/cmd/fabric-ca-server"
)

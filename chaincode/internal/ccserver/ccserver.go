// Package ccserver starts a chaincode the way every chaincode command of this module does: with
// CHAINCODE_SERVER_ADDRESS set it serves as an external chaincode (chaincode-as-a-service) for the
// package CHAINCODE_ID, with TLS from the environment; otherwise it dials its peer.
package ccserver

import (
	"fmt"
	"log"
	"os"
	"strconv"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
)

// Run serves or starts cc, named name in its log.
func Run(name string, cc shim.Chaincode) error {
	address := os.Getenv("CHAINCODE_SERVER_ADDRESS")
	if address == "" {
		return shim.Start(cc)
	}
	ccid := os.Getenv("CHAINCODE_ID")
	if ccid == "" {
		return fmt.Errorf("CHAINCODE_ID is required with CHAINCODE_SERVER_ADDRESS")
	}
	tlsProps, err := tlsFromEnv()
	if err != nil {
		return err
	}
	server := &shim.ChaincodeServer{CCID: ccid, Address: address, CC: cc, TLSProps: tlsProps}
	log.Printf("%s chaincode %s listening on %s (tls %t)", name, ccid, address, !tlsProps.Disabled)
	return server.Start()
}

// tlsFromEnv reads CHAINCODE_TLS_DISABLED (default true) and, with TLS, the key, certificate and
// optional client CA files.
func tlsFromEnv() (shim.TLSProperties, error) {
	disabled := true
	if v := os.Getenv("CHAINCODE_TLS_DISABLED"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return shim.TLSProperties{}, fmt.Errorf("CHAINCODE_TLS_DISABLED=%q: %w", v, err)
		}
		disabled = b
	}
	if disabled {
		return shim.TLSProperties{Disabled: true}, nil
	}
	props := shim.TLSProperties{}
	for _, f := range []struct {
		env      string
		dst      *[]byte
		optional bool
	}{
		{"CHAINCODE_TLS_KEY", &props.Key, false},
		{"CHAINCODE_TLS_CERT", &props.Cert, false},
		{"CHAINCODE_CLIENT_CA_CERT", &props.ClientCACerts, true},
	} {
		path := os.Getenv(f.env)
		if path == "" {
			if f.optional {
				continue
			}
			return shim.TLSProperties{}, fmt.Errorf("%s is required when TLS is enabled", f.env)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return shim.TLSProperties{}, fmt.Errorf("%s: %w", f.env, err)
		}
		*f.dst = b
	}
	return props, nil
}

// Package ccserver starts a chaincode the way every chaincode command of this module does: with
// CHAINCODE_SERVER_ADDRESS set it serves as an external chaincode (chaincode-as-a-service) for the
// package CHAINCODE_ID, with TLS from the environment; otherwise it dials its peer. With
// CHAINCODE_CLIENT_CERT it serves one client only: the peer whose certificate that file holds.
package ccserver

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"log"
	"net"
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
	pin, err := clientPinFromEnv(tlsProps)
	if err != nil {
		return err
	}
	server := &shim.ChaincodeServer{CCID: ccid, Address: address, CC: cc, TLSProps: tlsProps}
	if pin == nil {
		log.Printf("%s chaincode %s listening on %s (tls %t)", name, ccid, address, !tlsProps.Disabled)
		return server.Start()
	}
	files, err := newServedPair(os.Getenv("CHAINCODE_TLS_CERT"), os.Getenv("CHAINCODE_TLS_KEY"))
	if err != nil {
		return err
	}
	srv, err := newPinnedServer(name, server, pin, files)
	if err != nil {
		return err
	}
	lis, err := net.Listen("tcp", address)
	if err != nil {
		return err
	}
	log.Printf("%s chaincode %s listening on %s (tls true, only the client certificate %s)", name, ccid, address, describe(pin))
	return srv.Serve(lis)
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

// clientPinFromEnv reads CHAINCODE_CLIENT_CERT, the PEM certificate of the one client (the
// organisation's peer) the server serves; nil when unset. It needs TLS and CHAINCODE_CLIENT_CA_CERT:
// a pin that could not be enforced is refused rather than ignored.
func clientPinFromEnv(props shim.TLSProperties) (*x509.Certificate, error) {
	path := os.Getenv("CHAINCODE_CLIENT_CERT")
	if path == "" {
		return nil, nil
	}
	if props.Disabled {
		return nil, fmt.Errorf("CHAINCODE_CLIENT_CERT needs TLS (CHAINCODE_TLS_DISABLED=false)")
	}
	if len(props.ClientCACerts) == 0 {
		return nil, fmt.Errorf("CHAINCODE_CLIENT_CERT needs CHAINCODE_CLIENT_CA_CERT, the CA that issued it")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("CHAINCODE_CLIENT_CERT: %w", err)
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("CHAINCODE_CLIENT_CERT %s holds no PEM certificate", path)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("CHAINCODE_CLIENT_CERT %s: %w", path, err)
	}
	return cert, nil
}

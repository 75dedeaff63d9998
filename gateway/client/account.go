package client

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/network"
)

// Location is where an account of a local network is served: its organisation's gateway and the
// file holding the account's bearer token.
type Location struct {
	Account   string // MSP/user
	MSPID     string
	User      string
	Org       string // the organisation's short name in network.json
	BaseURL   string // http://<the org's gateway address>, https:// when it serves TLS
	TLSCACert string // the root of the gateway's HTTPS certificate ("" for plain HTTP)
	TokenFile string
	Channel   string // the network's channel and chaincode, which offline-signed proposals must name
	Chaincode string
}

// TokenFile is the one rule for where a gateway keeps a user's bearer token in a network's
// state folder: <netDir>/gateways/<org>/tokens/<user>.token.
func TokenFile(netDir, org, user string) string {
	return filepath.Join(netDir, "gateways", org, "tokens", user+".token")
}

// Locate finds the gateway and token file of account ("MSP/user") in the network whose state
// folder (holding network.json) is netDir. A malformed account or an unknown organisation is a
// wire error of kind invalid.
func Locate(netDir, account string) (*Location, error) {
	msp, user, ok := wire.SplitAccount(account)
	if !ok {
		return nil, wire.Errorf(wire.KindInvalid, "account %q: want MSP/user, e.g. SupplierMSP/supplier-a", account)
	}
	desc, err := network.Load(filepath.Join(netDir, "network.json"))
	if err != nil {
		return nil, err
	}
	mspID, org, err := desc.Org(msp)
	if err != nil {
		return nil, wire.Errorf(wire.KindInvalid, "%v", err)
	}
	return &Location{
		Account: wire.AccountID(mspID, user), MSPID: mspID, User: user, Org: org.Name,
		BaseURL: org.Gateway.URL(), TLSCACert: org.Gateway.TLSCACert, TokenFile: TokenFile(netDir, org.Name, user),
		Channel: desc.Channel, Chaincode: desc.Chaincode,
	}, nil
}

// ReadToken reads a bearer token from a token file.
func ReadToken(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read token: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// As returns a client acting as account ("MSP/user") of the network in netDir: its
// organisation's gateway, with the token the gateway wrote for it, trusting the gateway's TLS CA
// when it serves HTTPS (an opts' WithHTTPClient replaces that transport), expecting the network's
// channel and chaincode in what it signs offline (WithNetwork).
func As(netDir, account string, opts ...Option) (*Client, error) {
	loc, err := Locate(netDir, account)
	if err != nil {
		return nil, err
	}
	token, err := ReadToken(loc.TokenFile)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", account, err)
	}
	opts = append([]Option{WithNetwork(loc.Channel, loc.Chaincode)}, opts...)
	if loc.TLSCACert != "" {
		opts = append([]Option{WithTLSCAFile(loc.TLSCACert)}, opts...)
	}
	return New(loc.BaseURL, token, opts...)
}

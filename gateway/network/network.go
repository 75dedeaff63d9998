// Package network reads network.json, the description of a running recv network that
// scripts/network.sh writes (docs/interfaces.md section 2): peers, TLS roots, CAs, gateways and
// the enrolled users of every organisation.
package network

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"os"
	"sort"
)

// Description is the whole network.json file.
type Description struct {
	Channel   string         `json:"channel"`
	Chaincode string         `json:"chaincode"`
	Orderers  []Orderer      `json:"orderers"`
	Orgs      map[string]Org `json:"orgs"`
}

// Orderer is one ordering node.
type Orderer struct {
	Name       string `json:"name"`
	Address    string `json:"address"`
	ServerName string `json:"serverName"`
	TLSCACert  string `json:"tlsCACert"`
}

// Org is one organisation, keyed by MSP ID in Description.Orgs.
type Org struct {
	Name    string          `json:"name"`
	Peer    Peer            `json:"peer"`
	CA      CA              `json:"ca"`
	Gateway Gateway         `json:"gateway"`
	Users   map[string]User `json:"users"`
}

// Peer is the organisation's peer, the one its gateway connects to.
type Peer struct {
	Name       string `json:"name"`
	Address    string `json:"address"`
	ServerName string `json:"serverName"`
	TLSCACert  string `json:"tlsCACert"`
	Operations string `json:"operations"`
	// TLSClientCert and TLSClientKey are the organisation's TLS client pair that its software
	// presents to the peer, which requires one (mutual TLS); empty: none is presented.
	TLSClientCert string `json:"tlsClientCert,omitempty"`
	TLSClientKey  string `json:"tlsClientKey,omitempty"`
}

// TLSConfig is how a client of the organisation reaches its peer: the peer's TLS CA and host
// name verified, and the organisation's TLS client pair presented when network.json names one.
func (p Peer) TLSConfig() (*tls.Config, error) {
	pem, err := os.ReadFile(p.TLSCACert)
	if err != nil {
		return nil, fmt.Errorf("read peer TLS CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("no certificate in %s", p.TLSCACert)
	}
	cfg := &tls.Config{RootCAs: pool, ServerName: p.ServerName, MinVersion: tls.VersionTLS12}
	if p.TLSClientCert != "" || p.TLSClientKey != "" {
		pair, err := tls.LoadX509KeyPair(p.TLSClientCert, p.TLSClientKey)
		if err != nil {
			return nil, fmt.Errorf("peer %s: TLS client pair: %w", p.Name, err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

// CA is the organisation's Fabric CA and the registrar identity allowed to register users.
type CA struct {
	URL       string `json:"url"`
	Name      string `json:"name"`
	TLSCACert string `json:"tlsCACert"`
	AdminCert string `json:"adminCert"`
	AdminKey  string `json:"adminKey"`
}

// Gateway is where the organisation's recv gateway listens.
type Gateway struct {
	Address string `json:"address"`
	// TLSCACert is the root the gateway's HTTPS certificate chains to (its organisation's CA):
	// the gateway serves HTTPS. Empty: plain HTTP (a gateway on loopback).
	TLSCACert string `json:"tlsCACert,omitempty"`
}

// URL is the gateway's base URL: https:// when it serves TLS, else http://.
func (g Gateway) URL() string {
	if g.TLSCACert != "" {
		return "https://" + g.Address
	}
	return "http://" + g.Address
}

// TLSConfig is how a client verifies the gateway's HTTPS certificate: nil for a plain HTTP
// gateway.
func (g Gateway) TLSConfig() (*tls.Config, error) {
	if g.TLSCACert == "" {
		return nil, nil
	}
	return RootsConfig(g.TLSCACert)
}

// RootsConfig is a TLS client configuration that trusts the certificates of the PEM file path.
func RootsConfig(path string) (*tls.Config, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read TLS CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("no certificate in %s", path)
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}

// User is an enrolled identity: its role attribute and the paths of its certificate and key.
type User struct {
	Role string `json:"role"`
	Cert string `json:"cert"`
	Key  string `json:"key"`
}

// Load reads and checks a network.json file.
func Load(path string) (*Description, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read network description: %w", err)
	}
	var d Description
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("parse network description %s: %w", path, err)
	}
	if d.Channel == "" || d.Chaincode == "" || len(d.Orgs) == 0 {
		return nil, fmt.Errorf("network description %s: channel, chaincode and orgs are required", path)
	}
	return &d, nil
}

// Org returns the organisation with the given MSP ID or short name ("core" or "CoreMSP").
func (d *Description) Org(nameOrMSP string) (mspID string, org Org, err error) {
	if o, ok := d.Orgs[nameOrMSP]; ok {
		return nameOrMSP, o, nil
	}
	for id, o := range d.Orgs {
		if o.Name == nameOrMSP {
			return id, o, nil
		}
	}
	return "", Org{}, fmt.Errorf("organisation %q is not in the network description (have %v)", nameOrMSP, d.MSPIDs())
}

// MSPIDs lists the organisations' MSP IDs in sorted order.
func (d *Description) MSPIDs() []string {
	ids := make([]string, 0, len(d.Orgs))
	for id := range d.Orgs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// UserNames lists an organisation's users in sorted order.
func (o Org) UserNames() []string {
	names := make([]string, 0, len(o.Users))
	for n := range o.Users {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

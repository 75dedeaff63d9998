// Package kit holds what a member organisation makes, signs and exchanges to join the consortium's
// channel, each a file a person could e-mail, none of them secret:
//
//   - the organisation's public definition (Definition, JSON): its MSP ID, its CA's and TLS CA's
//     root certificates, its NodeOU setting and its anchor peer, read from its own MSP folder;
//   - the channel's configuration block, which any member fetches from the orderers;
//   - the configuration update that adds the organisation (AddOrg: protobuf ConfigUpdate), made
//     by the member that proposes it from the block and the definition;
//   - each signing admin's signature of that update (Sign: protobuf ConfigSignature), made on the
//     admin's own machine with its own key after reading what it signs (Describe);
//   - the envelope (Envelope: protobuf Envelope) that the submitting admin sends with `peer channel
//     update`, which adds the submitter's own signature.
//
// The channel's Application Admins policy decides whose signatures the orderers require: here the
// core enterprise's and every bank's (docs/security.md, the veto set), so a bank's joining also
// adds it to that AND rule and to LifecycleEndorsement's.
package kit

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Endpoint is a host name and port another member reaches.
type Endpoint struct {
	Host string `json:"host"`
	Port int    `json:"port"`
}

// Definition is an organisation's public definition: what the channel configuration holds of it.
type Definition struct {
	MSPID string `json:"mspId"`
	// RootCerts and IntermediateCerts are the organisation's CA chain (PEM), which its identities'
	// certificates must chain to; TLSRootCerts the roots of its TLS certificates.
	RootCerts         []string `json:"rootCerts"`
	IntermediateCerts []string `json:"intermediateCerts,omitempty"`
	TLSRootCerts      []string `json:"tlsRootCerts"`
	// NodeOUs: roles (client, peer, admin, orderer) come from the OU its CA writes into each
	// certificate, certified by the first root.
	NodeOUs     bool       `json:"nodeOUs"`
	AnchorPeers []Endpoint `json:"anchorPeers"`
}

var mspIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// ReadMSP makes the definition of organisation mspID from its MSP folder (cacerts/,
// intermediatecerts/, tlscacerts/, config.yaml) and its anchor peers.
func ReadMSP(dir, mspID string, anchors []Endpoint) (*Definition, error) {
	d := &Definition{MSPID: mspID, AnchorPeers: anchors}
	var err error
	if d.RootCerts, err = readPEMs(filepath.Join(dir, "cacerts")); err != nil {
		return nil, err
	}
	if d.IntermediateCerts, err = readPEMs(filepath.Join(dir, "intermediatecerts")); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if d.TLSRootCerts, err = readPEMs(filepath.Join(dir, "tlscacerts")); err != nil {
		return nil, err
	}
	if d.NodeOUs, err = nodeOUsEnabled(filepath.Join(dir, "config.yaml")); err != nil {
		return nil, err
	}
	return d, d.Check()
}

// readPEMs reads every file of dir, sorted by name, as PEM text.
func readPEMs(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, string(b))
	}
	return out, nil
}

// nodeOUsEnabled reads NodeOUs.Enable from an MSP's config.yaml; no file: not enabled.
func nodeOUsEnabled(path string) (bool, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	var c struct {
		NodeOUs struct {
			Enable bool `yaml:"Enable"`
		} `yaml:"NodeOUs"`
	}
	if err := yaml.Unmarshal(b, &c); err != nil {
		return false, fmt.Errorf("%s: %w", path, err)
	}
	return c.NodeOUs.Enable, nil
}

// Check refuses a definition that is incomplete or carries anything but certificates: a private
// key in a file meant for others is refused by name.
func (d *Definition) Check() error {
	if !mspIDPattern.MatchString(d.MSPID) {
		return fmt.Errorf("definition: MSP ID %q must match %s", d.MSPID, mspIDPattern)
	}
	if len(d.RootCerts) == 0 {
		return fmt.Errorf("definition of %s: no root certificate", d.MSPID)
	}
	if len(d.TLSRootCerts) == 0 {
		return fmt.Errorf("definition of %s: no TLS root certificate", d.MSPID)
	}
	for _, set := range []struct {
		name  string
		certs []string
	}{{"rootCerts", d.RootCerts}, {"intermediateCerts", d.IntermediateCerts}, {"tlsRootCerts", d.TLSRootCerts}} {
		for i, p := range set.certs {
			if _, err := parseCert(p); err != nil {
				return fmt.Errorf("definition of %s: %s[%d]: %w", d.MSPID, set.name, i, err)
			}
		}
	}
	if len(d.AnchorPeers) == 0 {
		return fmt.Errorf("definition of %s: no anchor peer (the other members' peers reach it there)", d.MSPID)
	}
	for _, a := range d.AnchorPeers {
		if a.Host == "" || a.Port <= 0 || a.Port > 65535 {
			return fmt.Errorf("definition of %s: anchor peer %q:%d is not a host and port", d.MSPID, a.Host, a.Port)
		}
	}
	return nil
}

// parseCert reads exactly one PEM certificate.
func parseCert(p string) (*x509.Certificate, error) {
	block, rest := pem.Decode([]byte(p))
	if block == nil {
		return nil, errors.New("not PEM")
	}
	if strings.Contains(block.Type, "PRIVATE KEY") {
		return nil, errors.New("a private key, never part of a definition")
	}
	if block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("a %s, not a CERTIFICATE", block.Type)
	}
	if len(strings.TrimSpace(string(rest))) > 0 {
		return nil, errors.New("more than one PEM block")
	}
	return x509.ParseCertificate(block.Bytes)
}

// Save writes d as indented JSON.
func (d *Definition) Save(path string) error {
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// LoadDefinition reads and checks a definition file; unknown fields are refused.
func LoadDefinition(path string) (*Definition, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	dec.DisallowUnknownFields()
	var d Definition
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &d, d.Check()
}

// vetoRule adds mspID.role to an AND rule of principals of that role (the veto policies); any
// other form is refused rather than rewritten.
func vetoRule(rule, mspID, role string) (string, error) {
	inner, ok := strings.CutPrefix(strings.TrimSpace(rule), "AND(")
	if inner, ok = strings.CutSuffix(inner, ")"); !ok {
		return "", fmt.Errorf("the policy %q is not an AND of %s principals: edit it by hand", rule, role)
	}
	var principals []string
	for p := range strings.SplitSeq(inner, ",") {
		p = strings.Trim(strings.TrimSpace(p), `'"`)
		msp, r, ok := strings.Cut(p, ".")
		if !ok || r != role || !mspIDPattern.MatchString(msp) {
			return "", fmt.Errorf("the policy %q is not an AND of %s principals: edit it by hand", rule, role)
		}
		principals = append(principals, msp)
	}
	if !slices.Contains(principals, mspID) {
		principals = append(principals, mspID)
	}
	quoted := make([]string, len(principals))
	for i, m := range principals {
		quoted[i] = fmt.Sprintf("'%s.%s'", m, role)
	}
	return "AND(" + strings.Join(quoted, ", ") + ")", nil
}

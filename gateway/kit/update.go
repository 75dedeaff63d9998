package kit

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hyperledger/fabric-config/configtx"
	"github.com/hyperledger/fabric-config/configtx/membership"
	cb "github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/proto"
)

// ErrMember is AddOrg's answer when the channel already has the organisation.
var ErrMember = errors.New("the channel's configuration already has this organisation")

// ConfigOf reads a configuration block (as `peer channel fetch config` writes it): the channel's
// configuration and the channel's name.
func ConfigOf(block []byte) (*cb.Config, string, error) {
	var b cb.Block
	if err := proto.Unmarshal(block, &b); err != nil {
		return nil, "", fmt.Errorf("not a block: %w", err)
	}
	if b.Data == nil || len(b.Data.Data) != 1 {
		return nil, "", errors.New("not a configuration block: it holds no single envelope")
	}
	var env cb.Envelope
	var payload cb.Payload
	var ch cb.ChannelHeader
	var ce cb.ConfigEnvelope
	if err := proto.Unmarshal(b.Data.Data[0], &env); err != nil {
		return nil, "", err
	}
	if err := proto.Unmarshal(env.Payload, &payload); err != nil {
		return nil, "", err
	}
	if payload.Header == nil {
		return nil, "", errors.New("not a configuration block: no header")
	}
	if err := proto.Unmarshal(payload.Header.ChannelHeader, &ch); err != nil {
		return nil, "", err
	}
	if ch.Type != int32(cb.HeaderType_CONFIG) {
		return nil, "", fmt.Errorf("not a configuration block: its transaction is of type %s", cb.HeaderType(ch.Type))
	}
	if err := proto.Unmarshal(payload.Data, &ce); err != nil {
		return nil, "", err
	}
	if ce.Config == nil || ce.Config.ChannelGroup == nil {
		return nil, "", errors.New("not a configuration block: no configuration")
	}
	return ce.Config, ch.ChannelId, nil
}

// AddOrg is the configuration update that adds the organisation of d to the channel whose
// configuration block is block (its application group, the policies every member organisation
// has here, its anchor peer); veto also adds it to the Admins and LifecycleEndorsement AND rules
// (a bank, a core enterprise). ErrMember when the channel has it already.
func AddOrg(block []byte, d *Definition, veto bool) ([]byte, error) {
	if err := d.Check(); err != nil {
		return nil, err
	}
	config, channel, err := ConfigOf(block)
	if err != nil {
		return nil, err
	}
	c := configtx.New(config)
	app := c.Application()
	if app.Organization(d.MSPID) != nil {
		return nil, fmt.Errorf("%s: %w", d.MSPID, ErrMember)
	}
	org, err := d.organization()
	if err != nil {
		return nil, err
	}
	if err := app.SetOrganization(org); err != nil {
		return nil, err
	}
	if veto {
		policies, err := app.Policies()
		if err != nil {
			return nil, err
		}
		for name, role := range map[string]string{"Admins": "admin", "LifecycleEndorsement": "peer"} {
			p, ok := policies[name]
			if !ok || p.Type != configtx.SignaturePolicyType {
				return nil, fmt.Errorf("the channel's Application %s policy is not a signature policy: edit it by hand", name)
			}
			rule, err := vetoRule(p.Rule, d.MSPID, role)
			if err != nil {
				return nil, err
			}
			p.Rule = rule
			if err := app.SetPolicy(name, p); err != nil {
				return nil, err
			}
		}
	}
	return c.ComputeMarshaledUpdate(channel)
}

// organization is d as fabric-config's Organization, with the policies every member organisation
// of this network has (network/native's configtx_org renders the same).
func (d *Definition) organization() (configtx.Organization, error) {
	certs := func(ps []string) ([]*x509.Certificate, error) {
		var out []*x509.Certificate
		for _, p := range ps {
			c, err := parseCert(p)
			if err != nil {
				return nil, err
			}
			out = append(out, c)
		}
		return out, nil
	}
	roots, err := certs(d.RootCerts)
	if err != nil {
		return configtx.Organization{}, err
	}
	inter, err := certs(d.IntermediateCerts)
	if err != nil {
		return configtx.Organization{}, err
	}
	tlsRoots, err := certs(d.TLSRootCerts)
	if err != nil {
		return configtx.Organization{}, err
	}
	m := d.MSPID
	msp := configtx.MSP{Name: m, RootCerts: roots, IntermediateCerts: inter, TLSRootCerts: tlsRoots,
		CryptoConfig: membership.CryptoConfig{SignatureHashFamily: "SHA2", IdentityIdentifierHashFunction: "SHA256"}}
	if d.NodeOUs {
		ou := func(name string) membership.OUIdentifier {
			return membership.OUIdentifier{Certificate: roots[0], OrganizationalUnitIdentifier: name}
		}
		msp.NodeOUs = membership.NodeOUs{Enable: true, ClientOUIdentifier: ou("client"), PeerOUIdentifier: ou("peer"),
			AdminOUIdentifier: ou("admin"), OrdererOUIdentifier: ou("orderer")}
	}
	sig := func(rule string) configtx.Policy {
		return configtx.Policy{Type: configtx.SignaturePolicyType, Rule: rule, ModPolicy: "Admins"}
	}
	org := configtx.Organization{Name: m, MSP: msp, ModPolicy: "Admins", Policies: map[string]configtx.Policy{
		"Readers":     sig(fmt.Sprintf("OR('%s.admin', '%s.peer', '%s.client')", m, m, m)),
		"Writers":     sig(fmt.Sprintf("OR('%s.admin', '%s.client')", m, m)),
		"Admins":      sig(fmt.Sprintf("OR('%s.admin')", m)),
		"Endorsement": sig(fmt.Sprintf("OR('%s.peer')", m)),
	}}
	for _, a := range d.AnchorPeers {
		org.AnchorPeers = append(org.AnchorPeers, configtx.Address{Host: a.Host, Port: a.Port})
	}
	return org, nil
}

// Describe says what a configuration update changes, for the admin who is asked to sign it: the
// channel, the organisations it adds or changes and the channel-wide policies it rewrites.
func Describe(update []byte) (string, error) {
	var u cb.ConfigUpdate
	if err := proto.Unmarshal(update, &u); err != nil {
		return "", fmt.Errorf("not a configuration update: %w", err)
	}
	if u.ChannelId == "" || u.WriteSet == nil {
		return "", errors.New("not a configuration update: no channel or no write set")
	}
	var lines []string
	lines = append(lines, "channel: "+u.ChannelId)
	app := u.WriteSet.Groups["Application"]
	if app == nil {
		lines = append(lines, "application: unchanged")
		return strings.Join(lines, "\n"), nil
	}
	var read *cb.ConfigGroup
	if u.ReadSet != nil {
		read = u.ReadSet.Groups["Application"]
	}
	for _, name := range slices.Sorted(maps.Keys(app.Groups)) {
		switch {
		case read == nil || read.Groups[name] == nil:
			lines = append(lines, "adds organisation: "+name)
		case app.Groups[name].Version != read.Groups[name].Version:
			lines = append(lines, "changes organisation: "+name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(app.Policies)) {
		if read == nil || read.Policies[name] == nil || read.Policies[name].Version != app.Policies[name].Version {
			lines = append(lines, "rewrites the application policy: "+name)
		}
	}
	return strings.Join(lines, "\n"), nil
}

// Sign is the admin's signature of a configuration update (a marshaled ConfigSignature): mspID's
// identity of certificate certPEM, with its private key keyPEM.
func Sign(update []byte, mspID string, certPEM, keyPEM []byte) ([]byte, error) {
	if _, err := Describe(update); err != nil {
		return nil, err
	}
	cert, err := parseCert(string(certPEM))
	if err != nil {
		return nil, fmt.Errorf("signing certificate: %w", err)
	}
	key, err := parseKey(keyPEM)
	if err != nil {
		return nil, err
	}
	id := &configtx.SigningIdentity{Certificate: cert, PrivateKey: key, MSPID: mspID}
	sig, err := id.CreateConfigSignature(update)
	if err != nil {
		return nil, err
	}
	return proto.Marshal(sig)
}

func parseKey(keyPEM []byte) (crypto.PrivateKey, error) {
	block, _ := pem.Decode(keyPEM)
	if block == nil {
		return nil, errors.New("signing key: not PEM")
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		if k, err2 := x509.ParseECPrivateKey(block.Bytes); err2 == nil {
			return k, nil
		}
		return nil, fmt.Errorf("signing key: %w", err)
	}
	return key, nil
}

// Envelope wraps a configuration update and its admins' signatures (each from Sign) into the
// envelope an admin submits (`peer channel update -f`, which adds the submitter's signature).
func Envelope(update []byte, signatures ...[]byte) ([]byte, error) {
	if _, err := Describe(update); err != nil {
		return nil, err
	}
	var sigs []*cb.ConfigSignature
	for i, b := range signatures {
		var s cb.ConfigSignature
		if err := proto.Unmarshal(b, &s); err != nil || len(s.Signature) == 0 || len(s.SignatureHeader) == 0 {
			return nil, fmt.Errorf("signature %d is not a configuration signature", i+1)
		}
		sigs = append(sigs, &s)
	}
	env, err := configtx.NewEnvelope(update, sigs...)
	if err != nil {
		return nil, err
	}
	return proto.Marshal(env)
}

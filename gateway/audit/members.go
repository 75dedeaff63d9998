package audit

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"google.golang.org/protobuf/proto"
)

// member is one organisation of the channel's application group: the CAs its identities must
// chain to, and the OU that marks its peers when node OUs are on.
type member struct {
	id     string
	roots  *x509.CertPool
	inter  *x509.CertPool
	peerOU string // "" when node OUs are off: any member identity counts as a peer
	// adminOU and clientOU mark admins and clients when node OUs are on; admins are the MSP's
	// explicit admin certificates (DER).
	adminOU, clientOU string
	admins            [][]byte
	// revoked are the serial numbers its CAs' revocation lists in the channel configuration name,
	// by the issuing CA's subject: a certificate listed there signs nothing from that
	// configuration on, as the peers refuse it.
	revoked map[string]map[string]bool
}

// Members are the channel's application organisations by MSP ID, as its configuration names them.
type Members map[string]*member

// MembersFromConfig reads the application organisations' MSPs from a configuration block
// (block 0 or a later channel update).
func MembersFromConfig(b *common.Block) (Members, error) {
	ce, err := configEnvelope(b)
	if err != nil {
		return nil, err
	}
	return applicationMembers(ce.GetConfig())
}

// applicationMembers are a configuration's application organisations.
func applicationMembers(c *common.Config) (Members, error) {
	if c.GetChannelGroup().GetGroups()["Application"] == nil {
		return nil, errors.New("configuration has no Application group")
	}
	return membersOf(c, "Application")
}

// membersOf reads the MSPs of the organisations of a configuration's sections ("Application",
// "Orderer").
func membersOf(c *common.Config, sections ...string) (Members, error) {
	out := Members{}
	for _, section := range sections {
		for name, g := range c.GetChannelGroup().GetGroups()[section].GetGroups() {
			v := g.GetValues()["MSP"]
			if v == nil {
				return nil, fmt.Errorf("organisation %s has no MSP value", name)
			}
			m, err := parseMSP(v.GetValue())
			if err != nil {
				return nil, fmt.Errorf("organisation %s: %w", name, err)
			}
			out[m.id] = m
		}
	}
	return out, nil
}

// configEnvelope is the configuration a configuration block carries.
func configEnvelope(b *common.Block) (*common.ConfigEnvelope, error) {
	if len(b.GetData().GetData()) != 1 {
		return nil, fmt.Errorf("block %d is not a configuration block", b.GetHeader().GetNumber())
	}
	payload, chdr, err := envelopeHeader(b.GetData().GetData()[0])
	if err != nil {
		return nil, err
	}
	if common.HeaderType(chdr.GetType()) != common.HeaderType_CONFIG {
		return nil, fmt.Errorf("block %d is not a configuration block", b.GetHeader().GetNumber())
	}
	var ce common.ConfigEnvelope
	if err := proto.Unmarshal(payload.GetData(), &ce); err != nil {
		return nil, fmt.Errorf("decode config envelope: %w", err)
	}
	return &ce, nil
}

func parseMSP(raw []byte) (*member, error) {
	var mc msp.MSPConfig
	if err := proto.Unmarshal(raw, &mc); err != nil {
		return nil, fmt.Errorf("decode MSP config: %w", err)
	}
	var fc msp.FabricMSPConfig
	if err := proto.Unmarshal(mc.GetConfig(), &fc); err != nil {
		return nil, fmt.Errorf("decode Fabric MSP config: %w", err)
	}
	m := &member{id: fc.GetName(), roots: x509.NewCertPool(), inter: x509.NewCertPool()}
	for _, c := range fc.GetRootCerts() {
		if !m.roots.AppendCertsFromPEM(c) {
			return nil, fmt.Errorf("MSP %s: unreadable root certificate", m.id)
		}
	}
	var cas []*x509.Certificate
	for _, c := range append(slices.Clone(fc.GetRootCerts()), fc.GetIntermediateCerts()...) {
		if b, _ := pem.Decode(c); b != nil {
			if ca, err := x509.ParseCertificate(b.Bytes); err == nil {
				cas = append(cas, ca)
			}
		}
	}
	for _, c := range fc.GetIntermediateCerts() {
		m.inter.AppendCertsFromPEM(c)
	}
	for _, raw := range fc.GetRevocationList() {
		if err := m.addCRL(raw, cas); err != nil {
			return nil, fmt.Errorf("MSP %s: %w", m.id, err)
		}
	}
	if ous := fc.GetFabricNodeOus(); ous.GetEnable() {
		m.peerOU = ous.GetPeerOuIdentifier().GetOrganizationalUnitIdentifier()
		m.adminOU = ous.GetAdminOuIdentifier().GetOrganizationalUnitIdentifier()
		m.clientOU = ous.GetClientOuIdentifier().GetOrganizationalUnitIdentifier()
	}
	for _, a := range fc.GetAdmins() {
		if b, _ := pem.Decode(a); b != nil {
			m.admins = append(m.admins, b.Bytes)
		}
	}
	return m, nil
}

// addCRL records a revocation list of the MSP (PEM or DER), which one of its CAs must have signed.
func (m *member) addCRL(raw []byte, cas []*x509.Certificate) error {
	if b, _ := pem.Decode(raw); b != nil {
		raw = b.Bytes
	}
	crl, err := x509.ParseRevocationList(raw)
	if err != nil {
		return fmt.Errorf("revocation list: %w", err)
	}
	i := slices.IndexFunc(cas, func(ca *x509.Certificate) bool { return crl.CheckSignatureFrom(ca) == nil })
	if i < 0 {
		return fmt.Errorf("revocation list of %q is signed by none of its CAs", crl.Issuer.String())
	}
	if m.revoked == nil {
		m.revoked = map[string]map[string]bool{}
	}
	issuer := string(cas[i].RawSubject)
	if m.revoked[issuer] == nil {
		m.revoked[issuer] = map[string]bool{}
	}
	for _, e := range crl.RevokedCertificateEntries {
		m.revoked[issuer][e.SerialNumber.String()] = true
	}
	return nil
}

// signer is an identity that verified: its MSP and whether it is one of that MSP's peers.
type signer struct {
	msp                       string
	isPeer, isAdmin, isClient bool
}

// has reports whether the signer is a principal of role in its MSP: any valid identity is a
// member; with node OUs on, the OU of its certificate says peer, admin or client (an admin also
// by being in the MSP's admins list).
func (s signer) has(role string) bool {
	switch role {
	case "peer":
		return s.isPeer
	case "admin":
		return s.isAdmin
	case "client":
		return s.isClient
	}
	return true
}

// verify checks that serialized identity creator belongs to a member (its certificate chains to
// the member's CAs) and that sig is its ECDSA signature over msg (SHA-256, low S, as Fabric's
// MSPs demand). Certificates are checked as of at, the transaction's time, so an audit of old
// blocks does not fail on certificates that have expired since.
func (ms Members) verify(creator, msg, sig []byte, at time.Time) (signer, error) {
	var sid msp.SerializedIdentity
	if err := proto.Unmarshal(creator, &sid); err != nil {
		return signer{}, fmt.Errorf("decode identity: %w", err)
	}
	m, ok := ms[sid.GetMspid()]
	if !ok {
		return signer{}, fmt.Errorf("identity of %q, not a member of the channel", sid.GetMspid())
	}
	block, _ := pem.Decode(sid.GetIdBytes())
	if block == nil {
		return signer{}, fmt.Errorf("identity of %s: no PEM certificate", m.id)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return signer{}, fmt.Errorf("identity of %s: %w", m.id, err)
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: m.roots, Intermediates: m.inter,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}, CurrentTime: at}); err != nil {
		return signer{}, fmt.Errorf("certificate %q does not chain to %s's CA: %w", cert.Subject.CommonName, m.id, err)
	}
	if m.revoked[string(cert.RawIssuer)][cert.SerialNumber.String()] {
		return signer{}, fmt.Errorf("certificate %q (%s, serial %s) is revoked: its CA's revocation list in the channel configuration names it",
			cert.Subject.CommonName, m.id, cert.SerialNumber)
	}
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok {
		return signer{}, fmt.Errorf("certificate %q: not an ECDSA key", cert.Subject.CommonName)
	}
	if err := verifyLowS(pub, msg, sig); err != nil {
		return signer{}, fmt.Errorf("signature of %q (%s): %w", cert.Subject.CommonName, m.id, err)
	}
	ous := cert.Subject.OrganizationalUnit
	return signer{msp: m.id, isPeer: m.peerOU == "" || slices.Contains(ous, m.peerOU),
		isAdmin:  (m.adminOU != "" && slices.Contains(ous, m.adminOU)) || slices.ContainsFunc(m.admins, func(a []byte) bool { return bytes.Equal(a, cert.Raw) }),
		isClient: m.clientOU != "" && slices.Contains(ous, m.clientOU)}, nil
}

func verifyLowS(pub *ecdsa.PublicKey, msg, sig []byte) error {
	r, s, err := parseSig(sig)
	if err != nil {
		return err
	}
	if s.Cmp(new(big.Int).Rsh(pub.Params().N, 1)) > 0 {
		return errors.New("signature has a high S")
	}
	digest := sha256.Sum256(msg)
	if !ecdsa.Verify(pub, digest[:], r, s) {
		return errors.New("signature does not verify")
	}
	return nil
}

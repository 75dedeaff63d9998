package audit

import (
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
}

// Members are the channel's application organisations by MSP ID, as its configuration names them.
type Members map[string]*member

// MembersFromConfig reads the application organisations' MSPs from a configuration block
// (block 0 or a later channel update).
func MembersFromConfig(b *common.Block) (Members, error) {
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
	app := ce.GetConfig().GetChannelGroup().GetGroups()["Application"]
	if app == nil {
		return nil, errors.New("configuration has no Application group")
	}
	out := Members{}
	for name, g := range app.GetGroups() {
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
	return out, nil
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
	for _, c := range fc.GetIntermediateCerts() {
		m.inter.AppendCertsFromPEM(c)
	}
	if ous := fc.GetFabricNodeOus(); ous.GetEnable() {
		m.peerOU = ous.GetPeerOuIdentifier().GetOrganizationalUnitIdentifier()
	}
	return m, nil
}

// signer is an identity that verified: its MSP and whether it is one of that MSP's peers.
type signer struct {
	msp    string
	isPeer bool
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
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok {
		return signer{}, fmt.Errorf("certificate %q: not an ECDSA key", cert.Subject.CommonName)
	}
	if err := verifyLowS(pub, msg, sig); err != nil {
		return signer{}, fmt.Errorf("signature of %q (%s): %w", cert.Subject.CommonName, m.id, err)
	}
	return signer{msp: m.id, isPeer: m.peerOU == "" || slices.Contains(cert.Subject.OrganizationalUnit, m.peerOU)}, nil
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

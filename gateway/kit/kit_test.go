package kit

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-config/configtx"
	"github.com/hyperledger/fabric-config/configtx/orderer"
	cb "github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/recv-ledger/recv/gateway/certtest"
)

// member is an organisation of the test channel: its CA pair and its definition.
type member struct {
	ca  certtest.Pair
	def *Definition
}

func newMember(t *testing.T, mspID string) member {
	ca := certtest.New(t, "ca."+strings.ToLower(strings.TrimSuffix(mspID, "MSP")))
	dir := t.TempDir()
	for sub, pemText := range map[string][]byte{"cacerts": ca.CertPEM, "tlscacerts": ca.CertPEM} {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, sub), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, sub, "ca.pem"), pemText, 0o644))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "config.yaml"), []byte("NodeOUs:\n  Enable: true\n"), 0o644))
	def, err := ReadMSP(dir, mspID, []Endpoint{{Host: "peer0." + strings.ToLower(mspID), Port: 7051}})
	require.NoError(t, err)
	return member{ca: ca, def: def}
}

// channelBlock is the genesis block of a channel whose veto set is core and bank1 (supplier a
// member without a veto), made as configtxgen would from network/native/configtx.yaml.
func channelBlock(t *testing.T, members ...member) []byte {
	var orgs []configtx.Organization
	var admins, peers []string
	for _, m := range members {
		o, err := m.def.organization()
		require.NoError(t, err)
		orgs = append(orgs, o)
		if m.def.MSPID != "SupplierMSP" {
			admins = append(admins, "'"+m.def.MSPID+".admin'")
			peers = append(peers, "'"+m.def.MSPID+".peer'")
		}
	}
	ord := certtest.New(t, "ca.orderer")
	ordOrg := configtx.Organization{Name: "OrdererMSP", MSP: configtx.MSP{Name: "OrdererMSP", RootCerts: []*x509.Certificate{ord.Cert}, TLSRootCerts: []*x509.Certificate{ord.Cert}},
		Policies: map[string]configtx.Policy{
			"Readers": {Type: configtx.SignaturePolicyType, Rule: "OR('OrdererMSP.member')"},
			"Writers": {Type: configtx.SignaturePolicyType, Rule: "OR('OrdererMSP.member')"},
			"Admins":  {Type: configtx.SignaturePolicyType, Rule: "OR('OrdererMSP.admin')"},
		}, OrdererEndpoints: []string{"orderer1:7050"}}
	meta := func(rule string) configtx.Policy {
		return configtx.Policy{Type: configtx.ImplicitMetaPolicyType, Rule: rule}
	}
	sig := func(rule string) configtx.Policy {
		return configtx.Policy{Type: configtx.SignaturePolicyType, Rule: rule}
	}
	ch := configtx.Channel{
		Orderer: configtx.Orderer{OrdererType: orderer.ConsensusTypeEtcdRaft, Organizations: []configtx.Organization{ordOrg},
			EtcdRaft: orderer.EtcdRaft{Consenters: []orderer.Consenter{{Address: orderer.EtcdAddress{Host: "orderer1", Port: 7050}, ClientTLSCert: ord.Cert, ServerTLSCert: ord.Cert}},
				Options: orderer.EtcdRaftOptions{TickInterval: "500ms", ElectionTick: 10, HeartbeatTick: 1, MaxInflightBlocks: 5, SnapshotIntervalSize: 16 * 1024}},
			Policies:     map[string]configtx.Policy{"Readers": meta("ANY Readers"), "Writers": meta("ANY Writers"), "Admins": meta("MAJORITY Admins"), "BlockValidation": meta("ANY Writers")},
			Capabilities: []string{"V2_0"}, BatchSize: orderer.BatchSize{MaxMessageCount: 100, AbsoluteMaxBytes: 10 << 20, PreferredMaxBytes: 2 << 20},
			BatchTimeout: 150 * time.Millisecond, State: orderer.ConsensusStateNormal},
		Application: configtx.Application{Organizations: orgs, Capabilities: []string{"V2_5"},
			Policies: map[string]configtx.Policy{"Readers": meta("ANY Readers"), "Writers": meta("ANY Writers"),
				"Admins":               sig("AND(" + strings.Join(admins, ", ") + ")"),
				"LifecycleEndorsement": sig("AND(" + strings.Join(peers, ", ") + ")"),
				"Endorsement":          meta("MAJORITY Endorsement")}},
		Capabilities: []string{"V2_0"},
		Policies:     map[string]configtx.Policy{"Readers": meta("ANY Readers"), "Writers": meta("ANY Writers"), "Admins": meta("MAJORITY Admins")},
	}
	block, err := configtx.NewApplicationChannelGenesisBlock(ch, "receivables")
	require.NoError(t, err)
	b, err := proto.Marshal(block)
	require.NoError(t, err)
	return b
}

// principals are the MSP IDs and roles a signature policy of the update's write set names.
func principals(t *testing.T, u *cb.ConfigUpdate, name string) []string {
	var env cb.SignaturePolicyEnvelope
	require.NoError(t, proto.Unmarshal(u.WriteSet.Groups["Application"].Policies[name].Policy.Value, &env))
	var out []string
	for _, id := range env.Identities {
		var r msp.MSPRole
		require.NoError(t, proto.Unmarshal(id.Principal, &r))
		out = append(out, r.MspIdentifier+"."+strings.ToLower(r.Role.String()))
	}
	return out
}

// A bank joins: the update adds its group and puts it into both veto rules; the definition and
// every exchanged file hold certificates only.
func TestAddOrg_ABankJoinsTheVetoSet(t *testing.T) {
	core, bank1, supplier, bank2 := newMember(t, "CoreMSP"), newMember(t, "Bank1MSP"), newMember(t, "SupplierMSP"), newMember(t, "Bank2MSP")
	block := channelBlock(t, core, bank1, supplier)

	path := filepath.Join(t.TempDir(), "Bank2MSP.json")
	require.NoError(t, bank2.def.Save(path))
	def, err := LoadDefinition(path)
	require.NoError(t, err)
	require.Equal(t, bank2.def, def)

	update, err := AddOrg(block, def, true)
	require.NoError(t, err)
	var u cb.ConfigUpdate
	require.NoError(t, proto.Unmarshal(update, &u))
	require.Equal(t, "receivables", u.ChannelId)
	require.Contains(t, u.WriteSet.Groups["Application"].Groups, "Bank2MSP")
	require.Equal(t, []string{"CoreMSP.admin", "Bank1MSP.admin", "Bank2MSP.admin"}, principals(t, &u, "Admins"))
	require.Equal(t, []string{"CoreMSP.peer", "Bank1MSP.peer", "Bank2MSP.peer"}, principals(t, &u, "LifecycleEndorsement"))
	said, err := Describe(update)
	require.NoError(t, err)
	require.Equal(t, "channel: receivables\nadds organisation: Bank2MSP\nrewrites the application policy: Admins\nrewrites the application policy: LifecycleEndorsement", said)

	// A supplier-side organisation joins without a veto: the policies stay.
	update, err = AddOrg(block, newMember(t, "Supplier2MSP").def, false)
	require.NoError(t, err)
	said, err = Describe(update)
	require.NoError(t, err)
	require.Equal(t, "channel: receivables\nadds organisation: Supplier2MSP", said)

	_, err = AddOrg(block, bank1.def, true)
	require.ErrorIs(t, err, ErrMember)
}

// Each admin signs on its own machine; the envelope carries the signatures, each verifiable
// against the signer's certificate over its header and the update.
func TestSignAndEnvelope_SignaturesTheOrderersCheck(t *testing.T) {
	core, bank1 := newMember(t, "CoreMSP"), newMember(t, "Bank1MSP")
	update, err := AddOrg(channelBlock(t, core, bank1), newMember(t, "Bank2MSP").def, true)
	require.NoError(t, err)
	admin := certtest.New(t, "admin")
	sig, err := Sign(update, "Bank1MSP", admin.CertPEM, admin.KeyPEM)
	require.NoError(t, err)
	envBytes, err := Envelope(update, sig)
	require.NoError(t, err)

	var env cb.Envelope
	var payload cb.Payload
	var cue cb.ConfigUpdateEnvelope
	require.NoError(t, proto.Unmarshal(envBytes, &env))
	require.NoError(t, proto.Unmarshal(env.Payload, &payload))
	require.NoError(t, proto.Unmarshal(payload.Data, &cue))
	require.Equal(t, update, cue.ConfigUpdate)
	require.Len(t, cue.Signatures, 1)
	var sh cb.SignatureHeader
	var creator msp.SerializedIdentity
	require.NoError(t, proto.Unmarshal(cue.Signatures[0].SignatureHeader, &sh))
	require.NoError(t, proto.Unmarshal(sh.Creator, &creator))
	require.Equal(t, "Bank1MSP", creator.Mspid)
	require.Equal(t, admin.CertPEM, creator.IdBytes)
	digest := sha256.Sum256(slices.Concat(cue.Signatures[0].SignatureHeader, update))
	require.True(t, ecdsa.VerifyASN1(&admin.Key.PublicKey, digest[:], cue.Signatures[0].Signature))

	_, err = Sign([]byte("not an update"), "Bank1MSP", admin.CertPEM, admin.KeyPEM)
	require.Error(t, err)
	_, err = Envelope(update, []byte("junk"))
	require.ErrorContains(t, err, "signature 1 is not a configuration signature")
}

// A definition is public: a key, a missing root, an unknown field or a bad anchor is refused by
// name.
func TestDefinition_RefusesWhatIsNotAPublicDefinition(t *testing.T) {
	m := newMember(t, "Bank2MSP")
	for name, c := range map[string]struct {
		edit func(d *Definition)
		want string
	}{
		"a private key":    {func(d *Definition) { d.TLSRootCerts = []string{string(m.ca.KeyPEM)} }, "a private key, never part of a definition"},
		"no root":          {func(d *Definition) { d.RootCerts = nil }, "no root certificate"},
		"no anchor":        {func(d *Definition) { d.AnchorPeers = nil }, "no anchor peer"},
		"a bad port":       {func(d *Definition) { d.AnchorPeers[0].Port = 70000 }, "is not a host and port"},
		"a bad MSP ID":     {func(d *Definition) { d.MSPID = "Bank 2" }, "MSP ID"},
		"two certificates": {func(d *Definition) { d.RootCerts = []string{string(m.ca.CertPEM) + string(m.ca.CertPEM)} }, "more than one PEM block"},
	} {
		d := *m.def
		d.AnchorPeers = slices.Clone(m.def.AnchorPeers)
		c.edit(&d)
		require.ErrorContains(t, d.Check(), c.want, name)
	}
	path := filepath.Join(t.TempDir(), "d.json")
	require.NoError(t, os.WriteFile(path, []byte(`{"mspId":"Bank2MSP","privateKey":"x"}`), 0o644))
	_, err := LoadDefinition(path)
	require.ErrorContains(t, err, `unknown field "privateKey"`)
}

func TestVetoRule(t *testing.T) {
	got, err := vetoRule("AND('CoreMSP.admin', 'Bank1MSP.admin')", "Bank2MSP", "admin")
	require.NoError(t, err)
	require.Equal(t, "AND('CoreMSP.admin', 'Bank1MSP.admin', 'Bank2MSP.admin')", got)
	got, err = vetoRule(got, "Bank2MSP", "admin")
	require.NoError(t, err)
	require.Equal(t, "AND('CoreMSP.admin', 'Bank1MSP.admin', 'Bank2MSP.admin')", got, "already in: unchanged")
	for _, rule := range []string{"OR('CoreMSP.admin')", "AND('CoreMSP.admin', OR('A.admin'))", "AND('CoreMSP.peer')", "MAJORITY Admins"} {
		_, err := vetoRule(rule, "Bank2MSP", "admin")
		require.ErrorContains(t, err, "edit it by hand", rule)
	}
}

// Package audittest builds Fabric blocks in Go for tests of package audit and its users: member
// organisations with their own CAs, endorser transactions really signed by their peers and
// users, blocks chained by their header hashes.
package audittest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"encoding/pem"
	"maps"
	"math/big"
	"slices"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer/lifecycle"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/audit"
)

// Org is an organisation with its own CA, one peer and one user, all with real keys.
type Org struct {
	MSPID  string
	CACert *x509.Certificate
	CAKey  *ecdsa.PrivateKey
	CAPEM  []byte
	Peer   *Identity
	User   *Identity
	Admin  *Identity // OU admin: the organisation's admin, who signs its configuration changes
	CRL    []byte    // the CA's revocation list in the MSP's configuration (PEM), when it revoked any
}

// Identity is a serialized identity and its key.
type Identity struct {
	Serialized []byte
	Key        *ecdsa.PrivateKey
}

// Sign signs msg as Fabric does: ECDSA over SHA-256, low S.
func (id *Identity) Sign(t testing.TB, msg []byte) []byte {
	t.Helper()
	sig, err := signLowS(id.Key, msg)
	require.NoError(t, err)
	return sig
}

var serial int64

func newCert(t testing.TB, tmpl *x509.Certificate, parent *x509.Certificate, pub *ecdsa.PublicKey, signer *ecdsa.PrivateKey) (*x509.Certificate, []byte) {
	t.Helper()
	serial++
	tmpl.SerialNumber = big.NewInt(serial)
	tmpl.NotBefore = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tmpl.NotAfter = tmpl.NotBefore.AddDate(5, 0, 0)
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	require.NoError(t, err)
	c, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return c, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// NewKey is a new P-256 key.
func NewKey(t testing.TB) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return k
}

// NewOrg is an organisation with its own CA, one peer and one user.
func NewOrg(t testing.TB, mspID string) *Org {
	t.Helper()
	o := &Org{MSPID: mspID, CAKey: NewKey(t)}
	o.CACert, o.CAPEM = newCert(t, &x509.Certificate{Subject: pkix.Name{CommonName: "ca." + mspID}, IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature}, nil, &o.CAKey.PublicKey, o.CAKey)
	o.Peer = o.Issue(t, "peer0", "peer")
	o.User = o.Issue(t, "user1", "client")
	o.Admin = o.Issue(t, "admin", "admin")
	return o
}

// Issue makes an identity of the organisation signed by its CA; ou is "peer", "client" or "admin".
func (o *Org) Issue(t testing.TB, cn, ou string) *Identity {
	return o.IssueBy(t, cn, ou, o.CACert, o.CAKey)
}

// IssueBy makes an identity claiming the organisation but signed by another CA: a forgery.
func (o *Org) IssueBy(t testing.TB, cn, ou string, ca *x509.Certificate, caKey *ecdsa.PrivateKey) *Identity {
	t.Helper()
	k := NewKey(t)
	_, certPEM := newCert(t, &x509.Certificate{Subject: pkix.Name{CommonName: cn, OrganizationalUnit: []string{ou}},
		KeyUsage: x509.KeyUsageDigitalSignature}, ca, &k.PublicKey, caKey)
	sid, err := proto.Marshal(&msp.SerializedIdentity{Mspid: o.MSPID, IdBytes: certPEM})
	require.NoError(t, err)
	return &Identity{Serialized: sid, Key: k}
}

// Revoke puts id's certificate on the organisation's revocation list, as `fabric-ca-client
// revoke` and `gencrl` do; the next ConfigEnvelope carries it.
func (o *Org) Revoke(t testing.TB, id *Identity) {
	t.Helper()
	var sid msp.SerializedIdentity
	require.NoError(t, proto.Unmarshal(id.Serialized, &sid))
	b, _ := pem.Decode(sid.GetIdBytes())
	cert, err := x509.ParseCertificate(b.Bytes)
	require.NoError(t, err)
	der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{Number: big.NewInt(1),
		ThisUpdate: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), NextUpdate: time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC),
		RevokedCertificateEntries: []x509.RevocationListEntry{{SerialNumber: cert.SerialNumber, RevocationTime: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)}}},
		o.CACert, o.CAKey)
	require.NoError(t, err)
	o.CRL = pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der})
}

func (o *Org) mspValue(t testing.TB) []byte {
	var crls [][]byte
	if o.CRL != nil {
		crls = [][]byte{o.CRL}
	}
	fc, err := proto.Marshal(&msp.FabricMSPConfig{Name: o.MSPID, RootCerts: [][]byte{o.CAPEM}, RevocationList: crls,
		FabricNodeOus: &msp.FabricNodeOUs{Enable: true, PeerOuIdentifier: &msp.FabricOUIdentifier{OrganizationalUnitIdentifier: "peer"},
			ClientOuIdentifier: &msp.FabricOUIdentifier{OrganizationalUnitIdentifier: "client"},
			AdminOuIdentifier:  &msp.FabricOUIdentifier{OrganizationalUnitIdentifier: "admin"}}})
	require.NoError(t, err)
	v, err := proto.Marshal(&msp.MSPConfig{Type: 0, Config: fc})
	require.NoError(t, err)
	return v
}

// Marshal encodes m or fails the test.
func Marshal(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	require.NoError(t, err)
	return b
}

// TxTime is the timestamp of every transaction built here.
var TxTime = timestamppb.New(time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))

// ConfigEnvelope is the genesis transaction naming the orgs as the channel's application members.
func ConfigEnvelope(t testing.TB, orgs ...*Org) []byte {
	return configTx(t, &common.ConfigEnvelope{Config: Config(t, orgs...)})
}

// Config is a channel configuration with the orgs as application members, each with its MSP, its
// Admins policy (its admins) modifying its own group and values, and the application's Admins
// policy a majority of the members' admins, modifying the application group (its membership).
func Config(t testing.TB, orgs ...*Org) *common.Config {
	groups := map[string]*common.ConfigGroup{}
	for _, o := range orgs {
		groups[o.MSPID] = &common.ConfigGroup{ModPolicy: "Admins",
			Values:   map[string]*common.ConfigValue{"MSP": {Value: o.mspValue(t), ModPolicy: "Admins"}},
			Policies: map[string]*common.ConfigPolicy{"Admins": {ModPolicy: "Admins", Policy: adminsOf(t, o.MSPID)}}}
	}
	majority := &common.Policy{Type: int32(common.Policy_IMPLICIT_META),
		Value: Marshal(t, &common.ImplicitMetaPolicy{SubPolicy: "Admins", Rule: common.ImplicitMetaPolicy_MAJORITY})}
	return &common.Config{ChannelGroup: &common.ConfigGroup{ModPolicy: "Admins",
		Policies: map[string]*common.ConfigPolicy{"Admins": {ModPolicy: "Admins", Policy: majority}},
		Groups: map[string]*common.ConfigGroup{"Application": {ModPolicy: "Admins", Groups: groups,
			Policies: map[string]*common.ConfigPolicy{"Admins": {ModPolicy: "Admins", Policy: majority}}}}}}
}

// adminsOf is the signature policy OR('<msp>.admin').
func adminsOf(t testing.TB, mspID string) *common.Policy {
	env := &common.SignaturePolicyEnvelope{Rule: &common.SignaturePolicy{Type: &common.SignaturePolicy_NOutOf_{NOutOf: &common.SignaturePolicy_NOutOf{
		N: 1, Rules: []*common.SignaturePolicy{{Type: &common.SignaturePolicy_SignedBy{SignedBy: 0}}}}}},
		Identities: []*msp.MSPPrincipal{{PrincipalClassification: msp.MSPPrincipal_ROLE,
			Principal: Marshal(t, &msp.MSPRole{MspIdentifier: mspID, Role: msp.MSPRole_ADMIN})}}}
	return &common.Policy{Type: int32(common.Policy_SIGNATURE), Value: Marshal(t, env)}
}

// ConfigUpdate is the configuration transaction that takes the channel from the configuration of
// prev to one with the orgs as members: an org whose MSP changed (a revocation list) has its MSP
// value's version raised, an org added raises the application group's version; the update
// carries the write set of what changed and the signers' signatures over it, as the peer CLI's
// `channel signconfigtx` makes them.
func ConfigUpdate(t testing.TB, prev *common.Config, orgs []*Org, signers ...*Identity) ([]byte, *common.Config) {
	next := proto.Clone(prev).(*common.Config)
	next.Sequence++
	app := next.ChannelGroup.Groups["Application"]
	fresh := Config(t, orgs...).ChannelGroup.Groups["Application"]
	wApp := &common.ConfigGroup{Version: app.Version, Groups: map[string]*common.ConfigGroup{}}
	for name, g := range fresh.Groups {
		old, ok := app.Groups[name]
		switch {
		case !ok:
			app.Groups[name] = g
			app.Version++
			wApp.Version = app.Version
			wApp.Groups[name] = g
		case !proto.Equal(old.Values["MSP"], &common.ConfigValue{Value: g.Values["MSP"].Value, ModPolicy: "Admins", Version: old.Values["MSP"].Version}):
			old.Values["MSP"] = &common.ConfigValue{Value: g.Values["MSP"].Value, ModPolicy: "Admins", Version: old.Values["MSP"].Version + 1}
			wApp.Groups[name] = &common.ConfigGroup{Version: old.Version, Values: map[string]*common.ConfigValue{"MSP": old.Values["MSP"]}}
		}
	}
	update := Marshal(t, &common.ConfigUpdate{ChannelId: "receivables",
		WriteSet: &common.ConfigGroup{Version: next.ChannelGroup.Version, Groups: map[string]*common.ConfigGroup{"Application": wApp}}})
	cue := &common.ConfigUpdateEnvelope{ConfigUpdate: update}
	for _, s := range signers {
		sh := Marshal(t, &common.SignatureHeader{Creator: s.Serialized, Nonce: []byte("nonce")})
		cue.Signatures = append(cue.Signatures, &common.ConfigSignature{SignatureHeader: sh, Signature: s.Sign(t, append(append([]byte(nil), sh...), update...))})
	}
	uhdr := Marshal(t, &common.ChannelHeader{Type: int32(common.HeaderType_CONFIG_UPDATE), ChannelId: "receivables", Timestamp: TxTime})
	last := &common.Envelope{Payload: Marshal(t, &common.Payload{Header: &common.Header{ChannelHeader: uhdr}, Data: Marshal(t, cue)})}
	return configTx(t, &common.ConfigEnvelope{Config: next, LastUpdate: last}), next
}

func configTx(t testing.TB, ce *common.ConfigEnvelope) []byte {
	chdr := Marshal(t, &common.ChannelHeader{Type: int32(common.HeaderType_CONFIG), ChannelId: "receivables", Timestamp: TxTime})
	payload := Marshal(t, &common.Payload{Header: &common.Header{ChannelHeader: chdr}, Data: Marshal(t, ce)})
	return Marshal(t, &common.Envelope{Payload: payload})
}

// EndorserTx is a transaction of chaincode cc by creator that writes the receivables, endorsed
// (really signed) by each endorser.
func EndorserTx(t testing.TB, txID, cc string, creator *Identity, writes []*wire.Receivable, endorsers ...*Identity) []byte {
	t.Helper()
	return Tx(t, txID, cc, cc, creator, receivableWrites(t, writes), endorsers...)
}

// receivableWrites are the state writes of the receivables, as the chaincode stores them.
func receivableWrites(t testing.TB, writes []*wire.Receivable) []*kvrwset.KVWrite {
	t.Helper()
	var kv []*kvrwset.KVWrite
	for _, r := range writes {
		v, err := json.Marshal(r)
		require.NoError(t, err)
		kv = append(kv, &kvrwset.KVWrite{Key: audit.KeyPrefix + r.ID, Value: v})
	}
	return kv
}

// LifecycleTx commits a definition of chaincode cc whose endorsement policy is env, as Fabric's
// _lifecycle writes it.
func LifecycleTx(t testing.TB, txID, cc string, env *common.SignaturePolicyEnvelope, creator *Identity, endorsers ...*Identity) []byte {
	t.Helper()
	ap := Marshal(t, &peer.ApplicationPolicy{Type: &peer.ApplicationPolicy_SignaturePolicy{SignaturePolicy: env}})
	vi := Marshal(t, &lifecycle.ChaincodeValidationInfo{ValidationPlugin: "vscc", ValidationParameter: ap})
	value := Marshal(t, &lifecycle.StateData{Type: &lifecycle.StateData_Bytes{Bytes: vi}})
	return Tx(t, txID, "_lifecycle", "_lifecycle", creator,
		[]*kvrwset.KVWrite{{Key: "namespaces/fields/" + cc + "/ValidationInfo", Value: value}}, endorsers...)
}

// PeersPolicy is the signature policy envelope of n out of the peers of msps (n == len: AND).
func PeersPolicy(t testing.TB, n int, msps ...string) *common.SignaturePolicyEnvelope {
	env := &common.SignaturePolicyEnvelope{Rule: &common.SignaturePolicy{Type: &common.SignaturePolicy_NOutOf_{NOutOf: &common.SignaturePolicy_NOutOf{N: int32(n)}}}}
	for i, m := range msps {
		env.Identities = append(env.Identities, &msp.MSPPrincipal{PrincipalClassification: msp.MSPPrincipal_ROLE,
			Principal: Marshal(t, &msp.MSPRole{MspIdentifier: m, Role: msp.MSPRole_PEER})})
		rules := env.Rule.GetNOutOf()
		rules.Rules = append(rules.Rules, &common.SignaturePolicy{Type: &common.SignaturePolicy_SignedBy{SignedBy: int32(i)}})
	}
	return env
}

// Tx is an endorser transaction of chaincode cc by creator writing kv in namespace ns, endorsed
// (really signed) by each endorser.
func Tx(t testing.TB, txID, cc, ns string, creator *Identity, kv []*kvrwset.KVWrite, endorsers ...*Identity) []byte {
	t.Helper()
	return nsTx(t, txID, cc, &rwset.NsReadWriteSet{Namespace: ns, Rwset: Marshal(t, &kvrwset.KVRWSet{Writes: kv})}, creator, endorsers...)
}

// PrivateTx is EndorserTx that also writes value to a private data collection under key: the block
// carries only their SHA-256 hashes, as Fabric's hashed write set.
func PrivateTx(t testing.TB, txID, cc string, creator *Identity, writes []*wire.Receivable, collection, key string, value []byte, endorsers ...*Identity) []byte {
	t.Helper()
	kv := receivableWrites(t, writes)
	kh, vh := sha256.Sum256([]byte(key)), sha256.Sum256(value)
	hashed := Marshal(t, &kvrwset.HashedRWSet{HashedWrites: []*kvrwset.KVWriteHash{{KeyHash: kh[:], ValueHash: vh[:]}}})
	ns := &rwset.NsReadWriteSet{Namespace: cc, Rwset: Marshal(t, &kvrwset.KVRWSet{Writes: kv}),
		CollectionHashedRwset: []*rwset.CollectionHashedReadWriteSet{{CollectionName: collection, HashedRwset: hashed}}}
	return nsTx(t, txID, cc, ns, creator, endorsers...)
}

// ReadingTx is EndorserTx that also read keys at the given versions (nil: the key was absent), as
// the block records a transaction's read set for the MVCC check.
func ReadingTx(t testing.TB, txID, cc string, creator *Identity, reads map[string]*kvrwset.Version, writes []*wire.Receivable, endorsers ...*Identity) []byte {
	t.Helper()
	kv := &kvrwset.KVRWSet{}
	for _, r := range writes {
		v, err := json.Marshal(r)
		require.NoError(t, err)
		kv.Writes = append(kv.Writes, &kvrwset.KVWrite{Key: audit.KeyPrefix + r.ID, Value: v})
	}
	for _, k := range slices.Sorted(maps.Keys(reads)) {
		kv.Reads = append(kv.Reads, &kvrwset.KVRead{Key: k, Version: reads[k]})
	}
	return nsTx(t, txID, cc, &rwset.NsReadWriteSet{Namespace: cc, Rwset: Marshal(t, kv)}, creator, endorsers...)
}

// SetTx is a transaction of chaincode cc with the read-write set kv and the hashed read-write sets
// of collections, as the block records them.
func SetTx(t testing.TB, txID, cc string, creator *Identity, kv *kvrwset.KVRWSet, collections []*rwset.CollectionHashedReadWriteSet, endorsers ...*Identity) []byte {
	t.Helper()
	ns := &rwset.NsReadWriteSet{Namespace: cc, Rwset: Marshal(t, kv), CollectionHashedRwset: collections}
	return nsTx(t, txID, cc, ns, creator, endorsers...)
}

// GuardedTx is EndorserTx that also sets the state-based endorsement policy of each receivable it
// writes to env, as the chaincode does (SetStateValidationParameter).
func GuardedTx(t testing.TB, txID, cc string, creator *Identity, writes []*wire.Receivable, env *common.SignaturePolicyEnvelope, endorsers ...*Identity) []byte {
	t.Helper()
	var kv []*kvrwset.KVWrite
	var meta []*kvrwset.KVMetadataWrite
	for _, r := range writes {
		v, err := json.Marshal(r)
		require.NoError(t, err)
		kv = append(kv, &kvrwset.KVWrite{Key: audit.KeyPrefix + r.ID, Value: v})
		meta = append(meta, &kvrwset.KVMetadataWrite{Key: audit.KeyPrefix + r.ID, Entries: []*kvrwset.KVMetadataEntry{
			{Name: peer.MetaDataKeys_VALIDATION_PARAMETER.String(), Value: Marshal(t, env)}}})
	}
	ns := &rwset.NsReadWriteSet{Namespace: cc, Rwset: Marshal(t, &kvrwset.KVRWSet{Writes: kv, MetadataWrites: meta})}
	return nsTx(t, txID, cc, ns, creator, endorsers...)
}

func nsTx(t testing.TB, txID, cc string, ns *rwset.NsReadWriteSet, creator *Identity, endorsers ...*Identity) []byte {
	results := Marshal(t, &rwset.TxReadWriteSet{DataModel: rwset.TxReadWriteSet_KV, NsRwset: []*rwset.NsReadWriteSet{ns}})
	cca := Marshal(t, &peer.ChaincodeAction{Results: results, ChaincodeId: &peer.ChaincodeID{Name: cc}})
	prp := Marshal(t, &peer.ProposalResponsePayload{ProposalHash: []byte("h"), Extension: cca})
	var ends []*peer.Endorsement
	for _, e := range endorsers {
		ends = append(ends, &peer.Endorsement{Endorser: e.Serialized, Signature: e.Sign(t, append(append([]byte(nil), prp...), e.Serialized...))})
	}
	cap := Marshal(t, &peer.ChaincodeActionPayload{Action: &peer.ChaincodeEndorsedAction{ProposalResponsePayload: prp, Endorsements: ends}})
	shdr := Marshal(t, &common.SignatureHeader{Creator: creator.Serialized, Nonce: []byte(txID)})
	tx := Marshal(t, &peer.Transaction{Actions: []*peer.TransactionAction{{Header: shdr, Payload: cap}}})
	chdr := Marshal(t, &common.ChannelHeader{Type: int32(common.HeaderType_ENDORSER_TRANSACTION), ChannelId: "receivables", TxId: txID, Timestamp: TxTime})
	payload := Marshal(t, &common.Payload{Header: &common.Header{ChannelHeader: chdr, SignatureHeader: shdr}, Data: tx})
	return Marshal(t, &common.Envelope{Payload: payload, Signature: creator.Sign(t, payload)})
}

// Block chains envelopes after prev (nil for block 0) with their validation codes.
func Block(t testing.TB, prev *common.Block, codes []peer.TxValidationCode, envs ...[]byte) *common.Block {
	b := &common.Block{Header: &common.BlockHeader{}, Data: &common.BlockData{Data: envs}}
	if prev != nil {
		b.Header.Number = prev.Header.Number + 1
		b.Header.PreviousHash = audit.HeaderHash(prev.Header)
	}
	b.Header.DataHash = audit.DataHash(b.Data)
	filter := make([]byte, len(envs))
	for i, c := range codes {
		filter[i] = byte(c)
	}
	sigs := Marshal(t, &common.Metadata{Value: Marshal(t, &common.OrdererBlockMetadata{LastConfig: &common.LastConfig{Index: 0}})})
	b.Metadata = &common.BlockMetadata{Metadata: [][]byte{sigs, nil, filter, nil, nil}}
	return b
}

// Receivable is a receivable of root (a root when id == root).
func Receivable(id, root, holder string, fen int64, st wire.Status, children ...string) *wire.Receivable {
	r := &wire.Receivable{ID: id, RootID: root, Issuer: "CoreMSP/treasurer", Holder: holder, AmountFen: fen,
		Currency: "CNY", Status: st, Children: children}
	if id != root {
		r.ParentID = root
	}
	return r
}

// Chain is a chain of blocks by two member organisations.
type Chain struct {
	Core, Supplier *Org
	Blocks         []*common.Block
}

// NewChain is a valid chain of three blocks: the configuration; an issue that commits and
// one that lost an MVCC race; a split of the first.
func NewChain(t testing.TB) *Chain {
	c := &Chain{Core: NewOrg(t, "CoreMSP"), Supplier: NewOrg(t, "SupplierMSP")}
	b0 := Block(t, nil, []peer.TxValidationCode{peer.TxValidationCode_VALID}, ConfigEnvelope(t, c.Core, c.Supplier))
	b1 := Block(t, b0, []peer.TxValidationCode{peer.TxValidationCode_VALID, peer.TxValidationCode_MVCC_READ_CONFLICT},
		EndorserTx(t, "tx1", "receivables", c.Core.User, []*wire.Receivable{Receivable("R-1", "R-1", "SupplierMSP/a", 10000, wire.StatusActive)}, c.Core.Peer, c.Supplier.Peer),
		EndorserTx(t, "tx2", "receivables", c.Core.User, []*wire.Receivable{Receivable("R-X", "R-X", "SupplierMSP/a", 500, wire.StatusActive)}, c.Core.Peer, c.Supplier.Peer))
	b2 := Block(t, b1, []peer.TxValidationCode{peer.TxValidationCode_VALID},
		EndorserTx(t, "tx3", "receivables", c.Supplier.User, []*wire.Receivable{
			Receivable("R-1", "R-1", "SupplierMSP/a", 10000, wire.StatusSplit, "R-1.1", "R-1.2"),
			Receivable("R-1.1", "R-1", "SupplierMSP/a", 6000, wire.StatusActive),
			Receivable("R-1.2", "R-1", "SupplierMSP/a", 4000, wire.StatusActive)}, c.Core.Peer, c.Supplier.Peer))
	c.Blocks = []*common.Block{b0, b1, b2}
	return c
}

// Clone copies a block through its wire form, as a tamperer would edit a copy.
func Clone(t testing.TB, b *common.Block) *common.Block {
	out, err := audit.ParseBlock(Marshal(t, b))
	require.NoError(t, err)
	return out
}

func signLowS(key *ecdsa.PrivateKey, msg []byte) ([]byte, error) {
	d := sha256.Sum256(msg)
	r, s, err := ecdsa.Sign(rand.Reader, key, d[:])
	if err != nil {
		return nil, err
	}
	if n := key.Params().N; s.Cmp(new(big.Int).Rsh(n, 1)) > 0 {
		s.Sub(n, s)
	}
	return asn1.Marshal(struct{ R, S *big.Int }{r, s})
}

// KeyPEM is a new ECDSA private key in PKCS #8 PEM.
func KeyPEM(t testing.TB) []byte {
	der, err := x509.MarshalPKCS8PrivateKey(NewKey(t))
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

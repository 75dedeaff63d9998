package audit

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// testOrg is an organisation with its own CA, one peer and one user, all with real keys.
type testOrg struct {
	mspID  string
	caCert *x509.Certificate
	caKey  *ecdsa.PrivateKey
	caPEM  []byte
	peer   *testIdentity
	user   *testIdentity
}

type testIdentity struct {
	serialized []byte
	key        *ecdsa.PrivateKey
}

func (id *testIdentity) sign(t *testing.T, msg []byte) []byte {
	t.Helper()
	sig, err := signLowSForTest(id.key, msg)
	require.NoError(t, err)
	return sig
}

var serial int64

func newCert(t *testing.T, tmpl *x509.Certificate, parent *x509.Certificate, pub *ecdsa.PublicKey, signer *ecdsa.PrivateKey) (*x509.Certificate, []byte) {
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

func newKey(t *testing.T) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return k
}

func newTestOrg(t *testing.T, mspID string) *testOrg {
	t.Helper()
	o := &testOrg{mspID: mspID, caKey: newKey(t)}
	o.caCert, o.caPEM = newCert(t, &x509.Certificate{Subject: pkix.Name{CommonName: "ca." + mspID}, IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}, nil, &o.caKey.PublicKey, o.caKey)
	o.peer = o.issue(t, "peer0", "peer")
	o.user = o.issue(t, "user1", "client")
	return o
}

// issue makes an identity signed by the org's CA (or by another CA when forged).
func (o *testOrg) issue(t *testing.T, cn, ou string) *testIdentity {
	return o.issueBy(t, cn, ou, o.caCert, o.caKey)
}

func (o *testOrg) issueBy(t *testing.T, cn, ou string, ca *x509.Certificate, caKey *ecdsa.PrivateKey) *testIdentity {
	t.Helper()
	k := newKey(t)
	_, certPEM := newCert(t, &x509.Certificate{Subject: pkix.Name{CommonName: cn, OrganizationalUnit: []string{ou}},
		KeyUsage: x509.KeyUsageDigitalSignature}, ca, &k.PublicKey, caKey)
	sid, err := proto.Marshal(&msp.SerializedIdentity{Mspid: o.mspID, IdBytes: certPEM})
	require.NoError(t, err)
	return &testIdentity{serialized: sid, key: k}
}

func (o *testOrg) mspValue(t *testing.T) []byte {
	fc, err := proto.Marshal(&msp.FabricMSPConfig{Name: o.mspID, RootCerts: [][]byte{o.caPEM},
		FabricNodeOus: &msp.FabricNodeOUs{Enable: true, PeerOuIdentifier: &msp.FabricOUIdentifier{OrganizationalUnitIdentifier: "peer"},
			ClientOuIdentifier: &msp.FabricOUIdentifier{OrganizationalUnitIdentifier: "client"}}})
	require.NoError(t, err)
	v, err := proto.Marshal(&msp.MSPConfig{Type: 0, Config: fc})
	require.NoError(t, err)
	return v
}

func mustMarshal(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	require.NoError(t, err)
	return b
}

var txTime = timestamppb.New(time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))

// configEnvelope is the genesis transaction naming the orgs as the channel's application members.
func configEnvelope(t *testing.T, orgs ...*testOrg) []byte {
	groups := map[string]*common.ConfigGroup{}
	for _, o := range orgs {
		groups[o.mspID] = &common.ConfigGroup{Values: map[string]*common.ConfigValue{"MSP": {Value: o.mspValue(t)}}}
	}
	cfg := &common.ConfigEnvelope{Config: &common.Config{ChannelGroup: &common.ConfigGroup{
		Groups: map[string]*common.ConfigGroup{"Application": {Groups: groups}}}}}
	chdr := mustMarshal(t, &common.ChannelHeader{Type: int32(common.HeaderType_CONFIG), ChannelId: "receivables", Timestamp: txTime})
	payload := mustMarshal(t, &common.Payload{Header: &common.Header{ChannelHeader: chdr}, Data: mustMarshal(t, cfg)})
	return mustMarshal(t, &common.Envelope{Payload: payload})
}

// endorserTx is a transaction of chaincode cc by creator that writes the receivables, endorsed
// (really signed) by each endorser.
func endorserTx(t *testing.T, txID, cc string, creator *testIdentity, writes []*wire.Receivable, endorsers ...*testIdentity) []byte {
	t.Helper()
	var kv kvrwset.KVRWSet
	for _, r := range writes {
		v, err := json.Marshal(r)
		require.NoError(t, err)
		kv.Writes = append(kv.Writes, &kvrwset.KVWrite{Key: KeyPrefix + r.ID, Value: v})
	}
	results := mustMarshal(t, &rwset.TxReadWriteSet{DataModel: rwset.TxReadWriteSet_KV,
		NsRwset: []*rwset.NsReadWriteSet{{Namespace: cc, Rwset: mustMarshal(t, &kv)}}})
	cca := mustMarshal(t, &peer.ChaincodeAction{Results: results, ChaincodeId: &peer.ChaincodeID{Name: cc}})
	prp := mustMarshal(t, &peer.ProposalResponsePayload{ProposalHash: []byte("h"), Extension: cca})
	var ends []*peer.Endorsement
	for _, e := range endorsers {
		ends = append(ends, &peer.Endorsement{Endorser: e.serialized, Signature: e.sign(t, append(append([]byte(nil), prp...), e.serialized...))})
	}
	cap := mustMarshal(t, &peer.ChaincodeActionPayload{Action: &peer.ChaincodeEndorsedAction{ProposalResponsePayload: prp, Endorsements: ends}})
	shdr := mustMarshal(t, &common.SignatureHeader{Creator: creator.serialized, Nonce: []byte(txID)})
	tx := mustMarshal(t, &peer.Transaction{Actions: []*peer.TransactionAction{{Header: shdr, Payload: cap}}})
	chdr := mustMarshal(t, &common.ChannelHeader{Type: int32(common.HeaderType_ENDORSER_TRANSACTION), ChannelId: "receivables", TxId: txID, Timestamp: txTime})
	payload := mustMarshal(t, &common.Payload{Header: &common.Header{ChannelHeader: chdr, SignatureHeader: shdr}, Data: tx})
	return mustMarshal(t, &common.Envelope{Payload: payload, Signature: creator.sign(t, payload)})
}

// block chains envelopes after prev (nil for block 0) with their validation codes.
func block(t *testing.T, prev *common.Block, codes []peer.TxValidationCode, envs ...[]byte) *common.Block {
	b := &common.Block{Header: &common.BlockHeader{}, Data: &common.BlockData{Data: envs}}
	if prev != nil {
		b.Header.Number = prev.Header.Number + 1
		b.Header.PreviousHash = HeaderHash(prev.Header)
	}
	b.Header.DataHash = DataHash(b.Data)
	filter := make([]byte, len(envs))
	for i, c := range codes {
		filter[i] = byte(c)
	}
	sigs := mustMarshal(t, &common.Metadata{Value: mustMarshal(t, &common.OrdererBlockMetadata{LastConfig: &common.LastConfig{Index: 0}})})
	b.Metadata = &common.BlockMetadata{Metadata: [][]byte{sigs, nil, filter, nil, nil}}
	return b
}

func rcv(id, root, holder string, fen int64, st wire.Status, children ...string) *wire.Receivable {
	r := &wire.Receivable{ID: id, RootID: root, Issuer: "CoreMSP/treasurer", Holder: holder, AmountFen: fen,
		Currency: "CNY", Status: st, Children: children}
	if id != root {
		r.ParentID = root
	}
	return r
}

type testChain struct {
	core, supplier *testOrg
	blocks         []*common.Block
}

// newTestChain is a valid chain of three blocks: the configuration; an issue that commits and
// one that lost an MVCC race; a split of the first.
func newTestChain(t *testing.T) *testChain {
	c := &testChain{core: newTestOrg(t, "CoreMSP"), supplier: newTestOrg(t, "SupplierMSP")}
	b0 := block(t, nil, []peer.TxValidationCode{peer.TxValidationCode_VALID}, configEnvelope(t, c.core, c.supplier))
	b1 := block(t, b0, []peer.TxValidationCode{peer.TxValidationCode_VALID, peer.TxValidationCode_MVCC_READ_CONFLICT},
		endorserTx(t, "tx1", "receivables", c.core.user, []*wire.Receivable{rcv("R-1", "R-1", "SupplierMSP/a", 10000, wire.StatusActive)}, c.core.peer, c.supplier.peer),
		endorserTx(t, "tx2", "receivables", c.core.user, []*wire.Receivable{rcv("R-X", "R-X", "SupplierMSP/a", 500, wire.StatusActive)}, c.core.peer, c.supplier.peer))
	b2 := block(t, b1, []peer.TxValidationCode{peer.TxValidationCode_VALID},
		endorserTx(t, "tx3", "receivables", c.supplier.user, []*wire.Receivable{
			rcv("R-1", "R-1", "SupplierMSP/a", 10000, wire.StatusSplit, "R-1.1", "R-1.2"),
			rcv("R-1.1", "R-1", "SupplierMSP/a", 6000, wire.StatusActive),
			rcv("R-1.2", "R-1", "SupplierMSP/a", 4000, wire.StatusActive)}, c.core.peer, c.supplier.peer))
	c.blocks = []*common.Block{b0, b1, b2}
	return c
}

// clone copies a block through its wire form, as a tamperer would edit a copy.
func clone(t *testing.T, b *common.Block) *common.Block {
	out, err := ParseBlock(mustMarshal(t, b))
	require.NoError(t, err)
	return out
}

package fabric

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/asn1"
	"math/big"
	"testing"

	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/client"
)

// offlineClient has "treasurer" known by certificate only and "admin" with its key.
func offlineClient(t *testing.T, fp *fakePeer) (*Client, identity.Sign) {
	t.Helper()
	c := newTestClient(t, fp, "admin")
	cert, key := testUser(t, "treasurer")
	id, err := NewIdentity("CoreMSP", "treasurer", "issuer", cert, nil)
	require.NoError(t, err)
	require.NoError(t, c.AddIdentity(id))
	sign, err := NewSigner(key)
	require.NoError(t, err)
	return c, sign
}

func TestOffline_FullFlowWithCallerSignatures(t *testing.T) {
	fp := &fakePeer{result: []byte(`{"id":"R-1"}`)}
	c, sign := offlineClient(t, fp)
	ctx := context.Background()

	_, err := c.Submit(ctx, "treasurer", "Issue", []string{"{}"}, nil, nil)
	require.Equal(t, wire.KindForbidden, Classify(err, "submit").Kind, "the service cannot sign for an offline user")

	prop, err := c.PrepareProposal("treasurer", "Issue", []string{`{"id":"R-1"}`}, nil)
	require.NoError(t, err)
	require.Len(t, prop.Digest, 32)
	// The caller gets the proposal itself to read and hash, not only a digest.
	signed := sha256.Sum256(prop.Signed)
	require.Equal(t, prop.Digest, signed[:])
	var proposal peer.Proposal
	require.NoError(t, proto.Unmarshal(prop.Signed, &proposal))
	require.NotEmpty(t, proposal.GetHeader())
	sig, err := sign(prop.Digest)
	require.NoError(t, err)

	tx, err := c.EndorseSigned(ctx, "treasurer", prop.Bytes, sig)
	require.NoError(t, err)
	require.Equal(t, prop.TransactionID, tx.TransactionID)
	require.Equal(t, `{"id":"R-1"}`, string(tx.Result))
	require.Equal(t, sig, fp.endorsed[0].GetProposedTransaction().GetSignature(), "the peer gets the caller's signature")

	signed = sha256.Sum256(tx.Signed)
	require.Equal(t, tx.Digest, signed[:], "the transaction's bytes to sign are its payload")
	txSig, err := sign(tx.Digest)
	require.NoError(t, err)
	res, err := c.SubmitSigned(ctx, "treasurer", "admin", tx.Bytes, txSig)
	require.NoError(t, err)
	require.Equal(t, prop.TransactionID, res.TransactionID)
	require.Equal(t, uint64(7), res.BlockNumber)

	// The commit-status request is the service identity's, signed by it.
	var req gateway.CommitStatusRequest
	require.NoError(t, proto.Unmarshal(fp.statusReqs[0].GetRequest(), &req))
	var creator msp.SerializedIdentity
	require.NoError(t, proto.Unmarshal(req.GetIdentity(), &creator))
	admin, _ := c.Identity("admin")
	require.Equal(t, admin.ID.Credentials(), creator.GetIdBytes())
	require.NotEmpty(t, fp.statusReqs[0].GetSignature())
}

func TestOffline_WrongKeyIsRefusedBeforeTheNetwork(t *testing.T) {
	fp := &fakePeer{}
	c, _ := offlineClient(t, fp)
	_, otherKey := testUser(t, "mallory")
	wrong, err := NewSigner(otherKey)
	require.NoError(t, err)

	prop, err := c.PrepareProposal("treasurer", "Accept", []string{"R-1"}, nil)
	require.NoError(t, err)
	sig, err := wrong(prop.Digest)
	require.NoError(t, err)
	_, err = c.EndorseSigned(context.Background(), "treasurer", prop.Bytes, sig)

	fe := Classify(err, "endorse")
	require.Equal(t, wire.KindInvalid, fe.Kind)
	require.Contains(t, fe.Message, "signature does not match")
	require.Empty(t, fp.endorsed)
}

func TestVerifyDigestSignature_RefusesHighS(t *testing.T) {
	cert, key := testUser(t, "treasurer")
	id, err := NewIdentity("CoreMSP", "treasurer", "issuer", cert, key)
	require.NoError(t, err)
	digest := sha256.Sum256([]byte("proposal"))
	low, err := id.Sign(digest[:])
	require.NoError(t, err)
	require.NoError(t, VerifyDigestSignature(id.ID, digest[:], low))

	var rs struct{ R, S *big.Int }
	_, err = asn1.Unmarshal(low, &rs)
	require.NoError(t, err)
	parsed, err := identity.CertificateFromPEM(cert)
	require.NoError(t, err)
	n := parsed.PublicKey.(*ecdsa.PublicKey).Curve.Params().N
	high, err := asn1.Marshal(struct{ R, S *big.Int }{rs.R, new(big.Int).Sub(n, rs.S)})
	require.NoError(t, err)
	require.ErrorContains(t, VerifyDigestSignature(id.ID, digest[:], high), "lower half")
	require.Error(t, VerifyDigestSignature(id.ID, digest[:], []byte("junk")))
}

func TestClassify_Table(t *testing.T) {
	_ = peer.TxValidationCode_VALID
	tests := []struct {
		name string
		err  error
		kind wire.Kind
		msg  string
	}{
		{"invalid from evaluate", statusErr(2, "chaincode response 500, invalid: amount must be positive"), wire.KindInvalid, "invalid: amount must be positive"},
		{"conflict", statusErr(2, "chaincode response 500, conflict: receivable R-1 already exists"), wire.KindConflict, "conflict: receivable R-1 already exists"},
		{"forbidden", statusErr(2, "chaincode response 500, forbidden: role auditor may not issue"), wire.KindForbidden, "forbidden: role auditor may not issue"},
		{"deadline", context.DeadlineExceeded, wire.KindTimeout, ""},
		{"grpc deadline", statusErr(4, "context deadline exceeded"), wire.KindTimeout, ""},
		{"unavailable", statusErr(14, "connection refused"), wire.KindUnavailable, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fe := Classify(tt.err, "evaluate")
			require.Equal(t, tt.kind, fe.Kind)
			if tt.msg != "" {
				require.Equal(t, tt.msg, fe.Message)
			}
		})
	}
}

// The bytes the SDK prepares and a peer's gateway endorses are what the offline client reads and
// checks (gateway/client): the approved transfer passes, a different amount does not.
func TestOffline_TheClientChecksTheSDKsBytes(t *testing.T) {
	fp := &fakePeer{result: []byte(`{"items":[]}`)}
	c := newTestClient(t, fp, "admin")
	cert, key := testUser(t, "treasurer")
	id, err := NewIdentity("CoreMSP", "treasurer", "issuer", cert, nil)
	require.NoError(t, err)
	require.NoError(t, c.AddIdentity(id))
	signer, err := client.NewIdentity("CoreMSP", cert, key)
	require.NoError(t, err)
	transfer, _ := wire.Lookup("transfer")
	approved := client.Approved{Op: transfer, ID: "R-1", Body: []byte(`{"to":"SupplierMSP/supplier-b","amount":"300.00"}`)}
	expect := client.Expect{Signer: signer, Channel: "receivables", Chaincode: "receivables"}

	prop, err := c.PrepareProposal("treasurer", "Transfer", []string{"R-1", "SupplierMSP/supplier-b", "300.00"}, nil)
	require.NoError(t, err)
	read, err := client.ReadProposal(prop.Signed)
	require.NoError(t, err)
	require.NoError(t, read.Check(prop.TransactionID, approved, expect))
	approved.Body = []byte(`{"to":"SupplierMSP/supplier-b","amount":"30.00"}`)
	var ue *client.UnapprovedError
	require.ErrorAs(t, read.Check(prop.TransactionID, approved, expect), &ue)
	require.Equal(t, "argument amount", ue.What)

	sig, err := signer.Sign(prop.Digest)
	require.NoError(t, err)
	tx, err := c.EndorseSigned(context.Background(), "treasurer", prop.Bytes, sig)
	require.NoError(t, err)
	require.NoError(t, read.CheckTransaction(tx.TransactionID, tx.Signed))

	other, err := c.PrepareProposal("treasurer", "Transfer", []string{"R-1", "SupplierMSP/supplier-b", "300.00"}, nil)
	require.NoError(t, err)
	otherRead, err := client.ReadProposal(other.Signed)
	require.NoError(t, err)
	require.ErrorAs(t, otherRead.CheckTransaction(tx.TransactionID, tx.Signed), &ue, "another proposal's transaction")
}

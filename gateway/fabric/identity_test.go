package fabric

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"testing"

	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
)

// creatorOf is the creator certificate (PEM) of an endorsement request's proposal, after checking
// that the proposal's signature verifies with that certificate's key.
func creatorOf(t *testing.T, req *gateway.EndorseRequest) []byte {
	t.Helper()
	signed := req.GetProposedTransaction()
	var prop peer.Proposal
	require.NoError(t, proto.Unmarshal(signed.GetProposalBytes(), &prop))
	var hdr common.Header
	require.NoError(t, proto.Unmarshal(prop.GetHeader(), &hdr))
	var sh common.SignatureHeader
	require.NoError(t, proto.Unmarshal(hdr.GetSignatureHeader(), &sh))
	var creator msp.SerializedIdentity
	require.NoError(t, proto.Unmarshal(sh.GetCreator(), &creator))
	cert, err := identity.CertificateFromPEM(creator.GetIdBytes())
	require.NoError(t, err)
	digest := sha256.Sum256(signed.GetProposalBytes())
	require.True(t, ecdsa.VerifyASN1(cert.PublicKey.(*ecdsa.PublicKey), digest[:], signed.GetSignature()),
		"the proposal is signed by the key of its creator's certificate")
	return creator.GetIdBytes()
}

// TestAddIdentity_ARenewedIdentityServesTheNextCallsAndACallInFlightFinishesWithTheOld: a
// transaction endorsing when the user's identity is replaced finishes with the identity it
// started with (its proposal's creator and signature, its commit), and the next one is created
// and signed by the new certificate and key.
func TestAddIdentity_ARenewedIdentityServesTheNextCallsAndACallInFlightFinishesWithTheOld(t *testing.T) {
	fp := &fakePeer{result: []byte(`{}`), held: make(chan struct{}), release: make(chan struct{})}
	c := newTestClient(t, fp)
	oldCert, oldKey := testUser(t, "clerk")
	old, err := NewIdentity("CoreMSP", "clerk", "supplier", oldCert, oldKey)
	require.NoError(t, err)
	require.NoError(t, c.AddIdentity(old))

	done := make(chan error, 1)
	go func() {
		_, err := c.Submit(context.Background(), "clerk", "Accept", []string{"R-1"}, nil, nil)
		done <- err
	}()
	<-fp.held // the first call is at its endorsement

	newCert, newKey := testUser(t, "clerk")
	renewed, err := NewIdentity("CoreMSP", "clerk", "supplier", newCert, newKey)
	require.NoError(t, err)
	require.NoError(t, c.AddIdentity(renewed))
	got, ok := c.Identity("clerk")
	require.True(t, ok)
	require.Equal(t, newCert, got.ID.Credentials())

	close(fp.release)
	require.NoError(t, <-done, "the call in flight commits")
	fp.held = nil
	_, err = c.Submit(context.Background(), "clerk", "Accept", []string{"R-2"}, nil, nil)
	require.NoError(t, err)

	require.Len(t, fp.endorsed, 2)
	require.Equal(t, oldCert, creatorOf(t, fp.endorsed[0]), "the call in flight: the identity it started with")
	require.Equal(t, newCert, creatorOf(t, fp.endorsed[1]), "the next call: the renewed identity")
	require.Len(t, fp.submitted, 2)
}

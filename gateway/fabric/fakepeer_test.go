package fabric

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/recv-ledger/recv/gateway/certtest"
	"github.com/recv-ledger/recv/gateway/fabric/proposaltest"
)

// fakePeer answers the Gateway service's unary calls in memory, so the real SDK client runs its
// whole flow (proposal, endorse, submit, commit status) in unit tests.
type fakePeer struct {
	mu          sync.Mutex
	endorseErr  error
	endorseErrN int // when > 0, endorseErr is returned this many times only
	evaluateErr error
	evaluations int
	result      []byte
	commitCodes []peer.TxValidationCode // one per CommitStatus call; VALID when exhausted
	lost        int                     // the first CommitStatus calls that hang until their context ends
	endorsed    []*gateway.EndorseRequest
	submitted   []*gateway.SubmitRequest
	statusReqs  []*gateway.SignedCommitStatusRequest
	// held, when not nil, receives each Endorse call as it arrives, which then waits for release
	// (a call in flight).
	held    chan struct{}
	release chan struct{}
}

func (f *fakePeer) Invoke(ctx context.Context, method string, args, reply any, _ ...grpc.CallOption) error {
	if method == "/gateway.Gateway/Endorse" && f.held != nil {
		f.held <- struct{}{}
		<-f.release
	}
	f.mu.Lock()
	if method == "/gateway.Gateway/CommitStatus" && f.lost > 0 {
		f.lost--
		f.statusReqs = append(f.statusReqs, args.(*gateway.SignedCommitStatusRequest))
		f.mu.Unlock()
		<-ctx.Done()
		return status.FromContextError(ctx.Err()).Err()
	}
	defer f.mu.Unlock()
	switch method {
	case "/gateway.Gateway/Evaluate":
		f.evaluations++
		if f.evaluateErr != nil {
			return f.evaluateErr
		}
		proto.Merge(reply.(proto.Message), &gateway.EvaluateResponse{Result: &peer.Response{Status: 200, Payload: f.result}})
	case "/gateway.Gateway/Endorse":
		req := args.(*gateway.EndorseRequest)
		f.endorsed = append(f.endorsed, req)
		if f.endorseErr != nil && (f.endorseErrN == 0 || len(f.endorsed) <= f.endorseErrN) {
			return f.endorseErr
		}
		proto.Merge(reply.(proto.Message), &gateway.EndorseResponse{PreparedTransaction: preparedEnvelope(req, f.result)})
	case "/gateway.Gateway/Submit":
		f.submitted = append(f.submitted, args.(*gateway.SubmitRequest))
		proto.Merge(reply.(proto.Message), &gateway.SubmitResponse{})
	case "/gateway.Gateway/CommitStatus":
		f.statusReqs = append(f.statusReqs, args.(*gateway.SignedCommitStatusRequest))
		code := peer.TxValidationCode_VALID
		if len(f.commitCodes) > 0 {
			code, f.commitCodes = f.commitCodes[0], f.commitCodes[1:]
		}
		proto.Merge(reply.(proto.Message), &gateway.CommitStatusResponse{Result: code, BlockNumber: 7})
	default:
		return status.Error(codes.Unimplemented, method)
	}
	return nil
}

func (f *fakePeer) NewStream(context.Context, *grpc.StreamDesc, string, ...grpc.CallOption) (grpc.ClientStream, error) {
	return nil, status.Error(codes.Unimplemented, "streams")
}

// preparedEnvelope builds the transaction envelope a peer's gateway returns after endorsement:
// the proposal's header and payload without transient data, and an endorsement.
func preparedEnvelope(req *gateway.EndorseRequest, result []byte) *common.Envelope {
	payload, err := proposaltest.Endorsed(req.GetProposedTransaction().GetProposalBytes(), result)
	if err != nil {
		panic(err)
	}
	return &common.Envelope{Payload: payload}
}

// testUser makes a P-256 key and a self-signed certificate for an identity of CoreMSP.
func testUser(t *testing.T, name string) (certPEM, keyPEM []byte) {
	t.Helper()
	u := certtest.New(t, name)
	return u.CertPEM, u.KeyPEM
}

func newTestClient(t *testing.T, peerFake *fakePeer, users ...string) *Client {
	t.Helper()
	c, err := New(peerFake, Options{Channel: "receivables", Chaincode: "receivables", MSPID: "CoreMSP", Backoff: time.Millisecond})
	require.NoError(t, err)
	for _, u := range users {
		cert, key := testUser(t, u)
		id, err := NewIdentity("CoreMSP", u, "issuer", cert, key)
		require.NoError(t, err)
		require.NoError(t, c.AddIdentity(id))
	}
	return c
}

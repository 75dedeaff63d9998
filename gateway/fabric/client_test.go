package fabric

import (
	"context"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/recv-ledger/recv/chaincode/wire"
)

func TestSubmit_RetriesMVCCConflictWithAFreshProposal(t *testing.T) {
	fp := &fakePeer{result: []byte(`{"id":"R-1"}`), commitCodes: []peer.TxValidationCode{peer.TxValidationCode_MVCC_READ_CONFLICT}}
	c := newTestClient(t, fp, "treasurer")

	res, err := c.Submit(context.Background(), "treasurer", "Accept", []string{"R-1"}, nil, nil)

	require.NoError(t, err)
	require.Equal(t, 2, res.Attempts)
	require.Equal(t, uint64(7), res.BlockNumber)
	require.Equal(t, `{"id":"R-1"}`, string(res.Payload))
	require.Len(t, fp.endorsed, 2)
	require.NotEqual(t, fp.endorsed[0].GetTransactionId(), fp.endorsed[1].GetTransactionId(), "a retry is a new transaction")
}

// A transaction whose key's endorsement policy a transaction earlier in its block changed is
// invalidated as ENDORSEMENT_POLICY_FAILURE before any MVCC check: a race like a read conflict,
// retried with a fresh proposal (planned for the new policy).
func TestSubmit_RetriesAPolicyChangedInTheSameBlock(t *testing.T) {
	fp := &fakePeer{result: []byte(`{"id":"R-1"}`), commitCodes: []peer.TxValidationCode{peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE}}
	c := newTestClient(t, fp, "treasurer")

	res, err := c.Submit(context.Background(), "treasurer", "Accept", []string{"R-1"}, nil, nil)

	require.NoError(t, err)
	require.Equal(t, 2, res.Attempts)
	require.Len(t, fp.endorsed, 2)
}

func TestSubmit_MVCCConflictAfterRetriesIsAConflict(t *testing.T) {
	codesSeq := []peer.TxValidationCode{}
	for i := 0; i < 6; i++ { // the first attempt and the 5 retries
		codesSeq = append(codesSeq, peer.TxValidationCode_MVCC_READ_CONFLICT)
	}
	fp := &fakePeer{commitCodes: codesSeq}
	c := newTestClient(t, fp, "treasurer")

	_, err := c.Submit(context.Background(), "treasurer", "Accept", []string{"R-1"}, nil, nil)

	fe := Classify(err, "submit")
	require.Equal(t, wire.KindConflict, fe.Kind)
	require.Equal(t, "commit", fe.Stage)
	require.Equal(t, "MVCC_READ_CONFLICT", fe.ValidationCode)
	require.NotEmpty(t, fe.TransactionID)
	require.Len(t, fp.endorsed, 6, "the first attempt and the 5 retries")
}

func TestSubmit_ChaincodeRefusalIsNotRetriedAndKeepsItsMessage(t *testing.T) {
	st, err := status.New(codes.Aborted, "failed to endorse transaction, see attached details for more info").
		WithDetails(&gateway.ErrorDetail{Address: "peer0.core:7051", MspId: "CoreMSP", Message: "chaincode response 500, invalid: parts must sum to the amount"})
	require.NoError(t, err)
	fp := &fakePeer{endorseErr: st.Err()}
	c := newTestClient(t, fp, "treasurer")

	_, err = c.Submit(context.Background(), "treasurer", "Split", []string{"R-1", `["1","2"]`}, nil, nil)

	fe := Classify(err, "submit")
	require.Equal(t, wire.KindInvalid, fe.Kind)
	require.Equal(t, "endorse", fe.Stage)
	require.Equal(t, "invalid: parts must sum to the amount", fe.Message)
	require.NotEmpty(t, fe.TransactionID)
	require.Len(t, fp.endorsed, 1)
	require.Empty(t, fp.submitted, "nothing reaches the orderer after a refusal")
}

func TestSubmit_NoCommitSendsTheSameTransactionAgain(t *testing.T) {
	fp := &fakePeer{result: []byte(`{"id":"R-1"}`), lost: 2}
	c := newTestClient(t, fp, "treasurer")
	c.opts.ResubmitAfter = 20 * time.Millisecond
	res, err := c.Submit(context.Background(), "treasurer", "Issue", []string{"{}"}, nil, nil)
	require.NoError(t, err)
	require.Len(t, fp.endorsed, 1, "one proposal")
	require.Len(t, fp.submitted, 3, "sent, then sent again after each lapsed wait")
	for _, s := range fp.submitted {
		require.Equal(t, fp.submitted[0].GetTransactionId(), s.GetTransactionId())
		require.True(t, proto.Equal(fp.submitted[0].GetPreparedTransaction(), s.GetPreparedTransaction()), "the same signed transaction")
	}
	require.Equal(t, fp.submitted[0].GetTransactionId(), res.TransactionID)
}

func TestSubmit_CommitWaitEndsAtTheCommitTimeout(t *testing.T) {
	fp := &fakePeer{result: []byte(`{"id":"R-1"}`), lost: 1 << 20}
	c := newTestClient(t, fp, "treasurer")
	c.opts.ResubmitAfter, c.opts.CommitTimeout = 20*time.Millisecond, 200*time.Millisecond
	_, err := c.Submit(context.Background(), "treasurer", "Issue", []string{"{}"}, nil, nil)
	var fe *Error
	require.ErrorAs(t, err, &fe)
	require.Equal(t, "commit_status", fe.Stage)
	require.NotEmpty(t, fe.TransactionID)
	require.Greater(t, len(fp.submitted), 2)
}

func TestSubmit_InvalidAtCommitIsACommitFailure(t *testing.T) {
	fp := &fakePeer{commitCodes: []peer.TxValidationCode{peer.TxValidationCode_INVALID_WRITESET}}
	c := newTestClient(t, fp, "treasurer")

	_, err := c.Submit(context.Background(), "treasurer", "Accept", []string{"R-1"}, nil, nil)

	fe := Classify(err, "submit")
	require.Equal(t, wire.KindCommit, fe.Kind)
	require.Equal(t, "INVALID_WRITESET", fe.ValidationCode)
	require.Len(t, fp.endorsed, 1)
}

func TestSubmit_UnknownIdentityIsForbidden(t *testing.T) {
	c := newTestClient(t, &fakePeer{}, "treasurer")
	_, err := c.Submit(context.Background(), "mallory", "Accept", []string{"R-1"}, nil, nil)
	require.Equal(t, wire.KindForbidden, Classify(err, "submit").Kind)
}

func TestEvaluate_ChaincodeNotFound(t *testing.T) {
	fp := &fakePeer{evaluateErr: status.Error(codes.Unknown, "evaluate call to endorser returned error: chaincode response 500, not_found: receivable R-9")}
	c := newTestClient(t, fp, "treasurer")

	_, err := c.Evaluate(context.Background(), "treasurer", "Get", "R-9")

	fe := Classify(err, "evaluate")
	require.Equal(t, wire.KindNotFound, fe.Kind)
	require.Equal(t, "not_found: receivable R-9", fe.Message)
}

func TestEvaluate_RefusalOfTheOwnPeerIsNotRetried(t *testing.T) {
	fp := &fakePeer{evaluateErr: status.Error(codes.Unknown, "evaluate call to endorser returned error: chaincode response 500, not_found: receivable R-9")}
	c := newTestClient(t, fp, "treasurer")

	start := time.Now()
	_, err := c.Evaluate(context.Background(), "treasurer", "Get", "R-9")

	require.Equal(t, wire.KindNotFound, Classify(err, "evaluate").Kind)
	require.Equal(t, 1, fp.evaluations)
	require.Less(t, time.Since(start), 100*time.Millisecond)
}

func statusErr(code uint32, msg string) error { return status.Error(codes.Code(code), msg) }

func TestSubmit_EndorsementsThatDifferAreRetried(t *testing.T) {
	st, err := status.New(codes.Aborted, "failed to collect enough transaction endorsements, see attached details for more info").
		WithDetails(&gateway.ErrorDetail{Address: "peer0.supplier:7051", MspId: "SupplierMSP", Message: "ProposalResponsePayloads do not match"})
	require.NoError(t, err)
	fp := &fakePeer{endorseErr: st.Err(), endorseErrN: 1}
	c := newTestClient(t, fp, "treasurer")

	res, err := c.Submit(context.Background(), "treasurer", "RedeemAll", []string{"R-1"}, nil, nil)

	require.NoError(t, err, "a peer one block behind (a tick of the time beacon) gives another result: a fresh proposal agrees")
	require.Equal(t, 2, res.Attempts)
}

func TestSubmit_RefusalFromAnotherOrgsPeerIsRetried(t *testing.T) {
	st, err := status.New(codes.Aborted, "failed to endorse transaction").
		WithDetails(&gateway.ErrorDetail{Address: "peer0.supplier:7051", MspId: "SupplierMSP", Message: "chaincode response 500, not_found: receivable R-1"})
	require.NoError(t, err)
	fp := &fakePeer{endorseErr: st.Err(), endorseErrN: 1}
	c := newTestClient(t, fp, "supplier-a")

	res, err := c.Submit(context.Background(), "supplier-a", "Accept", []string{"R-1"}, nil, nil)

	require.NoError(t, err)
	require.Equal(t, 2, res.Attempts)
}

func TestSubmit_ForbiddenFromAnotherOrgsPeerIsRetried(t *testing.T) {
	st, err := status.New(codes.Aborted, "failed to endorse transaction").
		WithDetails(&gateway.ErrorDetail{MspId: "Bank1MSP", Message: "chaincode response 500, forbidden: receivable R-1: Bank1MSP/officer is not a party to it"})
	require.NoError(t, err)
	fp := &fakePeer{endorseErr: st.Err(), endorseErrN: 1}
	c := newTestClient(t, fp, "supplier-a")

	res, err := c.Submit(context.Background(), "supplier-a", "ApproveFinancing", []string{"R-1", "450"}, nil, nil)

	require.NoError(t, err)
	require.Equal(t, 2, res.Attempts)
}

func TestSubmit_PersistentNotFoundEndsAfterTheStaleRetries(t *testing.T) {
	st, err := status.New(codes.Aborted, "failed to endorse transaction").
		WithDetails(&gateway.ErrorDetail{Address: "peer0.supplier:7051", MspId: "SupplierMSP", Message: "chaincode response 500, not_found: receivable R-1"})
	require.NoError(t, err)
	fp := &fakePeer{endorseErr: st.Err()}
	c := newTestClient(t, fp, "supplier-a")

	_, err = c.Submit(context.Background(), "supplier-a", "Accept", []string{"R-1"}, nil, nil)

	require.Equal(t, wire.KindNotFound, Classify(err, "submit").Kind)
	require.Len(t, fp.endorsed, 3, "one try and two stale retries")
	require.Empty(t, fp.submitted)
}

func TestSubmit_RefusalOfTheOwnOrgsPeerIsFinal(t *testing.T) {
	for _, kind := range []string{"not_found", "conflict", "forbidden"} {
		t.Run(kind, func(t *testing.T) {
			st, err := status.New(codes.Aborted, "failed to endorse transaction").
				WithDetails(&gateway.ErrorDetail{Address: "peer0.core:7051", MspId: "CoreMSP", Message: "chaincode response 500, " + kind + ": R-1"})
			require.NoError(t, err)
			fp := &fakePeer{endorseErr: st.Err(), endorseErrN: 1}
			c := newTestClient(t, fp, "treasurer")

			_, err = c.Submit(context.Background(), "treasurer", "Revoke", []string{"R-1"}, nil, nil)

			require.Equal(t, wire.Kind(kind), Classify(err, "submit").Kind)
			require.Len(t, fp.endorsed, 1, "the own peer is up to date with this gateway's writes")
		})
	}
}

func TestSubmit_RefusalOfAnUnnamedPeerIsFinal(t *testing.T) {
	st, err := status.New(codes.Aborted, "failed to endorse transaction: chaincode response 500, conflict: R-1 is PENDING").Err(), error(nil)
	require.NoError(t, err)
	fp := &fakePeer{endorseErr: st, endorseErrN: 1}
	c := newTestClient(t, fp, "treasurer")

	_, err = c.Submit(context.Background(), "treasurer", "Revoke", []string{"R-1"}, nil, nil)

	require.Equal(t, wire.KindConflict, Classify(err, "submit").Kind)
	require.Len(t, fp.endorsed, 1)
}

// A peer the endorsement needs that cannot be reached (this organisation's own peer restarting:
// the connection refused; no peer of an organisation the policy names) is waited for, up to
// PeerDownFor from the first such failure, with fresh proposals: nothing reached the orderer, so
// the write is applied once, late rather than failed. Past the window the caller is told at once,
// until an endorsement reaches its peers again.
func TestSubmit_APeerDownIsWaitedForUpToPeerDownFor(t *testing.T) {
	for _, code := range []codes.Code{codes.Unavailable, codes.FailedPrecondition} {
		fp := &fakePeer{endorseErr: statusErr(uint32(code), "connection refused"), endorseErrN: 8}
		c := newTestClient(t, fp, "treasurer")
		res, err := c.Submit(context.Background(), "treasurer", "RedeemAll", []string{"R-1"}, nil, nil)
		require.NoError(t, err, "%s: eight failed endorsements, then the peer is back", code)
		require.Equal(t, 9, res.Attempts)
	}

	fp := &fakePeer{endorseErr: statusErr(uint32(codes.Unavailable), "connection refused"), endorseErrN: 1 << 30}
	c, err := New(fp, Options{Channel: "receivables", Chaincode: "receivables", MSPID: "CoreMSP", Backoff: time.Millisecond, PeerDownFor: 300 * time.Millisecond})
	require.NoError(t, err)
	cert, key := testUser(t, "treasurer")
	id, err := NewIdentity("CoreMSP", "treasurer", "issuer", cert, key)
	require.NoError(t, err)
	require.NoError(t, c.AddIdentity(id))
	submit := func() (time.Duration, error) {
		start := time.Now()
		_, err := c.Submit(context.Background(), "treasurer", "RedeemAll", []string{"R-1"}, nil, nil)
		return time.Since(start), err
	}
	took, err := submit()
	var fe *Error
	require.ErrorAs(t, err, &fe)
	require.Equal(t, wire.KindUnavailable, fe.Kind)
	require.Greater(t, len(fp.endorsed), 3, "tried again within the window")
	require.Less(t, took, 5*time.Second, "the window ends the waiting")
	require.Empty(t, fp.submitted, "nothing reached the orderer")

	time.Sleep(150 * time.Millisecond) // past the window from the first failure, not from the last
	tried := len(fp.endorsed)
	_, err = submit()
	require.ErrorAs(t, err, &fe)
	require.Equal(t, tried+1, len(fp.endorsed), "the peer has been down longer than the window: answered at once")

	time.Sleep(350 * time.Millisecond) // no write for longer than the window: the next failure starts a new one
	tried = len(fp.endorsed)
	_, err = submit()
	require.ErrorAs(t, err, &fe)
	require.Greater(t, len(fp.endorsed), tried+3, "a stale window is not counted: waited again")

	fp.endorseErrN = len(fp.endorsed) // the peer is back
	_, err = submit()
	require.NoError(t, err)
	fp.endorseErrN = len(fp.endorsed) + 3 // down again: a new window
	_, err = submit()
	require.NoError(t, err, "three failures within a fresh window, then back")
}

// A caller that prefers an answer at once (WithPeerWait, the gateway's Prefer: wait=N) is told
// unavailable after its own bound, well inside the client's window; the window is still counted.
func TestSubmit_ACallersPeerWaitBoundsTheWait(t *testing.T) {
	fp := &fakePeer{endorseErr: statusErr(uint32(codes.Unavailable), "connection refused"), endorseErrN: 1 << 30}
	c := newTestClient(t, fp, "treasurer")
	start := time.Now()
	_, err := c.Submit(WithPeerWait(context.Background(), 0), "treasurer", "RedeemAll", []string{"R-1"}, nil, nil)
	var fe *Error
	require.ErrorAs(t, err, &fe)
	require.Equal(t, wire.KindUnavailable, fe.Kind)
	require.Len(t, fp.endorsed, 1, "wait=0: one endorsement, no retry")
	require.Less(t, time.Since(start), 5*time.Second)
	require.NotZero(t, c.downSince.Load(), "the failure opened the client's window")

	fp.endorseErrN = len(fp.endorsed) + 2 // two more failures, then back: within a 1 s bound
	res, err := c.Submit(WithPeerWait(context.Background(), time.Second), "treasurer", "RedeemAll", []string{"R-1"}, nil, nil)
	require.NoError(t, err)
	require.Equal(t, 3, res.Attempts)
}

// A chaincode definition committed while a peer endorsed (a member joined: a new sequence) fails
// that endorsement; nothing was sent, and a fresh proposal a moment later is endorsed.
func TestSubmit_ADefinitionChangedDuringTheEndorsementIsTriedAgain(t *testing.T) {
	st, err := status.New(codes.Aborted, "failed to collect enough transaction endorsements, see attached details for more info").
		WithDetails(&gateway.ErrorDetail{Address: "127.0.0.1:12051", MspId: "CoreMSP",
			Message: "make sure the chaincode receivables has been successfully defined on channel receivables and try again: chaincode cache at sequence 3 but current sequence is 2, chaincode definition for 'receivables' changed during invoke"})
	require.NoError(t, err)
	fp := &fakePeer{endorseErr: st.Err(), endorseErrN: 2}
	c := newTestClient(t, fp, "treasurer")
	res, err := c.Submit(context.Background(), "treasurer", "Accept", []string{"R-1"}, nil, nil)
	require.NoError(t, err)
	require.Equal(t, 3, res.Attempts)
	require.Len(t, fp.submitted, 1, "sent once, after the definitions agree")
}

// The own peer's gateway reports another organisation's peer that refuses connections as an
// aborted endorsement with the endorser's detail: waited for as well.
func TestSubmit_AnotherOrgsPeerDownIsWaitedFor(t *testing.T) {
	for _, detail := range []string{
		`rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing dial tcp 127.0.0.1:12051: connect: connection refused"`,
		// the peer restarted while it was endorsing: the connection it answered on was reset
		`rpc error: code = Unavailable desc = error reading from server: read tcp 127.0.0.1:59036->127.0.0.1:12051: read: connection reset by peer`,
	} {
		st, err := status.New(codes.Aborted, "failed to collect enough transaction endorsements, see attached details for more info").
			WithDetails(&gateway.ErrorDetail{Address: "127.0.0.1:12051", MspId: "CoreMSP", Message: detail})
		require.NoError(t, err)
		fp := &fakePeer{endorseErr: st.Err(), endorseErrN: 8}
		c := newTestClient(t, fp, "treasurer")
		res, err := c.Submit(context.Background(), "treasurer", "RedeemAll", []string{"R-1"}, nil, nil)
		require.NoError(t, err, detail)
		require.Equal(t, 9, res.Attempts)
	}
}

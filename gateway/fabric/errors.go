package fabric

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// Error is a failed Fabric call: its kind, the stage, the transaction id when there is one, and
// the message a person should read (the chaincode's own message for chaincode refusals).
type Error struct {
	Kind           wire.Kind
	Stage          string // evaluate, endorse, submit, commit, commit_status, events
	TransactionID  string
	ValidationCode string // for wire.KindCommit: the peer's validation code, e.g. MVCC_READ_CONFLICT
	Message        string
	Err            error
	// Unreached: the endorsement failed because a required organisation's peer did not answer
	// (Unreachable); fabricText is Fabric's own message for it.
	Unreached  bool
	fabricText string
}

func (e *Error) Error() string {
	if e.TransactionID != "" {
		return fmt.Sprintf("%s (%s, tx %s)", e.Message, e.Stage, e.TransactionID)
	}
	return fmt.Sprintf("%s (%s)", e.Message, e.Stage)
}

// Unwrap returns the SDK or gRPC error underneath.
func (e *Error) Unwrap() error { return e.Err }

// Classify turns an error from the SDK into an *Error. stage names the step that was running;
// typed SDK errors override it with their own stage.
func Classify(err error, stage string) *Error {
	if err == nil {
		return nil
	}
	var fe *Error
	if errors.As(err, &fe) {
		return fe
	}
	out := &Error{Kind: wire.KindInternal, Stage: stage, Message: err.Error(), Err: err}

	var endorseErr *client.EndorseError
	var submitErr *client.SubmitError
	var statusErr *client.CommitStatusError
	var commitErr *client.CommitError
	switch {
	case errors.As(err, &endorseErr):
		out.Stage, out.TransactionID, out.Kind = "endorse", endorseErr.TransactionID, wire.KindEndorse
	case errors.As(err, &submitErr):
		out.Stage, out.TransactionID, out.Kind = "submit", submitErr.TransactionID, wire.KindSubmit
	case errors.As(err, &statusErr):
		out.Stage, out.TransactionID, out.Kind = "commit_status", statusErr.TransactionID, wire.KindCommitStatus
	case errors.As(err, &commitErr):
		out.Stage, out.TransactionID, out.Kind = "commit", commitErr.TransactionID, wire.KindCommit
		out.ValidationCode = commitErr.Code.String()
		if isConflictCode(commitErr.Code) {
			out.Kind = wire.KindConflict
			out.Message = "the transaction conflicted with a concurrent one (" + out.ValidationCode + "); retry it"
		}
		return out
	}

	if errors.Is(err, context.DeadlineExceeded) {
		out.Kind, out.Message = wire.KindTimeout, "deadline exceeded waiting for the "+out.Stage+" step"
		return out
	}
	if errors.Is(err, context.Canceled) {
		out.Kind, out.Message = wire.KindTimeout, "request cancelled during the "+out.Stage+" step"
		return out
	}

	st, ok := status.FromError(err)
	if !ok {
		return out
	}
	out.Message = st.Message()
	if r, found := refusalOf(st); found {
		out.Kind, out.Message = r.Kind, r.Error()
		return out
	}
	switch st.Code() {
	case codes.DeadlineExceeded, codes.Canceled:
		out.Kind = wire.KindTimeout
	case codes.Unavailable:
		out.Kind = wire.KindUnavailable
	case codes.NotFound:
		// qscc and commit-status lookups of an unknown transaction id.
		out.Kind = wire.KindNotFound
	default:
		if out.Kind == wire.KindInternal && stage == "evaluate" {
			out.Kind = wire.KindEndorse
		}
	}
	if details := detailMessages(st); details != "" {
		out.Message += ": " + details
	}
	return out
}

// refusalOf finds the chaincode's refusal in the status message or, for endorsements, in the
// endorsers' error details.
func refusalOf(st *status.Status) (*wire.Error, bool) {
	if e, found := wire.ParseRefusal(st.Message()); found {
		return e, true
	}
	for _, d := range st.Details() {
		if ed, ok := d.(*gateway.ErrorDetail); ok {
			if e, found := wire.ParseRefusal(ed.GetMessage()); found {
				return e, true
			}
		}
	}
	return nil, false
}

// refusingOrgs lists the MSP IDs of the endorsers whose details carry a chaincode refusal; an
// endorser without an MSP ID is listed as "".
func refusingOrgs(err error) []string {
	st, ok := status.FromError(err)
	if !ok {
		return nil
	}
	var out []string
	for _, d := range st.Details() {
		if ed, ok := d.(*gateway.ErrorDetail); ok {
			if _, found := wire.ParseRefusal(ed.GetMessage()); found {
				out = append(out, ed.GetMspId())
			}
		}
	}
	if len(out) == 0 {
		if _, found := wire.ParseRefusal(st.Message()); found {
			out = append(out, "")
		}
	}
	return out
}

func detailMessages(st *status.Status) string {
	var out string
	for _, d := range st.Details() {
		if ed, ok := d.(*gateway.ErrorDetail); ok {
			if out != "" {
				out += "; "
			}
			out += fmt.Sprintf("%s (%s): %s", ed.GetAddress(), ed.GetMspId(), ed.GetMessage())
		}
	}
	return out
}

// isConflictCode: the transaction lost to a concurrent one. Besides the read conflicts this is
// ENDORSEMENT_POLICY_FAILURE: a transaction earlier in the same block changed the endorsement
// policy of a key this one writes (a receivable whose parties changed: Fabric invalidates the
// later one so, before any MVCC check), and a fresh proposal is planned for the new policy. A
// gateway never submits an endorsement its own plan did not satisfy, so for its transactions the
// code means a race; a retry that still fails reports it.
func isConflictCode(code peer.TxValidationCode) bool {
	switch code {
	case peer.TxValidationCode_MVCC_READ_CONFLICT, peer.TxValidationCode_PHANTOM_READ_CONFLICT,
		peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE:
		return true
	}
	return false
}

// retryable reports whether a failed attempt may be repeated with a fresh proposal, up to
// Options.Retries times: an MVCC conflict at commit, endorsing peers whose results differ (one a
// block behind another), or a peer whose chaincode definition changed while it endorsed (a new
// sequence committed during the call, as when a member joins). Nothing was committed in any case.
// A peer that could not be reached is peerDown, retried for a time instead.
func retryable(e *Error) bool {
	if e.Kind == wire.KindConflict && e.Stage == "commit" {
		return true
	}
	var endorseErr *client.EndorseError
	if e.Stage != "endorse" || !errors.As(e.Err, &endorseErr) {
		return false
	}
	if statusSays(endorseErr, definitionChanged) {
		return true
	}
	return e.Kind == wire.KindEndorse && endorsementsDiffer(endorseErr)
}

// definitionChanged is a peer's words when the chaincode's definition changed during an
// endorsement ("chaincode definition for 'receivables' changed during invoke").
const definitionChanged = "changed during invoke"

// peerDown: the endorsement could not reach a peer it needs: this organisation's own peer
// (Unavailable: the connection is refused while it restarts), every peer of an organisation the
// policy names (FailedPrecondition: no peers available), or a peer the own peer asked for its
// endorsement (Aborted, the endorser's detail a refused, reset or closing connection). Nothing was
// sent to the orderer.
func peerDown(e *Error) bool {
	var endorseErr *client.EndorseError
	if e.Stage != "endorse" || (e.Kind != wire.KindEndorse && e.Kind != wire.KindUnavailable) || !errors.As(e.Err, &endorseErr) {
		return false
	}
	if code := status.Code(endorseErr); code == codes.Unavailable || code == codes.FailedPrecondition {
		return true
	}
	if endorsementsDiffer(endorseErr) {
		return false
	}
	for _, m := range peerDownMarks {
		if strings.Contains(e.Message, m) {
			return true
		}
	}
	return false
}

// peerDownMarks are the words of an endorser's detail when it could not be reached, or went away
// during the endorsement (a peer restarting resets the connection it was answering on).
var peerDownMarks = []string{
	"Error while dialing",
	"connection refused",
	"connection reset by peer",
	"error reading from server",
	"transport is closing",
	"client connection is closing",
	"no peers available",
	"no combination of peers can be derived",
	"failed to distribute private collection",
}

// endorsementsDiffer: the peers' results differed ("ProposalResponsePayloads do not match"), as
// when one peer had committed a block that another had not yet, e.g. a tick of the time beacon
// that every write reads (docs/security.md, "No back-dating"). A fresh proposal a moment later
// agrees.
func endorsementsDiffer(err error) bool {
	return statusSays(err, "ProposalResponsePayloads do not match")
}

// statusSays reports whether a gRPC status error's message or one of its endorsers' details
// contains text.
func statusSays(err error, text string) bool {
	st, ok := status.FromError(err)
	if !ok {
		return false
	}
	if strings.Contains(st.Message(), text) {
		return true
	}
	for _, d := range st.Details() {
		if ed, ok := d.(*gateway.ErrorDetail); ok && strings.Contains(ed.GetMessage(), text) {
			return true
		}
	}
	return false
}

// unreachableMarks are Fabric's words for an endorsement that could not be gathered because the
// organisations the write's policies name could not all be reached: discovery found no peers for
// a required organisation, the peers asked did not answer, or a collection's policy needs an
// organisation whose peer is down.
var unreachableMarks = []string{
	"no combination of peers can be derived which satisfy the endorsement policy",
	"failed to collect enough transaction endorsements",
	"not in the distribution policy",
	"no peers available",
	"failed to distribute private collection", // a decision's terms: no other member peer of the collection answers
	"Error while dialing",                     // the gateway's own peer does not answer
}

// Unreachable turns an endorsement that failed because a required organisation's peer could not
// be reached into the project's own words (kind unavailable, Unreached: retry when it is back),
// keeping Fabric's text after them; any other error is returned as it is.
func Unreachable(e *Error) *Error {
	if e == nil || e.Unreached || e.Stage != "endorse" || (e.Kind != wire.KindEndorse && e.Kind != wire.KindUnavailable) {
		return e
	}
	found := false
	for _, m := range unreachableMarks {
		if strings.Contains(e.Message, m) {
			found = true
			break
		}
	}
	if !found {
		return e
	}
	out := *e
	out.Kind, out.Unreached, out.fabricText = wire.KindUnavailable, true, e.Message
	out.NameParties(nil)
	return &out
}

// NameParties words an Unreached error with the organisations whose endorsement the write needs
// (nil: not known here).
func (e *Error) NameParties(parties []string) {
	if !e.Unreached {
		return
	}
	who := "its parties"
	if len(parties) > 0 {
		who = strings.Join(parties, ", ")
	}
	e.Message = "unavailable: a peer of one of the organisations whose endorsement this write needs (" + who +
		") does not answer, so the write cannot be endorsed; nothing was sent: retry when it is back (" + e.fabricText + ")"
}

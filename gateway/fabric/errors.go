package fabric

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Kind says what went wrong, in terms a caller can act on. The HTTP layer and the CLI map kinds
// to status codes and exit codes, each in one table.
type Kind string

// The kinds of failure. The first four come from the chaincode's message prefix; the others from
// the stage of the Fabric flow that failed.
const (
	KindInvalid      Kind = "invalid"       // chaincode refused the arguments
	KindNotFound     Kind = "not_found"     // chaincode or ledger has no such object
	KindForbidden    Kind = "forbidden"     // chaincode refused the caller
	KindConflict     Kind = "conflict"      // chaincode state conflict, or MVCC conflict after retries
	KindEndorse      Kind = "endorse"       // endorsement failed for another reason
	KindSubmit       Kind = "submit"        // the orderer did not accept the transaction
	KindCommit       Kind = "commit"        // the transaction committed as invalid
	KindCommitStatus Kind = "commit_status" // the commit status could not be obtained
	KindTimeout      Kind = "timeout"       // a deadline passed; the transaction may still commit
	KindUnavailable  Kind = "unavailable"   // the peer cannot be reached
	KindInternal     Kind = "internal"      // anything else
)

// Error is a failed Fabric call: its kind, the stage, the transaction id when there is one, and
// the message a person should read (the chaincode's own message for chaincode refusals).
type Error struct {
	Kind           Kind
	Stage          string // evaluate, endorse, submit, commit, commit_status, events
	TransactionID  string
	ValidationCode string // for KindCommit: the peer's validation code, e.g. MVCC_READ_CONFLICT
	Message        string
	Err            error
}

func (e *Error) Error() string {
	if e.TransactionID != "" {
		return fmt.Sprintf("%s (%s, tx %s)", e.Message, e.Stage, e.TransactionID)
	}
	return fmt.Sprintf("%s (%s)", e.Message, e.Stage)
}

// Unwrap returns the SDK or gRPC error underneath.
func (e *Error) Unwrap() error { return e.Err }

// chaincodeMessage finds the chaincode's "kind: message" inside a peer's wrapped error text, e.g.
// "chaincode response 500, invalid: amount must be positive".
var chaincodeMessage = regexp.MustCompile(`(invalid|not found|forbidden|conflict): (.*)$`)

var chaincodeKinds = map[string]Kind{
	"invalid":   KindInvalid,
	"not found": KindNotFound,
	"forbidden": KindForbidden,
	"conflict":  KindConflict,
}

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
	out := &Error{Kind: KindInternal, Stage: stage, Message: err.Error(), Err: err}

	var endorseErr *client.EndorseError
	var submitErr *client.SubmitError
	var statusErr *client.CommitStatusError
	var commitErr *client.CommitError
	switch {
	case errors.As(err, &endorseErr):
		out.Stage, out.TransactionID, out.Kind = "endorse", endorseErr.TransactionID, KindEndorse
	case errors.As(err, &submitErr):
		out.Stage, out.TransactionID, out.Kind = "submit", submitErr.TransactionID, KindSubmit
	case errors.As(err, &statusErr):
		out.Stage, out.TransactionID, out.Kind = "commit_status", statusErr.TransactionID, KindCommitStatus
	case errors.As(err, &commitErr):
		out.Stage, out.TransactionID, out.Kind = "commit", commitErr.TransactionID, KindCommit
		out.ValidationCode = commitErr.Code.String()
		if isConflictCode(commitErr.Code) {
			out.Kind = KindConflict
			out.Message = "the transaction conflicted with a concurrent one (" + out.ValidationCode + "); retry it"
		}
		return out
	}

	if errors.Is(err, context.DeadlineExceeded) {
		out.Kind, out.Message = KindTimeout, "deadline exceeded waiting for the "+out.Stage+" step"
		return out
	}
	if errors.Is(err, context.Canceled) {
		out.Kind, out.Message = KindTimeout, "request cancelled during the "+out.Stage+" step"
		return out
	}

	st, ok := status.FromError(err)
	if !ok {
		return out
	}
	out.Message = st.Message()
	if kind, msg, found := chaincodeRefusal(st); found {
		out.Kind, out.Message = kind, msg
		return out
	}
	switch st.Code() {
	case codes.DeadlineExceeded, codes.Canceled:
		out.Kind = KindTimeout
	case codes.Unavailable:
		out.Kind = KindUnavailable
	case codes.NotFound:
		// qscc and commit-status lookups of an unknown transaction id.
		out.Kind = KindNotFound
	default:
		if out.Kind == KindInternal && stage == "evaluate" {
			out.Kind = KindEndorse
		}
	}
	if details := detailMessages(st); details != "" {
		out.Message += ": " + details
	}
	return out
}

// chaincodeRefusal looks for the chaincode's kind prefix in the status message and its details.
func chaincodeRefusal(st *status.Status) (Kind, string, bool) {
	texts := []string{st.Message()}
	for _, d := range st.Details() {
		if ed, ok := d.(*gateway.ErrorDetail); ok {
			texts = append(texts, ed.GetMessage())
		}
	}
	for _, t := range texts {
		if m := chaincodeMessage.FindStringSubmatch(t); m != nil {
			return chaincodeKinds[m[1]], m[1] + ": " + m[2], true
		}
	}
	return "", "", false
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

func isConflictCode(code peer.TxValidationCode) bool {
	return code == peer.TxValidationCode_MVCC_READ_CONFLICT || code == peer.TxValidationCode_PHANTOM_READ_CONFLICT
}

// retryable reports whether a failed attempt may be repeated with a fresh proposal: an MVCC
// conflict at commit, or a peer that is briefly unable to form an endorsement plan (gossip
// membership settling after a restart). Nothing was committed in either case.
func retryable(e *Error) bool {
	if e.Kind == KindConflict && e.Stage == "commit" {
		return true
	}
	if e.Stage != "endorse" || e.Kind != KindEndorse {
		return false
	}
	var endorseErr *client.EndorseError
	if !errors.As(e.Err, &endorseErr) {
		return false
	}
	code := status.Code(endorseErr)
	return code == codes.Unavailable || code == codes.FailedPrecondition
}

package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/fabric"
)

// Failure is a failure the HTTP layer finds itself, before or around the ledger: a body that is not
// JSON, too large or unreadable, a route or method it does not serve, an authentication refused, an
// Idempotency-Key misused or its store failing, user administration switched off, a caller who may
// not do what it asks. Kind is one of the wire contract's table (wire.Kinds), which writeError maps
// to the status; Stage names the step ("request", "auth", "identity", "admin", an offline flow's
// "endorse" or "submit"); Message is what the caller reads. The ledger's failures stay
// fabric.Error; writeError answers both.
type Failure struct {
	Kind    wire.Kind
	Stage   string
	Message string
	// TransactionID is the transaction the failure is about (an offline flow's); ValidationCode a
	// commit's, when a ledger failure is answered (kindOf).
	TransactionID  string
	ValidationCode string
	Err            error // the cause, logged, never shown
}

func (p *Failure) Error() string {
	if p.TransactionID != "" {
		return fmt.Sprintf("%s (%s, tx %s)", p.Message, p.Stage, p.TransactionID)
	}
	return fmt.Sprintf("%s (%s)", p.Message, p.Stage)
}

// Unwrap returns the cause.
func (p *Failure) Unwrap() error { return p.Err }

// kindOf classifies any error of a request as the problem the caller reads: the HTTP layer's own
// keeps its kind and stage, a Fabric error too, a wire error (a request the operation table
// refused) is of the request stage, anything else is classified from the SDK's error.
func kindOf(err error) *Failure {
	var p *Failure
	if errors.As(err, &p) {
		if _, ok := wire.Kinds[p.Kind]; ok {
			return p
		}
	}
	var fe *fabric.Error
	if errors.As(err, &fe) {
		if _, ok := wire.Kinds[fe.Kind]; ok {
			return ledgerFailure(fe)
		}
	}
	var we *wire.Error
	if errors.As(err, &we) {
		return &Failure{Kind: we.Kind, Stage: "request", Message: we.Error(), Err: err}
	}
	return ledgerFailure(fabric.Classify(err, "gateway"))
}

// ledgerFailure is a failure of the ledger as the caller reads it.
func ledgerFailure(fe *fabric.Error) *Failure {
	return &Failure{Kind: fe.Kind, Stage: fe.Stage, Message: fe.Message, TransactionID: fe.TransactionID, ValidationCode: fe.ValidationCode, Err: fe}
}

// badRequest is an invalid request found by the HTTP layer (bad JSON, missing field).
func badRequest(msg string) error {
	return &wire.Error{Kind: wire.KindInvalid, Message: msg}
}

// writeError answers with the problem body of err's kind: the one place where the gateway decides
// what a caller sees.
//
// A write sent to the ordering service whose outcome is not known (fabric.Pending) is no error:
// it may still commit, so the answer is 202 with its transaction id, never a failure.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	if fe, ok := fabric.Pending(err); ok {
		s.writePending(w, r, fe)
		return
	}
	f := kindOf(err)
	p := wire.NewProblem(f.Kind, f.Message)
	p.Instance, p.Stage, p.TransactionID, p.ValidationCode = r.URL.Path, f.Stage, f.TransactionID, f.ValidationCode
	s.metrics.countFailure(err, f)
	if p.Status >= 500 {
		s.log.Warn("request failed", "path", r.URL.Path, "kind", f.Kind, "stage", f.Stage, "txId", f.TransactionID, "err", err)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	if p.Status == http.StatusServiceUnavailable {
		// A peer or orderer the gateway needs is not answering (starting, catching up): ask again.
		w.Header().Set("Retry-After", "2")
	}
	if p.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="recv"`)
	}
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writePending answers 202 for a transaction sent whose commit was not seen: where to follow it
// (Location, its status) and when to ask again.
func (s *Server) writePending(w http.ResponseWriter, r *http.Request, fe *fabric.Error) {
	s.metrics.fabricErrors.WithLabelValues("pending").Inc()
	s.log.Warn("outcome pending", "path", r.URL.Path, "stage", fe.Stage, "txId", fe.TransactionID, "err", fe)
	msg := "submitted as transaction " + fe.TransactionID + "; its outcome is not known yet (" + fe.Message +
		"): it may still commit. Ask again with the same Idempotency-Key to get its outcome, or follow GET /v1/transactions/" + fe.TransactionID
	w.Header().Set("Location", "/v1/transactions/"+fe.TransactionID)
	w.Header().Set("Retry-After", "2")
	writeJSON(w, http.StatusAccepted, wire.SubmitResponse{TransactionID: fe.TransactionID, Pending: true, Result: json.RawMessage("null"), Message: msg})
}

package api

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/fabric"
)

// kindOf classifies any error of a request: a Fabric error keeps its kind and stage, a wire error
// (a request the HTTP layer or the operation table refused) is of the request stage, anything
// else is classified from the SDK's error.
func kindOf(err error) *fabric.Error {
	var fe *fabric.Error
	if errors.As(err, &fe) {
		if _, ok := wire.Kinds[fe.Kind]; ok {
			return fe
		}
	}
	var we *wire.Error
	if errors.As(err, &we) {
		return &fabric.Error{Kind: we.Kind, Stage: "request", Message: we.Error(), Err: err}
	}
	return fabric.Classify(err, "gateway")
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
	fe := kindOf(err)
	p := wire.NewProblem(fe.Kind, fe.Message)
	p.Instance, p.Stage, p.TransactionID, p.ValidationCode = r.URL.Path, fe.Stage, fe.TransactionID, fe.ValidationCode
	if fe.Stage != "request" && fe.Kind != wire.KindUnauthenticated && fe.Kind != wire.KindRateLimited {
		s.metrics.fabricErrors.WithLabelValues(string(fe.Kind)).Inc()
	}
	if p.Status >= 500 {
		s.log.Warn("request failed", "path", r.URL.Path, "kind", fe.Kind, "stage", fe.Stage, "txId", fe.TransactionID, "err", err)
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

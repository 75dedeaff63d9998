package api

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/recv-ledger/recv/gateway/fabric"
)

// problem is an RFC 7807 problem body, extended with the Fabric stage and transaction id.
type problem struct {
	Type           string `json:"type"`
	Title          string `json:"title"`
	Status         int    `json:"status"`
	Detail         string `json:"detail"`
	Instance       string `json:"instance,omitempty"`
	Kind           string `json:"kind"`
	Stage          string `json:"stage,omitempty"`
	TransactionID  string `json:"txId,omitempty"`
	ValidationCode string `json:"validationCode,omitempty"`
}

// errorTable maps every kind of failure to its HTTP status and title: the one place where the
// gateway decides what a caller sees.
var errorTable = map[fabric.Kind]struct {
	status int
	title  string
}{
	fabric.KindInvalid:      {http.StatusBadRequest, "Invalid request"},
	fabric.KindNotFound:     {http.StatusNotFound, "Not found"},
	fabric.KindForbidden:    {http.StatusForbidden, "Forbidden"},
	fabric.KindConflict:     {http.StatusConflict, "Conflict"},
	fabric.KindEndorse:      {http.StatusBadGateway, "Endorsement failed"},
	fabric.KindSubmit:       {http.StatusBadGateway, "Ordering failed"},
	fabric.KindCommit:       {http.StatusBadGateway, "Transaction invalidated at commit"},
	fabric.KindCommitStatus: {http.StatusGatewayTimeout, "Commit status unknown"},
	fabric.KindTimeout:      {http.StatusGatewayTimeout, "Timed out"},
	fabric.KindUnavailable:  {http.StatusServiceUnavailable, "Peer unavailable"},
	fabric.KindInternal:     {http.StatusInternalServerError, "Internal error"},
	kindUnauthenticated:     {http.StatusUnauthorized, "Unauthenticated"},
	kindTooLarge:            {http.StatusRequestEntityTooLarge, "Request too large"},
}

// Kinds that arise in the HTTP layer itself.
const (
	kindUnauthenticated fabric.Kind = "unauthenticated"
	kindTooLarge        fabric.Kind = "too_large"
)

// StatusOf returns the HTTP status for an error, using the error table.
func StatusOf(err error) int {
	return errorTable[kindOf(err).Kind].status
}

func kindOf(err error) *fabric.Error {
	var fe *fabric.Error
	if errors.As(err, &fe) {
		if _, ok := errorTable[fe.Kind]; ok {
			return fe
		}
	}
	return fabric.Classify(err, "gateway")
}

// badRequest is an invalid: error raised by the HTTP layer (bad JSON, missing field).
func badRequest(msg string) error {
	return &fabric.Error{Kind: fabric.KindInvalid, Stage: "request", Message: "invalid: " + msg}
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	fe := kindOf(err)
	row := errorTable[fe.Kind]
	if fe.Stage != "request" && fe.Kind != kindUnauthenticated {
		s.metrics.fabricErrors.WithLabelValues(string(fe.Kind)).Inc()
	}
	if row.status >= 500 {
		s.log.Warn("request failed", "path", r.URL.Path, "kind", fe.Kind, "stage", fe.Stage, "txId", fe.TransactionID, "err", err)
	}
	p := problem{
		Type:           "urn:recv:problem:" + string(fe.Kind),
		Title:          row.title,
		Status:         row.status,
		Detail:         fe.Message,
		Instance:       r.URL.Path,
		Kind:           string(fe.Kind),
		Stage:          fe.Stage,
		TransactionID:  fe.TransactionID,
		ValidationCode: fe.ValidationCode,
	}
	w.Header().Set("Content-Type", "application/problem+json")
	if row.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="recv"`)
	}
	w.WriteHeader(row.status)
	_ = json.NewEncoder(w).Encode(p)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

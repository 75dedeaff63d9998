package wire

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Kind classifies a failure so that every boundary maps it in one table: the chaincode writes it,
// the gateway turns it into an HTTP status, the CLI into an exit code.
type Kind string

// Refusals: the chaincode's answers to a request it will not carry out.
const (
	KindInvalid   Kind = "invalid"   // the arguments are wrong
	KindNotFound  Kind = "not_found" // no such object
	KindForbidden Kind = "forbidden" // the caller may not do this
	KindConflict  Kind = "conflict"  // the current state does not allow it
)

// Failures of the path between a client and the ledger.
const (
	KindUnauthenticated Kind = "unauthenticated"        // no or a bad credential at the gateway
	KindRateLimited     Kind = "rate_limited"           // too many failed authentications from the caller's address
	KindTooLarge        Kind = "too_large"              // a request body over the gateway's limit
	KindUnsupportedType Kind = "unsupported_media_type" // a request body that is not application/json
	KindNoRoute         Kind = "no_route"               // no such route
	KindNoMethod        Kind = "method_not_allowed"     // the route exists, not with this method
	KindEndorse         Kind = "endorse"                // endorsement failed for another reason than a refusal
	KindSubmit          Kind = "submit"                 // the orderer did not accept the transaction
	KindCommit          Kind = "commit"                 // the transaction committed as invalid
	KindCommitStatus    Kind = "commit_status"          // the commit status could not be obtained
	KindTimeout         Kind = "timeout"                // a deadline passed; the transaction may still commit
	KindUnavailable     Kind = "unavailable"            // a peer or the gateway cannot be reached
	KindInternal        Kind = "internal"               // anything else
)

// KindInfo is how one kind shows at each boundary.
type KindInfo struct {
	HTTPStatus int    // the gateway's answer
	Title      string // the problem body's title
	Exit       int    // the recv CLI's exit code
}

// Exit codes of the recv CLI, fixed for scripts.
const (
	ExitOK        = 0
	ExitFailure   = 1
	ExitInvalid   = 2
	ExitNotFound  = 3
	ExitForbidden = 4
	ExitConflict  = 5
)

// Kinds is the one table from kind to HTTP status, title and exit code.
var Kinds = map[Kind]KindInfo{
	KindInvalid:         {http.StatusBadRequest, "Invalid request", ExitInvalid},
	KindNotFound:        {http.StatusNotFound, "Not found", ExitNotFound},
	KindForbidden:       {http.StatusForbidden, "Forbidden", ExitForbidden},
	KindConflict:        {http.StatusConflict, "Conflict", ExitConflict},
	KindUnauthenticated: {http.StatusUnauthorized, "Unauthenticated", ExitForbidden},
	KindRateLimited:     {http.StatusTooManyRequests, "Too many failed authentications", ExitFailure},
	KindTooLarge:        {http.StatusRequestEntityTooLarge, "Request too large", ExitInvalid},
	KindUnsupportedType: {http.StatusUnsupportedMediaType, "Unsupported media type", ExitInvalid},
	KindNoRoute:         {http.StatusNotFound, "No such route", ExitInvalid},
	KindNoMethod:        {http.StatusMethodNotAllowed, "Method not allowed", ExitInvalid},
	KindEndorse:         {http.StatusBadGateway, "Endorsement failed", ExitFailure},
	KindSubmit:          {http.StatusBadGateway, "Ordering failed", ExitFailure},
	KindCommit:          {http.StatusBadGateway, "Transaction invalidated at commit", ExitFailure},
	KindCommitStatus:    {http.StatusGatewayTimeout, "Commit status unknown", ExitFailure},
	KindTimeout:         {http.StatusGatewayTimeout, "Timed out", ExitFailure},
	KindUnavailable:     {http.StatusServiceUnavailable, "Unavailable", ExitFailure},
	KindInternal:        {http.StatusInternalServerError, "Internal error", ExitFailure},
}

// Info returns the row of k, or the row of KindInternal for an unknown kind.
func (k Kind) Info() KindInfo {
	if info, ok := Kinds[k]; ok {
		return info
	}
	return Kinds[KindInternal]
}

// refusals are the kinds the chaincode writes, in the order ParseRefusal tries them.
var refusals = []Kind{KindInvalid, KindNotFound, KindForbidden, KindConflict}

// Error is a failure with a kind and a message naming what was wrong, in the caller's terms.
type Error struct {
	Kind    Kind
	Message string
}

// Error returns "<kind>: <message>", the form the chaincode returns to the peer.
func (e *Error) Error() string { return string(e.Kind) + ": " + e.Message }

// Is reports whether target is a kind sentinel (an *Error without message) of e's kind, so that
// errors.Is(err, wire.ErrConflict) works.
func (e *Error) Is(target error) bool {
	var t *Error
	return errors.As(target, &t) && t.Kind == e.Kind && t.Message == ""
}

// Sentinels for errors.Is checks by kind.
var (
	ErrInvalid   = &Error{Kind: KindInvalid}
	ErrNotFound  = &Error{Kind: KindNotFound}
	ErrForbidden = &Error{Kind: KindForbidden}
	ErrConflict  = &Error{Kind: KindConflict}
)

// Errorf returns an *Error of kind with a formatted message.
func Errorf(kind Kind, format string, args ...any) error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// KindOf returns the kind of err, or "" when err carries none.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return ""
}

// ParseRefusal finds a chaincode refusal in the text of a peer's error, which wraps the
// chaincode's "<kind>: <message>" (e.g. "chaincode response 500, conflict: R-1 is PENDING").
// This is the only place where a refusal is read back from text.
func ParseRefusal(text string) (*Error, bool) {
	best, bestAt := Kind(""), -1
	for _, k := range refusals {
		prefix := string(k) + ": "
		for from := 0; ; {
			i := strings.Index(text[from:], prefix)
			if i < 0 {
				break
			}
			at := from + i
			// A refusal starts the text or follows a separator, never inside a word.
			if (at == 0 || strings.ContainsRune(" ,:(", rune(text[at-1]))) && (bestAt < 0 || at < bestAt) {
				best, bestAt = k, at
				break
			}
			from = at + 1
		}
	}
	if bestAt < 0 {
		return nil, false
	}
	msg := strings.TrimSpace(text[bestAt+len(best)+2:])
	return &Error{Kind: best, Message: msg}, true
}

// Problem is the gateway's error body (RFC 7807 application/problem+json), extended with the
// kind, the Fabric stage and the transaction id. Clients read the kind from it, never from the
// HTTP status.
type Problem struct {
	Type           string `json:"type"`
	Title          string `json:"title"`
	Status         int    `json:"status"`
	Detail         string `json:"detail"`
	Instance       string `json:"instance,omitempty"`
	Kind           Kind   `json:"kind"`
	Stage          string `json:"stage,omitempty"`
	TransactionID  string `json:"txId,omitempty"`
	ValidationCode string `json:"validationCode,omitempty"`
}

// NewProblem returns the body for a failure of kind with detail, filled from the kind table.
func NewProblem(kind Kind, detail string) Problem {
	info := kind.Info()
	return Problem{Type: "urn:recv:problem:" + string(kind), Title: info.Title, Status: info.HTTPStatus, Detail: detail, Kind: kind}
}

// Error makes a received Problem an error: its detail, the transaction when there is one.
func (p *Problem) Error() string {
	msg := p.Detail
	if msg == "" {
		msg = p.Title
	}
	if p.TransactionID != "" {
		msg += fmt.Sprintf(" [stage %s, tx %s]", p.Stage, p.TransactionID)
	}
	return fmt.Sprintf("%s (HTTP %d)", msg, p.Status)
}

// Is lets errors.Is(problem, wire.ErrConflict) test a received problem's kind.
func (p *Problem) Is(target error) bool {
	var t *Error
	return errors.As(target, &t) && t.Kind == p.Kind && t.Message == ""
}

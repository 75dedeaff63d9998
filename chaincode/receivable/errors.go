// Package receivable holds the domain model of a digital receivable (数字债权凭证) and the rules of
// its lifecycle: issue, accept, reject, revoke, split, transfer, financing and redemption. It is
// plain Go: the contract package adapts the Fabric chaincode API to it.
package receivable

import (
	"errors"
	"fmt"
)

// Kind classifies a refusal so that the boundary (chaincode, gateway, CLI) can map it in one table.
type Kind string

// The four kinds of refusal. Every error message the chaincode returns starts with one of them.
const (
	KindInvalid   Kind = "invalid"
	KindNotFound  Kind = "not found"
	KindForbidden Kind = "forbidden"
	KindConflict  Kind = "conflict"
)

// Error is a refusal with a kind and a message naming what was wrong.
type Error struct {
	Kind Kind
	Msg  string
}

// Error returns "<kind>: <message>", the stable wire form.
func (e *Error) Error() string { return string(e.Kind) + ": " + e.Msg }

// Is reports whether target is an *Error of the same kind, so errors.Is(err, ErrConflict) works.
func (e *Error) Is(target error) bool {
	var t *Error
	return errors.As(target, &t) && t.Kind == e.Kind && t.Msg == ""
}

// Sentinels for errors.Is checks by kind.
var (
	ErrInvalid   = &Error{Kind: KindInvalid}
	ErrNotFound  = &Error{Kind: KindNotFound}
	ErrForbidden = &Error{Kind: KindForbidden}
	ErrConflict  = &Error{Kind: KindConflict}
)

func newError(kind Kind, format string, args ...any) error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// Invalidf returns an invalid-input refusal.
func Invalidf(format string, args ...any) error { return newError(KindInvalid, format, args...) }

// NotFoundf returns a not-found refusal.
func NotFoundf(format string, args ...any) error { return newError(KindNotFound, format, args...) }

// Forbiddenf returns a refusal of the caller's right to act.
func Forbiddenf(format string, args ...any) error { return newError(KindForbidden, format, args...) }

// Conflictf returns a refusal caused by the current state (status, duplicates).
func Conflictf(format string, args ...any) error { return newError(KindConflict, format, args...) }

// KindOf returns the kind of err, or "" when err is not a domain error.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return ""
}

// within prefixes a domain error's message with the field it is about, keeping its kind first:
// "invalid: invoices[0].amount: amount "abc" is not a decimal number".
func within(field string, err error) error {
	var e *Error
	if !errors.As(err, &e) {
		return fmt.Errorf("%s: %w", field, err)
	}
	return &Error{Kind: e.Kind, Msg: field + ": " + e.Msg}
}

// Package receivable holds the domain model of a digital receivable (数字债权凭证) and the rules of
// its lifecycle: issue, accept, reject, revoke, split, transfer, financing and redemption. It is
// plain Go: the contract package adapts the Fabric chaincode API to it. The types that cross the
// wire (the receivable, its statuses, the settings, the error kinds) are declared once in package
// wire; this package names them for the rules.
package receivable

import (
	"errors"
	"fmt"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// Kind classifies a refusal; the wire contract spells it for every boundary.
type Kind = wire.Kind

// The four kinds of refusal. Every error message the chaincode returns starts with one of them.
const (
	KindInvalid   = wire.KindInvalid
	KindNotFound  = wire.KindNotFound
	KindForbidden = wire.KindForbidden
	KindConflict  = wire.KindConflict
)

// Error is a refusal with a kind and a message naming what was wrong: "<kind>: <message>".
type Error = wire.Error

// Sentinels for errors.Is checks by kind.
var (
	ErrInvalid   = wire.ErrInvalid
	ErrNotFound  = wire.ErrNotFound
	ErrForbidden = wire.ErrForbidden
	ErrConflict  = wire.ErrConflict
)

// Invalidf returns an invalid-input refusal.
func Invalidf(format string, args ...any) error { return wire.Errorf(KindInvalid, format, args...) }

// NotFoundf returns a not-found refusal.
func NotFoundf(format string, args ...any) error { return wire.Errorf(KindNotFound, format, args...) }

// Forbiddenf returns a refusal of the caller's right to act.
func Forbiddenf(format string, args ...any) error {
	return wire.Errorf(KindForbidden, format, args...)
}

// Conflictf returns a refusal caused by the current state (status, duplicates).
func Conflictf(format string, args ...any) error { return wire.Errorf(KindConflict, format, args...) }

// KindOf returns the kind of err, or "" when err is not a domain error.
func KindOf(err error) Kind { return wire.KindOf(err) }

// within prefixes a domain error's message with the field it is about, keeping its kind first:
// "invalid: invoices[0].amount: amount "abc" is not a decimal number".
func within(field string, err error) error {
	var e *Error
	if !errors.As(err, &e) {
		return fmt.Errorf("%s: %w", field, err)
	}
	return &Error{Kind: e.Kind, Message: field + ": " + e.Message}
}

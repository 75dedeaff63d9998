// Package receivable holds the domain model of a digital receivable (数字债权凭证) and the rules of
// its lifecycle: issue, accept, reject, revoke, split, transfer, financing and redemption. It is
// plain Go: the contract package adapts the Fabric chaincode API to it. The types that cross the
// wire (the receivable, its statuses, the settings, the error kinds) are declared once in package
// wire; the rules use them from there.
package receivable

import (
	"errors"
	"fmt"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// Invalidf returns an invalid-input refusal.
func Invalidf(format string, args ...any) error {
	return wire.Errorf(wire.KindInvalid, format, args...)
}

// NotFoundf returns a not-found refusal.
func NotFoundf(format string, args ...any) error {
	return wire.Errorf(wire.KindNotFound, format, args...)
}

// Forbiddenf returns a refusal of the caller's right to act.
func Forbiddenf(format string, args ...any) error {
	return wire.Errorf(wire.KindForbidden, format, args...)
}

// Conflictf returns a refusal caused by the current state (status, duplicates).
func Conflictf(format string, args ...any) error {
	return wire.Errorf(wire.KindConflict, format, args...)
}

// within prefixes a domain error's message with the field it is about, keeping its kind first:
// "invalid: invoices[0].amount: amount "abc" is not a decimal number".
func within(field string, err error) error {
	var e *wire.Error
	if !errors.As(err, &e) {
		return fmt.Errorf("%s: %w", field, err)
	}
	return &wire.Error{Kind: e.Kind, Message: field + ": " + e.Message}
}

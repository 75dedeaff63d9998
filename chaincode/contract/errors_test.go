package contract_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// TestRefusals_CarryTheWireKinds reads every kind of refusal back as the gateway does, with
// wire.ParseRefusal: the rules', the contract's and the framework's own.
func TestRefusals_CarryTheWireKinds(t *testing.T) {
	h := newHarness(t)
	h.active("R-1", supA, "100")
	tests := []struct {
		name, caller, fn string
		args             []string
		kind             wire.Kind
		msg              string
	}{
		{"bad id", auditor, "Get", []string{"R 1"}, wire.KindInvalid, `id "R 1" is not a receivable id`},
		{"no such receivable", auditor, "Get", []string{"R-9"}, wire.KindNotFound, "receivable R-9"},
		{"not a party", supC, "Get", []string{"R-1"}, wire.KindForbidden, "receivable R-1: SupplierMSP/supplier-c is not a party to it"},
		{"wrong role", supA, "Issue", []string{"{}"}, wire.KindForbidden, `Issue needs role issuer; SupplierMSP/supplier-a has role "supplier"`},
		{"wrong status", supA, "Accept", []string{"R-1"}, wire.KindConflict, "receivable R-1 is ACTIVE, not PENDING"},
		{"unknown transaction", supA, "Mint", nil, wire.KindInvalid, `unknown transaction "Mint"`},
		{"argument count", supA, "Accept", nil, wire.KindInvalid, "Accept takes arguments (id), 0 given"},
		{"argument type", bank1, "ApproveFinancing", []string{"R-1", "", "x"}, wire.KindInvalid, `rateBps "x" is not an integer`},
		{"framework: blank function", supA, "", nil, wire.KindInvalid, "Blank function name passed"},
		{"framework: no such contract", supA, "nosuch:Get", []string{"R-1"}, wire.KindInvalid, "Contract not found with name nosuch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := h.refuse("", tt.caller, tt.fn, tt.args...)
			require.Equal(t, tt.kind, kindOf(t, errors.New(msg)))
			e, _ := wire.ParseRefusal("chaincode response 500, " + msg)
			require.Equal(t, &wire.Error{Kind: tt.kind, Message: tt.msg}, e)
		})
	}
}

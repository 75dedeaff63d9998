package contract_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestConfig_DefaultsAndAGovernedChange(t *testing.T) {
	h := newHarness(t)
	require.JSONEq(t, `{"maxTermDays":183,"clockSkewSeconds":600,"proposalTtlHours":168,"instructionTtlHours":24,"graceDays":3}`, h.ok(supA, "GetConfig"))
	h.govern(`{"maxTermDays":365}`)
	require.JSONEq(t, `{"maxTermDays":365,"clockSkewSeconds":600,"proposalTtlHours":168,"instructionTtlHours":24,"graceDays":3}`, h.ok(auditor, "GetConfig"))
	h.issue(issueJSON(issueOpts{ID: "R-1", Maturity: "2027-11-22"})) // day0 + 365
	h.refuse("invalid: maturityDate 2027-11-23 is 366 days away, more than the limit of 365 days", treasurer, "Issue",
		issueJSON(issueOpts{ID: "R-2", Maturity: "2027-11-23"}))
}

func TestSetConfigProposal_Refusals(t *testing.T) {
	tests := []struct{ name, caller, config, want string }{
		{"only admin", treasurer, `{"maxTermDays":90}`, "forbidden: CreateProposal needs role admin"},
		{"auditor writes nothing", auditor, `{"maxTermDays":90}`, "forbidden: "},
		{"term above the one-year hard limit", admin, `{"maxTermDays":366}`, "invalid: maxTermDays 366 is outside 1..365"},
		{"term negative", admin, `{"maxTermDays":-1}`, "invalid: maxTermDays -1"},
		{"no setting", admin, `{}`, "invalid: config names no setting"},
		{"skew above an hour", admin, `{"clockSkewSeconds":3601}`, "invalid: clockSkewSeconds"},
		{"unknown field", admin, `{"maxTerm":90}`, "invalid: proposal has unknown field \"maxTerm\""},
		{"not JSON", admin, `90`, "invalid: proposal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.refuse(tt.want, tt.caller, "CreateProposal", `{"id":"P-1","action":"set-config","config":`+tt.config+`}`)
		})
	}
}

func TestClockSkew_RefusesWritesTooFarFromThePeerClock(t *testing.T) {
	for _, skew := range []time.Duration{601 * time.Second, -601 * time.Second} {
		t.Run(skew.String(), func(t *testing.T) {
			h := newHarness(t)
			h.active("R-1", supA, "100")
			h.skew = skew
			h.refuse("invalid: transaction timestamp 2026-11-22T10:00:00Z is 10m1s away from the peer clock, more than 600 s allowed",
				supA, "Transfer", "R-1", supB, "")
			h.ok(supA, "Get", "R-1") // queries change nothing and are not checked
			h.skew = 0
			h.govern(`{"clockSkewSeconds":3600}`)
			h.skew = skew
			h.ok(supA, "Transfer", "R-1", supB, "")
		})
	}
}

func TestIdentity_WithoutRoleIsRefusedEvenToReadConfig(t *testing.T) {
	h := newHarness(t)
	h.refuse(`forbidden: role "" is not allowed in SupplierMSP, a supplier organisation`, "SupplierMSP/no-attrs", "GetConfig")
	h.refuse(`forbidden: Accept needs role issuer|supplier|financier; SupplierMSP/no-attrs has role ""`, "SupplierMSP/no-attrs", "Accept", "R-1")
}

func TestAccessTable_UnknownTransactionIsRefused(t *testing.T) {
	h := newHarness(t)
	h.refuse(`invalid: unknown transaction "Mint"`, treasurer, "Mint")
	h.refuse(`invalid: Blank function name passed`, treasurer, "")
	h.refuse(`invalid: Accept takes arguments (id), 0 given`, supA, "Accept")
	h.refuse(`invalid: Accept takes arguments (id), 2 given`, supA, "Accept", "R-1", "R-2")
	h.refuse(`invalid: GetConfig takes no arguments, 1 given`, supA, "GetConfig", "x")
}

func TestAccessTable_BadCreatorIsForbidden(t *testing.T) {
	h := newHarness(t)
	h.ids["bad"] = []byte("not a serialized identity")
	h.refuse("forbidden: cannot read the caller's identity", "bad", "GetConfig")
}

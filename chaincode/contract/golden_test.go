package contract_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// goldenResults is what the chaincode answered to the story of TestResults_AreByteCompatible
// (first recorded before its transactions were typed with the wire types, rewritten when the
// settings became governed); set RECV_UPDATE_GOLDEN=1 to rewrite it after a deliberate change of
// the wire format, and read the diff.
var goldenResults = filepath.Join("testdata", "results.golden")

// TestResults_AreByteCompatible runs one story through every transaction and requires each answer,
// result or refusal, to be byte for byte what clients have been reading.
func TestResults_AreByteCompatible(t *testing.T) {
	h := newHarness(t)
	var b strings.Builder
	record := func(out string, err error) { fmt.Fprintf(&b, "%s\n%v\n", out, err) }
	requested, err := h.invoke(treasurer, "Issue", issueJSON(issueOpts{ID: "R-1", Amount: "1000"}))
	record(requested, err)
	record(h.invoke(approver, "ConfirmInstruction", h.instructionOf(requested)))
	record(h.invoke(supA, "Accept", "R-1"))
	record(h.invoke(supA, "Split", "R-1", `["400","600"]`))
	record(h.invoke(supA, "Transfer", "R-1.1", supB, "100"))
	record(h.invoke(supA, "Reject", "R-1.1.1", "no"))
	record(h.invoke(supB, "Reject", "R-1.1.1", "no"))
	record(h.invoke(supA, "RequestFinancing", "R-1.2", "Bank1MSP"))
	record(h.invoke(bank1, "SetCreditLine", "CoreMSP", "5000"))
	record(h.invoke(approver, "SetIssuanceLimit", "100000"))
	record(h.invoke(bank1, "ApproveFinancing", "R-1.2", "", "450"))
	record(h.invoke(auditor, "FreezeReceivable", "R-1.1", "court order", "(2026)沪01民初1号"))
	record(h.invoke(auditor, "UnfreezeReceivable", "R-1.1", "order lifted", "(2026)沪01民初1号"))
	record(h.invoke(bank1, "Limits", "CoreMSP"))
	record(h.invoke(auditor, "Risk", "20", ""))
	record(h.invoke(admin, "CreateProposal", `{"id":"P-1","action":"set-config","config":{"maxTermDays":200}}`))
	record(h.invoke(bank1Admin, "ApproveProposal", "P-1"))
	record(h.invoke(bank2Admin, "ApproveProposal", "P-1"))
	record(h.invoke(audAdmin, "ApproveProposal", "P-1"))
	record(h.invoke(otherAdmin, "ApproveProposal", "P-1"))
	record(h.invoke(auditor, "GetProposal", "P-1"))
	record(h.invoke(auditor, "GetConfig"))
	record(h.invoke(auditor, "Get", "R-1.2"))
	record(h.invoke(auditor, "Trace", "R-1"))
	record(h.invoke(auditor, "History", "R-1.2"))
	record(h.invoke(auditor, "Totals", bank1))
	record(h.invoke(auditor, "ListByHolder", supA, "20", ""))
	record(h.invoke(auditor, "ListByIssuer", treasurer, "20", ""))
	h.days(129)
	requested, err = h.invoke(treasurer, "RedeemAll", "R-1", "PAY-1")
	record(requested, err)
	record(h.invoke(approver, "ConfirmInstruction", h.instructionOf(requested)))
	record(h.invoke(approver, "GetInstruction", h.instructionOf(requested)))
	record(h.invoke(auditor, "Totals", bank1))

	if os.Getenv("RECV_UPDATE_GOLDEN") != "" {
		require.NoError(t, os.WriteFile(goldenResults, []byte(b.String()), 0o644))
	}
	want, err := os.ReadFile(goldenResults)
	require.NoError(t, err)
	require.Equal(t, strings.Split(string(want), "\n"), strings.Split(b.String(), "\n"))
}

package main

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
)

func TestPercentile_NearestRank(t *testing.T) {
	l := []time.Duration{5, 1, 4, 2, 3, 10, 9, 8, 7, 6}
	for _, tc := range []struct {
		p    float64
		want time.Duration
	}{{50, 5}, {90, 9}, {95, 10}, {99, 10}, {100, 10}, {1, 1}} {
		assert.Equal(t, tc.want, percentile(l, tc.p), "p%v", tc.p)
	}
	assert.Zero(t, percentile(nil, 99))
	assert.Equal(t, []time.Duration{5, 1, 4, 2, 3, 10, 9, 8, 7, 6}, l, "the input is not reordered")
}

func TestIssueRequest_FreshHashesPerReceivable(t *testing.T) {
	a, b := issueRequest("X-1", "2027-01-01"), issueRequest("X-2", "2027-01-01")
	assert.NotEqual(t, a.Contract.SHA256, b.Contract.SHA256)
	assert.NotEqual(t, a.Invoices[0].SHA256, b.Invoices[0].SHA256)
	assert.Equal(t, "X-1", a.ID)
}

func TestRound_ArgumentsComeFromTheWireContract(t *testing.T) {
	steps := round("R-1", "2027-01-01")
	var txs []string
	for _, st := range steps {
		op, args, err := st.args()
		require.NoError(t, err, st.op)
		txs = append(txs, op.Tx)
		if op.Tx != "Issue" {
			assert.Equal(t, "R-1", args[0])
		}
	}
	assert.Equal(t, []string{"Issue", "Accept", "RequestFinancing", "ApproveFinancing"}, txs)
	op, _, _ := steps[3].args()
	body, err := json.Marshal(steps[3].body)
	require.NoError(t, err)
	decoded, err := op.DecodeBody(body)
	require.NoError(t, err)
	decide, decideBody, first, err := op.DecisionFirst(decoded)
	require.NoError(t, err)
	require.True(t, first, "an approval at a rate records the decision first")
	transient, err := step{body: json.RawMessage(decideBody.JSON())}.transient(decide)
	assert.NoError(t, err)
	assert.Equal(t, "450", string(transient["rateBps"]), "the rate travels as transient data")
	_, args, _ := steps[0].args()
	assert.Contains(t, args[0], `"id":"R-1"`)
}

func TestInstructionOf_TheOpenInstructionOfAMakersWrite(t *testing.T) {
	assert.Equal(t, "I1", instructionOf([]byte(`{"op":"Issue","items":[],"instruction":{"id":"I1","status":"OPEN"}}`)))
	assert.Empty(t, instructionOf([]byte(`{"op":"Issue","items":[{"id":"R-1"}]}`)), "no two-person control: nothing to confirm")
	assert.Empty(t, instructionOf(nil))
}

func TestStale_OnlyRefusalsThatALaggingPeerGives(t *testing.T) {
	assert.ErrorIs(t, stale(&wire.Problem{Kind: wire.KindNotFound}), errStale)
	assert.ErrorIs(t, stale(wire.Errorf(wire.KindForbidden, "not a party")), errStale)
	assert.ErrorIs(t, classify(errors.New("chaincode response 500, conflict: R-1 is PENDING")), errStale)
	assert.NotErrorIs(t, stale(&wire.Problem{Kind: wire.KindInvalid}), errStale)
	assert.NotErrorIs(t, classify(errors.New("connection refused")), errStale)
	assert.ErrorIs(t, classify(errors.New("endorse: ProposalResponsePayloads do not match")), errStale, "a lagging endorser")
	assert.Nil(t, stale(nil))
}

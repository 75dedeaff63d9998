package fabric

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// An endorsement a required organisation's unreachable peer stopped is said in the project's
// words, with Fabric's after them; the parties, when known, are named; anything else is left.
func TestUnreachable_SaysWhichPartyIsMissingInTheProjectsWords(t *testing.T) {
	for _, msg := range []string{
		"no combination of peers can be derived which satisfy the endorsement policy: cannot satisfy",
		"failed to collect enough transaction endorsements, see attached details for more info",
		"requires endorsement from organisation(s) that are not in the distribution policy of the collection",
		"failed to endorse transaction, see attached details for more info: 127.0.0.1:7251 (Bank1MSP): error in simulation: failed to distribute private collection",
		`connection error: desc = "transport: Error while dialing: dial tcp 127.0.0.1:7151: connect: connection refused"`,
	} {
		e := Unreachable(&Error{Kind: wire.KindEndorse, Stage: "endorse", TransactionID: "tx1", Message: msg})
		require.True(t, e.Unreached, msg)
		require.Equal(t, wire.KindUnavailable, e.Kind)
		require.Contains(t, e.Message, "unavailable: a peer of one of the organisations whose endorsement this write needs (its parties) does not answer")
		require.Contains(t, e.Message, "nothing was sent")
		require.Contains(t, e.Message, msg, "Fabric's text follows")
		e.NameParties([]string{"Bank1MSP", "CoreMSP", "SupplierMSP"})
		require.Contains(t, e.Message, "this write needs (Bank1MSP, CoreMSP, SupplierMSP) does not answer")
		require.Same(t, e, Unreachable(e), "worded once")
	}
	refusal := &Error{Kind: wire.KindForbidden, Stage: "endorse", Message: "forbidden: not the holder"}
	require.Same(t, refusal, Unreachable(refusal))
	late := &Error{Kind: wire.KindCommitStatus, Stage: "commit_status", Message: "no peers available"}
	require.Same(t, late, Unreachable(late), "only endorsements")
}

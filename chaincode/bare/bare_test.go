package bare_test

import (
	"testing"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/bare"
	"github.com/recv-ledger/recv/chaincode/memstub"
)

func TestPut_WritesOneValueOfTheSizeAsked(t *testing.T) {
	cc, err := bare.NewChaincode()
	require.NoError(t, err)
	l := memstub.NewLedger()
	s := l.NewStub("tx1", time.Unix(0, 0), nil, "Put", "k-1", "1000")
	resp := cc.Invoke(s)
	require.Equal(t, int32(shim.OK), resp.Status, resp.Message)
	w := s.Writes()
	require.Len(t, w, 1)
	require.Len(t, w["k-1"], 1000)
}

func TestPut_SizeOutOfBoundsWritesNothing(t *testing.T) {
	cc, err := bare.NewChaincode()
	require.NoError(t, err)
	for _, size := range []string{"-1", "1048577"} {
		s := memstub.NewLedger().NewStub("tx1", time.Unix(0, 0), nil, "Put", "k-1", size)
		resp := cc.Invoke(s)
		require.NotEqual(t, int32(shim.OK), resp.Status, size)
		require.Contains(t, resp.Message, "invalid: size")
		require.Empty(t, s.Writes())
	}
}

package contract

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/internal/memstub"
	"github.com/recv-ledger/recv/chaincode/receivable"
)

func TestTree_IsBounded(t *testing.T) {
	l := memstub.NewLedger()
	s := l.NewStub("tx", time.Unix(0, 0), nil)
	for _, id := range []string{"R", "R.1", "R.2", "R.3"} {
		require.NoError(t, s.PutState(receivableKey(id), []byte(`{"id":"`+id+`","rootId":"R"}`)))
	}
	s.Commit()
	defer func(n int) { maxTreeNodes = n }(maxTreeNodes)
	maxTreeNodes = 3
	_, err := ledger{stub: l.NewStub("q", time.Unix(0, 0), nil)}.Tree("R")
	require.ErrorIs(t, err, receivable.ErrInvalid)
	require.ErrorContains(t, err, "root R has more than 3 pieces")
	maxTreeNodes = 4
	nodes, err := ledger{stub: l.NewStub("q", time.Unix(0, 0), nil)}.Tree("R")
	require.NoError(t, err)
	require.Len(t, nodes, 4)
}

func TestLedger_CorruptStateIsAnError(t *testing.T) {
	l := memstub.NewLedger()
	s := l.NewStub("tx", time.Unix(0, 0), nil)
	require.NoError(t, s.PutState(receivableKey("R"), []byte(`{`)))
	require.NoError(t, s.PutState(configKey, []byte(`{`)))
	s.Commit()
	q := l.NewStub("q", time.Unix(0, 0), nil)
	_, err := ledger{stub: q}.Get("R")
	require.ErrorContains(t, err, "decoding receivable R")
	_, err = loadConfig(q)
	require.ErrorContains(t, err, "decoding config")
}

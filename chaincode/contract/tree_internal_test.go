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

func TestExposure_ReadIsBoundedAndFoldKeepsTheFigures(t *testing.T) {
	l := memstub.NewLedger()
	s := l.NewStub("tx", time.Unix(0, 0), nil)
	require.NoError(t, s.PutState(exposureBase("CoreMSP"), []byte(`{"outstandingFen":100}`)))
	for _, tx := range []string{"a", "b", "c"} {
		require.NoError(t, s.PutState(exposureDeltas("CoreMSP")+tx, []byte(`{"outstandingFen":10,"holders":{"S/a":10}}`)))
	}
	s.Commit()
	defer func(n int) { maxExposureDeltas = n }(maxExposureDeltas)
	maxExposureDeltas = 2
	_, err := ledger{stub: l.NewStub("q", time.Unix(0, 0), nil)}.Exposure("CoreMSP")
	require.ErrorIs(t, err, receivable.ErrConflict)
	require.ErrorContains(t, err, "more than 2 unfolded changes: fold them first (recv fold-exposure CoreMSP)")

	maxExposureDeltas = 3
	f := l.NewStub("fold", time.Unix(0, 0), nil)
	require.NoError(t, ledger{stub: f}.applyExposure("fold", receivable.Change{Fold: []string{"CoreMSP"}}))
	f.Commit()
	e, err := ledger{stub: l.NewStub("q", time.Unix(0, 0), nil)}.Exposure("CoreMSP")
	require.NoError(t, err)
	require.Equal(t, receivable.Exposure{OutstandingFen: 130, Holders: map[string]int64{"S/a": 30}}, e)
	_, keys, err := ledger{stub: l.NewStub("q", time.Unix(0, 0), nil)}.readExposure("CoreMSP")
	require.NoError(t, err)
	require.Empty(t, keys, "the changes were folded into the base")
}

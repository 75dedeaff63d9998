package contract

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/memstub"
	"github.com/recv-ledger/recv/chaincode/receivable"
	"github.com/recv-ledger/recv/chaincode/wire"
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
	require.ErrorIs(t, err, wire.ErrInvalid)
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
	core, bank1 := receivable.ExposurePart{Obligor: "CoreMSP"}, receivable.ExposurePart{Obligor: "CoreMSP", Bank: "Bank1MSP"}
	l := memstub.NewLedger()
	s := l.NewStub("tx", time.Unix(0, 0), nil)
	seedBanks(t, s, "Bank1MSP", "Bank2MSP")
	require.NoError(t, s.PutState(exposureBase(core), []byte(`{"outstandingFen":100}`)))
	for _, tx := range []string{"a", "b", "c"} {
		require.NoError(t, s.PutState(exposureLegacy(core)+tx, []byte(`{"outstandingFen":10,"holders":{"S/a":10}}`)))
		require.NoError(t, s.PutState(exposureLegacy(bank1)+tx, []byte(`{"financed":{"Bank1MSP":5}}`)))
	}
	s.Commit()
	defer func(n int) { maxExposureDeltas = n }(maxExposureDeltas)
	maxExposureDeltas = 2
	_, err := ledger{stub: l.NewStub("q", time.Unix(0, 0), nil)}.Exposure("CoreMSP")
	require.ErrorIs(t, err, wire.ErrConflict)
	require.ErrorContains(t, err, "more than 2 unfolded changes: fold them first (recv fold-exposure CoreMSP, which folds up to 2 a run)")

	// Past the bound a fold still works, in steps of at most the bound: the first leaves one change
	// per part, which a read adds up again; the second leaves none.
	want := receivable.Exposure{OutstandingFen: 130, Holders: map[string]int64{"S/a": 30}, Financed: map[string]int64{"Bank1MSP": 15}}
	for step, left := range []int{1, 0} {
		f := l.NewStub(fmt.Sprint("fold", step), time.Unix(0, 0), nil)
		require.NoError(t, ledger{stub: f}.applyExposure(receivable.Tx{ID: fmt.Sprint("fold", step), Time: time.Unix(0, 0)}, receivable.Change{Fold: []receivable.ExposurePart{{Obligor: "CoreMSP", Whole: true}}}))
		f.Commit()
		e, err := ledger{stub: l.NewStub("q", time.Unix(0, 0), nil)}.Exposure("CoreMSP")
		require.NoError(t, err)
		require.Equal(t, want, e, "a fold changes no figure")
		for _, p := range []receivable.ExposurePart{core, bank1} {
			part, keys, err := ledger{stub: l.NewStub("q", time.Unix(0, 0), nil)}.readPart(p)
			require.NoError(t, err)
			require.Len(t, keys, left, "changes of %+v left after fold %d", p, step+1)
			require.Equal(t, want.Part(p.Bank), part)
		}
	}
}

// A ledger written before the banks had parts recorded financing with the rest: every read still
// adds it up, and the first fold of the rest hands each bank's share to that bank's part, where its
// credit line reads it.
func TestExposure_AFoldHandsFinancingRecordedWithTheRestToTheBanksParts(t *testing.T) {
	core := receivable.ExposurePart{Obligor: "CoreMSP"}
	bank1 := receivable.ExposurePart{Obligor: "CoreMSP", Bank: "Bank1MSP"}
	l := memstub.NewLedger()
	s := l.NewStub("tx", time.Unix(0, 0), nil)
	seedBanks(t, s, "Bank1MSP", "Bank2MSP")
	require.NoError(t, s.PutState(exposureBase(core), []byte(`{"outstandingFen":100,"financed":{"Bank1MSP":40,"Bank2MSP":10}}`)))
	require.NoError(t, s.PutState(exposureLegacy(core)+"a", []byte(`{"outstandingFen":50,"financed":{"Bank1MSP":50}}`)))
	require.NoError(t, s.PutState(exposureLegacy(bank1)+"b", []byte(`{"financed":{"Bank1MSP":5}}`)))
	s.Commit()
	want := receivable.Exposure{OutstandingFen: 150, Financed: map[string]int64{"Bank1MSP": 95, "Bank2MSP": 10}}
	read := func() ledger { return ledger{stub: l.NewStub("q", time.Unix(0, 0), nil)} }
	e, err := read().Exposure("CoreMSP")
	require.NoError(t, err)
	require.Equal(t, want, e, "a read adds every part, old layout included")
	part, err := read().ExposurePart(bank1)
	require.NoError(t, err)
	require.Equal(t, int64(5), part.Financed["Bank1MSP"], "before the fold the line sees only its own part")

	f := l.NewStub("fold", time.Unix(0, 0), nil)
	require.NoError(t, ledger{stub: f}.applyExposure(receivable.Tx{ID: "fold", Time: time.Unix(0, 0)}, receivable.Change{Fold: []receivable.ExposurePart{{Obligor: "CoreMSP", Whole: true}}}))
	f.Commit()
	e, err = read().Exposure("CoreMSP")
	require.NoError(t, err)
	require.Equal(t, want, e, "the fold changes no figure")
	for bank, fen := range map[string]int64{"Bank1MSP": 95, "Bank2MSP": 10} {
		part, err := read().ExposurePart(receivable.ExposurePart{Obligor: "CoreMSP", Bank: bank})
		require.NoError(t, err)
		require.Equal(t, fen, part.Financed[bank], "%s's part holds its whole financing", bank)
	}
	rest, err := read().ExposurePart(core)
	require.NoError(t, err)
	require.Equal(t, receivable.Exposure{OutstandingFen: 150}, rest)
	require.Nil(t, l.State(exposureLegacy(core)+"a"), "folded")
}

// seedBanks puts registry entries for banks: a fold of a whole exposure folds the parts of the
// registry's banks.
func seedBanks(t *testing.T, s *memstub.Stub, banks ...string) {
	t.Helper()
	for _, b := range banks {
		require.NoError(t, ledger{stub: s}.putJSON(orgPrefix+b, wire.Org{MSPID: b, Kind: wire.OrgBank}))
	}
}

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
	core := receivable.ExposurePart{Obligor: "CoreMSP"}
	l := memstub.NewLedger()
	s := l.NewStub("tx", time.Unix(0, 0), nil)
	seedBanks(t, s, "Bank1MSP", "Bank2MSP")
	require.NoError(t, s.PutState(exposureBase(core), []byte(`{"outstandingFen":100}`)))
	for _, tx := range []string{"a", "b", "c"} {
		require.NoError(t, s.PutState(exposureLegacy(core)+tx, []byte(`{"outstandingFen":10,"holders":{"S/a":10}}`)))
	}
	s.Commit()
	defer func(n int) { maxExposureDeltas = n }(maxExposureDeltas)
	maxExposureDeltas = 2
	_, err := ledger{stub: l.NewStub("q", time.Unix(0, 0), nil)}.Exposure("CoreMSP")
	require.ErrorIs(t, err, wire.ErrConflict)
	require.ErrorContains(t, err, "more than 2 unfolded changes: fold them first (recv fold-exposure CoreMSP, which folds up to 2 a run)")

	// Past the bound a fold still works, in steps of at most the bound: the first leaves one
	// change, which a read adds up again; the second leaves none.
	want := receivable.Exposure{OutstandingFen: 130, Holders: map[string]int64{"S/a": 30}}
	for step, left := range []int{1, 0} {
		f := l.NewStub(fmt.Sprint("fold", step), time.Unix(0, 0), nil)
		require.NoError(t, ledger{stub: f}.applyExposure(receivable.Tx{ID: fmt.Sprint("fold", step), Time: time.Unix(0, 0)}, receivable.Change{Fold: []receivable.ExposurePart{{Obligor: "CoreMSP", Whole: true}}}, nil))
		f.Commit()
		e, err := ledger{stub: l.NewStub("q", time.Unix(0, 0), nil)}.Exposure("CoreMSP")
		require.NoError(t, err)
		require.Equal(t, want, e, "a fold changes no figure")
		part, keys, err := ledger{stub: l.NewStub("q", time.Unix(0, 0), nil)}.readPart(core)
		require.NoError(t, err)
		require.Len(t, keys, left, "changes left after fold %d", step+1)
		require.Equal(t, want, part)
	}
}

// A bank's part of an obligor's exposure is the sum of its slots; a change goes to one slot, picked
// by its transaction id, so that two changes in one block rarely write the same key. A pair the
// registry index does not record has no part: nothing is read for it and no change is written.
func TestExposure_ABanksPartIsTheSumOfItsSlots(t *testing.T) {
	bank1 := receivable.ExposurePart{Obligor: "CoreMSP", Bank: "Bank1MSP"}
	l := memstub.NewLedger()
	s := l.NewStub("tx", time.Unix(0, 0), nil)
	seedBanks(t, s, "Bank1MSP")
	s.Commit()
	used := map[int]bool{}
	for i := range 40 {
		tx := fmt.Sprintf("tx-%d", i)
		w := l.NewStub(tx, time.Unix(0, 0), nil)
		require.NoError(t, ledger{stub: w}.moveBankPart(bank1, tx, receivable.Exposure{Financed: map[string]int64{"Bank1MSP": 100}}, nil))
		w.Commit()
		used[slotOf(tx)] = true
	}
	require.Greater(t, len(used), 8, "the changes spread over the slots")
	e, err := ledger{stub: l.NewStub("q", time.Unix(0, 0), nil)}.ExposurePart(bank1)
	require.NoError(t, err)
	require.Equal(t, map[string]int64{"Bank1MSP": 4000}, e.Financed)

	stranger := receivable.ExposurePart{Obligor: "CoreMSP", Bank: "EvilMSP"}
	q := l.NewStub("q", time.Unix(0, 0), nil)
	require.NoError(t, q.PutState(slotKey(stranger, 0), []byte(`{"financed":{"EvilMSP":-5}}`)))
	q.Commit()
	e, err = ledger{stub: l.NewStub("q", time.Unix(0, 0), nil)}.ExposurePart(stranger)
	require.NoError(t, err)
	require.True(t, e.IsZero(), "slots of a pair the registry never held are read by no rule")
	err = ledger{stub: l.NewStub("q", time.Unix(0, 0), nil)}.moveBankPart(stranger, "tx", receivable.Exposure{Financed: map[string]int64{"EvilMSP": 1}}, nil)
	require.ErrorContains(t, err, "the registry records no exposure of CoreMSP at EvilMSP")
}

// seedBanks records the core enterprise CoreMSP and banks in the registry as an admission does,
// with every bank's part of CoreMSP's exposure.
func seedBanks(t *testing.T, s *memstub.Stub, banks ...string) {
	t.Helper()
	orgs := []*wire.Org{{MSPID: "CoreMSP", Kind: wire.OrgCore}}
	for _, b := range banks {
		orgs = append(orgs, &wire.Org{MSPID: b, Kind: wire.OrgBank})
	}
	require.NoError(t, ledger{stub: s}.applyDirectory(receivable.Change{Op: "InitRegistry", Orgs: orgs}))
}

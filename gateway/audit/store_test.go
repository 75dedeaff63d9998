package audit

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
)

func rcv(id, root string, fen int64) *wire.Receivable {
	return &wire.Receivable{ID: id, RootID: root, Holder: "SupplierMSP/a", AmountFen: fen, Status: wire.StatusActive}
}

// exercise runs the same operations on a state and returns what it reads back.
func exercise(t *testing.T, s State) (ids []string, trees map[string][]string, got *wire.Receivable) {
	t.Helper()
	for _, r := range []*wire.Receivable{rcv("R-2", "R-2", 5), rcv("R-1", "R-1", 10), rcv("R-1.1", "R-1", 6), rcv("R-1.2", "R-1", 4), rcv("R-10", "R-10", 1), rcv("X-1", "X-1", 7)} {
		require.NoError(t, s.Put(r))
	}
	require.NoError(t, s.Put(rcv("R-1.2", "R-1", 3))) // replaced
	require.NoError(t, s.Delete("X-1"))               // removed with its tree
	require.NoError(t, s.Delete("nothing"))           // absent: no-op
	require.NoError(t, s.Put(rcv("R-3.1", "R-3", 2))) // a piece whose root is not stored
	require.Equal(t, 6, s.Len())
	require.NoError(t, s.Scan("R-1", func(r *wire.Receivable) error { ids = append(ids, r.ID); return nil }))
	trees = map[string][]string{}
	require.NoError(t, s.Trees(func(root string, pieces []string) error { trees[root] = pieces; return nil }))
	got, err := s.Get("R-1.2")
	require.NoError(t, err)
	missing, err := s.Get("X-1")
	require.NoError(t, err)
	require.Nil(t, missing)
	return ids, trees, got
}

func TestState_OnDiskAndInMemoryAgree(t *testing.T) {
	d, err := newDiskState(t.TempDir())
	require.NoError(t, err)
	memIDs, memTrees, memR := exercise(t, newMemState())
	diskIDs, diskTrees, diskR := exercise(t, d)

	require.Equal(t, []string{"R-1", "R-1.1", "R-1.2", "R-10"}, memIDs, "prefix scan in id order")
	require.Equal(t, map[string][]string{"R-1": {"R-1", "R-1.1", "R-1.2"}, "R-10": {"R-10"}, "R-2": {"R-2"}, "R-3": {"R-3.1"}}, memTrees)
	require.Equal(t, int64(3), memR.AmountFen)
	require.Equal(t, memIDs, diskIDs)
	require.Equal(t, memTrees, diskTrees)
	require.Equal(t, memR, diskR)

	dir := d.Dir()
	require.DirExists(t, dir)
	require.NoError(t, d.Close())
	_, err = os.Stat(dir)
	require.True(t, os.IsNotExist(err), "the temporary folder is removed")
}

func TestState_SpillsToDiskPastTheBound(t *testing.T) {
	s := newSpillState(2, t.TempDir())
	require.NoError(t, s.Put(rcv("R-1", "R-1", 10)))
	require.NoError(t, s.Put(rcv("R-1.1", "R-1", 6)))
	require.Equal(t, "memory", s.where())
	require.NoError(t, s.Put(rcv("R-1.2", "R-1", 4)))
	require.NotNil(t, s.disk, "three receivables pass a bound of two")
	require.Contains(t, s.where(), "disk")
	require.Equal(t, 3, s.Len())
	r, err := s.Get("R-1")
	require.NoError(t, err)
	require.Equal(t, int64(10), r.AmountFen, "what was in memory moved")
	dir := s.disk.Dir()
	require.NoError(t, s.Close())
	_, err = os.Stat(dir)
	require.True(t, os.IsNotExist(err))
}

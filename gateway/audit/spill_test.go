package audit_test

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/audit"
	"github.com/recv-ledger/recv/gateway/audit/audittest"
)

// spillChain is NewChain, the block of totalsChain, more roots, and a block that deletes a piece (a conservation
// violation both stores must find).
func spillChain(t *testing.T) []*common.Block {
	c := audittest.NewChain(t)
	blocks := append([]*common.Block(nil), c.Blocks...)
	financed := audittest.Receivable("R-1.1", "R-1", "SupplierMSP/a", 6000, wire.StatusFinancing)
	financed.Financing = &wire.Financing{Bank: "Bank1MSP", ApprovedAt: "2026-11-30T08:00:00Z"}
	valid := []peer.TxValidationCode{peer.TxValidationCode_VALID}
	endorse := []*audittest.Identity{c.Core.Peer, c.Supplier.Peer}
	blocks = append(blocks, audittest.Block(t, blocks[len(blocks)-1], valid,
		audittest.EndorserTx(t, "tx4", "receivables", c.Supplier.User, []*wire.Receivable{
			financed, audittest.Receivable("R-1.2", "R-1", "SupplierMSP/b", 4000, wire.StatusRedeemed)}, endorse...)))
	var roots []*wire.Receivable
	for _, id := range []string{"R-2", "R-3", "R-4", "R-5"} {
		roots = append(roots, audittest.Receivable(id, id, "SupplierMSP/c", 100, wire.StatusActive))
	}
	blocks = append(blocks, audittest.Block(t, blocks[len(blocks)-1], valid,
		audittest.EndorserTx(t, "tx5", "receivables", c.Core.User, roots, endorse...)))
	blocks = append(blocks, audittest.Block(t, blocks[len(blocks)-1], valid,
		audittest.Tx(t, "tx6", "receivables", "receivables", c.Core.User, []*kvrwset.KVWrite{{Key: "rcv/R-1.2", IsDelete: true}}, endorse...)))
	return blocks
}

type auditOutcome struct {
	Report audit.Report
	IDs    []string
	State  []*wire.Receivable
	Totals []*wire.Totals
	Diffs  []audit.Difference
	Trees  []audit.Difference
}

func auditWith(t *testing.T, blocks []*common.Block, memoryEntries int) (auditOutcome, *audit.Auditor) {
	t.Helper()
	pol, err := audit.ParsePolicy(testPolicy)
	require.NoError(t, err)
	get := func(_ context.Context, id string) (json.RawMessage, error) {
		if id == "R-3" {
			return nil, nil
		}
		return json.Marshal(audittest.Receivable(id, id, "SupplierMSP/c", 100, wire.StatusActive))
	}
	a, err := audit.Run(context.Background(), &memSource{t: t, blocks: blocks},
		audit.Options{Policy: pol, MemoryEntries: memoryEntries, TempDir: t.TempDir()}, get)
	require.NoError(t, err)
	var out auditOutcome
	out.IDs = a.IDs()
	for _, id := range out.IDs {
		out.State = append(out.State, a.Receivable(id))
	}
	out.Totals, err = a.Totals()
	require.NoError(t, err)
	out.Trees, err = a.CompareTrees(context.Background(), func(_ context.Context, root string) (*wire.TraceNode, error) {
		return &wire.TraceNode{Receivable: &wire.Receivable{ID: root}}, nil
	})
	require.NoError(t, err)
	out.Report = a.Report()
	out.Diffs = out.Report.Differences
	out.Report.Seconds = 0
	return out, a
}

func TestRun_OnDiskStateGivesTheSameResultsAsInMemory(t *testing.T) {
	blocks := spillChain(t)
	mem, ma := auditWith(t, blocks, 0)
	disk, da := auditWith(t, blocks, 1)
	require.Equal(t, "memory", mem.Report.Store)
	require.Contains(t, disk.Report.Store, "disk")
	disk.Report.Store = mem.Report.Store
	require.Equal(t, mem, disk)

	require.Equal(t, []string{"R-1", "R-1.1", "R-2", "R-3", "R-4", "R-5"}, mem.IDs, "R-1.2 was deleted")
	require.Equal(t, []string{"root R-1: leaves sum to 6000 fen, root is 10000 fen"}, mem.Report.Conservation)
	require.Equal(t, 5, mem.Report.Roots)
	require.Len(t, mem.Totals, 2, "SupplierMSP/a and SupplierMSP/c hold what is left")
	require.NotEmpty(t, mem.Diffs)
	require.Equal(t, 5, mem.Report.RootsTraced)

	require.NoError(t, ma.Close())
	require.NoError(t, da.Close())
}

func TestRun_OnDiskStateFolderIsRemovedByClose(t *testing.T) {
	tmp := t.TempDir()
	pol, _ := audit.ParsePolicy(testPolicy)
	a, err := audit.Run(context.Background(), &memSource{t: t, blocks: spillChain(t)},
		audit.Options{Policy: pol, MemoryEntries: 2, TempDir: tmp}, nil)
	require.NoError(t, err)
	entries, err := os.ReadDir(tmp)
	require.NoError(t, err)
	require.Len(t, entries, 1, "the state moved into a temporary folder")
	require.NoError(t, a.Close())
	entries, err = os.ReadDir(tmp)
	require.NoError(t, err)
	require.Empty(t, entries)
}

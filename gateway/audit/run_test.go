package audit_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/gateway/audit"
	"github.com/recv-ledger/recv/gateway/audit/audittest"
)

// memSource serves blocks from memory and counts what was read.
type memSource struct {
	t      *testing.T
	blocks []*common.Block
	read   []uint64
}

func (m *memSource) Height(context.Context) (uint64, error) { return uint64(len(m.blocks)), nil }

func (m *memSource) Block(_ context.Context, n uint64) ([]byte, error) {
	if n >= uint64(len(m.blocks)) {
		return nil, fmt.Errorf("no block %d", n)
	}
	m.read = append(m.read, n)
	return audittest.Marshal(m.t, m.blocks[n]), nil
}

func TestRun_WholeChainThenResumeFromTheSignedCheckpoint(t *testing.T) {
	c := audittest.NewChain(t)
	pol, _ := audit.ParsePolicy(testPolicy)
	src := &memSource{t: t, blocks: c.Blocks[:2]}
	chaincode := newAuditor(t) // stands for the chaincode's answers
	require.NoError(t, verifyAll(chaincode, c.Blocks[:2]))
	get := func(_ context.Context, id string) (json.RawMessage, error) {
		return json.Marshal(chaincode.Receivable(id))
	}
	a, err := audit.Run(context.Background(), src, audit.Options{Policy: pol}, get)
	require.NoError(t, err)
	require.Equal(t, 2, a.Report().Blocks)
	require.Empty(t, a.Report().Differences)

	pos, _ := a.Position()
	key := audittest.KeyPEM(t)
	cp, err := audit.NewCheckpoint("receivables", pos, testPolicy, key)
	require.NoError(t, err)
	from, err := cp.Verify(key)
	require.NoError(t, err)

	src = &memSource{t: t, blocks: c.Blocks}
	a, err = audit.Run(context.Background(), src, audit.Options{Policy: pol, Start: from}, nil)
	require.NoError(t, err)
	require.Equal(t, []uint64{0, 1, 2, 0, 2}, src.read, "the hash chain up to the checkpoint, the first new block, its last configuration, then the new blocks")
	require.Equal(t, 2, a.Report().ChainRechecked)

	// A block before the checkpoint corrupted since: the resumed audit fails on it.
	bad := audittest.Clone(t, c.Blocks[1])
	bad.Header.DataHash[0] ^= 1
	_, err = audit.Run(context.Background(), &memSource{t: t, blocks: []*common.Block{c.Blocks[0], bad, c.Blocks[2]}}, audit.Options{Policy: pol, Start: from}, nil)
	require.ErrorContains(t, err, "block 1: data hash does not match its transactions (re-checked before the checkpoint)")
	rep := a.Report()
	require.Equal(t, 1, rep.Blocks)
	require.Equal(t, uint64(2), rep.FirstBlock)
	require.Equal(t, []string{"R-1", "R-1.1", "R-1.2"}, a.IDs())
}

func TestRun_NamesTheBlockThatFails(t *testing.T) {
	c := audittest.NewChain(t)
	b := audittest.Clone(t, c.Blocks[1])
	b.Header.DataHash[0] ^= 1
	pol, _ := audit.ParsePolicy(testPolicy)
	a, err := audit.Run(context.Background(), &memSource{t: t, blocks: []*common.Block{c.Blocks[0], b, c.Blocks[2]}}, audit.Options{Policy: pol}, nil)
	require.ErrorContains(t, err, "block 1: data hash does not match")
	require.Equal(t, 1, a.Report().Blocks, "block 0 was verified")
}

package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/audit"
	"github.com/recv-ledger/recv/gateway/audit/audittest"
)

// networkPolicy is the policy scripts/lib/net-common.sh deploys; the test chains define none.
const networkPolicy = "AND('CoreMSP.peer',OR('SupplierMSP.peer','Bank1MSP.peer','Bank2MSP.peer'))"

// chainGateway answers /v1/chain, /v1/blocks/{n}, get for each receivable the blocks write, the
// trace of each root and the totals of each holder.
func chainGateway(t *testing.T, blocks []*common.Block) *fakeGateway {
	f := &fakeGateway{answers: map[string]answer{
		"GET /v1/chain": {status: 200, body: `{"height":` + strconv.Itoa(len(blocks)) + `}`},
	}}
	pol, err := audit.ParsePolicy(networkPolicy)
	require.NoError(t, err)
	ref, err := audit.New(audit.Options{Policy: pol, FixedPolicy: true}) // the chaincode's state, for its answers
	require.NoError(t, err)
	for i, b := range blocks {
		f.answers["GET /v1/blocks/"+strconv.Itoa(i)] = answer{status: 200, body: string(audittest.Marshal(t, b))}
		_ = ref.Verify(b)
	}
	var tree func(id string) *wire.TraceNode
	tree = func(id string) *wire.TraceNode {
		n := &wire.TraceNode{Receivable: ref.Receivable(id), Pieces: []*wire.TraceNode{}}
		for _, child := range n.Children {
			n.Pieces = append(n.Pieces, tree(child))
		}
		return n
	}
	for _, id := range ref.IDs() {
		body, err := json.Marshal(ref.Receivable(id))
		require.NoError(t, err)
		f.answers["GET /v1/receivables/"+id] = answer{status: 200, body: string(body)}
		if ref.Receivable(id).RootID == id {
			body, err = json.Marshal(wire.Trace{Root: tree(id)})
			require.NoError(t, err)
			f.answers["GET /v1/roots/"+id+"/trace"] = answer{status: 200, body: string(body)}
		}
	}
	totals, err := ref.Totals()
	require.NoError(t, err)
	for _, tot := range totals {
		body, err := json.Marshal(tot)
		require.NoError(t, err)
		f.answers["GET /v1/accounts/"+tot.Account+"/totals"] = answer{status: 200, body: string(body)}
	}
	return f
}

func TestAudit_VerifiesRebuildsAndSignsACheckpoint(t *testing.T) {
	c := audittest.NewChain(t)
	f := chainGateway(t, c.Blocks)
	dir := t.TempDir()
	key := filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(key, audittest.KeyPEM(t), 0o600))
	cp := filepath.Join(dir, "checkpoint.json")

	code, out, stderr := run(t, f, "audit", "--no-rules", "--policy", networkPolicy, "--sign-with", key, "--checkpoint-out", cp)
	require.Equal(t, wire.ExitOK, code, stderr)
	require.Contains(t, out, "blocks verified          3 (0..2)")
	require.Contains(t, out, "1 MVCC_READ_CONFLICT")
	require.Contains(t, out, "receivables rebuilt      3 in 1 roots")
	require.Contains(t, out, "compared with chaincode  3 receivables, 1 root trees, 1 accounts' totals: 0 differences")
	require.Contains(t, out, "block 2 signed, written to "+cp)
	require.Contains(t, out, "endorsement policy       "+networkPolicy+" (given)")

	// Nothing new since the checkpoint: the height, and the blocks up to the checkpoint for their
	// hash chain only.
	f.requests = nil
	code, out, stderr = run(t, f, "audit", "--no-rules", "--from-checkpoint", cp, "--sign-with", key, "-o", "json")
	require.Equal(t, wire.ExitOK, code, stderr)
	var res auditResult
	require.NoError(t, json.Unmarshal([]byte(out), &res))
	require.Equal(t, 0, res.Blocks)
	require.Equal(t, uint64(2), res.LastBlock)
	require.Equal(t, "receivables", res.Checkpoint.Channel)
	require.Len(t, f.requests, 4)
	require.Equal(t, 3, res.ChainRechecked)
}

func TestAudit_ResumesAfterTheCheckpointWithTheLatestConfiguration(t *testing.T) {
	c := audittest.NewChain(t)
	dir := t.TempDir()
	key := filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(key, audittest.KeyPEM(t), 0o600))
	cp := filepath.Join(dir, "checkpoint.json")
	code, _, stderr := run(t, chainGateway(t, c.Blocks[:2]), "audit", "--no-rules", "--policy", networkPolicy, "--sign-with", key, "--checkpoint-out", cp, "--no-compare")
	require.Equal(t, wire.ExitOK, code, stderr)

	f := chainGateway(t, c.Blocks)
	code, out, stderr := run(t, f, "audit", "--no-rules", "--from-checkpoint", cp, "-o", "json")
	require.Equal(t, wire.ExitOK, code, stderr)
	var paths []string
	for _, r := range f.requests {
		paths = append(paths, r.path)
	}
	require.Equal(t, []string{"/v1/chain", "/v1/blocks/0", "/v1/blocks/1", "/v1/blocks/2", "/v1/blocks/0", "/v1/blocks/2",
		"/v1/receivables/R-1", "/v1/receivables/R-1.1", "/v1/receivables/R-1.2"}, paths)
	var res auditResult
	require.NoError(t, json.Unmarshal([]byte(out), &res))
	require.Equal(t, 1, res.Blocks)
	require.Equal(t, 2, res.ChainRechecked, "the hash chain of blocks 0 and 1, up to the checkpoint")
	require.Equal(t, "checkpoint", res.PolicySource, "the policy signed into the checkpoint")
	require.Nil(t, res.Checkpoint, "no key, no checkpoint")

	other := filepath.Join(dir, "other.pem")
	require.NoError(t, os.WriteFile(other, audittest.KeyPEM(t), 0o600))
	code, _, stderr = run(t, f, "audit", "--no-rules", "--from-checkpoint", cp, "--sign-with", other)
	require.Equal(t, wire.ExitInvalid, code)
	require.Contains(t, stderr, "signed by another key")
}

func TestAudit_FailsOnATamperedBlockOrADifference(t *testing.T) {
	c := audittest.NewChain(t)
	f := chainGateway(t, c.Blocks)
	b := audittest.Clone(t, c.Blocks[1])
	b.Header.PreviousHash[0] ^= 1
	f.answers["GET /v1/blocks/1"] = answer{status: 200, body: string(audittest.Marshal(t, b))}
	code, out, stderr := run(t, f, "audit", "--no-rules", "--policy", networkPolicy)
	require.Equal(t, wire.ExitFailure, code)
	require.Contains(t, stderr, "audit failed: block 1: previous hash")
	require.Contains(t, out, "FAILED")

	f = chainGateway(t, c.Blocks)
	f.answers["GET /v1/receivables/R-1.2"] = answer{status: 404, body: `{"kind":"not_found","detail":"not_found: no R-1.2"}`}
	code, out, stderr = run(t, f, "audit", "--no-rules", "--policy", networkPolicy, "-o", "json")
	require.Equal(t, wire.ExitFailure, code)
	require.Contains(t, stderr, "audit found 1 differences")
	var res auditResult
	require.NoError(t, json.Unmarshal([]byte(out), &res))
	require.Equal(t, []audit.Difference{{ID: "R-1.2", Detail: "rebuilt from the blocks, unknown to the chaincode"}}, res.Differences)

	code, _, stderr = run(t, chainGateway(t, c.Blocks), "audit")
	require.Equal(t, wire.ExitFailure, code)
	require.Contains(t, stderr, "no endorsement policy for receivables: no chaincode definition before it and none given")
}

func TestAudit_MemoryEntriesMovesTheStateToDiskWithTheSameResult(t *testing.T) {
	c := audittest.NewChain(t)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	report := func(args ...string) auditResult {
		t.Helper()
		code, out, stderr := run(t, chainGateway(t, c.Blocks), append([]string{"audit", "--no-rules", "--policy", networkPolicy, "-o", "json"}, args...)...)
		require.Equal(t, wire.ExitOK, code, stderr)
		var res auditResult
		require.NoError(t, json.Unmarshal([]byte(out), &res))
		res.Seconds = 0
		return res
	}
	mem, disk := report(), report("--memory-entries", "1")
	require.Equal(t, "memory", mem.Store)
	require.Contains(t, disk.Store, "disk")
	disk.Store = mem.Store
	require.Equal(t, mem, disk)
	require.Equal(t, 1, mem.AccountsTotalled)
	entries, err := os.ReadDir(tmp)
	require.NoError(t, err)
	require.Empty(t, entries, "the on-disk state's folder is removed at the end")

	code, _, stderr := run(t, chainGateway(t, c.Blocks), "audit", "--no-rules", "--policy", networkPolicy, "--memory-entries", "0")
	require.Equal(t, wire.ExitInvalid, code)
	require.Contains(t, stderr, "--memory-entries must be at least 1")
}

func TestAudit_ReportsAnAccountWhoseTotalsDiffer(t *testing.T) {
	c := audittest.NewChain(t)
	f := chainGateway(t, c.Blocks)
	f.answers["GET /v1/accounts/SupplierMSP/a/totals"] = answer{status: 200, body: `{"account":"SupplierMSP/a","outstanding":"99.00","outstandingFen":9900,"financed":"0.00","redeemed":"0.00"}`}
	code, out, stderr := run(t, f, "audit", "--no-rules", "--policy", networkPolicy, "--memory-entries", "1")
	require.Equal(t, wire.ExitFailure, code)
	require.Contains(t, stderr, "audit found 1 differences")
	require.Contains(t, out, "DIFFERENCE SupplierMSP/a")
	require.Contains(t, out, "outstanding 99.00, rebuilt 100.00")
}

package integration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// TestPeers_AgreeOnHeightAndState runs after the other tests: every organisation's peer reaches
// the same block height with the same current block hash, and answers the same state for every
// receivable this run wrote.
func TestPeers_AgreeOnHeightAndState(t *testing.T) {
	aud := as(t, auditor)
	msps := net.MSPIDs()
	waitFor(t, "every peer at the same height and block hash", 30*time.Second, func() error {
		var height uint64
		var hash []byte
		for i, msp := range msps {
			info, err := aud.chainInfo(msp)
			if err != nil {
				return fmt.Errorf("%s: %w", msp, err)
			}
			if i == 0 {
				height, hash = info.Height, info.CurrentBlockHash
				continue
			}
			if info.Height != height || !bytes.Equal(info.CurrentBlockHash, hash) {
				return fmt.Errorf("%s at height %d, %s at %d (or another block hash)", msps[0], height, msp, info.Height)
			}
		}
		t.Logf("every peer at height %d", height)
		return nil
	})

	var ids []string
	written.Range(func(id, _ any) bool { ids = append(ids, id.(string)); return true })
	sort.Strings(ids)
	require.NotEmpty(t, ids, "the other tests wrote receivables")
	for _, id := range ids {
		want, err := aud.tryEvaluate(msps[0], "Get", id)
		require.NoError(t, err)
		for _, msp := range msps[1:] {
			got, err := aud.tryEvaluate(msp, "Get", id)
			require.NoError(t, err)
			require.JSONEq(t, publicPart(t, want), publicPart(t, got), "%s on %s and %s", id, msps[0], msp)
		}
	}
}

// publicPart is a receivable's answer without its private financing terms, which only the peers
// of their collection hold (TestPrivacy_FinancingTermsStayBetweenTheParties checks those).
func publicPart(t *testing.T, raw []byte) string {
	t.Helper()
	var r wire.Receivable
	require.NoError(t, json.Unmarshal(raw, &r))
	if r.Financing != nil {
		r.Financing.Terms = nil
	}
	out, err := json.Marshal(r)
	require.NoError(t, err)
	return string(out)
}

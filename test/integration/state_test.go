package integration

import (
	"bytes"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestPeers_AgreeOnHeightAndState runs after the other tests: every organisation's peer reaches
// the same block height with the same current block hash, and answers the same state for every
// receivable the auditor can list.
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

	ids := issuedIDs(t, aud)
	require.NotEmpty(t, ids, "the other tests issued receivables")
	for _, id := range ids {
		want, err := aud.tryEvaluate(msps[0], "Get", id)
		require.NoError(t, err)
		for _, msp := range msps[1:] {
			got, err := aud.tryEvaluate(msp, "Get", id)
			require.NoError(t, err)
			require.JSONEq(t, string(want), string(got), "%s on %s and %s", id, msps[0], msp)
		}
	}
}

// issuedIDs lists every receivable the core enterprise issued, page by page.
func issuedIDs(t *testing.T, aud *actor) []string {
	t.Helper()
	var out []string
	bookmark := ""
	for {
		var page struct {
			Items    []receivable `json:"items"`
			Bookmark string       `json:"bookmark"`
			Count    int          `json:"count"`
		}
		aud.evaluate(t, &page, "ListByIssuer", treasurer, "50", bookmark)
		for _, r := range page.Items {
			out = append(out, r.ID)
		}
		if page.Bookmark == "" || page.Count == 0 {
			break
		}
		bookmark = page.Bookmark
	}
	sort.Strings(out)
	return out
}

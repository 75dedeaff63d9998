package gateway_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
	gwclient "github.com/recv-ledger/recv/gateway/client"
	"github.com/recv-ledger/recv/test/internal/gwtest"
)

// readEvents reads the stream from o until stop says so (or a minute passed) and returns the events.
func readEvents(t *testing.T, c *client, o gwclient.StreamOptions, stop func([]gwclient.Event) bool) []gwclient.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out []gwclient.Event
	err := c.Events(ctx, o, func(e gwclient.Event) bool {
		out = append(out, e)
		return !stop(out)
	})
	require.NoError(t, err)
	require.True(t, len(out) > 0 && stop(out), "the stream ended after %d events", len(out))
	return out
}

func TestEvents_EveryEventOnceInOrderAndResumable(t *testing.T) {
	core, a, auditor := as(t, "CoreMSP/treasurer"), as(t, "SupplierMSP/supplier-a"), as(t, "AuditorMSP/auditor")
	id := uniqueID(t, "GE")
	var txs []gwtest.Committed
	txs = append(txs, core.Made(t, as(t, "CoreMSP/approver"), "issue", "", issueBody(t, id, "SupplierMSP/supplier-a", "90.00", inDays(30))))
	a.Sees(t, id, wire.StatusPending)
	txs = append(txs, a.Submit(t, "accept", id, nil))
	txs = append(txs, a.Submit(t, "split", id, map[string]any{"parts": []string{"30", "60"}}))
	txs = append(txs, a.Submit(t, "transfer", id+".1", map[string]string{"to": "SupplierMSP/supplier-b"}))
	txs = append(txs, a.Submit(t, "revoke", id+".1", nil))
	wantNames := []string{"ConfirmInstruction", "Accept", "Split", "Transfer", "Revoke"}
	last := txs[len(txs)-1].TxID

	all := readEvents(t, auditor, gwclient.StreamOptions{StartBlock: int64(txs[0].BlockNumber)}, func(got []gwclient.Event) bool {
		return got[len(got)-1].TransactionID == last
	})

	seen := map[string]bool{}
	var ours []gwclient.Event
	for i, e := range all {
		require.False(t, seen[e.TransactionID], "event of %s delivered twice", e.TransactionID)
		seen[e.TransactionID] = true
		require.Equal(t, fmt.Sprintf("%d:%s", e.BlockNumber, e.TransactionID), e.ID)
		if i > 0 {
			require.GreaterOrEqual(t, e.BlockNumber, all[i-1].BlockNumber, "ledger order")
		}
		for _, tx := range txs {
			if tx.TxID == e.TransactionID {
				ours = append(ours, e)
			}
		}
	}
	require.Len(t, ours, len(txs))
	for i, e := range ours {
		require.Equal(t, txs[i].TxID, e.TransactionID, "in commit order")
		require.Equal(t, wantNames[i], e.Name)
		require.Equal(t, txs[i].BlockNumber, e.BlockNumber)
	}

	// Reconnect after the second of ours: the stream goes on with the third,
	// never repeating the ones already delivered.
	resume := readEvents(t, auditor, gwclient.StreamOptions{After: ours[1].ID}, func(got []gwclient.Event) bool {
		return got[len(got)-1].TransactionID == last
	})
	var resumedOurs []string
	for _, e := range resume {
		require.NotEqual(t, ours[0].TransactionID, e.TransactionID)
		require.NotEqual(t, ours[1].TransactionID, e.TransactionID)
		for _, tx := range txs {
			if tx.TxID == e.TransactionID {
				resumedOurs = append(resumedOurs, e.TransactionID)
			}
		}
	}
	require.Equal(t, []string{txs[2].TxID, txs[3].TxID, txs[4].TxID}, resumedOurs)

	// The CLI prints the same events, once each.
	out := mustRecv(t, nil, "--as", "AuditorMSP/auditor", "events", "--after", ours[2].ID, "--count", "2")
	require.Equal(t, 2, strings.Count(out, "\n"), out)
	require.Contains(t, out, "Transfer")
	require.Contains(t, out, "Revoke")
}

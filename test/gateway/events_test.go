package gateway_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/test/internal/restclient"
)

type sse struct {
	id, name string
	data     struct {
		BlockNumber uint64 `json:"blockNumber"`
		TxID        string `json:"txId"`
		Name        string `json:"name"`
	}
}

// readEvents opens the stream at query and returns events until stop says so or the timeout.
func readEvents(t *testing.T, c *client, query, lastID string, stop func([]sse) bool) []sse {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.Base+"/v1/events"+query, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+c.Token)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var out []sse
	var cur sse
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "id: "):
			cur.id = strings.TrimPrefix(line, "id: ")
		case strings.HasPrefix(line, "event: "):
			cur.name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: ") && cur.id != "":
			require.NoError(t, json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &cur.data))
		case line == "" && cur.id != "":
			out = append(out, cur)
			cur = sse{}
			if stop(out) {
				return out
			}
		}
	}
	t.Fatalf("stream ended after %d events: %v", len(out), sc.Err())
	return nil
}

func TestEvents_EveryEventOnceInOrderAndResumable(t *testing.T) {
	core, a, auditor := as(t, "CoreMSP/treasurer"), as(t, "SupplierMSP/supplier-a"), as(t, "AuditorMSP/auditor")
	id := uniqueID(t, "GE")
	var txs []restclient.Committed
	txs = append(txs, core.Write(t, "/v1/receivables", issueBody(t, id, "SupplierMSP/supplier-a", "90.00", inDays(30))))
	txs = append(txs, a.Write(t, "/v1/receivables/"+id+"/accept", nil))
	txs = append(txs, a.Write(t, "/v1/receivables/"+id+"/split", map[string]any{"parts": []string{"30", "60"}}))
	txs = append(txs, a.Write(t, "/v1/receivables/"+id+".1/transfer", map[string]string{"to": "SupplierMSP/supplier-b"}))
	txs = append(txs, a.Write(t, "/v1/receivables/"+id+".1/revoke", nil))
	wantNames := []string{"Issue", "Accept", "Split", "Transfer", "Revoke"}
	last := txs[len(txs)-1].TxID

	all := readEvents(t, auditor, fmt.Sprintf("?startBlock=%d", txs[0].BlockNumber), "", func(got []sse) bool {
		return got[len(got)-1].data.TxID == last
	})

	seen := map[string]bool{}
	var ours []sse
	for i, e := range all {
		require.False(t, seen[e.data.TxID], "event of %s delivered twice", e.data.TxID)
		seen[e.data.TxID] = true
		require.Equal(t, fmt.Sprintf("%d:%s", e.data.BlockNumber, e.data.TxID), e.id)
		if i > 0 {
			require.GreaterOrEqual(t, e.data.BlockNumber, all[i-1].data.BlockNumber, "ledger order")
		}
		for _, tx := range txs {
			if tx.TxID == e.data.TxID {
				ours = append(ours, e)
			}
		}
	}
	require.Len(t, ours, len(txs))
	for i, e := range ours {
		require.Equal(t, txs[i].TxID, e.data.TxID, "in commit order")
		require.Equal(t, wantNames[i], e.name)
		require.Equal(t, txs[i].BlockNumber, e.data.BlockNumber)
	}

	// Reconnect after the second of ours with Last-Event-ID: the stream goes on with the third,
	// never repeating the ones already delivered.
	resume := readEvents(t, auditor, "", ours[1].id, func(got []sse) bool {
		return got[len(got)-1].data.TxID == last
	})
	var resumedOurs []string
	for _, e := range resume {
		require.NotEqual(t, ours[0].data.TxID, e.data.TxID)
		require.NotEqual(t, ours[1].data.TxID, e.data.TxID)
		for _, tx := range txs {
			if tx.TxID == e.data.TxID {
				resumedOurs = append(resumedOurs, e.data.TxID)
			}
		}
	}
	require.Equal(t, []string{txs[2].TxID, txs[3].TxID, txs[4].TxID}, resumedOurs)

	// The CLI prints the same events, once each.
	out := mustRecv(t, nil, "--as", "AuditorMSP/auditor", "events", "--after", ours[2].id, "--count", "2")
	require.Equal(t, 2, strings.Count(out, "\n"), out)
	require.Contains(t, out, "Transfer")
	require.Contains(t, out, "Revoke")
}

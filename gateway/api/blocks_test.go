package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/fabric"
)

// blockLedger is a fake ledger that also relays blocks, as fabric.Client does.
type blockLedger struct {
	*fakeLedger
	blocks [][]byte
	asked  []string
}

func (b *blockLedger) ChainInfo(_ context.Context, name string) (*fabric.ChainInfo, error) {
	b.asked = append(b.asked, name)
	return &fabric.ChainInfo{Height: uint64(len(b.blocks)), CurrentBlockHash: "ab"}, nil
}

func (b *blockLedger) Block(_ context.Context, name string, n uint64) ([]byte, error) {
	b.asked = append(b.asked, name)
	if n >= uint64(len(b.blocks)) {
		return nil, &fabric.Error{Kind: wire.KindNotFound, Stage: "evaluate", Message: fmt.Sprintf("not_found: no block %d", n)}
	}
	return b.blocks[n], nil
}

func TestBlocks_RelayedToAdminsAndAuditorsAsTheCallerUnchanged(t *testing.T) {
	fake := &fakeLedger{}
	s, tokens := testServer(t, fake) // fills in the fake's identities and mints the tokens
	led := &blockLedger{fakeLedger: fake, blocks: [][]byte{{0x0a, 0x01}, {0x0a, 0x02, 0xff}}}
	s = NewServer(Config{Ledger: led, Auth: s.cfg.Auth, ServiceIdentity: "admin"})

	rec := do(t, s, "GET", "/v1/chain", tokens["admin"], "")
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var info fabric.ChainInfo
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &info))
	require.Equal(t, uint64(2), info.Height)

	rec = do(t, s, "GET", "/v1/blocks/1", tokens["admin"], "")
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, "application/octet-stream", rec.Header().Get("Content-Type"))
	require.Equal(t, []byte{0x0a, 0x02, 0xff}, rec.Body.Bytes())
	require.Equal(t, []string{"admin", "admin"}, led.asked, "read as the caller's identity")

	// Other users of the organisation would read every deal of the channel: refused.
	for _, path := range []string{"/v1/chain", "/v1/blocks/0"} {
		rec = do(t, s, "GET", path, tokens["treasurer"], "")
		require.Equal(t, http.StatusForbidden, rec.Code, path)
		require.Contains(t, rec.Body.String(), "only an auditor or an admin")
	}
	require.Len(t, led.asked, 2, "nothing read for a refused caller")

	for path, status := range map[string]int{"/v1/blocks/2": 404, "/v1/blocks/-1": 400, "/v1/blocks/x": 400} {
		rec = do(t, s, "GET", path, tokens["admin"], "")
		require.Equal(t, status, rec.Code, path)
		require.Equal(t, "application/problem+json", rec.Header().Get("Content-Type"))
	}
	require.Equal(t, http.StatusUnauthorized, do(t, s, "GET", "/v1/blocks/0", "", "").Code)
}

func TestBlocks_NotFoundWhereTheLedgerRelaysNone(t *testing.T) {
	s, tokens := testServer(t, &fakeLedger{})
	rec := do(t, s, "GET", "/v1/chain", tokens["admin"], "")
	require.Equal(t, http.StatusNotFound, rec.Code)
}

var _ BlockReader = (*fabric.Client)(nil)

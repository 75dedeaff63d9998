package client_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/client"
)

// offlineGateway answers the three offline steps, the first two as an honest gateway does; its
// submit step fails with fail for the first failures transactions.
type offlineGateway struct {
	signing  *signingGateway
	mu       sync.Mutex
	fail     wire.Problem
	failures int
	keys     []string // the Idempotency-Key of each proposal
	submits  int
}

func (g *offlineGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !strings.HasSuffix(r.URL.Path, "/submit") {
		if r.URL.Path == "/v1/offline/proposals" {
			g.keys = append(g.keys, r.Header.Get("Idempotency-Key"))
		}
		g.signing.ServeHTTP(w, r)
		return
	}
	g.submits++
	w.Header().Set("Content-Type", "application/problem+json")
	if g.submits <= g.failures {
		w.WriteHeader(g.fail.Status)
		_ = json.NewEncoder(w).Encode(g.fail)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(wire.SubmitResponse{TransactionID: "tx", BlockNumber: 9})
}

func mvccConflict() wire.Problem {
	p := wire.NewProblem(wire.KindConflict, "the transaction conflicted with a concurrent one (MVCC_READ_CONFLICT); retry it")
	p.Stage, p.ValidationCode = "commit", "MVCC_READ_CONFLICT"
	return p
}

func TestSubmitOffline_RedoesATransactionAnMVCCConflictInvalidated(t *testing.T) {
	sign, cert := newIdentity(t, "treasurer")
	g := &offlineGateway{signing: &signingGateway{cert: cert}, fail: mvccConflict(), failures: 1}
	srv := httptest.NewServer(g)
	defer srv.Close()
	res, err := newOffline(t, srv.URL).SubmitOffline(context.Background(), sign, "accept", "R-1", nil, client.WithIdempotencyKey("k"))
	require.NoError(t, err)
	require.Equal(t, uint64(9), res.BlockNumber)
	require.Equal(t, []string{"k", "k.retry2"}, g.keys, "the retry is a fresh proposal under a derived key")

	// Bounded: a conflict every time ends after OfflineAttempts transactions, with the conflict.
	g = &offlineGateway{signing: &signingGateway{cert: cert}, fail: mvccConflict(), failures: 100}
	srv2 := httptest.NewServer(g)
	defer srv2.Close()
	_, err = newOffline(t, srv2.URL).SubmitOffline(context.Background(), sign, "accept", "R-1", nil)
	require.ErrorIs(t, err, wire.ErrConflict)
	require.Equal(t, client.OfflineAttempts, g.submits)

	// Any other refusal is final: a rule's conflict at endorsement is not redone.
	rule := wire.NewProblem(wire.KindConflict, "conflict: R-1 is not pending")
	rule.Stage = "endorse"
	g = &offlineGateway{signing: &signingGateway{cert: cert}, fail: rule, failures: 100}
	srv3 := httptest.NewServer(g)
	defer srv3.Close()
	_, err = newOffline(t, srv3.URL).SubmitOffline(context.Background(), sign, "accept", "R-1", nil)
	require.ErrorIs(t, err, wire.ErrConflict)
	require.Equal(t, 1, g.submits)
}

func newOffline(t *testing.T, url string) *client.Client {
	c, err := client.New(url, "token")
	require.NoError(t, err)
	return c
}

// restartingGateway answers the offline steps; its submit answers 202 (sent, outcome pending)
// first, then, as a gateway that restarted and lost the endorsed transaction, 404; the
// transaction's status is unknown first, then valid in block 12.
type restartingGateway struct {
	signing          *signingGateway
	mu               sync.Mutex
	submits, lookups int
}

func (g *restartingGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case strings.HasSuffix(r.URL.Path, "/submit"):
		g.submits++
		if g.submits == 1 {
			w.WriteHeader(http.StatusAccepted)
			_ = json.NewEncoder(w).Encode(wire.SubmitResponse{TransactionID: "tx", Pending: true, Message: "submitted as transaction tx"})
			return
		}
		p := wire.NewProblem(wire.KindNotFound, "not_found: no endorsed transaction tx of this caller")
		w.WriteHeader(p.Status)
		_ = json.NewEncoder(w).Encode(p)
	case strings.HasPrefix(r.URL.Path, "/v1/transactions/"):
		g.lookups++
		if g.lookups == 1 {
			p := wire.NewProblem(wire.KindNotFound, "not_found: no transaction tx in the ledger of this organisation's peer")
			w.WriteHeader(p.Status)
			_ = json.NewEncoder(w).Encode(p)
			return
		}
		_ = json.NewEncoder(w).Encode(wire.TxStatus{TransactionID: "tx", ValidationCode: "VALID", Valid: true, BlockNumber: 12})
	default:
		g.signing.ServeHTTP(w, r)
	}
}

// An offline write whose outcome was pending is followed through a restart of the gateway that
// lost the endorsed transaction: the transaction's status on the ledger gives the outcome, with the
// result its endorsement returned.
func TestSubmitOffline_FollowsAPendingWriteThroughTheLedgerAfterTheGatewayForgotIt(t *testing.T) {
	client.PendingInterval = 10 * time.Millisecond
	t.Cleanup(func() { client.PendingInterval = 2 * time.Second })
	sign, cert := newIdentity(t, "treasurer")
	g := &restartingGateway{signing: &signingGateway{cert: cert, result: `{"op":"Accept"}`}}
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	res, err := newOffline(t, srv.URL).SubmitOffline(context.Background(), sign, "accept", "R-1", nil)
	require.NoError(t, err)
	require.Equal(t, uint64(12), res.BlockNumber)
	require.JSONEq(t, `{"op":"Accept"}`, string(res.Result))
	require.Equal(t, 3, g.submits, "pending, then forgotten twice")
	require.Equal(t, 2, g.lookups)
}

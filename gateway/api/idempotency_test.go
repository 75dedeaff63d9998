package api

import (
	"container/list"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/fabric"
)

func openStore(t *testing.T, path string, max int, ttl time.Duration) *IdempotencyStore {
	t.Helper()
	st, err := OpenIdempotencyStore(path, max, ttl)
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// withIdempotency is s rebuilt to keep its idempotency records in st.
func withIdempotency(s *Server, st *IdempotencyStore) *Server {
	cfg := s.cfg
	cfg.Idempotency = st
	return NewServer(cfg)
}

func TestIdempotencyStore_SurvivesARestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "idempotency.db")
	led := &fakeLedger{payload: []byte(`{"id":"R-1"}`)}
	s, tokens := testServer(t, led)
	st := openStore(t, path, 0, 0)
	s = withIdempotency(s, st)
	first := do(t, s, "POST", "/v1/receivables/R-1/accept", tokens["supplier-a"], "", "Idempotency-Key", "k1")
	require.Equal(t, http.StatusOK, first.Code)
	require.Len(t, led.calls, 1)
	require.NoError(t, st.Close())

	// A new process: a new server and store over the same file, the same tokens.
	s2 := NewServer(s.cfg)
	s2 = withIdempotency(s2, openStore(t, path, 0, 0))
	again := do(t, s2, "POST", "/v1/receivables/R-1/accept", tokens["supplier-a"], "", "Idempotency-Key", "k1")
	require.Equal(t, http.StatusOK, again.Code)
	require.Equal(t, first.Body.String(), again.Body.String())
	require.Equal(t, first.Header().Get("Content-Type"), again.Header().Get("Content-Type"))
	require.Equal(t, "true", again.Header().Get("Idempotent-Replayed"))
	require.Len(t, led.calls, 1, "no second transaction after the restart")

	// The same key for another request is still refused.
	require.Equal(t, http.StatusBadRequest, do(t, s2, "POST", "/v1/receivables/R-2/accept", tokens["supplier-a"], "", "Idempotency-Key", "k1").Code)
	require.Len(t, led.calls, 1)
}

func TestIdempotencyStore_InterruptedRequestRunsAgainFollowingWhatItSent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "idempotency.db")
	st := openStore(t, path, 0, 0)
	// The gateway stopped after sending a transaction and before recording the answer.
	e, fresh, err := st.claim("supplier-a\x00k1", "fp")
	require.NoError(t, err)
	require.True(t, fresh)
	require.NoError(t, journal{s: st, e: e}.Record(0, fabric.Sent{TxID: "tx-1", Bytes: []byte("prepared"), Payload: []byte("{}")}))
	require.NoError(t, st.Close())

	st2 := openStore(t, path, 0, 0)
	e, fresh, err = st2.claim("supplier-a\x00k1", "fp")
	require.NoError(t, err)
	require.True(t, fresh, "no final answer: the request runs again")
	require.Equal(t, "tx-1", journal{s: st2, e: e}.Sent(0).TxID, "and follows the transaction it sent")
	require.Nil(t, journal{s: st2, e: e}.Sent(1))
	_, fresh, err = st2.claim("supplier-a\x00k1", "fp")
	require.NoError(t, err)
	require.False(t, fresh, "one run at a time")
}

func TestIdempotencyStore_DurableTTLAndBound(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "idempotency.db"), 3, time.Hour)
	now := time.Unix(1_800_000_000, 0)
	st.now = func() time.Time { return now }
	keep := func(key string) {
		t.Helper()
		e, fresh, err := st.claim(key, "f")
		require.NoError(t, err)
		require.True(t, fresh, key)
		require.NoError(t, st.settle(e, 200, nil, []byte(key)))
	}
	for i := 0; i < 10; i++ {
		now = now.Add(time.Second)
		keep(strings.Repeat("k", i+1))
	}
	require.Equal(t, 3, st.Len(), "the oldest are pruned beyond the bound")
	rec, err := st.durable.get("k")
	require.NoError(t, err)
	require.Nil(t, rec, "the oldest is gone from the file")
	rec, err = st.durable.get(strings.Repeat("k", 10))
	require.NoError(t, err)
	require.Equal(t, strings.Repeat("k", 10), string(rec.Body))

	// Past the TTL a record is not replayed, and the next write prunes every expired one.
	now = now.Add(2 * time.Hour)
	st.mu.Lock()
	st.entries = map[string]*list.Element{}
	st.order.Init()
	st.mu.Unlock()
	_, fresh, err := st.claim(strings.Repeat("k", 10), "other")
	require.NoError(t, err)
	require.True(t, fresh, "an expired key is new again")
	require.Equal(t, 1, st.Len())
}

// failingBackend stands for a state folder whose disk is full.
type failingBackend struct {
	idemBackend
	failPuts int // puts from this one on fail (1: the first)
	puts     int
}

func (f *failingBackend) put(key string, rec idemRecord, max int, exp int64) error {
	f.puts++
	if f.puts >= f.failPuts {
		return errors.New("write idempotency.db: no space left on device")
	}
	return f.idemBackend.put(key, rec, max, exp)
}

func TestIdempotencyStore_WriteFailureIs503AndNoTransaction(t *testing.T) {
	dir := t.TempDir()
	led := &fakeLedger{payload: []byte(`{"id":"R-1"}`)}
	s, tokens := testServer(t, led)
	st := openStore(t, filepath.Join(dir, "idempotency.db"), 0, 0)
	fb := &failingBackend{idemBackend: st.durable, failPuts: 1}
	st.durable = fb
	s = withIdempotency(s, st)

	for i := 0; i < 2; i++ {
		rec := do(t, s, "POST", "/v1/receivables/R-1/accept", tokens["supplier-a"], "", "Idempotency-Key", "k1")
		require.Equal(t, http.StatusServiceUnavailable, rec.Code, rec.Body.String())
		require.Equal(t, "application/problem+json", rec.Header().Get("Content-Type"))
		require.Contains(t, rec.Body.String(), `"kind":"unavailable"`)
		require.Contains(t, rec.Body.String(), dir, "the message names the state folder")
		require.Empty(t, led.calls, "nothing submitted when the key cannot be recorded")
	}
	require.Equal(t, 0, st.Len(), "a failed write leaves nothing behind")

	// Space returns: the request runs once.
	fb.failPuts = 1 << 30
	require.Equal(t, http.StatusOK, do(t, s, "POST", "/v1/receivables/R-1/accept", tokens["supplier-a"], "", "Idempotency-Key", "k1").Code)
	require.Len(t, led.calls, 1)

	// The answer cannot be recorded: 503, and the retry gets the answer without a second transaction.
	fb.puts, fb.failPuts = 0, 2
	rec := do(t, s, "POST", "/v1/receivables/R-1/accept", tokens["supplier-a"], "", "Idempotency-Key", "k2")
	require.Equal(t, http.StatusServiceUnavailable, rec.Code, rec.Body.String())
	require.Contains(t, rec.Body.String(), string(wire.KindUnavailable))
	require.Len(t, led.calls, 2)
	rec = do(t, s, "POST", "/v1/receivables/R-1/accept", tokens["supplier-a"], "", "Idempotency-Key", "k2")
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.Equal(t, "true", rec.Header().Get("Idempotent-Replayed"))
	require.Len(t, led.calls, 2, "no second transaction")

	// Space returns: the next retry also records the answer, which then outlives the process.
	fb.failPuts = 1 << 30
	rec = do(t, s, "POST", "/v1/receivables/R-1/accept", tokens["supplier-a"], "", "Idempotency-Key", "k2")
	require.Equal(t, "true", rec.Header().Get("Idempotent-Replayed"))
	require.NoError(t, st.Close())
	st2 := openStore(t, filepath.Join(dir, "idempotency.db"), 0, 0)
	s2, tokens2 := testServer(t, led)
	s2 = withIdempotency(s2, st2)
	rec = do(t, s2, "POST", "/v1/receivables/R-1/accept", tokens2["supplier-a"], "", "Idempotency-Key", "k2")
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.Equal(t, "true", rec.Header().Get("Idempotent-Replayed"))
	require.Len(t, led.calls, 2, "no second transaction after a restart")
}

func TestIdempotencyStore_ReadOnlyFileIs503(t *testing.T) {
	path := filepath.Join(t.TempDir(), "idempotency.db")
	st := openStore(t, path, 0, 0)
	require.NoError(t, st.Close())
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	require.NoError(t, err)
	st2 := NewIdempotencyStore(0, 0)
	st2.durable = &boltIdemBackend{db: db, dir: filepath.Dir(path)}
	t.Cleanup(func() { _ = st2.Close() })
	led := &fakeLedger{}
	s, tokens := testServer(t, led)
	s = withIdempotency(s, st2)
	rec := do(t, s, "POST", "/v1/receivables/R-1/accept", tokens["supplier-a"], "", "Idempotency-Key", "k1")
	require.Equal(t, http.StatusServiceUnavailable, rec.Code, rec.Body.String())
	require.Contains(t, rec.Body.String(), `"kind":"unavailable"`)
	require.Empty(t, led.calls)
}

// journalLedger is a ledger that honours the request's journal as fabric.Client does: it records
// each transaction before "sending" it and follows a recorded one instead of sending a new one.
// committed says which transactions have committed; the others' outcome is not known (pending).
type journalLedger struct {
	*fakeLedger
	n         int
	sent      []string // the new transactions sent
	followed  []string // the recorded transactions followed
	committed map[string]bool
	refuse    error // an endorsement failure: nothing is sent
}

func (l *journalLedger) Submit(ctx context.Context, name, tx string, args []string, _ map[string][]byte, _ func(string)) (*fabric.Result, error) {
	j, step := fabric.JournalFor(ctx)
	if s := j.Sent(step); s != nil {
		l.followed = append(l.followed, s.TxID)
		if l.committed[s.TxID] {
			return &fabric.Result{TransactionID: s.TxID, BlockNumber: 7, Payload: s.Payload, Attempts: 1}, nil
		}
		return nil, &fabric.Error{Kind: wire.KindTimeout, Stage: "commit_status", TransactionID: s.TxID, Message: "deadline exceeded"}
	}
	if l.refuse != nil {
		return nil, l.refuse
	}
	l.n++
	id := fmt.Sprintf("tx-%d", l.n)
	if err := j.Record(step, fabric.Sent{TxID: id, Bytes: []byte("prepared " + id), Payload: []byte(`{"txId":"` + id + `"}`)}); err != nil {
		return nil, err
	}
	l.sent = append(l.sent, id)
	if l.committed[id] {
		return &fabric.Result{TransactionID: id, BlockNumber: 7, Payload: []byte(`{"txId":"` + id + `"}`), Attempts: 1}, nil
	}
	return nil, &fabric.Error{Kind: wire.KindUnavailable, Stage: "submit", TransactionID: id, Message: "no orderer answered"}
}

// A write whose outcome is not known is answered 202, never failed; the same request asked again,
// in this process or after a restart, follows that transaction instead of sending another, and
// answers its real outcome once known, which is then replayed.
func TestIdempotency_ARetryFollowsTheTransactionSentAndNeverSendsASecond(t *testing.T) {
	path := filepath.Join(t.TempDir(), "idempotency.db")
	led := &journalLedger{fakeLedger: &fakeLedger{}, committed: map[string]bool{}}
	s, tokens := testServer(t, led.fakeLedger)
	s.cfg.Ledger = led
	s = NewServer(s.cfg)
	st := openStore(t, path, 0, 0)
	s = withIdempotency(s, st)
	accept := func(s http.Handler) *httptest.ResponseRecorder {
		return do(t, s, "POST", "/v1/receivables/R-1/accept", tokens["supplier-a"], "", "Idempotency-Key", "k1")
	}

	rec := accept(s)
	require.Equal(t, http.StatusAccepted, rec.Code, rec.Body.String())
	require.Contains(t, rec.Body.String(), `"txId":"tx-1"`)
	rec = accept(s)
	require.Equal(t, http.StatusAccepted, rec.Code, "still unknown")
	require.Equal(t, []string{"tx-1"}, led.sent, "no second transaction")
	require.Equal(t, []string{"tx-1"}, led.followed)

	// The gateway restarts; meanwhile the transaction committed.
	require.NoError(t, st.Close())
	led.committed["tx-1"] = true
	s2 := NewServer(s.cfg)
	s2 = withIdempotency(s2, openStore(t, path, 0, 0))
	rec = accept(s2)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var res wire.SubmitResponse
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &res))
	require.Equal(t, "tx-1", res.TransactionID)
	require.Equal(t, uint64(7), res.BlockNumber)
	require.JSONEq(t, `{"txId":"tx-1"}`, string(res.Result))
	rec = accept(s2)
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, "true", rec.Header().Get("Idempotent-Replayed"), "the outcome is final")
	require.Equal(t, []string{"tx-1"}, led.sent)
	require.Equal(t, []string{"tx-1", "tx-1"}, led.followed)

	// Refused before anything was sent: the answer is an error, and a retry runs anew.
	led.refuse = &fabric.Error{Kind: wire.KindUnavailable, Stage: "endorse", Message: "no peer answered"}
	other := func() int {
		return do(t, s2, "POST", "/v1/receivables/R-2/accept", tokens["supplier-a"], "", "Idempotency-Key", "k2").Code
	}
	require.Equal(t, http.StatusServiceUnavailable, other())
	led.refuse = nil
	led.committed["tx-2"] = true
	require.Equal(t, http.StatusOK, other())
	require.Equal(t, []string{"tx-1", "tx-2"}, led.sent)
}

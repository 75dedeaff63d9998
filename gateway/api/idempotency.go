package api

import (
	"bytes"
	"container/list"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/recv-ledger/recv/gateway/fabric"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// IdempotencyStore remembers the first answer to each (caller, Idempotency-Key) so that a retry
// gets that answer instead of a second transaction. It is bounded in size and age; the Issue id
// derived from the key (IssueIDForKey) protects against a double issue beyond that.
//
// NewIdempotencyStore keeps the answers in memory only (tests, a gateway without a state folder);
// OpenIdempotencyStore also keeps them in a bbolt file, so that they survive a restart. In both,
// requests in flight are coordinated in memory.
type IdempotencyStore struct {
	max     int
	ttl     time.Duration
	now     func() time.Time
	durable idemBackend // nil: memory only

	mu      sync.Mutex
	entries map[string]*list.Element
	order   *list.List // oldest first
}

type idemEntry struct {
	key         string
	fingerprint string
	created     time.Time
	done        chan struct{}
	status      int
	header      http.Header
	body        []byte
	sent        []fabric.Sent // the transactions the request sent, by step (fabric.Journal)
	unsaved     bool          // answered, but the durable store could not record the answer (a full disk)
}

// final reports whether e's answer is the request's outcome, replayed to every retry: any answer
// below 500 except 202 (sent, outcome pending). A 5xx, a 202 or no answer at all (the gateway
// stopped while the request ran) is not: a retry runs the request again, following the
// transactions it sent (sent) instead of sending new ones.
func (e *idemEntry) final() bool {
	return e.status != 0 && e.status < 500 && e.status != http.StatusAccepted
}

// NewIdempotencyStore keeps at most max entries (default 10000) for ttl (default 24h).
func NewIdempotencyStore(max int, ttl time.Duration) *IdempotencyStore {
	if max <= 0 {
		max = 10000
	}
	if ttl <= 0 {
		ttl = 24 * time.Hour
	}
	return &IdempotencyStore{max: max, ttl: ttl, now: time.Now, entries: map[string]*list.Element{}, order: list.New()}
}

// OpenIdempotencyStore keeps at most max entries for ttl (defaults as NewIdempotencyStore) in the
// bbolt file at path (created if missing) as well as in memory. Close it when done.
func OpenIdempotencyStore(path string, max int, ttl time.Duration) (*IdempotencyStore, error) {
	b, err := openBoltIdemBackend(path)
	if err != nil {
		return nil, err
	}
	s := NewIdempotencyStore(max, ttl)
	s.durable = b
	return s, nil
}

// Close closes the file of a durable store.
func (s *IdempotencyStore) Close() error {
	if s == nil || s.durable == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.durable.close()
}

// begin returns the existing entry for key, or creates one owned by the caller (fresh true).
func (s *IdempotencyStore) begin(key, fingerprint string) (e *idemEntry, fresh bool) {
	e, fresh, _ = s.claim(key, fingerprint)
	return e, fresh
}

// claim is begin that also looks the key up in the durable store and records a new key there
// before the request runs. An entry whose answer is not final (idemEntry.final) is taken over: the
// caller gets a fresh entry that keeps the transactions the earlier run sent, so that it follows
// them. An error (the store cannot be written) leaves nothing behind: the request must not run.
func (s *IdempotencyStore) claim(key, fingerprint string) (e *idemEntry, fresh bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for s.order.Len() > 0 {
		oldest := s.order.Front().Value.(*idemEntry)
		if s.order.Len() < s.max && now.Sub(oldest.created) < s.ttl {
			break
		}
		s.order.Remove(s.order.Front())
		delete(s.entries, oldest.key)
	}
	if el, ok := s.entries[key]; ok {
		e := el.Value.(*idemEntry)
		if e.unsaved {
			// Space may have returned: record the answer now, so that it outlives this process.
			if s.durable.put(key, e.record(), s.max, now.Add(-s.ttl).UnixNano()) == nil {
				e.unsaved = false
			}
		}
		if !settled(e) || e.final() || e.fingerprint != fingerprint {
			return e, false, nil
		}
		next := &idemEntry{key: key, fingerprint: fingerprint, created: e.created, done: make(chan struct{}), sent: e.sent}
		el.Value = next
		return next, true, nil
	}
	var sent []fabric.Sent
	created := now
	if s.durable != nil {
		rec, err := s.durable.get(key)
		if err != nil {
			return nil, false, &errStore{dir: s.durable.where(), err: err}
		}
		if rec != nil && now.Sub(time.Unix(0, rec.Created)) < s.ttl {
			// Answered before this process started, or run by it without a final answer (it
			// stopped, or answered 5xx or 202). Not cached in memory: the file is the record.
			e = &idemEntry{key: key, fingerprint: rec.Fingerprint, created: time.Unix(0, rec.Created),
				done: make(chan struct{}), status: rec.Status, header: rec.Header, body: rec.Body, sent: rec.Sent}
			close(e.done)
			if e.final() || e.fingerprint != fingerprint {
				return e, false, nil
			}
			sent, created = rec.Sent, e.created
		} else {
			pending := idemRecord{Fingerprint: fingerprint, Created: now.UnixNano()}
			if err := s.durable.put(key, pending, s.max, now.Add(-s.ttl).UnixNano()); err != nil {
				return nil, false, &errStore{dir: s.durable.where(), err: err}
			}
		}
	}
	e = &idemEntry{key: key, fingerprint: fingerprint, created: created, done: make(chan struct{}), sent: sent}
	s.entries[key] = s.order.PushBack(e)
	return e, true, nil
}

// settled reports whether e's request has ended (its answer, final or not, is recorded).
func settled(e *idemEntry) bool {
	select {
	case <-e.done:
		return true
	default:
		return false
	}
}

// record is e as the durable store keeps it.
func (e *idemEntry) record() idemRecord {
	return idemRecord{Fingerprint: e.fingerprint, Created: e.created.UnixNano(), Status: e.status, Header: e.header, Body: e.body, Sent: e.sent}
}

// finish records the answer, or forgets the key when the answer should not be replayed.
func (s *IdempotencyStore) finish(e *idemEntry, status int, header http.Header, body []byte) {
	_ = s.settle(e, status, header, body)
}

// settle records the answer and reports a failure to record it in the durable store (it is then
// still kept in memory, so a retry in this process gets it). An answer that is not final and sent
// nothing (a 5xx before any transaction was sent) is forgotten: a retry simply runs again.
func (s *IdempotencyStore) settle(e *idemEntry, status int, header http.Header, body []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer close(e.done)
	e.status, e.header, e.body = status, header, body
	if !e.final() && len(e.sent) == 0 {
		if el, ok := s.entries[e.key]; ok && el.Value == e {
			s.order.Remove(el)
			delete(s.entries, e.key)
		}
		if s.durable != nil {
			if err := s.durable.del(e.key); err != nil {
				return &errStore{dir: s.durable.where(), err: err}
			}
		}
		return nil
	}
	if e.final() {
		e.sent = nil // the outcome is the answer now: nothing left to follow
	}
	if s.durable != nil {
		if err := s.durable.put(e.key, e.record(), s.max, s.now().Add(-s.ttl).UnixNano()); err != nil {
			// Kept in memory; the next request with this key tries to record it again.
			e.unsaved = true
			return &errStore{dir: s.durable.where(), err: err}
		}
	}
	return nil
}

// journal is the fabric.Journal of the request that owns e: the transactions it sends are kept
// in e and, before each is sent, in the durable store.
type journal struct {
	s *IdempotencyStore
	e *idemEntry
}

func (j journal) Sent(step int) *fabric.Sent {
	j.s.mu.Lock()
	defer j.s.mu.Unlock()
	if step < len(j.e.sent) {
		tx := j.e.sent[step]
		return &tx
	}
	return nil
}

func (j journal) Record(step int, tx fabric.Sent) error {
	j.s.mu.Lock()
	defer j.s.mu.Unlock()
	sent := append([]fabric.Sent(nil), j.e.sent[:min(step, len(j.e.sent))]...)
	sent = append(sent, tx)
	if j.s.durable != nil {
		rec := idemRecord{Fingerprint: j.e.fingerprint, Created: j.e.created.UnixNano(), Sent: sent}
		if err := j.s.durable.put(j.e.key, rec, j.s.max, j.s.now().Add(-j.s.ttl).UnixNano()); err != nil {
			return &errStore{dir: j.s.durable.where(), err: err}
		}
	}
	j.e.sent = sent
	return nil
}

// Len is the number of remembered keys (in the durable store when there is one).
func (s *IdempotencyStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.durable != nil {
		return s.durable.len()
	}
	return s.order.Len()
}

type bufferedWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedWriter) Header() http.Header { return b.header }
func (b *bufferedWriter) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}
func (b *bufferedWriter) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

// idempotent replays the first final answer to a POST or PUT carrying an Idempotency-Key: every
// answer below 500 but 202. Until there is one, the same request asked again runs again, and
// follows the transactions the earlier runs sent (recorded before each was sent, in the durable
// store when there is one) instead of sending new ones: after a 5xx, a 202 (sent, outcome not
// known yet) or a gateway restart, it learns and answers their real outcome.
func (s *Server) idempotent(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Idempotency-Key")
		if key == "" {
			next.ServeHTTP(w, r)
			return
		}
		if len(key) > 200 {
			s.writeError(w, r, badRequest("Idempotency-Key longer than 200 characters"))
			return
		}
		body, err := readBody(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		sum := sha256.Sum256(append([]byte(r.Method+" "+r.URL.Path+"\n"), body...))
		fingerprint := hex.EncodeToString(sum[:])
		for {
			e, fresh, err := s.idem.claim(caller(r)+"\x00"+key, fingerprint)
			if err != nil {
				s.writeError(w, r, &Failure{Kind: wire.KindUnavailable, Stage: "request", Err: err,
					Message: "unavailable: " + err.Error() + "; nothing was submitted: check that disk (free space) and retry with the same Idempotency-Key"})
				return
			}
			if fresh {
				r.Body = io.NopCloser(bytes.NewReader(body))
				s.runRecorded(w, r.WithContext(fabric.WithJournal(r.Context(), journal{s: s.idem, e: e})), e, next)
				return
			}
			if e.fingerprint != fingerprint {
				s.writeError(w, r, &Failure{Kind: wire.KindInvalid, Stage: "request",
					Message: "invalid: this Idempotency-Key was used for a different request"})
				return
			}
			select {
			case <-e.done:
			case <-r.Context().Done():
				s.writeError(w, r, &Failure{Kind: wire.KindTimeout, Stage: "request", Message: "timed out waiting for the first request with this Idempotency-Key"})
				return
			}
			if !e.final() {
				continue // the first run ended without an outcome: take it over
			}
			for k, v := range e.header {
				w.Header()[k] = v
			}
			w.Header().Set("Idempotent-Replayed", "true")
			w.WriteHeader(e.status)
			_, _ = w.Write(e.body)
			return
		}
	})
}

// runRecorded runs the request that owns e and records its answer.
func (s *Server) runRecorded(w http.ResponseWriter, r *http.Request, e *idemEntry, next http.Handler) {
	buf := &bufferedWriter{header: http.Header{}}
	settled := false
	defer func() {
		// Runs if the handler panics, so waiting retries are released.
		if !settled {
			s.idem.finish(e, buf.status, buf.header.Clone(), buf.body.Bytes())
		}
	}()
	next.ServeHTTP(buf, r)
	settled = true
	if buf.status == 0 {
		buf.status = http.StatusOK
	}
	if err := s.idem.settle(e, buf.status, buf.header.Clone(), buf.body.Bytes()); err != nil {
		if e.final() {
			s.writeError(w, r, &Failure{Kind: wire.KindUnavailable, Stage: "request", Err: err,
				Message: "unavailable: the request was answered but " + err.Error() + "; retry with the same Idempotency-Key to get its answer"})
			return
		}
		s.log.Warn("idempotency store", "err", err)
	}
	for k, v := range buf.header {
		w.Header()[k] = v
	}
	w.WriteHeader(buf.status)
	_, _ = w.Write(buf.body.Bytes())
}

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
	interrupted bool // recorded by an earlier process that stopped before its answer
	unsaved     bool // answered, but the durable store could not record the answer (a full disk)
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

// UseIdempotencyStore makes the server keep its idempotency records in st (call it before
// serving; the server does not close st).
func (s *Server) UseIdempotencyStore(st *IdempotencyStore) {
	if st != nil {
		s.idem = st
	}
}

// begin returns the existing entry for key, or creates one owned by the caller (fresh true).
func (s *IdempotencyStore) begin(key, fingerprint string) (e *idemEntry, fresh bool) {
	e, fresh, _ = s.claim(key, fingerprint)
	return e, fresh
}

// claim is begin that also looks the key up in the durable store and records a new key there
// before the request runs. An error (the store cannot be written) leaves nothing behind: the
// request must not run.
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
			rec := idemRecord{Fingerprint: e.fingerprint, Created: e.created.UnixNano(), Status: e.status, Header: e.header, Body: e.body}
			if s.durable.put(key, rec, s.max, now.Add(-s.ttl).UnixNano()) == nil {
				e.unsaved = false
			}
		}
		return e, false, nil
	}
	if s.durable != nil {
		rec, err := s.durable.get(key)
		if err != nil {
			return nil, false, &errStore{dir: s.durable.where(), err: err}
		}
		if rec != nil && now.Sub(time.Unix(0, rec.Created)) < s.ttl {
			// Answered before this process started (or its answer was never recorded:
			// interrupted). Not cached in memory: the file is the record.
			e = &idemEntry{key: key, fingerprint: rec.Fingerprint, created: time.Unix(0, rec.Created),
				done: make(chan struct{}), status: rec.Status, header: rec.Header, body: rec.Body,
				interrupted: rec.Status == 0}
			close(e.done)
			return e, false, nil
		}
		pending := idemRecord{Fingerprint: fingerprint, Created: now.UnixNano()}
		if err := s.durable.put(key, pending, s.max, now.Add(-s.ttl).UnixNano()); err != nil {
			return nil, false, &errStore{dir: s.durable.where(), err: err}
		}
	}
	e = &idemEntry{key: key, fingerprint: fingerprint, created: now, done: make(chan struct{})}
	s.entries[key] = s.order.PushBack(e)
	return e, true, nil
}

// finish records the answer, or forgets the key when the answer should not be replayed.
func (s *IdempotencyStore) finish(e *idemEntry, status int, header http.Header, body []byte, keep bool) {
	_ = s.settle(e, status, header, body, keep)
}

// settle is finish that reports a failure to record the answer in the durable store. The answer
// is then still kept in memory, so a retry in this process gets it.
func (s *IdempotencyStore) settle(e *idemEntry, status int, header http.Header, body []byte, keep bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer close(e.done)
	e.status, e.header, e.body = status, header, body
	if !keep {
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
	if s.durable != nil {
		rec := idemRecord{Fingerprint: e.fingerprint, Created: e.created.UnixNano(), Status: status, Header: header, Body: body}
		if err := s.durable.put(e.key, rec, s.max, s.now().Add(-s.ttl).UnixNano()); err != nil {
			// Kept in memory; the next request with this key tries to record it again.
			e.unsaved = true
			return &errStore{dir: s.durable.where(), err: err}
		}
	}
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

// idempotent replays the first answer to a POST or PUT carrying an Idempotency-Key. Answers of
// 5xx are not kept: the caller should check the transaction id or retry, and the retry runs.
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
		e, fresh, err := s.idem.claim(caller(r)+"\x00"+key, fingerprint)
		if err != nil {
			s.writeError(w, r, &fabric.Error{Kind: wire.KindUnavailable, Stage: "request", Err: err,
				Message: "unavailable: " + err.Error() + "; nothing was submitted: check that disk (free space) and retry with the same Idempotency-Key"})
			return
		}
		if !fresh {
			if e.fingerprint != fingerprint {
				s.writeError(w, r, &fabric.Error{Kind: wire.KindInvalid, Stage: "request",
					Message: "invalid: this Idempotency-Key was used for a different request"})
				return
			}
			select {
			case <-e.done:
			case <-r.Context().Done():
				s.writeError(w, r, &fabric.Error{Kind: wire.KindTimeout, Stage: "request", Message: "timed out waiting for the first request with this Idempotency-Key"})
				return
			}
			if e.interrupted {
				s.writeError(w, r, &fabric.Error{Kind: wire.KindConflict, Stage: "request",
					Message: "conflict: the first request with this Idempotency-Key was interrupted by a gateway restart and its outcome is unknown: look the result up on the ledger, or use a new key"})
				return
			}
			if e.status == 0 {
				s.writeError(w, r, &fabric.Error{Kind: wire.KindConflict, Stage: "request", Message: "conflict: the first request with this Idempotency-Key failed; retry"})
				return
			}
			for k, v := range e.header {
				w.Header()[k] = v
			}
			w.Header().Set("Idempotent-Replayed", "true")
			w.WriteHeader(e.status)
			_, _ = w.Write(e.body)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		buf := &bufferedWriter{header: http.Header{}}
		settled := false
		defer func() {
			// Runs if the handler panics, so waiting retries are released.
			if !settled {
				s.idem.finish(e, buf.status, buf.header.Clone(), buf.body.Bytes(), buf.status != 0 && buf.status < 500)
			}
		}()
		next.ServeHTTP(buf, r)
		settled = true
		if err := s.idem.settle(e, buf.status, buf.header.Clone(), buf.body.Bytes(), buf.status != 0 && buf.status < 500); err != nil {
			if buf.status != 0 && buf.status < 500 {
				s.writeError(w, r, &fabric.Error{Kind: wire.KindUnavailable, Stage: "request", Err: err,
					Message: "unavailable: the request was answered but " + err.Error() + "; retry with the same Idempotency-Key to get its answer"})
				return
			}
			s.log.Warn("idempotency store", "err", err)
		}
		for k, v := range buf.header {
			w.Header()[k] = v
		}
		if buf.status == 0 {
			buf.status = http.StatusOK
		}
		w.WriteHeader(buf.status)
		_, _ = w.Write(buf.body.Bytes())
	})
}

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
type IdempotencyStore struct {
	max int
	ttl time.Duration
	now func() time.Time

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

// begin returns the existing entry for key, or creates one owned by the caller (fresh true).
func (s *IdempotencyStore) begin(key, fingerprint string) (e *idemEntry, fresh bool) {
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
		return el.Value.(*idemEntry), false
	}
	e = &idemEntry{key: key, fingerprint: fingerprint, created: now, done: make(chan struct{})}
	s.entries[key] = s.order.PushBack(e)
	return e, true
}

// finish records the answer, or forgets the key when the answer should not be replayed.
func (s *IdempotencyStore) finish(e *idemEntry, status int, header http.Header, body []byte, keep bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e.status, e.header, e.body = status, header, body
	if !keep {
		if el, ok := s.entries[e.key]; ok && el.Value == e {
			s.order.Remove(el)
			delete(s.entries, e.key)
		}
	}
	close(e.done)
}

// Len is the number of remembered keys.
func (s *IdempotencyStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
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
		e, fresh := s.idem.begin(caller(r)+"\x00"+key, fingerprint)
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
		defer func() {
			// Runs even if the handler panics, so waiting retries are released.
			s.idem.finish(e, buf.status, buf.header.Clone(), buf.body.Bytes(), buf.status != 0 && buf.status < 500)
		}()
		next.ServeHTTP(buf, r)
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

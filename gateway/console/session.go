package console

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"sync"
	"time"
)

// session is one signed-in person: the identity its token acts as, the token itself (kept in the
// gateway's memory only, never sent back to the browser), the CSRF token of its forms, and the
// notices waiting for the next page.
type session struct {
	id      string
	csrf    string
	token   string
	name    string // wallet identity
	account string // MSP/user
	role    string
	offline bool // the identity signs offline: the console only reads
	expires time.Time

	mu     sync.Mutex
	notice []notice
}

// notice is the outcome of a write, shown once on the next page: the committed transaction or the
// refusal's message.
type notice struct {
	OK     bool
	Action string // "签收 Accept"
	Target string // the receivable or root
	// Instruction is the request a maker's write recorded, waiting for the approver (two-person
	// control at the core enterprise).
	Instruction string
	TxID        string
	Block       uint64
	Kind        string // the refusal's kind
	Detail      string // the refusal's message
}

func (s *session) push(n notice) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.notice) >= 10 {
		s.notice = s.notice[1:]
	}
	s.notice = append(s.notice, n)
}

func (s *session) pop() []notice {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.notice
	s.notice = nil
	return n
}

// sessions are kept in memory: a restart of the gateway signs everyone out, and no session of one
// gateway means anything at another.
type sessions struct {
	ttl time.Duration
	max int
	now func() time.Time

	mu sync.Mutex
	m  map[string]*session
}

func newSessions(ttl time.Duration, max int) *sessions {
	return &sessions{ttl: ttl, max: max, now: time.Now, m: map[string]*session{}}
}

// randomToken is 32 random bytes, base64url.
func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("console: no randomness: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// create starts a session; the oldest ones make room when the store is full.
func (ss *sessions) create(s *session) *session {
	s.id, s.csrf = randomToken(), randomToken()
	now := ss.now()
	s.expires = now.Add(ss.ttl)
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for id, old := range ss.m {
		if !now.Before(old.expires) {
			delete(ss.m, id)
		}
	}
	for len(ss.m) >= ss.max {
		var oldest *session
		for _, o := range ss.m {
			if oldest == nil || o.expires.Before(oldest.expires) {
				oldest = o
			}
		}
		delete(ss.m, oldest.id)
	}
	ss.m[s.id] = s
	return s
}

// get returns the live session with this id.
func (ss *sessions) get(id string) (*session, bool) {
	if id == "" {
		return nil, false
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s, ok := ss.m[id]
	if !ok {
		return nil, false
	}
	if !ss.now().Before(s.expires) {
		delete(ss.m, id)
		return nil, false
	}
	return s, true
}

func (ss *sessions) remove(id string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.m, id)
}

// sameToken compares two secrets in constant time; an empty one never matches.
func sameToken(a, b string) bool {
	return a != "" && b != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

package auth

import (
	"math"
	"net"
	"net/http"
	"sync"
	"time"
)

// FailureLimiter bounds failed authentications per source address (the host part of the TCP
// peer's address; forwarding headers are never trusted): each source has a bucket of Burst
// failures that refills at PerMinute a minute. A source whose bucket is empty is refused before its
// credential is looked at until the bucket refills, so it can neither guess tokens quickly nor
// fill the log; sources with a credential that works never spend from their bucket.
type FailureLimiter struct {
	Burst     int // failures a source may make at once
	PerMinute int // failures a minute a source may make in the long run

	now     func() time.Time // the clock; time.Now unless a test sets it
	mu      sync.Mutex
	sources map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// maxSources bounds the sources remembered: past it, the sources whose buckets are full again
// are forgotten first.
const maxSources = 10000

// NewFailureLimiter returns a limiter of burst failures at once and perMinute failures a minute
// per source; burst <= 0 turns limiting off (a nil limiter allows everything).
func NewFailureLimiter(burst, perMinute int) *FailureLimiter {
	if burst <= 0 {
		return nil
	}
	if perMinute <= 0 {
		perMinute = 1
	}
	return &FailureLimiter{Burst: burst, PerMinute: perMinute, now: time.Now, sources: map[string]*bucket{}}
}

// Source is the address a request's failures are counted against: the host of its TCP peer.
func Source(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// refill brings b up to date at t.
func (l *FailureLimiter) refill(b *bucket, t time.Time) {
	b.tokens += t.Sub(b.at).Minutes() * float64(l.PerMinute)
	if b.tokens > float64(l.Burst) {
		b.tokens = float64(l.Burst)
	}
	b.at = t
}

// Blocked says whether source has no failure left, and when it may try again.
func (l *FailureLimiter) Blocked(source string) (bool, time.Duration) {
	if l == nil {
		return false, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.sources[source]
	if !ok {
		return false, 0
	}
	l.refill(b, l.now())
	if b.tokens >= 1 {
		return false, 0
	}
	wait := time.Duration(math.Ceil((1 - b.tokens) / float64(l.PerMinute) * 60))
	return true, wait * time.Second
}

// Fail counts one failed authentication of source.
func (l *FailureLimiter) Fail(source string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	t := l.now()
	b, ok := l.sources[source]
	if !ok {
		if len(l.sources) >= maxSources {
			l.forgetFull(t)
		}
		b = &bucket{tokens: float64(l.Burst), at: t}
		l.sources[source] = b
	}
	l.refill(b, t)
	if b.tokens > 0 {
		b.tokens--
	}
}

// forgetFull drops the sources whose buckets have refilled; if none has, all of them (an
// attacker with more than maxSources addresses gets fresh buckets rather than memory).
func (l *FailureLimiter) forgetFull(t time.Time) {
	for s, b := range l.sources {
		l.refill(b, t)
		if b.tokens >= float64(l.Burst) {
			delete(l.sources, s)
		}
	}
	if len(l.sources) >= maxSources {
		l.sources = map[string]*bucket{}
	}
}

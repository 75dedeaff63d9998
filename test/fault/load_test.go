package fault

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/client"
	"github.com/recv-ledger/recv/test/internal/gwtest"
	"github.com/recv-ledger/recv/test/internal/story"
)

// Bounds of the load: workers writing at once, how long one attempt and one write (all its
// retries) may take. A write outlives every fault of the suite: the longest, the whole network
// stopped and started, takes well under a minute.
const (
	workers        = 4
	attemptTimeout = 45 * time.Second
	writeTimeout   = 4 * time.Minute
)

// ack is a write a gateway acknowledged: its answer carried the committed transaction's id.
type ack struct {
	Write   string // op and receivable: the one logical write, whatever its retries
	Gateway string // the organisation whose gateway answered
	TxID    string
	At      time.Time
}

// load is a steady mixed load of chains of writes (issue, accept, split, transfer, financing,
// redeem) through the REST gateways, each write with an idempotency key and retried with the same
// key while the gateway does not answer, answers 5xx or answers 202 (sent, outcome not known yet:
// the same key follows that transaction). A refusal after an unanswered attempt (the first attempt
// may have committed) is resolved by reading the ledger: the write's effect is there (it counts as
// applied, not acknowledged) or the write is sent again under a new key. Every answer that names
// a transaction as failed is kept (claims) and checked against the ledger.
type load struct {
	run     string
	clients map[string]*client.Client // by account
	reader  *client.Client            // the auditor: reads outcomes

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	acks     []ack
	applied  int // writes found applied on the ledger whose answer was lost
	pending  int // attempts answered "sent, outcome not known yet" until the attempt's time was up
	claims   []claim
	retries  int      // attempts after the first
	failed   []string // why each attempt that was retried failed (at most maxFailed), for the report
	cut      int      // attempts that got no answer at all (the connection failed or was cut)
	errs     []error
	inflight map[string]*atomic.Int64 // requests in flight per gateway (organisation MSP ID)
	sent     map[string]*atomic.Int64 // when the last request to each gateway was sent (Unix ns)
}

func newLoad(t *testing.T, netDir, run string) *load {
	l := &load{run: run, clients: map[string]*client.Client{}, inflight: map[string]*atomic.Int64{},
		sent: map[string]*atomic.Int64{}}
	for _, account := range []string{story.Treasurer, story.Approver, story.Tier1, story.Tier2, story.Bank1, story.Auditor} {
		loc, err := client.Locate(netDir, account)
		require.NoError(t, err)
		token, err := client.ReadToken(loc.TokenFile)
		require.NoError(t, err)
		c, err := client.New(loc.BaseURL, token, client.WithHTTPClient(&http.Client{}))
		require.NoError(t, err)
		l.clients[account] = c
		l.inflight[loc.MSPID] = &atomic.Int64{}
		l.sent[loc.MSPID] = &atomic.Int64{}
	}
	l.reader = l.clients[story.Auditor]
	return l
}

// start runs the workers until stop; chain n of worker w writes receivable RUN-w-n.
func (l *load) start(t *testing.T) {
	l.ctx, l.cancel = context.WithCancel(context.Background())
	for w := 0; w < workers; w++ {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for n := 0; l.ctx.Err() == nil; n++ {
				if err := l.chain(t, fmt.Sprintf("%s-%d-%d", l.run, w, n), n%2 == 0); err != nil {
					l.fail(err)
					return
				}
			}
		}()
	}
}

// stop lets each worker finish the write it is on (a write already sent is seen through to its
// outcome) and waits for them.
func (l *load) stop() {
	l.cancel()
	l.wg.Wait()
}

func (l *load) fail(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.errs = append(l.errs, err)
}

// claim is an answer that said a transaction did not commit (an error naming it): the ledger
// must never contradict it.
type claim struct {
	Write, TxID, Answer string
}

// write is one step of a chain.
type write struct {
	as    string // account
	op    string // wire.Ops name
	id    string // path value
	body  any
	ready func(*wire.Receivable) bool // the acting account sees id so before it writes (nil: no wait)
	check string                      // the receivable that shows the write's effect (default id)
	done  func(*wire.Receivable) bool // the effect, read by the auditor
}

func status(s wire.Status) func(*wire.Receivable) bool {
	return func(r *wire.Receivable) bool { return r.Status == s }
}

func exists(*wire.Receivable) bool { return true }

// chain writes one receivable's story: financed, the core enterprise issues to tier 1, which
// accepts, splits and passes a piece to tier 2, which accepts it and has Bank1 finance it; due
// today, tier 1 accepts and splits, the core enterprise redeems one piece and then the rest. Once
// the load stops, a chain ends after its current write.
func (l *load) chain(t *testing.T, id string, financed bool) error {
	maturity := gwtest.Today()
	if financed {
		maturity = gwtest.InDays(90)
	}
	steps := []write{
		l.issue(t, id, maturity),
		{as: story.Tier1, op: "accept", id: id, ready: status(wire.StatusPending),
			done: func(r *wire.Receivable) bool { return r.Status != wire.StatusPending }},
		{as: story.Tier1, op: "split", id: id, body: wire.SplitRequest{Parts: []string{"400.00", "600.00"}},
			ready: status(wire.StatusActive), done: status(wire.StatusSplit)},
	}
	if financed {
		steps = append(steps,
			write{as: story.Tier1, op: "transfer", id: id + ".2", body: wire.TransferRequest{To: story.Tier2},
				ready: status(wire.StatusActive), done: func(r *wire.Receivable) bool { return r.PendingHolder == story.Tier2 || r.Holder == story.Tier2 }},
			write{as: story.Tier2, op: "accept", id: id + ".2", ready: func(r *wire.Receivable) bool { return r.PendingHolder == story.Tier2 },
				done: func(r *wire.Receivable) bool { return r.Holder == story.Tier2 }},
			write{as: story.Tier2, op: "request-financing", id: id + ".2", body: wire.FinancingRequest{Bank: "Bank1MSP"},
				ready: status(wire.StatusActive), done: func(r *wire.Receivable) bool { return r.Financing != nil }},
			write{as: story.Bank1, op: "approve-financing", id: id + ".2", body: wire.ApproveRequest{RateBps: 450},
				ready: status(wire.StatusFinancing), done: func(r *wire.Receivable) bool { return r.Financed() }},
		)
	} else {
		steps = append(steps,
			write{as: story.Treasurer, op: "redeem", id: id + ".1", body: wire.RedeemRequest{PaymentRef: "TRF-" + id + ".1"},
				ready: status(wire.StatusActive), done: status(wire.StatusRedeemed)},
			write{as: story.Treasurer, op: "redeem-all", id: id, check: id + ".2", body: wire.RedeemRequest{PaymentRef: "TRF-" + id},
				ready: func(*wire.Receivable) bool { return true }, done: status(wire.StatusRedeemed)},
		)
	}
	for _, s := range steps {
		if l.ctx.Err() != nil {
			return nil
		}
		if err := l.do(s); err != nil {
			return err
		}
	}
	return nil
}

// issue is the core enterprise's issue of id to tier 1: the one place the load issues.
func (l *load) issue(t *testing.T, id, maturity string) write {
	return write{as: story.Treasurer, op: "issue", body: gwtest.IssueBody(t, id, story.Tier1, "1000.00", maturity),
		check: id, done: exists}
}

// do runs one write to its outcome within writeTimeout: acknowledged, or found applied on the
// ledger after its answer was lost.
func (l *load) do(s write) error {
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	c := l.clients[s.as]
	name := s.op + " " + s.id
	if s.check == "" {
		s.check = s.id
	}
	if s.ready != nil {
		if err := waitFor(ctx, c, s.id, s.ready); err != nil {
			return fmt.Errorf("%s as %s: the receivable never got ready: %w", name, s.as, err)
		}
	}
	var pv []string
	if s.id != "" {
		pv = []string{s.id}
	}
	msp := mspOf(s.as)
	base := l.run + "/" + s.op + "/" + s.id + "/" + s.check
	key, answered := base, false
	var last error
	for attempt := 1; ; attempt++ {
		if attempt > 1 {
			l.count(&l.retries)
			l.note(name, s.as, last)
			if err := sleep(ctx, backoff(attempt)); err != nil {
				return fmt.Errorf("%s as %s: no outcome after %d attempts in %s, the last: %w", name, s.as, attempt-1, writeTimeout, last)
			}
		}
		actx, acancel := context.WithTimeout(ctx, attemptTimeout)
		l.inflight[msp].Add(1)
		l.sent[msp].Store(time.Now().UnixNano())
		res, err := c.Submit(actx, s.op, pv, s.body, client.WithIdempotencyKey(key))
		l.inflight[msp].Add(-1)
		acancel()
		last = err
		if err == nil {
			l.mu.Lock()
			l.acks = append(l.acks, ack{Write: name, Gateway: msp, TxID: res.TransactionID, At: time.Now()})
			l.mu.Unlock()
			if in, ierr := client.InstructionOf(res); ierr == nil && in != nil {
				// Two-person control: the maker's write recorded a request; the approver's
				// confirmation, a write of its own with its own key, makes the effect.
				return l.do(write{as: story.Approver, op: "confirm", id: in.ID, check: s.check, done: s.done})
			}
			return nil
		}
		var pending *client.PendingError
		if errors.As(err, &pending) {
			l.count(&l.pending)
			continue // sent, its outcome not known yet: the same key follows it
		}
		var p *wire.Problem
		if !errors.As(err, &p) {
			l.count(&l.cut)
			continue // no answer: the same key again
		}
		if p.TransactionID != "" {
			l.mu.Lock()
			l.claims = append(l.claims, claim{Write: name, TxID: p.TransactionID, Answer: fmt.Sprintf("%d %s", p.Status, p.Detail)})
			l.mu.Unlock()
		}
		if p.Status >= 500 || p.Status == http.StatusTooManyRequests {
			continue // the gateway could not finish: the same key again
		}
		// A maker's request an earlier attempt recorded before its answer was lost: the approver
		// confirms that one (the chaincode keeps one open request per receivable).
		if m := waiting.FindStringSubmatch(p.Detail); m != nil && s.op != "confirm" {
			return l.do(write{as: story.Approver, op: "confirm", id: m[1], check: s.check, done: s.done})
		}
		// A refusal: the first attempt may have applied the write before its answer was lost.
		if r, gerr := l.reader.Get(ctx, s.check); gerr == nil && s.done(r) {
			l.count(&l.applied)
			return nil
		}
		// A write that waited for an earlier one's state (ready, read through its own gateway)
		// is endorsed by other organisations' peers too, and one still a block behind (catching
		// up after the orderers' quorum came back) refuses it as that state's absence would:
		// forbidden "held by ..." before the accept reached it. Such a refusal is retried like
		// a conflict; any other at the first attempt is a bug of the load or of the rules.
		behind := s.ready != nil && p.Kind == wire.KindForbidden
		if !answered && attempt == 1 && p.Kind != wire.KindNotFound && p.Kind != wire.KindConflict && !behind {
			return fmt.Errorf("%s as %s: refused at once: %w", name, s.as, err)
		}
		answered = true
		// Refused and not applied (a peer a block behind, an attempt that lost a race with its
		// own earlier one still in flight): the gateway keeps this key's refusal, so a new key.
		key = fmt.Sprintf("%s#%d", base, attempt)
	}
}

// waiting finds the open request a maker's refused write names (two-person control).
var waiting = regexp.MustCompile(`already waits for its checker: instruction (I[0-9A-Za-z]+)`)

// cuts is the number of attempts that got no answer so far.
func (l *load) cuts() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.cut
}

// maxFailed bounds the failed attempts a round keeps the reasons of.
const maxFailed = 20

// note keeps why an attempt of the write failed (the report of a planned change names them).
func (l *load) note(write, as string, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.failed) < maxFailed {
		l.failed = append(l.failed, fmt.Sprintf("%s as %s at %s: %v", write, as, time.Now().Format("15:04:05.000"), err))
	}
}

func (l *load) count(n *int) {
	l.mu.Lock()
	*n++
	l.mu.Unlock()
}

// waitFor reads id through c until cond holds, through any fault.
func waitFor(ctx context.Context, c *client.Client, id string, cond func(*wire.Receivable) bool) error {
	for {
		actx, cancel := context.WithTimeout(ctx, 15*time.Second)
		r, err := c.Get(actx, id)
		cancel()
		if err == nil && cond(r) {
			return nil
		}
		if serr := sleep(ctx, 150*time.Millisecond); serr != nil {
			if err != nil {
				return err
			}
			return fmt.Errorf("still %s", r.Status)
		}
	}
}

func backoff(attempt int) time.Duration {
	d := time.Duration(attempt) * 250 * time.Millisecond
	return min(d, 2*time.Second)
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

func mspOf(account string) string {
	for i := range account {
		if account[i] == '/' {
			return account[:i]
		}
	}
	return account
}

// acked is a copy of the acknowledged writes so far, in the order of their answers.
func (l *load) acked() []ack {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := append([]ack(nil), l.acks...)
	sort.Slice(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

// waitAcks waits until n more writes than `from` were acknowledged since `since` (through
// gateway msp when not ""), or bound passed; it reports whether they were.
func (l *load) waitAcks(since time.Time, msp string, n int, bound time.Duration) bool {
	deadline := time.Now().Add(bound)
	for time.Now().Before(deadline) {
		if len(l.ackedSince(since, msp)) >= n {
			return true
		}
		l.mu.Lock()
		failed := len(l.errs) > 0
		l.mu.Unlock()
		if failed {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
	return false
}

func (l *load) ackedSince(since time.Time, msp string) []ack {
	var out []ack
	for _, a := range l.acked() {
		if !a.At.Before(since) && (msp == "" || a.Gateway == msp) {
			out = append(out, a)
		}
	}
	return out
}

// stall is the longest time after t0 in which no write was acknowledged, up to the last one.
func stall(acks []ack, t0 time.Time) time.Duration {
	prev, longest := t0, time.Duration(0)
	for _, a := range acks {
		if a.At.Before(t0) {
			continue
		}
		longest = max(longest, a.At.Sub(prev))
		prev = a.At
	}
	return longest
}

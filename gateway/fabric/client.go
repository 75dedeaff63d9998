// Package fabric is the gateway service's connection to its organisation's peer: one shared
// gRPC connection, the organisation's wallet of identities loaded once, submit and evaluate with
// errors typed by stage, MVCC retries, transaction status by id, chaincode events, and the
// offline-signing flow in which the service never holds the signer's key.
package fabric

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"google.golang.org/grpc"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// Options configure a Client. Zero values take the defaults noted on each field.
type Options struct {
	Channel   string
	Chaincode string
	MSPID     string

	EvaluateTimeout time.Duration // default 10s
	EndorseTimeout  time.Duration // default 15s
	SubmitTimeout   time.Duration // default 10s
	CommitTimeout   time.Duration // default 60s
	// ResubmitAfter is how long a commit wait lasts before the same signed transaction is sent
	// to the ordering service again, within CommitTimeout: a transaction that the ordering
	// service lost (its Raft leader died before ordering it) then commits instead of being waited
	// for in vain. Every copy has the same transaction id, so at most one is valid (the peers mark
	// a later copy DUPLICATE_TXID). Default 10s; negative: never.
	ResubmitAfter time.Duration

	// Retries is how many times a transaction that failed with an MVCC conflict, or whose
	// endorsing peers disagree, is tried again with a fresh proposal. Default 5: with Backoff's
	// doubling, 3.1 s in all, enough for the peers to agree again after a block that changes what
	// they endorse with (a chaincode definition two peers commit a moment apart under load); a
	// budget of 0.7 s (3) was short of it.
	Retries int
	// Backoff is the first wait before a retry; it doubles each time. Default 100ms.
	Backoff time.Duration
	// PeerDownFor is how long, from the first endorsement that could not reach a peer it needs
	// (this organisation's own peer restarting, as when its certificates are renewed, or no peer of
	// an organisation the policy names) until one reaches its peers again, transactions that meet
	// such a failure are tried again with a fresh proposal, the wait doubling from Backoff up to one
	// second: nothing was sent to the orderer, so a retry cannot apply anything twice, and a slow
	// answer beats a failed one while a peer restarts. The window is the client's, not each
	// request's: once a peer has been down that long, requests are answered unavailable at once
	// until an endorsement reaches its peers again. Default 10s (a peer restarts in 3-8 s here under
	// load); negative: no such retry.
	PeerDownFor time.Duration
	// StaleRetries is how many times a chaincode "not_found", "conflict" or "forbidden" refusal at
	// endorsement is tried again after a backoff when it came from another organisation's peer:
	// that peer may be a block behind the one that committed the caller's previous transaction
	// (peers commit the same block a few milliseconds apart). A refusal by this organisation's own
	// peer is final: the gateway endorses there first, and that peer has committed everything this
	// gateway committed. Refusals change nothing, so a retry is safe. Default 2; negative disables.
	StaleRetries int
}

func (o *Options) setDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.EvaluateTimeout, 10*time.Second)
	def(&o.EndorseTimeout, 15*time.Second)
	def(&o.SubmitTimeout, 10*time.Second)
	def(&o.CommitTimeout, 60*time.Second)
	if o.ResubmitAfter == 0 {
		o.ResubmitAfter = 10 * time.Second
	}
	def(&o.Backoff, 100*time.Millisecond)
	if o.PeerDownFor == 0 {
		o.PeerDownFor = 10 * time.Second
	}
	if o.StaleRetries < 0 {
		o.StaleRetries = 0
	} else if o.StaleRetries == 0 {
		o.StaleRetries = 2
	}
	if o.Retries < 0 {
		o.Retries = 0
	} else if o.Retries == 0 {
		o.Retries = 5
	}
}

// Client talks to one peer for every identity in the organisation's wallet.
type Client struct {
	conn grpc.ClientConnInterface
	opts Options

	mu    sync.RWMutex
	users map[string]*user

	// downSince is when an endorsement first failed to reach a peer it needs since the last one
	// that reached its peers (Unix nanoseconds; 0: none is down), downLast when one last failed so.
	// Options.PeerDownFor.
	downSince, downLast atomic.Int64
}

type user struct {
	id      *Identity
	gw      *client.Gateway // signs with the user's key; nil for offline-only users
	offline *client.Gateway // never signs: offline flows supply signatures
}

// Dial opens the shared TLS connection to a peer at address with cfg (network.Peer.TLSConfig: the
// peer's TLS CA and host name, the organisation's TLS client pair).
func Dial(address string, cfg *tls.Config) (*grpc.ClientConn, error) {
	conn, err := grpc.NewClient(address, grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
	if err != nil {
		return nil, fmt.Errorf("connect to peer %s: %w", address, err)
	}
	return conn, nil
}

// New returns a client that uses conn for every identity; it does not close conn.
func New(conn grpc.ClientConnInterface, opts Options) (*Client, error) {
	if opts.Channel == "" || opts.Chaincode == "" || opts.MSPID == "" {
		return nil, errors.New("channel, chaincode and MSP ID are required")
	}
	opts.setDefaults()
	return &Client{conn: conn, opts: opts, users: map[string]*user{}}, nil
}

// MSPID is the organisation this client acts for.
func (c *Client) MSPID() string { return c.opts.MSPID }

// Channel is the channel name.
func (c *Client) Channel() string { return c.opts.Channel }

// AddIdentity puts an identity in the wallet, replacing one with the same name at once (a
// renewed enrollment). The replaced identity's gateways are left open: a call that started with
// it (a Submit keeps its identity through its retries and its commit wait, an event stream until
// it ends) finishes with it, and every call that starts after this one uses the new identity.
func (c *Client) AddIdentity(id *Identity) error {
	if id.ID.MspID() != c.opts.MSPID {
		return fmt.Errorf("identity %s belongs to %s, not %s", id.Name, id.ID.MspID(), c.opts.MSPID)
	}
	u := &user{id: id}
	var err error
	common := []client.ConnectOption{
		client.WithClientConnection(c.conn),
		client.WithEvaluateTimeout(c.opts.EvaluateTimeout),
		client.WithEndorseTimeout(c.opts.EndorseTimeout),
		client.WithSubmitTimeout(c.opts.SubmitTimeout),
		client.WithCommitStatusTimeout(c.opts.CommitTimeout),
	}
	if id.Sign != nil {
		if u.gw, err = client.Connect(id.ID, append(common, client.WithSign(id.Sign))...); err != nil {
			return err
		}
	}
	if u.offline, err = client.Connect(id.ID, common...); err != nil {
		return err
	}
	c.mu.Lock()
	c.users[id.Name] = u
	c.mu.Unlock()
	return nil
}

// RemoveIdentity takes an identity out of the wallet (its connections closed): nothing can be
// submitted or read as it any more. It reports whether it was there.
func (c *Client) RemoveIdentity(name string) bool {
	c.mu.Lock()
	u, ok := c.users[name]
	delete(c.users, name)
	c.mu.Unlock()
	if ok {
		if u.gw != nil {
			u.gw.Close()
		}
		u.offline.Close()
	}
	return ok
}

// Identity returns a wallet identity by enrollment ID.
func (c *Client) Identity(name string) (*Identity, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	u, ok := c.users[name]
	if !ok {
		return nil, false
	}
	return u.id, true
}

// Names lists the wallet's identities, sorted.
func (c *Client) Names() []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return slices.Sorted(maps.Keys(c.users))
}

func (c *Client) user(name string) (*user, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	u, ok := c.users[name]
	if !ok {
		return nil, &Error{Kind: wire.KindForbidden, Stage: "identity", Message: fmt.Sprintf("forbidden: no identity %q in the wallet", name)}
	}
	return u, nil
}

func (c *Client) signing(name string) (*client.Gateway, error) {
	u, err := c.user(name)
	if err != nil {
		return nil, err
	}
	if u.gw == nil {
		return nil, &Error{Kind: wire.KindForbidden, Stage: "identity",
			Message: fmt.Sprintf("forbidden: %s signs offline only; use the offline-signing endpoints", name)}
	}
	return u.gw, nil
}

func (c *Client) contract(gw *client.Gateway) *client.Contract {
	return gw.GetNetwork(c.opts.Channel).GetContract(c.opts.Chaincode)
}

// Ready reports whether the peer answers: the connection is usable and the peer evaluates a
// ledger query for the given identity.
func (c *Client) Ready(ctx context.Context, name string) error {
	if cc, ok := c.conn.(*grpc.ClientConn); ok {
		if cc.GetState() == connectivity.Shutdown {
			return errors.New("peer connection is shut down")
		}
		cc.Connect()
	}
	u, err := c.user(name)
	if err != nil {
		return err
	}
	gw := u.gw
	if gw == nil {
		return errors.New("readiness identity has no key")
	}
	_, err = gw.GetNetwork(c.opts.Channel).GetContract("qscc").EvaluateWithContext(ctx, "GetChainInfo",
		client.WithArguments(c.opts.Channel))
	if err != nil {
		return Classify(err, "evaluate")
	}
	return nil
}

// Evaluate runs a query transaction as the named identity and returns its payload. A query runs
// on this organisation's own peer, so its refusals are final and never retried.
func (c *Client) Evaluate(ctx context.Context, name, txName string, args ...string) ([]byte, error) {
	gw, err := c.signing(name)
	if err != nil {
		return nil, err
	}
	out, err := c.contract(gw).EvaluateWithContext(ctx, txName, client.WithArguments(args...))
	if err != nil {
		return nil, Classify(err, "evaluate")
	}
	return out, nil
}

// sleep waits d or until ctx ends; it reports whether the full wait passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Result is a committed transaction: its id, the block it is in and the chaincode's payload.
type Result struct {
	TransactionID string `json:"txId"`
	BlockNumber   uint64 `json:"blockNumber"`
	Payload       []byte `json:"-"`
	Attempts      int    `json:"attempts"`
}

// proposalOptions are a proposal's arguments and, when there are any, its transient data: values
// the endorsing peers see but the block does not record (a financing decision's private terms).
// With transient data the peer's gateway endorses only on members of the private data collections
// the transaction writes.
func proposalOptions(args []string, transient map[string][]byte) []client.ProposalOption {
	opts := []client.ProposalOption{client.WithArguments(args...)}
	if len(transient) > 0 {
		opts = append(opts, client.WithTransient(transient))
	}
	return opts
}

// Submit endorses, orders and waits for the commit of a transaction as the named identity.
// MVCC conflicts and a momentarily empty endorsement plan are retried with a fresh proposal and
// exponential backoff; onSubmitted, when not nil, is called with each transaction id as it is sent
// to the orderer (the id a caller needs to check the status after a timeout).
//
// With a journal in ctx (WithJournal), each transaction is recorded there before it is sent, and
// a step the journal already holds is followed instead of endorsed anew (Client.follow): its
// outcome is learned, or the same transaction sent again, so a request asked again never starts
// a second transaction while its first may still commit. A new one is endorsed only after the
// recorded one committed invalid with a conflict (nothing of it applied), as any retry here.
func (c *Client) Submit(ctx context.Context, name, txName string, args []string, transient map[string][]byte, onSubmitted func(txID string)) (*Result, error) {
	gw, err := c.signing(name)
	if err != nil {
		return nil, err
	}
	contract := c.contract(gw)
	journal, step := JournalFor(ctx)
	var sent *Sent
	if journal != nil {
		sent = journal.Sent(step)
	}
	record := func(s Sent) error {
		if journal == nil {
			return nil
		}
		return journal.Record(step, s)
	}
	wait, staleWait, downWait := c.opts.Backoff, c.opts.Backoff, c.opts.Backoff
	retries, stale := 0, 0
	started := time.Now()
	for attempt := 1; ; attempt++ {
		var res *Result
		var ferr *Error
		if sent != nil {
			res, ferr = c.follow(ctx, name, sent)
			sent = nil
		} else {
			res, ferr = c.submitOnce(ctx, contract, txName, proposalOptions(args, transient), record, onSubmitted)
		}
		if ferr == nil || !peerDown(ferr) {
			c.downSince.Store(0) // the endorsement reached its peers
		}
		if ferr == nil {
			res.Attempts = attempt
			return res, nil
		}
		switch {
		case peerDown(ferr) && c.waitForPeers(downWait) && mayWaitForPeers(ctx, started, downWait):
			if !sleep(ctx, downWait) {
				return nil, ferr
			}
			downWait = min(2*downWait, time.Second)
		case retryable(ferr) && retries < c.opts.Retries:
			retries++
			if !sleep(ctx, wait) {
				return nil, ferr
			}
			wait *= 2
		case c.staleRefusal(ferr) && stale < c.opts.StaleRetries:
			stale++
			if !sleep(ctx, staleWait) {
				return nil, ferr
			}
			staleWait *= 2
		default:
			return nil, Unreachable(ferr)
		}
	}
}

// waitForPeers records that a peer the endorsement needs is down and reports whether a retry
// after wait still falls within PeerDownFor of the first such failure.
//
// A window whose last such failure is older than PeerDownFor is over (nothing wrote through this
// gateway since, so nothing showed the peer back): a new one starts.
func (c *Client) waitForPeers(wait time.Duration) bool {
	now := time.Now().UnixNano()
	if last := c.downLast.Swap(now); last != 0 && time.Duration(now-last) > c.opts.PeerDownFor {
		c.downSince.Store(now)
	}
	c.downSince.CompareAndSwap(0, now)
	return time.Duration(now-c.downSince.Load())+wait <= c.opts.PeerDownFor
}

type peerWaitKey struct{}

// WithPeerWait bounds how long the Submits run with ctx wait for a peer that is down to d, within
// the client's own window (Options.PeerDownFor): a caller that would rather be told "unavailable"
// at once than wait for a restarting peer asks for it (the gateway's `Prefer: wait=N` header,
// RFC 7240). d = 0: no wait at all.
func WithPeerWait(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, peerWaitKey{}, max(d, 0))
}

// mayWaitForPeers reports whether a Submit that began at started may sleep wait more for a peer
// that is down: always, unless its context bounds that wait (WithPeerWait).
func mayWaitForPeers(ctx context.Context, started time.Time, wait time.Duration) bool {
	d, ok := ctx.Value(peerWaitKey{}).(time.Duration)
	return !ok || time.Since(started)+wait <= d
}

// staleRefusal is a chaincode refusal at endorsement that a peer one block behind could give (the
// receivable is not there yet, not in its new status yet, or the caller is not yet a party to it:
// a bank approving a request its peer has not committed yet reads "forbidden: not a party"), and
// that only other organisations' peers gave. This organisation's peer endorses first and is up to
// date with what this gateway committed, so its refusal is certain.
func (c *Client) staleRefusal(e *Error) bool {
	if e.Stage != "endorse" || (e.Kind != wire.KindNotFound && e.Kind != wire.KindConflict && e.Kind != wire.KindForbidden) {
		return false
	}
	orgs := refusingOrgs(e.Err)
	for _, msp := range orgs {
		if msp == "" || msp == c.opts.MSPID {
			return false
		}
	}
	return len(orgs) > 0
}

// submitOnce endorses a new proposal, records the endorsed transaction (record) and sends it.
func (c *Client) submitOnce(ctx context.Context, contract *client.Contract, txName string, opts []client.ProposalOption,
	record func(Sent) error, onSubmitted func(string)) (*Result, *Error) {
	proposal, err := contract.NewProposal(txName, opts...)
	if err != nil {
		return nil, Classify(err, "proposal")
	}
	tx, err := proposal.EndorseWithContext(ctx)
	if err != nil {
		e := Classify(err, "endorse")
		e.TransactionID = proposal.TransactionID()
		return nil, e
	}
	b, err := tx.Bytes()
	if err != nil {
		return nil, Classify(err, "endorse")
	}
	if err := record(Sent{TxID: tx.TransactionID(), Bytes: b, Payload: tx.Result()}); err != nil {
		return nil, &Error{Kind: wire.KindUnavailable, Stage: "request", Err: err,
			Message: "unavailable: " + err.Error() + "; nothing was submitted: retry with the same Idempotency-Key"}
	}
	commit, err := tx.SubmitWithContext(ctx)
	if err != nil {
		e := Classify(err, "submit")
		e.TransactionID = tx.TransactionID()
		return nil, e
	}
	if onSubmitted != nil {
		onSubmitted(tx.TransactionID())
	}
	return c.waitCommit(ctx, commit, tx.Result(), func() {
		// A failure to send again is no answer either: the wait goes on.
		_, _ = tx.SubmitWithContext(ctx)
	})
}

// waitCommit waits up to CommitTimeout for the transaction's commit status; every ResubmitAfter
// without one, it calls resubmit (nil: never).
func (c *Client) waitCommit(ctx context.Context, commit *client.Commit, payload []byte, resubmit func()) (*Result, *Error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.CommitTimeout)
	defer cancel()
	var st *client.Status
	var err error
	for {
		wait, stop := ctx, context.CancelFunc(func() {})
		if resubmit != nil && c.opts.ResubmitAfter > 0 {
			wait, stop = context.WithTimeout(ctx, c.opts.ResubmitAfter)
		}
		st, err = commit.StatusWithContext(wait)
		lapsed := err != nil && wait.Err() != nil && ctx.Err() == nil
		stop()
		if !lapsed {
			break
		}
		resubmit()
	}
	if err != nil {
		e := Classify(err, "commit_status")
		e.TransactionID = commit.TransactionID()
		return nil, e
	}
	if !st.Successful {
		e := Classify(&client.CommitError{TransactionID: st.TransactionID, Code: st.Code}, "commit")
		if e.Kind != wire.KindConflict {
			e.Message = fmt.Sprintf("transaction committed as invalid: %s", st.Code)
		}
		return nil, e
	}
	return &Result{TransactionID: st.TransactionID, BlockNumber: st.BlockNumber, Payload: payload}, nil
}

// Close releases the identities' gateways; the shared connection belongs to the caller.
func (c *Client) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, u := range c.users {
		if u.gw != nil {
			u.gw.Close()
		}
		u.offline.Close()
	}
}

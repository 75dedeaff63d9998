package client

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// CallOption adds to one call.
type CallOption func(http.Header)

// WithIdempotencyKey makes a write retry-safe: a repeated request with the same key returns the
// first result instead of running again.
func WithIdempotencyKey(key string) CallOption {
	return func(h http.Header) {
		if key != "" {
			h.Set(IdempotencyHeader, key)
		}
	}
}

// WithHeader sets one request header.
func WithHeader(name, value string) CallOption {
	return func(h http.Header) { h.Set(name, value) }
}

// WithPeerWait asks the gateway to wait at most d (whole seconds) for a peer the write needs that
// is down, before answering unavailable (RFC 7240 `Prefer: wait=N`; the gateway's own window,
// 10 s by default, bounds it too). WithPeerWait(0): the answer at once.
func WithPeerWait(d time.Duration) CallOption {
	return func(h http.Header) { h.Add("Prefer", "wait="+strconv.FormatInt(int64(max(d, 0)/time.Second), 10)) }
}

func headerOf(opts []CallOption) http.Header {
	h := http.Header{}
	for _, o := range opts {
		o(h)
	}
	return h
}

// Call runs the operation named opName in wire.Ops: its method and path come from the table,
// filled with pathValues in order (each escaped) and query. body is the op's request body (nil
// for none); the answer is decoded into out (nil: dropped; *json.RawMessage: kept verbatim). A
// refusal or failure at the gateway is returned as *wire.Problem, whose kind is the gateway's.
func (c *Client) Call(ctx context.Context, opName string, pathValues []string, query url.Values, body, out any, opts ...CallOption) error {
	op, ok := wire.Lookup(opName)
	if !ok {
		return wire.Errorf(wire.KindInvalid, "no operation %q in the wire contract", opName)
	}
	if n := strings.Count(op.Path, "{"); n != len(pathValues) {
		return wire.Errorf(wire.KindInvalid, "%s wants %d path values (%s), got %d", opName, n, op.Path, len(pathValues))
	}
	if op.Body == nil && body != nil {
		return wire.Errorf(wire.KindInvalid, "%s takes no request body", opName)
	}
	resp, err := c.Do(ctx, op.Method, op.URL(pathValues, query), body, headerOf(opts))
	if err != nil {
		return err
	}
	return resp.Decode(out)
}

// Submit runs a write op and returns the committed transaction. When the gateway answers that the
// transaction was sent but its outcome is not known yet (202), a call with an Idempotency-Key asks
// again with it every PendingInterval, which follows that same transaction, until the outcome is
// known or ctx ends; the error is then a *PendingError naming the transaction. Without a key the
// *PendingError comes at once: the write may still commit.
func (c *Client) Submit(ctx context.Context, opName string, pathValues []string, body any, opts ...CallOption) (*wire.SubmitResponse, error) {
	keyed := headerOf(opts).Get(IdempotencyHeader) != ""
	for {
		var res wire.SubmitResponse
		if err := c.Call(ctx, opName, pathValues, nil, body, &res, opts...); err != nil {
			return nil, err
		}
		if !res.Pending {
			return &res, nil
		}
		if !keyed || !sleepCtx(ctx, PendingInterval) {
			return nil, &PendingError{Response: res}
		}
	}
}

// PendingInterval is how long Submit waits before asking again about a write whose outcome is
// pending.
var PendingInterval = 2 * time.Second

// PendingError is a write sent to the ledger whose outcome was not known when the call ended: it
// may still commit under Response.TransactionID. Asking again with the same Idempotency-Key, or
// GET /v1/transactions/{txId}, tells.
type PendingError struct{ Response wire.SubmitResponse }

func (e *PendingError) Error() string {
	if e.Response.Message != "" {
		return "pending: " + e.Response.Message
	}
	return "pending: submitted as transaction " + e.Response.TransactionID + "; its outcome is not known yet"
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// EventOf decodes a write's result: the chaincode event of the transaction, naming the
// receivables it changed.
func EventOf(res *wire.SubmitResponse) (*wire.Event, error) {
	var ev wire.Event
	if err := json.Unmarshal(res.Result, &ev); err != nil {
		return nil, err
	}
	return &ev, nil
}

// Get reads one receivable.
func (c *Client) Get(ctx context.Context, id string) (*wire.Receivable, error) {
	var r wire.Receivable
	if err := c.Call(ctx, "get", []string{id}, nil, nil, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// GetRaw reads one receivable as the chaincode answers it (its JSON, verbatim); a receivable that
// does not exist is nil, not an error. It is an audit.Getter, for comparing a replay with the
// chaincode.
func (c *Client) GetRaw(ctx context.Context, id string) (json.RawMessage, error) {
	var raw json.RawMessage
	err := c.Call(ctx, "get", []string{id}, nil, nil, &raw)
	var p *wire.Problem
	if errors.As(err, &p) && p.Kind == wire.KindNotFound {
		return nil, nil
	}
	return raw, err
}

// ListQuery selects a list: by Holder (receivables held by, or offered to, an account) or by
// Issuer; exactly one is given. PageSize 0 takes the gateway's default.
type ListQuery struct {
	Holder, Issuer string
	PageSize       int
	Bookmark       string
}

// List reads one page of a list query.
func (c *Client) List(ctx context.Context, q ListQuery) (*wire.Page, error) {
	op, v := "list-held", url.Values{}
	if q.Holder != "" {
		v.Set("holder", q.Holder)
	}
	if q.Issuer != "" {
		op = "list-issued"
		v.Set("issuer", q.Issuer)
	}
	if (q.Holder == "") == (q.Issuer == "") {
		return nil, wire.Errorf(wire.KindInvalid, "give exactly one of holder or issuer")
	}
	if q.PageSize > 0 {
		v.Set("pageSize", strconv.Itoa(q.PageSize))
	}
	if q.Bookmark != "" {
		v.Set("bookmark", q.Bookmark)
	}
	var page wire.Page
	if err := c.Call(ctx, op, nil, v, nil, &page); err != nil {
		return nil, err
	}
	return &page, nil
}

// Transaction reads a transaction's commit status.
func (c *Client) Transaction(ctx context.Context, txID string) (*wire.TxStatus, error) {
	resp, err := c.Do(ctx, http.MethodGet, "/v1/transactions/"+url.PathEscape(txID), nil, nil)
	if err != nil {
		return nil, err
	}
	var st wire.TxStatus
	if err := resp.Decode(&st); err != nil {
		return nil, err
	}
	return &st, nil
}

// WhoAmI reads the identity the token acts as.
func (c *Client) WhoAmI(ctx context.Context) (*wire.WhoAmI, error) {
	resp, err := c.Do(ctx, http.MethodGet, "/v1/whoami", nil, nil)
	if err != nil {
		return nil, err
	}
	var me wire.WhoAmI
	if err := resp.Decode(&me); err != nil {
		return nil, err
	}
	return &me, nil
}

// AddUser registers and enrolls a user of the gateway's organisation (role admin); the answer
// carries the new user's token, shown once.
func (c *Client) AddUser(ctx context.Context, u wire.NewUser) (*wire.NewUserResult, error) {
	resp, err := c.Do(ctx, http.MethodPost, "/v1/admin/users", u, nil)
	if err != nil {
		return nil, err
	}
	var res wire.NewUserResult
	if err := resp.Decode(&res); err != nil {
		return nil, err
	}
	return &res, nil
}

// RevokeUser revokes a user of the gateway's organisation at its CA (role admin); the answer
// carries the CA's new CRL (PEM) for the organisation's channel MSP.
func (c *Client) RevokeUser(ctx context.Context, name, reason string) (*wire.RevokeUserResult, error) {
	resp, err := c.Do(ctx, http.MethodPost, "/v1/admin/users/"+url.PathEscape(name)+"/revoke", wire.RevokeUser{Reason: reason}, nil)
	if err != nil {
		return nil, err
	}
	var res wire.RevokeUserResult
	if err := resp.Decode(&res); err != nil {
		return nil, err
	}
	return &res, nil
}

// ReissueToken issues a new bearer token to a user of the gateway's wallet (role admin), shown
// once in the answer; the user's previous token stops working at once.
func (c *Client) ReissueToken(ctx context.Context, name string) (*wire.UserToken, error) {
	resp, err := c.Do(ctx, http.MethodPost, "/v1/admin/users/"+url.PathEscape(name)+"/token", nil, nil)
	if err != nil {
		return nil, err
	}
	var res wire.UserToken
	if err := resp.Decode(&res); err != nil {
		return nil, err
	}
	return &res, nil
}

// RenewUser renews the enrollment certificate of a user whose key the gateway holds (role admin):
// the gateway reenrolls it at its organisation's CA for a new key and signs for it with the new
// certificate from the next call on, without a restart. A user who holds its own key is refused
// (conflict). With the same Idempotency-Key (WithIdempotencyKey) a retry does not renew twice.
func (c *Client) RenewUser(ctx context.Context, name string, opts ...CallOption) (*wire.RenewedUser, error) {
	resp, err := c.Do(ctx, http.MethodPost, "/v1/admin/users/"+url.PathEscape(name)+"/renew", nil, headerOf(opts))
	if err != nil {
		return nil, err
	}
	var res wire.RenewedUser
	if err := resp.Decode(&res); err != nil {
		return nil, err
	}
	return &res, nil
}

// ListUsers lists the users of the gateway's wallet, the first certificate to expire first (role
// admin).
func (c *Client) ListUsers(ctx context.Context) ([]wire.WalletUser, error) {
	resp, err := c.Do(ctx, http.MethodGet, "/v1/admin/users", nil, nil)
	if err != nil {
		return nil, err
	}
	var res wire.WalletUsers
	if err := resp.Decode(&res); err != nil {
		return nil, err
	}
	return res.Users, nil
}

// InstructionOf returns the maker-checker instruction a write recorded, or nil when the write
// committed at once (an organisation without two-person control, or any other write).
func InstructionOf(res *wire.SubmitResponse) (*wire.Instruction, error) {
	ev, err := EventOf(res)
	if err != nil {
		return nil, err
	}
	if ev.Instruction == nil || ev.Instruction.Status != wire.InstructionOpen {
		return nil, nil
	}
	return ev.Instruction, nil
}

// SubmitConfirmed runs a maker's write (issue, redeem, redeem-all) as c and, when the maker's
// organisation requires two-person control, has checker (an approver of the same organisation)
// confirm the instruction it recorded. It returns the write that committed the change: the
// confirmation, or the write itself when it needed none. The caller's preferences (WithPeerWait)
// go with both writes, its idempotency key with the maker's only.
func (c *Client) SubmitConfirmed(ctx context.Context, checker *Client, opName string, pathValues []string, body any, opts ...CallOption) (*wire.SubmitResponse, error) {
	res, err := c.Submit(ctx, opName, pathValues, body, opts...)
	if err != nil {
		return nil, err
	}
	in, err := InstructionOf(res)
	if err != nil || in == nil {
		return res, err
	}
	var confirm []CallOption
	if prefs := headerOf(opts).Values("Prefer"); len(prefs) > 0 {
		confirm = append(confirm, WithHeader("Prefer", strings.Join(prefs, ", ")))
	}
	return checker.Submit(ctx, "confirm", []string{in.ID}, nil, confirm...)
}

package client

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// SubmitOffline runs a write op signed here with sign, so that the gateway never holds the
// signer's key: the gateway prepares the proposal, sign signs its digest, the gateway has it
// endorsed and returns the transaction's digest, sign signs that, and the gateway submits and
// waits for the commit. id is the op's path value: its {id}, MSP/user for an account's
// {msp}/{user}, "" for none.
//
// A transaction invalidated at commit by an MVCC conflict (a concurrent write to a key it read,
// such as the network's time beacon advancing between endorsement and commit) applied nothing, and
// the gateway cannot redo it without the signer: it is redone here from a fresh proposal, up to
// OfflineAttempts times in all. A retry carries the Idempotency-Key with a suffix (the first
// proposal under the key is spent).
//
// An approval or rejection of financing whose body carries the terms themselves (rateBps, a
// reason) is two transactions, each signed here (wire.Op.DecisionFirst): decide-financing with
// the terms, then the op with the hash that decision's result carries.
func (c *Client) SubmitOffline(ctx context.Context, sign Signer, opName, id string, body any, opts ...CallOption) (*wire.SubmitResponse, error) {
	if op, ok := wire.Lookup(opName); ok && body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("encode request body: %w", err)
		}
		decide, decideBody, first, err := op.DecisionFirst(raw)
		if err != nil {
			return nil, err
		}
		if first {
			return c.decideOfflineThenBind(ctx, sign, decide, decideBody, op, id, raw, opts)
		}
	}
	header := headerOf(opts)
	key := header.Get(IdempotencyHeader)
	for attempt := 1; ; attempt++ {
		if attempt > 1 && key != "" {
			header.Set(IdempotencyHeader, fmt.Sprintf("%s.retry%d", key, attempt))
		}
		res, err := c.submitOffline(ctx, sign, opName, id, body, header)
		var p *wire.Problem
		if err == nil || attempt >= OfflineAttempts || !errors.As(err, &p) || !commitConflict(p) {
			return res, err
		}
	}
}

// OfflineAttempts bounds how many times SubmitOffline tries a transaction that an MVCC conflict
// invalidated.
const OfflineAttempts = 3

// IdempotencyHeader is the request header carrying an idempotency key.
const IdempotencyHeader = "Idempotency-Key"

// decideOfflineThenBind signs and submits the decision, then op binding its terms' hash; the
// decision runs under the Idempotency-Key with ".decision" appended.
func (c *Client) decideOfflineThenBind(ctx context.Context, sign Signer, decide *wire.Op, decideBody []byte, op *wire.Op, id string, body []byte, opts []CallOption) (*wire.SubmitResponse, error) {
	decideOpts := opts
	if key := headerOf(opts).Get(IdempotencyHeader); key != "" {
		decideOpts = append(append([]CallOption(nil), opts...), WithIdempotencyKey(key+".decision"))
	}
	res, err := c.SubmitOffline(ctx, sign, decide.Name, id, json.RawMessage(decideBody), decideOpts...)
	if err != nil {
		return nil, err
	}
	decided, err := wire.DecisionOf(res.Result)
	if err != nil {
		return nil, err
	}
	bound, err := op.WithTermsHash(body, decided.TermsHash)
	if err != nil {
		return nil, err
	}
	return c.SubmitOffline(ctx, sign, op.Name, id, json.RawMessage(bound), opts...)
}

// commitConflict reports whether p is a transaction invalidated at commit by a concurrent one: a
// read conflict, or an endorsement policy changed by a transaction before it in its block.
func commitConflict(p *wire.Problem) bool {
	return p.Kind == wire.KindConflict && p.Stage == "commit" && (p.ValidationCode == "MVCC_READ_CONFLICT" ||
		p.ValidationCode == "PHANTOM_READ_CONFLICT" || p.ValidationCode == "ENDORSEMENT_POLICY_FAILURE")
}

func (c *Client) submitOffline(ctx context.Context, sign Signer, opName, id string, body any, header http.Header) (*wire.SubmitResponse, error) {
	op, ok := wire.Lookup(opName)
	if !ok || !op.Submit {
		return nil, wire.Errorf(wire.KindInvalid, "no write operation %q in the wire contract", opName)
	}
	req := wire.OfflineProposalRequest{Operation: op.Name, ID: id}
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("encode request body: %w", err)
		}
		req.Body = b
	}
	var prop wire.OfflineDigest
	if err := c.post(ctx, "/v1/offline/proposals", req, &prop, header); err != nil {
		return nil, err
	}
	sig, err := signDigest(sign, prop.Digest)
	if err != nil {
		return nil, err
	}
	var tx wire.OfflineDigest
	if err := c.post(ctx, "/v1/offline/proposals/"+url.PathEscape(prop.TransactionID)+"/endorse", sig, &tx, nil); err != nil {
		return nil, err
	}
	if sig, err = signDigest(sign, tx.Digest); err != nil {
		return nil, err
	}
	// A 202 (sent, outcome not known yet) is asked again with the same signature: the gateway
	// sends the same transaction again, which commits at most once, and answers its outcome.
	for {
		var res wire.SubmitResponse
		if err := c.post(ctx, "/v1/offline/transactions/"+url.PathEscape(tx.TransactionID)+"/submit", sig, &res, nil); err != nil {
			return nil, err
		}
		if !res.Pending {
			return &res, nil
		}
		if !sleepCtx(ctx, PendingInterval) {
			return nil, &PendingError{Response: res}
		}
	}
}

func (c *Client) post(ctx context.Context, path string, body, out any, header http.Header) error {
	resp, err := c.Do(ctx, http.MethodPost, path, body, header)
	if err != nil {
		return err
	}
	return resp.Decode(out)
}

// signDigest checks that the gateway sent a SHA-256 digest and signs it.
func signDigest(sign Signer, digestB64 string) (wire.OfflineSignature, error) {
	digest, err := base64.StdEncoding.DecodeString(digestB64)
	if err != nil || len(digest) != 32 {
		return wire.OfflineSignature{}, fmt.Errorf("gateway sent a malformed digest %q", digestB64)
	}
	sig, err := sign(digest)
	if err != nil {
		return wire.OfflineSignature{}, fmt.Errorf("sign digest: %w", err)
	}
	return wire.OfflineSignature{Signature: base64.StdEncoding.EncodeToString(sig)}, nil
}

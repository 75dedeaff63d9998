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
	// sends the same transaction again, which commits at most once, and answers its outcome. A
	// gateway that restarted meanwhile no longer holds the transaction (404): its status on the
	// ledger then tells, until the outcome is known or ctx ends.
	var last *wire.SubmitResponse
	for {
		var res wire.SubmitResponse
		err := c.post(ctx, "/v1/offline/transactions/"+url.PathEscape(tx.TransactionID)+"/submit", sig, &res, nil)
		var p *wire.Problem
		switch {
		case err != nil && last != nil && errors.As(err, &p) && p.Kind == wire.KindNotFound:
			done, serr := c.committedAs(ctx, tx)
			if serr != nil || done != nil {
				return done, serr
			}
		case err != nil:
			return nil, err
		case !res.Pending:
			return &res, nil
		default:
			last = &res
		}
		if !sleepCtx(ctx, PendingInterval) {
			return nil, &PendingError{Response: *last}
		}
	}
}

// committedAs answers an offline transaction's outcome from its status on the ledger: nil while
// its organisation's peer does not have it; its result (from the endorsement) when valid; a
// problem naming its validation code when it committed invalid.
func (c *Client) committedAs(ctx context.Context, tx wire.OfflineDigest) (*wire.SubmitResponse, error) {
	var st wire.TxStatus
	err := c.get(ctx, "/v1/transactions/"+url.PathEscape(tx.TransactionID), &st)
	var p *wire.Problem
	if errors.As(err, &p) && p.Kind == wire.KindNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !st.Valid {
		out := wire.NewProblem(wire.KindCommit, fmt.Sprintf("transaction committed as invalid: %s", st.ValidationCode))
		out.Stage, out.TransactionID, out.ValidationCode = "commit", st.TransactionID, st.ValidationCode
		return nil, &out
	}
	return &wire.SubmitResponse{TransactionID: st.TransactionID, BlockNumber: st.BlockNumber, Attempts: 1, Result: tx.Result}, nil
}

// get reads path and decodes the answer into out.
func (c *Client) get(ctx context.Context, path string, out any) error {
	resp, err := c.Do(ctx, http.MethodGet, path, nil, nil)
	if err != nil {
		return err
	}
	return resp.Decode(out)
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

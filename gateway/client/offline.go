package client

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// SubmitOffline runs a write op signed here by signer, so that the gateway never holds the
// signer's key: the gateway prepares the proposal, the signer signs it, the gateway has it
// endorsed and returns the transaction, the signer signs that, and the gateway submits and waits
// for the commit. id is the op's path value: its {id}, MSP/user for an account's {msp}/{user},
// "" for none.
//
// Nothing is signed unread: the gateway sends the bytes to sign, and before each signature they
// are checked against what the caller asked for (Proposal.Check: the channel, the chaincode, the
// function and every argument and private value rebuilt here from op, id and body, the signer's
// certificate as creator, the transaction id its nonce makes, the time; Proposal.CheckTransaction:
// the transaction carries that proposal and endorsements), and hashed here. A difference is an
// *UnapprovedError and nothing is signed.
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
func (c *Client) SubmitOffline(ctx context.Context, signer *Identity, opName, id string, body any, opts ...CallOption) (*wire.SubmitResponse, error) {
	if signer == nil || signer.Cert == nil || signer.Sign == nil {
		return nil, errors.New("offline signing needs the signer's certificate and key")
	}
	if op, ok := wire.Lookup(opName); ok && body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("encode request body: %w", err)
		}
		decoded, err := op.DecodeBody(raw)
		if err != nil {
			return nil, err
		}
		decide, decideBody, first, err := op.DecisionFirst(decoded)
		if err != nil {
			return nil, err
		}
		if first {
			return c.decideOfflineThenBind(ctx, signer, decide, decideBody, op, id, decoded, opts)
		}
	}
	header := headerOf(opts)
	key := header.Get(IdempotencyHeader)
	for attempt := 1; ; attempt++ {
		if attempt > 1 && key != "" {
			header.Set(IdempotencyHeader, fmt.Sprintf("%s.retry%d", key, attempt))
		}
		res, err := c.submitOffline(ctx, signer, opName, id, body, header)
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
func (c *Client) decideOfflineThenBind(ctx context.Context, signer *Identity, decide *wire.Op, decideBody *wire.Body, op *wire.Op, id string, body *wire.Body, opts []CallOption) (*wire.SubmitResponse, error) {
	decideOpts := opts
	if key := headerOf(opts).Get(IdempotencyHeader); key != "" {
		decideOpts = append(append([]CallOption(nil), opts...), WithIdempotencyKey(key+".decision"))
	}
	res, err := c.SubmitOffline(ctx, signer, decide.Name, id, json.RawMessage(decideBody.JSON()), decideOpts...)
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
	return c.SubmitOffline(ctx, signer, op.Name, id, json.RawMessage(bound.JSON()), opts...)
}

// commitConflict reports whether p is a transaction invalidated at commit by a concurrent one: a
// read conflict, or an endorsement policy changed by a transaction before it in its block.
func commitConflict(p *wire.Problem) bool {
	return p.Kind == wire.KindConflict && p.Stage == "commit" && (p.ValidationCode == "MVCC_READ_CONFLICT" ||
		p.ValidationCode == "PHANTOM_READ_CONFLICT" || p.ValidationCode == "ENDORSEMENT_POLICY_FAILURE")
}

func (c *Client) submitOffline(ctx context.Context, signer *Identity, opName, id string, body any, header http.Header) (*wire.SubmitResponse, error) {
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
	proposalBytes, err := bytesToSign(prop, "proposal")
	if err != nil {
		return nil, err
	}
	proposal, err := ReadProposal(proposalBytes)
	if err != nil {
		return nil, err
	}
	if err := c.checkProposal(proposal, prop.TransactionID, Approved{Op: op, ID: id, Body: req.Body}, signer); err != nil {
		return nil, err
	}
	sig, err := signBytes(signer, proposalBytes)
	if err != nil {
		return nil, err
	}
	var tx wire.OfflineDigest
	if err := c.post(ctx, "/v1/offline/proposals/"+url.PathEscape(prop.TransactionID)+"/endorse", sig, &tx, nil); err != nil {
		return nil, err
	}
	txBytes, err := bytesToSign(tx, "transaction")
	if err != nil {
		return nil, err
	}
	if err := proposal.CheckTransaction(tx.TransactionID, txBytes); err != nil {
		return nil, err
	}
	if sig, err = signBytes(signer, txBytes); err != nil {
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

// checkProposal checks a proposal against the approved write and the network this client
// expects; the first proposal of a client made without WithNetwork fixes the network.
func (c *Client) checkProposal(p *Proposal, txID string, want Approved, signer *Identity) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := p.Check(txID, want, Expect{Signer: signer, Channel: c.channel, Chaincode: c.chaincode}); err != nil {
		return err
	}
	if c.channel == "" {
		c.channel, c.chaincode = p.Channel, p.Chaincode
	}
	return nil
}

// bytesToSign decodes the bytes the gateway asks to sign. Their digest is computed here; the
// gateway's is only compared, so that a gateway whose digest is not of its bytes is caught.
func bytesToSign(d wire.OfflineDigest, what string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(d.Bytes)
	if err != nil || len(b) == 0 {
		return nil, fmt.Errorf("the gateway sent no %s bytes to check (an older gateway?): nothing signed", what)
	}
	sum := sha256.Sum256(b)
	if d.Digest != "" && d.Digest != base64.StdEncoding.EncodeToString(sum[:]) {
		return nil, &UnapprovedError{TransactionID: d.TransactionID, What: what + " digest",
			Asked: "digest " + d.Digest, Approved: "the SHA-256 of the " + what + " it sent, " + base64.StdEncoding.EncodeToString(sum[:])}
	}
	return b, nil
}

// signBytes signs the SHA-256 of b.
func signBytes(signer *Identity, b []byte) (wire.OfflineSignature, error) {
	sum := sha256.Sum256(b)
	sig, err := signer.Sign(sum[:])
	if err != nil {
		return wire.OfflineSignature{}, fmt.Errorf("sign: %w", err)
	}
	return wire.OfflineSignature{Signature: base64.StdEncoding.EncodeToString(sig)}, nil
}

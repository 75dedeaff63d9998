package api

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// opHandler serves the ops of one route of the wire contract's operation table: it picks the op
// (wire.Select), decodes a write's body once (op.DecodeBody), builds the transaction's arguments
// from the path, query and that body (op.Args), and submits or evaluates it as the caller. The
// offline-signing endpoint builds arguments the same way (opArgs), so both make identical
// proposals.
func (s *Server) opHandler(ops []*wire.Op) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		op, err := wire.Select(ops, r.URL.Query())
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		req := wire.Request{PathValue: r.PathValue, Query: r.URL.Query()}
		if op.Submit {
			if req.Decoded, err = decodeBody(op, r); err != nil {
				s.writeError(w, r, err)
				return
			}
			decide, decideBody, first, err := op.DecisionFirst(req.Decoded)
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			if first {
				s.decideThenBind(w, r, decide, decideBody, op, req.Decoded)
				return
			}
		}
		args, transient, err := opArgs(op, r, req)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if op.Submit {
			s.submit(w, r, op, args, transient)
			return
		}
		s.evaluate(w, r, op.Tx, args...)
	}
}

// decideThenBind answers an approval or rejection of financing that carries the terms themselves
// (wire.Op.DecisionFirst): it submits decide-financing with the terms as transient data, then op
// with the hash that decision's event carries. The two are separate transactions because the
// obligor endorses the second and must not see the terms; a failure of the second leaves only the
// private record of the first, which binds nothing.
func (s *Server) decideThenBind(w http.ResponseWriter, r *http.Request, decide *wire.Op, decideBody *wire.Body, op *wire.Op, body *wire.Body) {
	req := wire.Request{PathValue: r.PathValue, Query: r.URL.Query(), Decoded: decideBody}
	args, transient, err := opArgs(decide, r, req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ctx, cancel := s.withTimeout(r)
	defer cancel()
	res, err := s.ledger.Submit(ctx, caller(r), decide.Tx, args, transient, nil)
	if err != nil {
		s.nameParties(ctx, r, decide, err)
		s.writeError(w, r, err)
		return
	}
	s.log.Info("committed", "tx", decide.Tx, "txId", res.TransactionID, "block", res.BlockNumber, "caller", caller(r))
	decided, err := wire.DecisionOf(res.Payload)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.Decoded, err = op.WithTermsHash(body, decided.TermsHash); err != nil {
		s.writeError(w, r, err)
		return
	}
	if args, _, err = opArgs(op, r, req); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.submit(w, r, op, args, nil)
}

// decodeBody reads a request's body and decodes it for op, once: every step reads the result.
func decodeBody(op *wire.Op, r *http.Request) (*wire.Body, error) {
	raw, err := readBody(r)
	if err != nil {
		return nil, err
	}
	return op.DecodeBody(raw)
}

// opArgs builds op's arguments and transient data (a decision's private terms, with a new salt:
// op.TransientArgs) from req's decoded body; an issue without an id gets one derived from the
// caller's Idempotency-Key.
func opArgs(op *wire.Op, r *http.Request, req wire.Request) ([]string, map[string][]byte, error) {
	if req.Decoded == nil {
		var err error
		if req.Decoded, err = op.DecodeBody(req.Body); err != nil {
			return nil, nil, err
		}
	}
	if op.Name == "issue" {
		body, err := withIssueID(op, req.Decoded, caller(r), r.Header.Get("Idempotency-Key"))
		if err != nil {
			return nil, nil, err
		}
		req.Decoded = body
	}
	if req.Query == nil {
		req.Query = url.Values{}
	}
	args, err := op.Args(req)
	if err != nil {
		return nil, nil, err
	}
	transient, err := op.TransientArgs(req, "")
	return args, transient, err
}

// withIssueID fills in the receivable id from the Idempotency-Key when the issue's decoded body has
// none.
func withIssueID(issue *wire.Op, body *wire.Body, who, key string) (*wire.Body, error) {
	req, ok := body.Value().(*wire.IssueRequest)
	if key == "" || !ok || req.ID != "" {
		return body, nil
	}
	with := *req
	with.ID = IssueIDForKey(who, key)
	return issue.NewBody(&with)
}

// IssueIDForKey derives a receivable id from the caller and its Idempotency-Key, so that a
// retried Issue without an id carries the same id and the chaincode refuses a second issue even
// after the gateway restarted and forgot the key.
func IssueIDForKey(caller, key string) string {
	sum := sha256.Sum256([]byte(caller + "\x00" + key))
	return "RK" + strings.ToUpper(hex.EncodeToString(sum[:]))[:22]
}

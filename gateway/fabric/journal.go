package fabric

import (
	"context"
	"errors"
	"fmt"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// Sent is a transaction endorsed and about to be sent to the ordering service: all a later
// request needs to learn its outcome, or to send the very same transaction again (the same id, so
// at most one copy can commit).
type Sent struct {
	TxID    string `json:"txId"`
	Bytes   []byte `json:"bytes"`             // the prepared transaction (client.Transaction.Bytes)
	Payload []byte `json:"payload,omitempty"` // the chaincode's result, as the endorsers returned it
}

// Journal keeps the transactions one request sent, step by step (a request may submit more than
// one transaction), so that the same request asked again, after any failure or a restart of the
// gateway, follows those transactions instead of sending new ones.
type Journal interface {
	// Sent returns the transaction the request's step sent before, or nil.
	Sent(step int) *Sent
	// Record keeps tx as the step's transaction; it is called before tx is sent, and an error
	// means tx must not be sent.
	Record(step int, tx Sent) error
}

type journalKey struct{}

type journalStep struct {
	j    Journal
	next int
}

// WithJournal makes the Submits run with ctx record their transactions in j before sending them
// and follow those j already holds: the first Submit is step 0, the next step 1, and so on.
func WithJournal(ctx context.Context, j Journal) context.Context {
	return context.WithValue(ctx, journalKey{}, &journalStep{j: j})
}

// JournalFor returns ctx's journal and the step of the Submit starting now (nil: none); a
// Submit calls it once. Ledgers other than Client (test doubles) honour journals through it.
func JournalFor(ctx context.Context) (Journal, int) {
	js, _ := ctx.Value(journalKey{}).(*journalStep)
	if js == nil {
		return nil, 0
	}
	step := js.next
	js.next++
	return js.j, step
}

// Pending reports whether err is the outcome of a transaction sent to the ordering service but not
// known yet (its commit was not seen in time, or the sending itself failed after the transaction
// may have reached an orderer): it may still commit, so the answer must not say it failed.
func Pending(err error) (*Error, bool) {
	var fe *Error
	if !errors.As(err, &fe) || fe.TransactionID == "" || (fe.Stage != "submit" && fe.Stage != "commit_status") {
		return nil, false
	}
	switch fe.Kind {
	case wire.KindSubmit, wire.KindCommitStatus, wire.KindTimeout, wire.KindUnavailable, wire.KindInternal:
		return fe, true
	}
	return nil, false // a refusal of the submission itself (a bad signature): nothing was sent
}

// follow learns the outcome of a transaction a request sent before: from this organisation's
// peer's ledger when it committed (valid or not), otherwise by sending the same signed
// transaction again and waiting for its commit as Submit does.
func (c *Client) follow(ctx context.Context, name string, s *Sent) (*Result, *Error) {
	if res, ferr, ok := c.committed(ctx, name, s.TxID, s.Payload); ok {
		return res, ferr
	}
	gw, err := c.signing(name)
	if err != nil {
		e := Classify(err, "submit")
		e.TransactionID = s.TxID // sent before: its outcome is still to learn
		return nil, e
	}
	tx, err := gw.NewTransaction(s.Bytes)
	if err != nil {
		return nil, &Error{Kind: wire.KindInternal, Stage: "request", TransactionID: s.TxID, Err: err,
			Message: "the transaction this request sent before cannot be read back: " + err.Error()}
	}
	commit, err := tx.SubmitWithContext(ctx)
	if err != nil {
		e := Classify(err, "submit")
		e.TransactionID = s.TxID
		return nil, e
	}
	res, ferr := c.waitCommit(ctx, commit, s.Payload, func() { _, _ = tx.SubmitWithContext(ctx) })
	if ferr != nil && ferr.ValidationCode == peer.TxValidationCode_DUPLICATE_TXID.String() {
		// This copy came second: the first one's outcome is the transaction's.
		if res, ferr2, ok := c.committed(ctx, name, s.TxID, s.Payload); ok {
			return res, ferr2
		}
	}
	if res != nil {
		res.Attempts = 1
	}
	return res, ferr
}

// committed returns the outcome of transaction txID when this organisation's peer has committed
// it (ok true): a result with payload when valid, the commit error otherwise.
func (c *Client) committed(ctx context.Context, name, txID string, payload []byte) (*Result, *Error, bool) {
	st, err := c.TransactionStatus(ctx, name, txID)
	if err != nil {
		return nil, nil, false
	}
	if st.Valid {
		return &Result{TransactionID: txID, BlockNumber: st.BlockNumber, Payload: payload, Attempts: 1}, nil, true
	}
	code := peer.TxValidationCode(peer.TxValidationCode_value[st.ValidationCode])
	e := Classify(&client.CommitError{TransactionID: txID, Code: code}, "commit")
	if e.Kind != wire.KindConflict {
		e.Message = fmt.Sprintf("transaction committed as invalid: %s", st.ValidationCode)
	}
	return nil, e, true
}

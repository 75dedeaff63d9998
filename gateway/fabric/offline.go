package fabric

import (
	"context"
	"fmt"
	"sort"

	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// Unsigned is a proposal or transaction waiting for the caller's signature: its serialized bytes
// (kept by the service), the bytes the caller signs and their digest.
type Unsigned struct {
	TransactionID string
	Bytes         []byte
	// Signed is what the caller signs, so that it can read what it commits to before signing: a
	// proposal's peer.Proposal, a transaction's common.Payload. Digest is its SHA-256.
	Signed []byte
	Digest []byte
	Result []byte // for an endorsed transaction: the chaincode's payload
}

// PrepareProposal builds an unsigned proposal for the named identity, with its transient data
// (nil: none). The identity's key is not used: the caller signs Digest and passes the signature to
// EndorseSigned.
func (c *Client) PrepareProposal(name, txName string, args []string, transient map[string][]byte) (*Unsigned, error) {
	u, err := c.user(name)
	if err != nil {
		return nil, err
	}
	p, err := c.contract(u.offline).NewProposal(txName, proposalOptions(args, transient)...)
	if err != nil {
		return nil, Classify(err, "proposal")
	}
	b, err := p.Bytes()
	if err != nil {
		return nil, Classify(err, "proposal")
	}
	var prepared gateway.ProposedTransaction
	if err := proto.Unmarshal(b, &prepared); err != nil {
		return nil, fmt.Errorf("reading the prepared proposal: %w", err)
	}
	return &Unsigned{TransactionID: p.TransactionID(), Bytes: b, Signed: prepared.GetProposal().GetProposalBytes(), Digest: p.Digest()}, nil
}

// EndorseSigned checks the caller's signature of a prepared proposal, has it endorsed and returns
// the unsigned transaction whose digest the caller signs next.
func (c *Client) EndorseSigned(ctx context.Context, name string, proposalBytes, signature []byte) (*Unsigned, error) {
	u, err := c.user(name)
	if err != nil {
		return nil, err
	}
	p, err := u.offline.NewSignedProposal(proposalBytes, signature)
	if err != nil {
		return nil, Classify(err, "proposal")
	}
	if err := VerifyDigestSignature(u.id.ID, p.Digest(), signature); err != nil {
		return nil, &Error{Kind: wire.KindInvalid, Stage: "endorse", TransactionID: p.TransactionID(), Message: "invalid: proposal " + err.Error(), Err: err}
	}
	// A refusal that only a peer a block behind gives (another organisation's peer has not yet
	// committed what this gateway just committed, e.g. the terms a decision recorded) is asked
	// again: the signed proposal is the same, so no new signature is needed.
	wait := c.opts.Backoff
	tx, err := p.EndorseWithContext(ctx)
	for stale := 0; err != nil && stale < c.opts.StaleRetries; stale++ {
		if e := Classify(err, "endorse"); !c.staleRefusal(e) || !sleep(ctx, wait) {
			break
		}
		wait *= 2
		tx, err = p.EndorseWithContext(ctx)
	}
	if err != nil {
		e := Classify(err, "endorse")
		e.TransactionID = p.TransactionID()
		return nil, Unreachable(e)
	}
	b, err := tx.Bytes()
	if err != nil {
		return nil, Classify(err, "endorse")
	}
	var prepared gateway.PreparedTransaction
	if err := proto.Unmarshal(b, &prepared); err != nil {
		return nil, fmt.Errorf("reading the endorsed transaction: %w", err)
	}
	return &Unsigned{TransactionID: tx.TransactionID(), Bytes: b, Signed: prepared.GetEnvelope().GetPayload(), Digest: tx.Digest(), Result: tx.Result()}, nil
}

// SubmitSigned checks the caller's signature of an endorsed transaction, sends it to the orderer
// and waits for its commit. The commit-status request is signed by statusIdentity, an identity
// whose key the service holds, because the submitter's key is not here.
func (c *Client) SubmitSigned(ctx context.Context, name, statusIdentity string, txBytes, signature []byte) (*Result, error) {
	u, err := c.user(name)
	if err != nil {
		return nil, err
	}
	tx, err := u.offline.NewSignedTransaction(txBytes, signature)
	if err != nil {
		return nil, Classify(err, "submit")
	}
	if err := VerifyDigestSignature(u.id.ID, tx.Digest(), signature); err != nil {
		return nil, &Error{Kind: wire.KindInvalid, Stage: "submit", TransactionID: tx.TransactionID(), Message: "invalid: transaction " + err.Error(), Err: err}
	}
	if _, err := tx.SubmitWithContext(ctx); err != nil {
		e := Classify(err, "submit")
		e.TransactionID = tx.TransactionID()
		return nil, e
	}
	res, ferr := c.waitCommitAs(ctx, statusIdentity, tx.TransactionID())
	if ferr != nil && ferr.ValidationCode == peer.TxValidationCode_DUPLICATE_TXID.String() {
		// The same signed transaction was sent before (a retry after a lost answer): the first
		// copy's outcome is the transaction's.
		if first, ferr2, ok := c.committed(ctx, statusIdentity, tx.TransactionID(), tx.Result()); ok {
			res, ferr = first, ferr2
		}
	}
	if ferr != nil {
		if ferr.TransactionID == "" {
			ferr.TransactionID = tx.TransactionID()
		}
		return nil, ferr
	}
	res.Payload = tx.Result()
	res.Attempts = 1
	return res, nil
}

// StatusIdentityFor picks the identity whose key signs commit-status requests for offline
// submissions: preferred when it can sign, otherwise the first identity with a key.
func (c *Client) StatusIdentityFor(preferred string) (string, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if u, ok := c.users[preferred]; ok && u.gw != nil {
		return preferred, nil
	}
	for _, n := range sortedKeys(c.users) {
		if c.users[n].gw != nil {
			return n, nil
		}
	}
	return "", fmt.Errorf("no identity with a key in the wallet of %s", c.opts.MSPID)
}

func sortedKeys(m map[string]*user) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

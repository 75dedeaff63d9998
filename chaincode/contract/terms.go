package contract

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/recv-ledger/recv/chaincode/receivable"
	"github.com/recv-ledger/recv/chaincode/wire"
)

// The private terms of a bank's decision live in the collection of the requester's organisation
// and the bank (wire.TermsCollection), under wire.DecisionKey(id, decision, hash). Queries show them to the
// parties (wire.TermsParty) when this peer holds them, and the hash to everyone else; the rules
// never read them, so no write depends on private data.

// notHeldHere is how a peer outside a collection (or a member peer that has not received the data
// yet) refuses a member's read of a key whose hash it has committed: the terms are not on this peer.
const notHeldHere = "private data matching public hash version is not available"

// readTerms returns the terms of a decision stored under hash in collection, or nil when this peer
// holds none; a value that does not hash to hash is an error (a corrupt private store).
func (l ledger) readTerms(collection, id, decision, hash string) (*wire.Terms, error) {
	raw, err := l.stub.GetPrivateData(collection, wire.DecisionKey(id, decision, hash))
	if err != nil && strings.Contains(err.Error(), notHeldHere) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the terms of %s from %s: %w", id, collection, err)
	}
	if raw == nil {
		return nil, nil
	}
	if got := receivable.TermsHash(raw); got != hash {
		return nil, fmt.Errorf("the terms of %s in %s hash to %s, not to the public %s", id, collection, got, hash)
	}
	var t wire.Terms
	if err := json.Unmarshal(raw, &t); err != nil {
		return nil, fmt.Errorf("decoding the terms of %s: %w", id, err)
	}
	return &t, nil
}

// withTerms returns r with its approved financing's terms filled in for a party to them (a copy),
// or r itself.
func (l ledger) withTerms(c receivable.Caller, r *wire.Receivable) (*wire.Receivable, error) {
	if r == nil || r.Financing == nil || r.Financing.TermsHash == "" {
		return r, nil
	}
	f := r.Financing
	if !wire.TermsParty(c.MSPID, c.Account(), c.Role, f.RequestedBy, f.Bank) {
		return r, nil
	}
	t, err := l.readTerms(wire.TermsCollection(wire.MSPOf(f.RequestedBy), f.Bank), r.ID, wire.DecisionApproved, f.TermsHash)
	if err != nil || t == nil {
		return r, err
	}
	out := r.Clone()
	out.Financing.Terms = t
	return out, nil
}

// GetTerms returns the terms of one decision on receivable id, an approval's or a rejection's, by
// the hash that its receivable or event carries. Only a party to them gets them, and only from a
// peer of their collection: the collections tried are those of the receivable's supplier-side
// parties with each bank that the caller's organisation belongs to.
func (c *Contract) GetTerms(ctx *TxContext, id, termsHash string) (*wire.Terms, error) {
	if err := receivable.ValidateID("id", id); err != nil {
		return nil, err
	}
	if !isHash(termsHash) {
		return nil, receivable.Invalidf("termsHash %.80q is not a SHA-256 in hex", termsHash)
	}
	l := ledger{stub: ctx.GetStub()}
	r, err := l.Get(id)
	if err != nil {
		return nil, err
	}
	if r == nil {
		return nil, receivable.NotFoundf("receivable %s", id)
	}
	collections, err := l.termsCollections(ctx.caller, r)
	if err != nil {
		return nil, err
	}
	for _, coll := range collections {
		t, err := l.readTerms(coll, id, wire.DecisionApproved, termsHash)
		if err == nil && t == nil {
			t, err = l.readTerms(coll, id, wire.DecisionRejected, termsHash)
		}
		if err != nil {
			return nil, err
		}
		if t == nil {
			continue
		}
		if t.ID != id || !wire.TermsParty(ctx.caller.MSPID, ctx.caller.Account(), ctx.caller.Role, t.RequestedBy, t.Bank) {
			return nil, receivable.Forbiddenf("terms %s of receivable %s: %s is not a party to them", termsHash, id, ctx.caller.Account())
		}
		return t, nil
	}
	return nil, receivable.NotFoundf("terms %s of receivable %s: none that %s may read on this peer", termsHash, id, ctx.caller.Account())
}

// termsCollections lists, sorted, the collections that may hold terms of r and that the caller's
// organisation belongs to: its supplier-side parties' organisations with each bank.
func (l ledger) termsCollections(c receivable.Caller, r *wire.Receivable) ([]string, error) {
	orgs, err := l.Orgs()
	if err != nil {
		return nil, err
	}
	kinds := make(map[string]wire.OrgKind, len(orgs))
	var banks []string
	for _, o := range orgs {
		kinds[o.MSPID] = o.Kind
		if o.Kind == wire.OrgBank {
			banks = append(banks, o.MSPID)
		}
	}
	var holders []string
	for _, p := range append([]string{r.Holder, r.PendingHolder}, r.Parties...) {
		if msp := wire.MSPOf(p); kinds[msp] == wire.OrgSupplier {
			holders = append(holders, msp)
		}
	}
	slices.Sort(holders)
	var out []string
	for _, h := range slices.Compact(holders) {
		for _, b := range banks {
			if c.Role == wire.RoleAuditor || c.MSPID == h || c.MSPID == b {
				out = append(out, wire.TermsCollection(h, b))
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

// PrivateHash implements receivable.Reader.
func (l ledger) PrivateHash(collection, key string) (string, error) {
	h, err := l.stub.GetPrivateDataHash(collection, key)
	if err != nil {
		return "", fmt.Errorf("reading the hash of %s in %s: %w", key, collection, err)
	}
	if len(h) == 0 {
		return "", nil
	}
	return hex.EncodeToString(h), nil
}

func isHash(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

package contract

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/hyperledger/fabric-chaincode-go/v2/pkg/statebased"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"

	"github.com/recv-ledger/recv/chaincode/receivable"
	"github.com/recv-ledger/recv/chaincode/wire"
)

// State layout (LevelDB: no rich queries, so indexes are composite keys):
//
//	rcv/<id>                         the receivable JSON; the pieces of root R are the range rcv/R.*
//	config                           the settings JSON
//	beacon                           the time beacon JSON (every write reads it; Tick advances it)
//	\x00holder\x00<account>\x00<id>   index: held by or offered to account
//	\x00issuer\x00<account>\x00<id>   index: issued by account
//	\x00invoice\x00<sha256>\x00       value: the root id the invoice backs
const (
	keyPrefix   = "rcv/"
	configKey   = "config"
	beaconKey   = "beacon"
	holderIndex = "holder"
	issuerIndex = "issuer"
	invoiceKey  = "invoice"
)

// maxTreeNodes bounds the pieces one root may have for Trace and RedeemAll, so a query stays bounded.
var maxTreeNodes = 10000

// indexValue marks an index entry; an empty value would be a delete in Fabric.
var indexValue = []byte{0}

// ledger adapts the chaincode stub to the rules' Reader and applies their changes.
type ledger struct {
	stub shim.ChaincodeStubInterface
	reg  *registryRead // the registry index as this transaction read it; nil: read at each use
}

// txLedger is the ledger of ctx's transaction: the admission and the rule share one read of the
// registry index (Fabric answers a read with the committed value, never the transaction's own
// write, so the first read holds for the whole transaction).
func txLedger(ctx *TxContext) ledger { return ledger{stub: ctx.GetStub(), reg: &ctx.reg} }

var _ receivable.Reader = ledger{}

func receivableKey(id string) string { return keyPrefix + id }

// Get implements receivable.Reader.
func (l ledger) Get(id string) (*wire.Receivable, error) {
	raw, err := l.stub.GetState(receivableKey(id))
	if err != nil {
		return nil, fmt.Errorf("reading receivable %s: %w", id, err)
	}
	if raw == nil {
		return nil, nil
	}
	return decode(id, raw)
}

func decode(id string, raw []byte) (*wire.Receivable, error) {
	var r wire.Receivable
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("decoding receivable %s: %w", id, err)
	}
	return &r, nil
}

// InvoiceRoot implements receivable.Reader.
func (l ledger) InvoiceRoot(sha256 string) (string, error) {
	key, err := l.stub.CreateCompositeKey(invoiceKey, []string{sha256})
	if err != nil {
		return "", err
	}
	raw, err := l.stub.GetState(key)
	if err != nil {
		return "", fmt.Errorf("reading invoice %s: %w", sha256, err)
	}
	return string(raw), nil
}

// Tree implements receivable.Reader: the root, then its pieces by one range scan (ids "<root>.").
func (l ledger) Tree(rootID string) ([]*wire.Receivable, error) {
	root, err := l.Get(rootID)
	if err != nil || root == nil {
		return nil, err
	}
	// '/' follows '.', so [rcv/R., rcv/R/) holds exactly the pieces of R.
	it, err := l.stub.GetStateByRange(receivableKey(rootID+"."), receivableKey(rootID+"/"))
	if err != nil {
		return nil, fmt.Errorf("scanning pieces of %s: %w", rootID, err)
	}
	defer it.Close()
	nodes := []*wire.Receivable{root}
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("scanning pieces of %s: %w", rootID, err)
		}
		if len(nodes) >= maxTreeNodes {
			return nil, receivable.Invalidf("root %s has more than %d pieces", rootID, maxTreeNodes)
		}
		r, err := decode(kv.Key, kv.Value)
		if err != nil {
			return nil, err
		}
		nodes = append(nodes, r)
	}
	return nodes, nil
}

// indexKeys returns the index entries r should have.
func (l ledger) indexKeys(r *wire.Receivable) ([]string, error) {
	if r == nil {
		return nil, nil
	}
	var keys []string
	add := func(index, account string) error {
		if account == "" {
			return nil
		}
		k, err := l.stub.CreateCompositeKey(index, []string{account, r.ID})
		keys = append(keys, k)
		return err
	}
	for _, e := range []struct{ index, account string }{
		{issuerIndex, r.Issuer}, {holderIndex, r.Holder}, {holderIndex, r.PendingHolder},
	} {
		if err := add(e.index, e.account); err != nil {
			return nil, err
		}
	}
	if r.Status == wire.StatusOverdue {
		k, err := l.stub.CreateCompositeKey(overdueIndex, []string{wire.MSPOf(r.Issuer), r.MaturityDate, r.ID})
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return slices.Compact(keys), nil
}

// apply writes an accepted change: receivables, index entries, invoice bindings, and its event.
// The rules have validated everything before, so nothing is written on a refusal.
func (l ledger) apply(tx receivable.Tx, ch receivable.Change) (*wire.Event, error) {
	txID := tx.ID
	banks, err := l.planBankParts(tx, ch) // a credit line's last word, before any write
	if err != nil {
		return nil, err
	}
	for _, w := range ch.Writes {
		if err := l.put(w); err != nil {
			return nil, err
		}
	}
	for _, h := range ch.Invoices {
		key, err := l.stub.CreateCompositeKey(invoiceKey, []string{h})
		if err != nil {
			return nil, err
		}
		if err := l.stub.PutState(key, []byte(ch.Writes[0].After.RootID)); err != nil {
			return nil, fmt.Errorf("binding invoice %s: %w", h, err)
		}
		// Never changed again by the rules: the obligor's peer must endorse any change.
		if err := l.endorsedBy(key, []string{wire.MSPOf(ch.Writes[0].After.Issuer)}); err != nil {
			return nil, err
		}
	}
	if err := l.applyDirectory(ch); err != nil {
		return nil, err
	}
	for _, pw := range ch.Private {
		if err := l.stub.PutPrivateData(pw.Collection, pw.Key, pw.Value); err != nil {
			return nil, fmt.Errorf("writing the terms of %s to %s: %w", pw.ID, pw.Collection, err)
		}
		if err := l.stub.PutPrivateData(pw.Collection, pw.Request, pw.Binding); err != nil {
			return nil, fmt.Errorf("recording the decision on %s's request in %s: %w", pw.ID, pw.Collection, err)
		}
	}
	if err := l.applyBusiness(ch); err != nil {
		return nil, err
	}
	if err := l.applyExposure(tx, ch, banks); err != nil {
		return nil, err
	}
	if ch.Beacon != nil {
		raw, err := json.Marshal(ch.Beacon)
		if err != nil {
			return nil, fmt.Errorf("encoding the time beacon: %w", err)
		}
		if err := l.stub.PutState(beaconKey, raw); err != nil {
			return nil, fmt.Errorf("writing the time beacon: %w", err)
		}
	}
	ev := newEvent(txID, ch)
	return ev, l.emit(ev)
}

func (l ledger) put(w receivable.Write) error {
	raw, err := json.Marshal(w.After)
	if err != nil {
		return fmt.Errorf("encoding receivable %s: %w", w.After.ID, err)
	}
	if err := l.stub.PutState(receivableKey(w.After.ID), raw); err != nil {
		return fmt.Errorf("writing receivable %s: %w", w.After.ID, err)
	}
	// The key's policy is written only when it changes: a policy written by a transaction makes
	// every later transaction of the same block that writes the key invalid at commit
	// (ENDORSEMENT_POLICY_FAILURE, Fabric's ValidationParameterUpdatedError), where an unchanged one
	// leaves the ordinary MVCC check to pick the winner.
	if next := receivable.ReceivableEndorsers(w.After); w.Before == nil || !slices.Equal(next, receivable.ReceivableEndorsers(w.Before)) {
		if err := l.endorsedBy(receivableKey(w.After.ID), next); err != nil {
			return err
		}
	}
	old, err := l.indexKeys(w.Before)
	if err != nil {
		return err
	}
	next, err := l.indexKeys(w.After)
	if err != nil {
		return err
	}
	for _, k := range old {
		if _, keep := slices.BinarySearch(next, k); !keep {
			if err := l.stub.DelState(k); err != nil {
				return fmt.Errorf("updating index: %w", err)
			}
		}
	}
	for _, k := range next {
		if _, had := slices.BinarySearch(old, k); !had {
			if err := l.stub.PutState(k, indexValue); err != nil {
				return fmt.Errorf("updating index: %w", err)
			}
		}
	}
	return nil
}

// endorsedBy sets key's state-based endorsement policy: its next change, and a change of this
// policy, commit only when every one of orgs' peers endorsed it (receivable/endorsers.go).
func (l ledger) endorsedBy(key string, orgs []string) error {
	ep, err := statebased.NewStateEP(nil)
	if err != nil {
		return err
	}
	if err := ep.AddOrgs(statebased.RoleTypePeer, orgs...); err != nil {
		return fmt.Errorf("endorsement policy of %s: %w", key, err)
	}
	policy, err := ep.Policy()
	if err != nil {
		return fmt.Errorf("endorsement policy of %s: %w", key, err)
	}
	if err := l.stub.SetStateValidationParameter(key, policy); err != nil {
		return fmt.Errorf("setting the endorsement policy of %s: %w", key, err)
	}
	return nil
}

// emit sets the transaction's one event, named after its operation.
func (l ledger) emit(ev *wire.Event) error {
	raw, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("encoding event: %w", err)
	}
	return l.stub.SetEvent(ev.Op, raw)
}

// putConfig writes the settings.
func (l ledger) putConfig(cfg wire.Config) error {
	raw, err := json.Marshal(cfg)
	if err != nil {
		return fmt.Errorf("encoding config: %w", err)
	}
	if err := l.stub.PutState(configKey, raw); err != nil {
		return fmt.Errorf("writing config: %w", err)
	}
	return nil
}

func newEvent(txID string, ch receivable.Change) *wire.Event {
	ev := &wire.Event{TxID: txID, Op: ch.Op, Items: make([]wire.EventItem, 0, len(ch.Writes)), Reason: ch.Reason}
	for _, w := range ch.Writes {
		r := w.After
		item := wire.EventItem{ID: r.ID, Status: r.Status, Amount: r.Amount, AmountFen: r.AmountFen,
			Holder: r.Holder, PendingHolder: r.PendingHolder, Issuer: r.Issuer, Parties: r.Parties}
		if r.Financing != nil {
			item.Bank, item.TermsHash = r.Financing.Bank, r.Financing.TermsHash
		}
		if d := ch.Decided; d != nil && d.ID == r.ID {
			item.Bank, item.TermsHash = d.Bank, d.Hash
		}
		ev.Items = append(ev.Items, item)
	}
	if len(ch.Writes) == 0 {
		// A decision recorded privately: the event names the receivable, the bank and the hash.
		for _, pw := range ch.Private {
			ev.Items = append(ev.Items, wire.EventItem{ID: pw.ID, Bank: pw.Bank, TermsHash: pw.Hash})
		}
	}
	ev.Orgs, ev.Accounts, ev.Config, ev.Beacon = ch.Orgs, ch.Accounts, ch.Config, ch.Beacon
	if len(ch.Proposals) > 0 {
		ev.Proposal = ch.Proposals[0]
	}
	if len(ch.Instructions) > 0 {
		ev.Instruction = ch.Instructions[0]
	}
	if len(ch.Lines) > 0 {
		ev.Line = ch.Lines[0]
	}
	return ev
}

// readBeacon returns the time beacon (nil on a ledger seeded before InitRegistry started it). The read enters the
// transaction's read set, which is the point: a write endorsed before the beacon advances fails
// validation at commit with MVCC_READ_CONFLICT.
func readBeacon(stub shim.ChaincodeStubInterface) (*wire.Beacon, error) {
	raw, err := stub.GetState(beaconKey)
	if err != nil {
		return nil, fmt.Errorf("reading the time beacon: %w", err)
	}
	if raw == nil {
		return nil, nil
	}
	var b wire.Beacon
	if err := json.Unmarshal(raw, &b); err != nil {
		return nil, fmt.Errorf("decoding the time beacon: %w", err)
	}
	return &b, nil
}

// loadConfig returns the settings on the ledger, or the defaults.
func loadConfig(stub shim.ChaincodeStubInterface) (wire.Config, error) {
	raw, err := stub.GetState(configKey)
	if err != nil {
		return wire.Config{}, fmt.Errorf("reading config: %w", err)
	}
	if raw == nil {
		return receivable.DefaultConfig(), nil
	}
	// Settings added after a ledger was written read as their defaults.
	cfg := receivable.DefaultConfig()
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return wire.Config{}, fmt.Errorf("decoding config: %w", err)
	}
	return cfg, nil
}

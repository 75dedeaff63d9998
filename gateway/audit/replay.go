package audit

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"

	"github.com/recv-ledger/recv/chaincode/contract"
	"github.com/recv-ledger/recv/chaincode/memstub"
	"github.com/recv-ledger/recv/chaincode/wire"
)

// Violation is a valid transaction whose writes the chaincode's rules would not have produced:
// re-executed on the state the audit rebuilt from the blocks before it, the rules refused it or
// wrote something else. Endorsements prove only that the endorsing organisations signed the
// result, not that they ran the rules; two colluding organisations whose signatures the policies
// accept can commit anything, and this is where the audit names it.
type Violation struct {
	Block     uint64   `json:"block"`
	TxID      string   `json:"txId"`
	Function  string   `json:"function"`
	Creator   string   `json:"creator"`
	Endorsers []string `json:"endorsers"`
	Problem   string   `json:"problem"`
}

// DecisionTerms returns the private terms of a bank's decision (DecideFinancing) on receivable id
// under hash, as the auditor's peer holds them, so that the decision can be re-executed: its rate,
// reason and salt travelled as transient data, which no block keeps. nil: not held.
type DecisionTerms func(id, hash string) (*wire.Terms, error)

// replayer re-executes the receivables chaincode's transactions on the world state rebuilt from
// the blocks: every key of the namespace, its state-based policy and the hashes of its private
// values, exactly as the blocks' valid write sets leave them.
type replayer struct {
	state *memstub.Ledger
	cc    *contract.Chaincode
	now   time.Time // the transaction's own time: the peer clock the endorsers checked it against
	terms DecisionTerms
}

func newReplayer(terms DecisionTerms) (*replayer, error) {
	r := &replayer{state: memstub.NewLedger(), terms: terms}
	cc, err := contract.NewChaincode(contract.WithClock(func() time.Time { return r.now }))
	if err != nil {
		return nil, err
	}
	r.cc = cc
	return r, nil
}

// txInput is what a block keeps of a transaction's proposal: its id, time, creator and arguments
// (the transient data is not kept).
type txInput struct {
	block   uint64
	id      string
	at      time.Time
	creator []byte
	args    [][]byte
}

// function is the transaction's function name ("" when the proposal has none).
func (in txInput) function() string {
	if len(in.args) == 0 {
		return ""
	}
	return string(in.args[0])
}

// check re-executes one valid transaction of the namespace and compares what the rules write with
// what the block wrote (ns: the block's read-write set of the namespace; event: the chaincode's
// event in the block). It returns "" when they agree, or the problem; skipped is true when the
// transaction cannot be re-executed (a decision whose private terms this peer does not hold).
func (r *replayer) check(in txInput, ns *rwset.NsReadWriteSet, kv *kvrwset.KVRWSet, event []byte) (problem string, skipped bool) {
	if len(in.args) == 0 {
		return "no function in the proposal", false
	}
	fn := string(in.args[0])
	var transient map[string][]byte
	if fn == "DecideFinancing" {
		t, err := r.decisionInput(event)
		if err != nil {
			return err.Error(), false
		}
		if t == nil {
			return "", true
		}
		transient = t
	}
	args := make([]string, len(in.args))
	for i, a := range in.args {
		args[i] = string(a)
	}
	r.now = in.at
	stub := r.state.NewStub(in.id, in.at, in.creator, args...)
	stub.SetTransient(transient)
	resp := r.cc.Invoke(stub)
	if resp.Status != shim.OK {
		return "the rules refuse it: " + resp.Message, false
	}
	return compareWrites(stub, ns, kv, event), false
}

// decisionInput rebuilds a decision's transient data from its terms as the auditor's peer holds
// them (the event names the receivable and the terms' hash): nil when they are not held here.
func (r *replayer) decisionInput(event []byte) (map[string][]byte, error) {
	if r.terms == nil {
		return nil, nil
	}
	var ce peer.ChaincodeEvent
	if err := proto.Unmarshal(event, &ce); err != nil {
		return nil, fmt.Errorf("decode event: %w", err)
	}
	decided, err := wire.DecisionOf(ce.GetPayload())
	if err != nil {
		return nil, err
	}
	t, err := r.terms(decided.ID, decided.TermsHash)
	if err != nil || t == nil {
		return nil, err
	}
	out := map[string][]byte{wire.SaltKey: []byte(t.Salt)}
	if t.Decision == wire.DecisionApproved {
		out["rateBps"] = []byte(fmt.Sprint(t.RateBps))
	} else {
		out["reason"] = []byte(t.Reason)
	}
	return out, nil
}

// compareWrites names the first difference between the re-executed transaction's writes (values,
// state-based policies, private value hashes, its event) and the block's.
func compareWrites(stub *memstub.Stub, ns *rwset.NsReadWriteSet, kv *kvrwset.KVRWSet, event []byte) string {
	want := stub.Writes()
	got := map[string][]byte{}
	for _, w := range kv.GetWrites() {
		if w.GetIsDelete() {
			got[w.GetKey()] = nil
		} else {
			got[w.GetKey()] = w.GetValue()
		}
	}
	for _, k := range sortedKeys(got) {
		v, ok := want[k]
		switch {
		case !ok:
			return fmt.Sprintf("the rules do not write %s; the block wrote %s", printable(k), brief(got[k]))
		case !bytes.Equal(v, got[k]):
			return fmt.Sprintf("the rules write %s as %s; the block wrote %s", printable(k), brief(v), brief(got[k]))
		}
	}
	for _, k := range sortedKeys(want) {
		if _, ok := got[k]; !ok {
			return fmt.Sprintf("the rules write %s as %s; the block did not write it", printable(k), brief(want[k]))
		}
	}
	wantP := stub.ValidationParameters()
	gotP := map[string][]byte{}
	for _, m := range kv.GetMetadataWrites() {
		for _, e := range m.GetEntries() {
			if e.GetName() == peer.MetaDataKeys_VALIDATION_PARAMETER.String() {
				gotP[m.GetKey()] = e.GetValue()
			}
		}
	}
	if len(wantP) != len(gotP) {
		return fmt.Sprintf("the rules set the endorsement policies of %d keys; the block set %d", len(wantP), len(gotP))
	}
	for _, k := range sortedKeys(gotP) {
		if !bytes.Equal(wantP[k], gotP[k]) {
			return fmt.Sprintf("the block sets another endorsement policy of %s than the rules", printable(k))
		}
	}
	if p := comparePrivate(stub.PrivateWrites(), ns); p != "" {
		return p
	}
	return compareEvent(stub.Events(), event)
}

// comparePrivate compares private writes by the hashes a block keeps (key and value).
func comparePrivate(want map[string]map[string][]byte, ns *rwset.NsReadWriteSet) string {
	got := map[string]string{} // collection \x00 key hash -> value hash
	for _, c := range ns.GetCollectionHashedRwset() {
		var h kvrwset.HashedRWSet
		if err := proto.Unmarshal(c.GetHashedRwset(), &h); err != nil {
			return fmt.Sprintf("decode hashed write set of %s: %v", c.GetCollectionName(), err)
		}
		for _, w := range h.GetHashedWrites() {
			got[c.GetCollectionName()+"\x00"+hex.EncodeToString(w.GetKeyHash())] = hex.EncodeToString(w.GetValueHash())
		}
	}
	n := 0
	for coll, kv := range want {
		for k, v := range kv {
			n++
			kh, vh := sha256.Sum256([]byte(k)), sha256.Sum256(v)
			if got[coll+"\x00"+hex.EncodeToString(kh[:])] != hex.EncodeToString(vh[:]) {
				return fmt.Sprintf("the rules write private %s in %s with another value than the block's", k, coll)
			}
		}
	}
	if n != len(got) {
		return fmt.Sprintf("the rules write %d private values; the block wrote %d", n, len(got))
	}
	return ""
}

func compareEvent(want []memstub.Event, raw []byte) string {
	var ce peer.ChaincodeEvent
	if len(raw) > 0 {
		if err := proto.Unmarshal(raw, &ce); err != nil {
			return fmt.Sprintf("decode event: %v", err)
		}
	}
	switch {
	case len(want) == 0 && ce.GetEventName() == "":
		return ""
	case len(want) != 1:
		return fmt.Sprintf("the rules set %d events; the block carries %q", len(want), ce.GetEventName())
	case want[0].Name != ce.GetEventName() || !bytes.Equal(want[0].Payload, ce.GetPayload()):
		return fmt.Sprintf("the rules set event %s %s; the block carries %s %s", want[0].Name, brief(want[0].Payload), ce.GetEventName(), brief(ce.GetPayload()))
	}
	return ""
}

// applyWrites commits a valid transaction's writes of the namespace to the replay state.
func (r *replayer) applyWrites(ns *rwset.NsReadWriteSet, kv *kvrwset.KVRWSet) error {
	for _, w := range kv.GetWrites() {
		if w.GetIsDelete() {
			r.state.SetState(w.GetKey(), nil)
		} else {
			r.state.SetState(w.GetKey(), w.GetValue())
		}
	}
	for _, m := range kv.GetMetadataWrites() {
		for _, e := range m.GetEntries() {
			if e.GetName() == peer.MetaDataKeys_VALIDATION_PARAMETER.String() {
				r.state.SetValidationParameter(m.GetKey(), e.GetValue())
			}
		}
	}
	for _, c := range ns.GetCollectionHashedRwset() {
		var h kvrwset.HashedRWSet
		if err := proto.Unmarshal(c.GetHashedRwset(), &h); err != nil {
			return fmt.Errorf("decode hashed write set of %s: %w", c.GetCollectionName(), err)
		}
		for _, w := range h.GetHashedWrites() {
			vh := w.GetValueHash()
			if w.GetIsDelete() {
				vh = nil
			}
			r.state.SetPrivateHash(c.GetCollectionName(), w.GetKeyHash(), vh)
		}
	}
	return nil
}

// proposalInput reads the arguments a transaction's proposal carried.
func proposalInput(cap *peer.ChaincodeActionPayload) ([][]byte, error) {
	var cpp peer.ChaincodeProposalPayload
	if err := proto.Unmarshal(cap.GetChaincodeProposalPayload(), &cpp); err != nil {
		return nil, fmt.Errorf("decode proposal payload: %w", err)
	}
	var cis peer.ChaincodeInvocationSpec
	if err := proto.Unmarshal(cpp.GetInput(), &cis); err != nil {
		return nil, fmt.Errorf("decode invocation: %w", err)
	}
	return cis.GetChaincodeSpec().GetInput().GetArgs(), nil
}

// identityName is MSP/common name of a serialized identity, for reports.
func identityName(serialized []byte) string {
	var sid msp.SerializedIdentity
	if proto.Unmarshal(serialized, &sid) != nil {
		return "?"
	}
	if b, _ := pem.Decode(sid.GetIdBytes()); b != nil {
		if c, err := x509.ParseCertificate(b.Bytes); err == nil {
			return wire.AccountID(sid.GetMspid(), c.Subject.CommonName)
		}
	}
	return sid.GetMspid()
}

// brief shows a value shortened for a report.
func brief(v []byte) string {
	if v == nil {
		return "(deleted)"
	}
	s := strings.ToValidUTF8(string(v), "?")
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return fmt.Sprintf("%q", s)
}

// endorserNames lists the endorsing organisations of a transaction, sorted.
func endorserNames(es []signer) []string {
	out := make([]string, 0, len(es))
	for _, e := range es {
		out = append(out, e.msp)
	}
	slices.Sort(out)
	return out
}

// Package audit verifies a Fabric channel's blocks without trusting the peer that delivered them,
// and rebuilds the receivables from the write sets of the valid transactions: each block's
// header must hash-link to the one before and its data hash match its contents; every valid
// endorser transaction's creator and endorsers must hold certificates of the channel's member
// organisations (their CAs in the channel configuration) and have signed what they signed; the
// receivables chaincode's transactions must carry endorsements that satisfy its endorsement
// policy, as the chaincode definition committed in the blocks sets it. The rebuilt state is then compared with what the chaincode answers and checked for
// conservation. Pure functions over parsed blocks: no network, no Fabric SDK.
package audit

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/google/btree"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"

	"github.com/recv-ledger/recv/chaincode/receivable"
	"github.com/recv-ledger/recv/chaincode/wire"
)

// KeyPrefix is the state key prefix of a receivable (docs/design.md section 3.4).
const KeyPrefix = "rcv/"

// Options configure an Auditor.
type Options struct {
	// Chaincode is the namespace replayed and checked against Policy (default "receivables").
	Chaincode string
	// Policy is the chaincode's endorsement policy until the blocks define the chaincode (its
	// _lifecycle definition replaces it from the next block on), or for good when FixedPolicy.
	// Nil: the chain must define the chaincode before its first transaction.
	Policy      *Policy
	FixedPolicy bool
	// PolicySource says where Policy came from, for the report ("given", "checkpoint").
	PolicySource string
	// Start resumes after a verified block; nil starts at block 0.
	Start *Position
	// Channel, when set, is the only channel whose transactions are accepted (a resumed audit
	// takes it from its checkpoint); otherwise the first block names it.
	Channel string
	// MemoryEntries is how many rebuilt receivables stay in memory; past it the state moves into
	// an embedded store (bbolt) in a temporary folder under TempDir (default the system's), removed
	// by Close. 0: DefaultMemoryEntries.
	MemoryEntries int
	TempDir       string
	// NoReplay skips re-executing the chaincode's rules (a resumed audit never re-executes them: it
	// lacks the world state before its checkpoint). Terms gives a bank decision's private terms so
	// that decisions are re-executed too (their rate, reason and salt are in no block).
	NoReplay bool
	Terms    DecisionTerms
}

// Position is a verified block: the next block must carry its header hash.
type Position struct {
	Number     uint64 `json:"number"`
	HeaderHash []byte `json:"headerHash"`
}

// BlockError is a verification failure, naming the block and, when it is one transaction's,
// its index and id.
type BlockError struct {
	Block uint64
	Tx    int // -1: the block itself
	TxID  string
	Err   error
}

func (e *BlockError) Error() string {
	if e.Tx < 0 {
		return fmt.Sprintf("block %d: %v", e.Block, e.Err)
	}
	return fmt.Sprintf("block %d, transaction %d (%s): %v", e.Block, e.Tx, e.TxID, e.Err)
}

func (e *BlockError) Unwrap() error { return e.Err }

// Auditor verifies blocks given in order and keeps the rebuilt receivables; nothing else of a
// block is kept once it is verified, and the state moves into an on-disk store past
// Options.MemoryEntries, so memory is bounded by neither the chain nor the state. Close it.
type Auditor struct {
	opts    Options
	members Members
	config  *common.Config // the configuration in force: the last configuration block's
	next    uint64
	prev    []byte // header hash of the last verified block; nil before block 0
	state   *spillState
	rep     Report

	policy        *Policy
	pendingPolicy *Policy // defined in the block being verified: applies from the next block

	// Fabric's validation checks each written key against its own (state-based) policy when it
	// has one, a collection's private writes against the collection's endorsement policy when it
	// has one, and the chaincode's policy for the rest: so does the audit.
	keyPolicies        map[string]*Policy // key -> its state-based endorsement policy
	collPolicies       map[string]*Policy // collection -> its endorsement policy
	pendingCollections map[string]*Policy // defined in the block being verified
	pendingVersion     string             // the version of a definition in the block being verified
	terms              map[string]bool    // hex SHA-256 of every private value a valid transaction wrote

	replay *replayer // re-executes each valid transaction of the chaincode; nil: not done
	block  uint64    // the block being verified
	tx     int       // the transaction being verified: its index in the block

	// versions are the keys of the chaincode's namespace with the height (block, transaction) of
	// their last valid write, as a peer's state database keeps them: a transaction flagged valid
	// must have read exactly these (MVCC), or the flag does not follow from the blocks.
	versions map[string]*kvrwset.Version
	// keys holds the same keys in order, so that a range query's results can be recomputed (a key
	// that entered the range after the endorsement is a phantom); pvtVersions are the private keys
	// (collection \x00 hex key hash) with the height of their last valid write.
	keys        *btree.BTreeG[string]
	pvtVersions map[string]*kvrwset.Version
}

// Report is what an audit checked and found.
type Report struct {
	Channel          string         `json:"channel,omitempty"`
	Policy           string         `json:"policy"`
	PolicySource     string         `json:"policySource"`
	FirstBlock       uint64         `json:"firstBlock"`
	LastBlock        uint64         `json:"lastBlock"`
	LastHeaderHash   string         `json:"lastHeaderHash"`
	Blocks           int            `json:"blocks"`
	ConfigBlocks     int            `json:"configBlocks"`
	Transactions     int            `json:"transactions"`
	Valid            int            `json:"valid"`
	Invalid          map[string]int `json:"invalid"`
	ChaincodeTxs     int            `json:"chaincodeTransactions"`
	Endorsements     int            `json:"endorsementsVerified"`
	Receivables      int            `json:"receivablesRebuilt"`
	Roots            int            `json:"roots"`
	Conservation     []string       `json:"conservationViolations"`
	Differences      []Difference   `json:"differences"`
	ComparedWithPeer int            `json:"comparedWithChaincode"`
	// KeyPolicies counts the writes checked against their key's own endorsement policy,
	// CollectionPolicies those checked against their collection's; Unverified the writes of a
	// resumed audit to keys whose policy it has not seen (written before the checkpoint) that
	// the chaincode's policy does not cover.
	KeyPolicies int `json:"keyPoliciesChecked"`
	// RulesChecked counts the valid transactions re-executed through the chaincode's rules on the
	// state rebuilt from the blocks, RulesSkipped those that could not be (a decision whose terms
	// the auditor's peer does not hold); Violations are those whose writes the rules would not
	// have produced. RulesNote says why none was re-executed, when so.
	// ChainRechecked counts the blocks before a resumed audit's checkpoint whose hash chain it
	// re-checked (data hashes and links from block 0 to the checkpoint's header hash).
	ChainRechecked     int         `json:"chainRechecked,omitempty"`
	RulesChecked       int         `json:"rulesChecked"`
	RulesSkipped       int         `json:"rulesSkipped"`
	RulesNote          string      `json:"rulesNote,omitempty"`
	Violations         []Violation `json:"violations"`
	CollectionPolicies int         `json:"collectionPoliciesChecked"`
	// RangesRecomputed counts the range queries whose results the audit found again on its
	// rebuilt keys; RangesSummarised, of those, the ones Fabric kept as Merkle summaries (more
	// results than it keeps raw), whose summary the audit rebuilt.
	RangesRecomputed int `json:"rangesRecomputed"`
	RangesSummarised int `json:"rangesSummarised"`
	// ConfigUpdates counts the configuration blocks after the first whose update the audit checked
	// against the modification policies of the configuration before it; one not authorised is a
	// Violation (function "configuration update").
	ConfigUpdates int `json:"configUpdatesVerified"`
	Unverified    int `json:"writesUnverified"`
	// TermsHashes counts the financing terms whose public hash a private write of an earlier or
	// the same transaction confirms; TermsRead those whose private terms the chaincode showed and
	// that hash to it.
	TermsHashes      int     `json:"termsHashesConfirmed"`
	TermsRead        int     `json:"termsRead"`
	RootsTraced      int     `json:"rootsTraced"`
	AccountsTotalled int     `json:"accountsTotalled"`
	Store            string  `json:"store"`
	Seconds          float64 `json:"seconds"`
}

// New returns an auditor. Resuming (opts.Start) needs the channel's members before the first
// block: call LoadConfig with the latest configuration block.
func New(opts Options) (*Auditor, error) {
	if opts.FixedPolicy && opts.Policy == nil {
		return nil, errors.New("audit: a fixed policy needs a policy")
	}
	if opts.Chaincode == "" {
		opts.Chaincode = "receivables"
	}
	a := &Auditor{opts: opts, state: newSpillState(opts.MemoryEntries, opts.TempDir), rep: Report{Invalid: map[string]int{}}, policy: opts.Policy,
		keyPolicies: map[string]*Policy{}, collPolicies: map[string]*Policy{}, terms: map[string]bool{},
		versions: map[string]*kvrwset.Version{}, keys: btree.NewOrderedG[string](32), pvtVersions: map[string]*kvrwset.Version{}}
	if opts.Policy != nil {
		a.rep.Policy, a.rep.PolicySource = opts.Policy.String(), opts.PolicySource
	}
	switch {
	case opts.NoReplay:
		a.rep.RulesNote = "not asked for"
	case opts.Start != nil:
		a.rep.RulesNote = "a resumed audit lacks the state before its checkpoint"
	default:
		r, err := newReplayer(opts.Terms)
		if err != nil {
			return nil, err
		}
		a.replay = r
	}
	if opts.Start != nil {
		a.next, a.prev = opts.Start.Number+1, opts.Start.HeaderHash
		a.rep.FirstBlock, a.rep.LastBlock = a.next, opts.Start.Number
		a.rep.LastHeaderHash = hex.EncodeToString(opts.Start.HeaderHash)
	}
	a.rep.Channel = opts.Channel
	return a, nil
}

// Next is the number of the block Verify expects.
func (a *Auditor) Next() uint64 { return a.next }

// LoadConfig takes the channel's members from a configuration block without verifying its place
// in the chain: a resumed audit trusts the configuration its checkpoint's audit verified.
func (a *Auditor) LoadConfig(b *common.Block) error {
	ce, err := configEnvelope(b)
	if err != nil {
		return err
	}
	return a.takeConfig(ce)
}

// takeConfig makes a configuration the one in force: its members and, for the next update's
// check, the configuration itself.
func (a *Auditor) takeConfig(ce *common.ConfigEnvelope) error {
	m, err := applicationMembers(ce.GetConfig())
	if err != nil {
		return err
	}
	a.members, a.config = m, ce.GetConfig()
	return nil
}

// configBlock checks a configuration block's update against the configuration in force (the
// genesis block, block 0, has none) and takes its members and configuration.
func (a *Auditor) configBlock(b *common.Block, chdr *common.ChannelHeader) error {
	ce, err := configEnvelope(b)
	if err != nil {
		return err
	}
	if a.config != nil && b.GetHeader().GetNumber() > 0 {
		a.rep.ConfigUpdates++
		problem, err := verifyConfigUpdate(a.config, ce, chdr.GetTimestamp().AsTime())
		if err != nil {
			return err
		}
		if problem != "" {
			a.rep.Violations = append(a.rep.Violations, Violation{Block: b.GetHeader().GetNumber(), TxID: chdr.GetTxId(),
				Function: "configuration update", Creator: updateCreator(ce), Problem: problem})
		}
	}
	return a.takeConfig(ce)
}

// updateCreator names who submitted a configuration update ("" when unreadable).
func updateCreator(ce *common.ConfigEnvelope) string {
	var payload common.Payload
	var sh common.SignatureHeader
	if proto.Unmarshal(ce.GetLastUpdate().GetPayload(), &payload) != nil ||
		proto.Unmarshal(payload.GetHeader().GetSignatureHeader(), &sh) != nil {
		return ""
	}
	return identityName(sh.GetCreator())
}

// Verify checks the next block and replays its valid transactions. A failure names the block;
// the auditor must not be used after one.
func (a *Auditor) Verify(b *common.Block) error {
	h := b.GetHeader()
	num := h.GetNumber()
	a.block = num
	fail := func(err error) error { return &BlockError{Block: num, Tx: -1, Err: err} }
	if num != a.next {
		return fail(fmt.Errorf("expected block %d", a.next))
	}
	if a.prev != nil && !bytes.Equal(h.GetPreviousHash(), a.prev) {
		return fail(fmt.Errorf("previous hash %x does not match block %d's header hash %x", h.GetPreviousHash(), num-1, a.prev))
	}
	if !bytes.Equal(h.GetDataHash(), DataHash(b.GetData())) {
		return fail(errors.New("data hash does not match the block's transactions"))
	}
	if num == 0 || a.members == nil {
		if err := a.LoadConfig(b); err != nil {
			return fail(err)
		}
	}
	filter := txFilter(b)
	if len(filter) != len(b.GetData().GetData()) {
		return fail(fmt.Errorf("transactions filter has %d codes for %d transactions", len(filter), len(b.GetData().GetData())))
	}
	for i, env := range b.GetData().GetData() {
		a.tx = i
		if err := a.transaction(b, env, peer.TxValidationCode(filter[i])); err != nil {
			var be *BlockError
			if errors.As(err, &be) {
				be.Block, be.Tx = num, i
				return be
			}
			return &BlockError{Block: num, Tx: i, Err: err}
		}
	}
	if err := a.state.flush(); err != nil {
		return fail(err)
	}
	if a.pendingPolicy != nil {
		a.policy, a.pendingPolicy = a.pendingPolicy, nil
		a.rep.Policy, a.rep.PolicySource = a.policy.String(), fmt.Sprintf("chaincode definition in block %d", num)
	}
	if a.pendingCollections != nil {
		a.collPolicies, a.pendingCollections = a.pendingCollections, nil
	}
	if a.pendingVersion != "" {
		if a.replay != nil {
			a.replay.state.SetDefinition(a.opts.Chaincode, a.pendingVersion)
		}
		a.pendingVersion = ""
	}
	a.prev, a.next = HeaderHash(h), num+1
	if a.rep.Blocks == 0 {
		a.rep.FirstBlock = num
	}
	a.rep.Blocks++
	a.rep.LastBlock, a.rep.LastHeaderHash = num, hex.EncodeToString(a.prev)
	return nil
}

// Position is the last verified block, from which a later audit may resume.
func (a *Auditor) Position() (Position, bool) {
	if a.prev == nil {
		return Position{}, false
	}
	return Position{Number: a.next - 1, HeaderHash: append([]byte(nil), a.prev...)}, true
}

// transaction checks one envelope and, when the peer marked it valid, replays its writes.
func (a *Auditor) transaction(b *common.Block, raw []byte, code peer.TxValidationCode) error {
	a.rep.Transactions++
	payload, chdr, err := envelopeHeader(raw)
	if err != nil {
		return err
	}
	if a.rep.Channel == "" {
		a.rep.Channel = chdr.GetChannelId()
	} else if chdr.GetChannelId() != a.rep.Channel {
		return fmt.Errorf("transaction of channel %q in channel %q", chdr.GetChannelId(), a.rep.Channel)
	}
	if code != peer.TxValidationCode_VALID {
		a.rep.Invalid[code.String()]++
		return nil
	}
	a.rep.Valid++
	switch common.HeaderType(chdr.GetType()) {
	case common.HeaderType_CONFIG:
		a.rep.ConfigBlocks++
		return a.configBlock(b, chdr)
	case common.HeaderType_ENDORSER_TRANSACTION:
		return a.endorserTx(raw, payload, chdr)
	default:
		return fmt.Errorf("unexpected valid transaction of type %s", common.HeaderType(chdr.GetType()))
	}
}

func (a *Auditor) endorserTx(raw []byte, payload *common.Payload, chdr *common.ChannelHeader) error {
	var env common.Envelope
	if err := proto.Unmarshal(raw, &env); err != nil {
		return err
	}
	var shdr common.SignatureHeader
	if err := proto.Unmarshal(payload.GetHeader().GetSignatureHeader(), &shdr); err != nil {
		return fmt.Errorf("decode signature header: %w", err)
	}
	at := chdr.GetTimestamp().AsTime()
	txErr := func(err error) error { return &BlockError{TxID: chdr.GetTxId(), Err: err} }
	if _, err := a.members.verify(shdr.GetCreator(), env.GetPayload(), env.GetSignature(), at); err != nil {
		return txErr(fmt.Errorf("creator: %w", err))
	}
	var tx peer.Transaction
	if err := proto.Unmarshal(payload.GetData(), &tx); err != nil {
		return txErr(fmt.Errorf("decode transaction: %w", err))
	}
	for _, act := range tx.GetActions() {
		var cap peer.ChaincodeActionPayload
		if err := proto.Unmarshal(act.GetPayload(), &cap); err != nil {
			return txErr(fmt.Errorf("decode action: %w", err))
		}
		prp := cap.GetAction().GetProposalResponsePayload()
		var endorsers []signer
		for _, e := range cap.GetAction().GetEndorsements() {
			s, err := a.members.verify(e.GetEndorser(), append(append([]byte(nil), prp...), e.GetEndorser()...), e.GetSignature(), at)
			if err != nil {
				return txErr(fmt.Errorf("endorsement: %w", err))
			}
			endorsers = append(endorsers, s)
			a.rep.Endorsements++
		}
		args, err := proposalInput(&cap)
		if err != nil {
			return txErr(err)
		}
		in := txInput{block: a.block, id: chdr.GetTxId(), at: at, creator: shdr.GetCreator(), args: args}
		if err := a.action(prp, endorsers, in); err != nil {
			return txErr(err)
		}
	}
	return nil
}

// action checks the policy of a receivables chaincode action and applies its writes.
func (a *Auditor) action(prp []byte, endorsers []signer, in txInput) error {
	var resp peer.ProposalResponsePayload
	if err := proto.Unmarshal(prp, &resp); err != nil {
		return fmt.Errorf("decode proposal response: %w", err)
	}
	var cca peer.ChaincodeAction
	if err := proto.Unmarshal(resp.GetExtension(), &cca); err != nil {
		return fmt.Errorf("decode chaincode action: %w", err)
	}
	if cca.GetChaincodeId().GetName() == lifecycleNS {
		return a.lifecycle(cca.GetResults())
	}
	if cca.GetChaincodeId().GetName() != a.opts.Chaincode {
		return nil
	}
	a.rep.ChaincodeTxs++
	if a.policy == nil {
		return fmt.Errorf("no endorsement policy for %s: no chaincode definition before it and none given", a.opts.Chaincode)
	}
	var rws rwset.TxReadWriteSet
	if err := proto.Unmarshal(cca.GetResults(), &rws); err != nil {
		return fmt.Errorf("decode read-write set: %w", err)
	}
	type nsWrites struct {
		ns      *rwset.NsReadWriteSet
		kv      *kvrwset.KVRWSet
		private map[string]bool
	}
	var all []nsWrites
	for _, ns := range rws.GetNsRwset() {
		if ns.GetNamespace() != a.opts.Chaincode {
			continue
		}
		var kv kvrwset.KVRWSet
		if err := proto.Unmarshal(ns.GetRwset(), &kv); err != nil {
			return fmt.Errorf("decode write set: %w", err)
		}
		private, err := privateValueHashes(ns)
		if err != nil {
			return err
		}
		if err := a.checkPolicies(&kv, ns, endorsers); err != nil {
			return err
		}
		if err := a.checkReads(&kv, ns); err != nil {
			return err
		}
		all = append(all, nsWrites{ns, &kv, private})
	}
	for _, w := range all {
		if a.replay != nil {
			problem, skipped := a.replay.check(in, w.ns, w.kv, cca.GetEvents())
			switch {
			case skipped:
				a.rep.RulesSkipped++
			case problem != "":
				a.rep.RulesChecked++
				a.rep.Violations = append(a.rep.Violations, Violation{Block: in.block, TxID: in.id, Function: in.function(),
					Creator: identityName(in.creator), Endorsers: endorserNames(endorsers), Problem: problem})
			default:
				a.rep.RulesChecked++
			}
			if err := a.replay.applyWrites(w.ns, w.kv); err != nil {
				return err
			}
		}
		for h := range w.private {
			a.terms[h] = true
		}
		for _, wr := range w.kv.GetWrites() {
			if err := a.apply(wr); err != nil {
				return err
			}
			if wr.GetIsDelete() {
				delete(a.keyPolicies, wr.GetKey())
			}
		}
		for _, m := range w.kv.GetMetadataWrites() {
			if err := a.setKeyPolicy(m); err != nil {
				return err
			}
		}
		a.setVersions(w.kv, w.ns)
	}
	return nil
}

// checkPolicies checks a namespace's writes as Fabric's validation does: each public key written
// (its value or its metadata) against the key's state-based policy when it has one, each
// collection written against the collection's endorsement policy when it has one, and the
// chaincode's policy once for everything else (and for a transaction that wrote nothing).
func (a *Auditor) checkPolicies(kv *kvrwset.KVRWSet, ns *rwset.NsReadWriteSet, endorsers []signer) error {
	needChaincode, checked := false, false
	unknown := ""
	check := func(what string, p *Policy) error {
		checked = true
		if !p.satisfiedBy(endorsers) {
			return fmt.Errorf("endorsements by [%s] do not satisfy the policy %s of %s", strings.Join(endorserNames(endorsers), " "), p, what)
		}
		return nil
	}
	keys := map[string]bool{}
	for _, w := range kv.GetWrites() {
		keys[w.GetKey()] = true
	}
	for _, m := range kv.GetMetadataWrites() {
		keys[m.GetKey()] = true
	}
	for _, k := range sortedKeys(keys) {
		if p := a.keyPolicies[k]; p != nil {
			a.rep.KeyPolicies++
			if err := check("key "+printable(k), p); err != nil {
				return err
			}
			continue
		}
		needChaincode = true
		if unknown == "" {
			unknown = k
		}
	}
	for _, c := range ns.GetCollectionHashedRwset() {
		var h kvrwset.HashedRWSet
		if err := proto.Unmarshal(c.GetHashedRwset(), &h); err != nil {
			return fmt.Errorf("decode hashed write set of %s: %w", c.GetCollectionName(), err)
		}
		if len(h.GetHashedWrites()) == 0 && len(h.GetMetadataWrites()) == 0 {
			continue
		}
		if p := a.collPolicies[c.GetCollectionName()]; p != nil {
			a.rep.CollectionPolicies++
			if err := check("collection "+c.GetCollectionName(), p); err != nil {
				return err
			}
			continue
		}
		needChaincode = true
	}
	if !needChaincode && checked {
		return nil
	}
	if a.policy.satisfiedBy(endorsers) {
		return nil
	}
	if a.opts.Start != nil && unknown != "" {
		// Written before the checkpoint, its key's own policy is not known here.
		a.rep.Unverified++
		return nil
	}
	return fmt.Errorf("endorsements by [%s] do not satisfy %s", strings.Join(endorserNames(endorsers), " "), a.policy)
}

// checkReads recomputes a transaction's MVCC validity instead of trusting the peer's flag, which
// lies outside the block's data hash, as Fabric's validation computes it: every key it read
// (alone, or in a range query's raw reads) must be at the version the blocks before it leave;
// every range query must find the same keys again (no key entered or left the range: a phantom);
// every private key it read (by its hash) must be at its version too. A range query summarised by
// Merkle hashes (more results than Fabric keeps raw) must give the same summary on the rebuilt
// keys (merkle.go). A resumed audit does not know the versions before its checkpoint and checks
// nothing here.
func (a *Auditor) checkReads(kv *kvrwset.KVRWSet, ns *rwset.NsReadWriteSet) error {
	if a.opts.Start != nil {
		return nil
	}
	reads := kv.GetReads()
	for _, rq := range kv.GetRangeQueriesInfo() {
		if rq.GetReadsMerkleHashes() != nil {
			if err := a.checkSummarisedRange(rq); err != nil {
				return err
			}
			a.rep.RangesSummarised++
			a.rep.RangesRecomputed++
			continue
		}
		if err := a.checkRange(rq); err != nil {
			return err
		}
		a.rep.RangesRecomputed++
		reads = append(reads, rq.GetRawReads().GetKvReads()...)
	}
	for _, r := range reads {
		if want := a.versions[r.GetKey()]; !sameVersion(want, r.GetVersion()) {
			return fmt.Errorf("flagged VALID, but it read %s at %s while the valid transactions before it leave %s: "+
				"the peer's validation flag does not follow from the blocks", printable(r.GetKey()), versionText(r.GetVersion()), versionText(want))
		}
	}
	for _, c := range ns.GetCollectionHashedRwset() {
		var h kvrwset.HashedRWSet
		if err := proto.Unmarshal(c.GetHashedRwset(), &h); err != nil {
			return fmt.Errorf("decode hashed read set of %s: %w", c.GetCollectionName(), err)
		}
		for _, r := range h.GetHashedReads() {
			key := c.GetCollectionName() + "\x00" + hex.EncodeToString(r.GetKeyHash())
			if want := a.pvtVersions[key]; !sameVersion(want, r.GetVersion()) {
				return fmt.Errorf("flagged VALID, but it read the private key %x of %s at %s while the valid transactions before it leave %s: "+
					"the peer's validation flag does not follow from the blocks", r.GetKeyHash(), c.GetCollectionName(), versionText(r.GetVersion()), versionText(want))
			}
		}
	}
	return nil
}

// checkRange recomputes one range query's results on the keys the valid transactions before it
// leave: from its start key to its end key (none: to the end), all of them if the query read to the
// end of its iterator, else as many as it read; they must be exactly the keys it read, in order.
func (a *Auditor) checkRange(rq *kvrwset.RangeQueryInfo) error {
	raw := rq.GetRawReads().GetKvReads()
	end := rq.GetEndKey()
	var now []string
	a.keys.AscendGreaterOrEqual(rq.GetStartKey(), func(k string) bool {
		if (end != "" && k >= end) || (!rq.GetItrExhausted() && len(now) == len(raw)) {
			return false
		}
		now = append(now, k)
		return true
	})
	for i, k := range now {
		if i >= len(raw) || raw[i].GetKey() != k {
			return fmt.Errorf("flagged VALID, but its range query from %s to %s would now find %s, which it did not read (a phantom): "+
				"the peer's validation flag does not follow from the blocks", printable(rq.GetStartKey()), printable(end), printable(k))
		}
	}
	if len(raw) > len(now) {
		return fmt.Errorf("flagged VALID, but its range query from %s to %s read %s, which the valid transactions before it do not leave in the range: "+
			"the peer's validation flag does not follow from the blocks", printable(rq.GetStartKey()), printable(end), printable(raw[len(now)].GetKey()))
	}
	return nil
}

// setVersions records the height of a valid transaction's writes: a value written or a metadata
// written to an existing key moves the key to this transaction's height, a delete removes it;
// private keys likewise, by their hashes.
func (a *Auditor) setVersions(kv *kvrwset.KVRWSet, ns *rwset.NsReadWriteSet) {
	h := &kvrwset.Version{BlockNum: a.block, TxNum: uint64(a.tx)}
	for _, w := range kv.GetWrites() {
		if w.GetIsDelete() {
			delete(a.versions, w.GetKey())
			a.keys.Delete(w.GetKey())
		} else {
			a.versions[w.GetKey()] = h
			a.keys.ReplaceOrInsert(w.GetKey())
		}
	}
	for _, m := range kv.GetMetadataWrites() {
		if _, ok := a.versions[m.GetKey()]; ok {
			a.versions[m.GetKey()] = h
		}
	}
	for _, c := range ns.GetCollectionHashedRwset() {
		var hs kvrwset.HashedRWSet
		if proto.Unmarshal(c.GetHashedRwset(), &hs) != nil {
			continue // refused by checkReads before
		}
		for _, w := range hs.GetHashedWrites() {
			key := c.GetCollectionName() + "\x00" + hex.EncodeToString(w.GetKeyHash())
			if w.GetIsDelete() {
				delete(a.pvtVersions, key)
			} else {
				a.pvtVersions[key] = h
			}
		}
		for _, m := range hs.GetMetadataWrites() {
			key := c.GetCollectionName() + "\x00" + hex.EncodeToString(m.GetKeyHash())
			if _, ok := a.pvtVersions[key]; ok {
				a.pvtVersions[key] = h
			}
		}
	}
}

func sameVersion(a, b *kvrwset.Version) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.GetBlockNum() == b.GetBlockNum() && a.GetTxNum() == b.GetTxNum()
}

func versionText(v *kvrwset.Version) string {
	if v == nil {
		return "no version (absent)"
	}
	return fmt.Sprintf("version %d:%d", v.GetBlockNum(), v.GetTxNum())
}

// setKeyPolicy records a key's state-based endorsement policy from a metadata write.
func (a *Auditor) setKeyPolicy(m *kvrwset.KVMetadataWrite) error {
	for _, e := range m.GetEntries() {
		if e.GetName() != peer.MetaDataKeys_VALIDATION_PARAMETER.String() {
			continue
		}
		if len(e.GetValue()) == 0 {
			delete(a.keyPolicies, m.GetKey())
			continue
		}
		p, err := PolicyFromEnvelope(e.GetValue())
		if err != nil {
			return fmt.Errorf("endorsement policy of key %s: %w", printable(m.GetKey()), err)
		}
		a.keyPolicies[m.GetKey()] = p
	}
	return nil
}

// printable shows a composite key's separators.
func printable(k string) string { return strings.ReplaceAll(k, "\x00", "\\x00") }

// privateValueHashes are the hex SHA-256 of the values a transaction wrote to the chaincode's
// private data collections: the block carries only these hashes (and the keys' hashes).
func privateValueHashes(ns *rwset.NsReadWriteSet) (map[string]bool, error) {
	out := map[string]bool{}
	for _, c := range ns.GetCollectionHashedRwset() {
		var h kvrwset.HashedRWSet
		if err := proto.Unmarshal(c.GetHashedRwset(), &h); err != nil {
			return nil, fmt.Errorf("decode hashed write set of %s: %w", c.GetCollectionName(), err)
		}
		for _, w := range h.GetHashedWrites() {
			if !w.GetIsDelete() {
				out[hex.EncodeToString(w.GetValueHash())] = true
			}
		}
	}
	return out, nil
}

// lifecycle takes the chaincode's endorsement policy from a committed definition's writes.
func (a *Auditor) lifecycle(results []byte) error {
	var rws rwset.TxReadWriteSet
	if err := proto.Unmarshal(results, &rws); err != nil {
		return fmt.Errorf("decode read-write set: %w", err)
	}
	for _, ns := range rws.GetNsRwset() {
		if ns.GetNamespace() != lifecycleNS {
			continue
		}
		var kv kvrwset.KVRWSet
		if err := proto.Unmarshal(ns.GetRwset(), &kv); err != nil {
			return fmt.Errorf("decode write set: %w", err)
		}
		for _, w := range kv.GetWrites() {
			if w.GetIsDelete() {
				continue
			}
			switch w.GetKey() {
			case validationInfoKey(a.opts.Chaincode):
				p, err := PolicyFromValidationInfo(w.GetValue())
				if err != nil {
					return fmt.Errorf("chaincode definition of %s: %w", a.opts.Chaincode, err)
				}
				if !a.opts.FixedPolicy {
					a.pendingPolicy = p
				}
			case collectionsKey(a.opts.Chaincode):
				c, err := CollectionPolicies(w.GetValue())
				if err != nil {
					return fmt.Errorf("collections of %s: %w", a.opts.Chaincode, err)
				}
				a.pendingCollections = c
			case endorsementInfoKey(a.opts.Chaincode):
				// The re-executed InitRegistry reads the definition's version (the seed's hash).
				v, err := VersionFromEndorsementInfo(w.GetValue())
				if err != nil {
					return fmt.Errorf("chaincode definition of %s: %w", a.opts.Chaincode, err)
				}
				a.pendingVersion = v
			}
		}
	}
	return nil
}

// Policy is the endorsement policy in force after the last verified block, or nil.
func (a *Auditor) Policy() *Policy { return a.policy }

// apply replays one public write. The write approving a financing binds terms the bank recorded
// privately (DecideFinancing, before it or in the same transaction): its public termsHash is the
// hash of a private write of a valid transaction, or the chain would hold the hash of nothing.
func (a *Auditor) apply(w *kvrwset.KVWrite) error {
	id, ok := strings.CutPrefix(w.GetKey(), KeyPrefix)
	if !ok {
		return nil
	}
	if w.GetIsDelete() {
		return a.state.Delete(id)
	}
	var r wire.Receivable
	if err := json.Unmarshal(w.GetValue(), &r); err != nil {
		return fmt.Errorf("write of %s: %w", w.GetKey(), err)
	}
	if r.ID != id {
		return fmt.Errorf("write of %s holds receivable %q", w.GetKey(), r.ID)
	}
	if f := r.Financing; f != nil && f.TermsHash != "" && f.Financier == r.UpdatedBy && f.ApprovedAt == r.UpdatedAt {
		// The approving write (later writes, a redemption, carry the hash along).
		if !a.terms[f.TermsHash] && a.opts.Start == nil {
			return fmt.Errorf("write of %s: terms hash %s is not the hash of a private write of a valid transaction", w.GetKey(), f.TermsHash)
		}
		a.rep.TermsHashes++
	}
	return a.state.Put(&r)
}

// envelopeHeader decodes an envelope's payload and channel header.
func envelopeHeader(raw []byte) (*common.Payload, *common.ChannelHeader, error) {
	var env common.Envelope
	if err := proto.Unmarshal(raw, &env); err != nil {
		return nil, nil, fmt.Errorf("decode envelope: %w", err)
	}
	var p common.Payload
	if err := proto.Unmarshal(env.GetPayload(), &p); err != nil {
		return nil, nil, fmt.Errorf("decode payload: %w", err)
	}
	var ch common.ChannelHeader
	if err := proto.Unmarshal(p.GetHeader().GetChannelHeader(), &ch); err != nil {
		return nil, nil, fmt.Errorf("decode channel header: %w", err)
	}
	return &p, &ch, nil
}

// Close releases the rebuilt state: an on-disk store and its temporary folder are removed.
func (a *Auditor) Close() error { return a.state.Close() }

// IDs are the rebuilt receivables' ids, sorted (nil when the store fails to read).
func (a *Auditor) IDs() []string {
	var ids []string
	if err := a.state.Scan("", func(r *wire.Receivable) error { ids = append(ids, r.ID); return nil }); err != nil {
		return nil
	}
	return ids
}

// each calls fn with every rebuilt receivable, in id order.
func (a *Auditor) each(fn func(r *wire.Receivable) error) error { return a.state.Scan("", fn) }

// Receivable is a rebuilt receivable, or nil (also when the store fails to read).
func (a *Auditor) Receivable(id string) *wire.Receivable {
	r, _ := a.state.Get(id)
	return r
}

// rebuiltTrees calls fn with every root that was itself rebuilt and the ids of its rebuilt
// pieces, one tree at a time (on a resumed audit, roots older than the checkpoint are skipped).
func (a *Auditor) rebuiltTrees(fn func(root string, ids []string) error) error {
	return a.state.Trees(func(root string, ids []string) error {
		r, err := a.state.Get(root)
		if err != nil || r == nil {
			return err
		}
		return fn(root, ids)
	})
}

// Conservation checks the invariant on every root of the rebuilt state whose pieces were all
// rebuilt (on a resumed audit, roots older than the checkpoint may be partial and are skipped),
// reading one tree at a time. A store that fails to read is a violation too.
func (a *Auditor) Conservation() (roots int, violations []string) {
	err := a.rebuiltTrees(func(root string, ids []string) error {
		roots++
		tree := make([]*wire.Receivable, 0, len(ids))
		for _, id := range ids {
			r, err := a.state.Get(id)
			if err != nil {
				return err
			}
			tree = append(tree, r)
		}
		if err := receivable.CheckConservation(tree); err != nil {
			violations = append(violations, err.Error())
		}
		return nil
	})
	if err != nil {
		violations = append(violations, "rebuilt state unreadable: "+err.Error())
	}
	return roots, violations
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Report is what the audit found so far, conservation included.
func (a *Auditor) Report() Report {
	r := a.rep
	r.Receivables = a.state.Len()
	r.Store = a.state.where()
	r.Roots, r.Conservation = a.Conservation()
	if r.Conservation == nil {
		r.Conservation = []string{}
	}
	if r.Differences == nil {
		r.Differences = []Difference{}
	}
	return r
}

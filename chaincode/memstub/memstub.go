// Package memstub is an in-memory implementation of the chaincode stub for tests and benchmarks:
// a committed world state with sorted range scans, composite keys, pagination and per-key history,
// and a per-transaction write set that is committed only when the transaction succeeds, as a
// peer's endorsement and commit would. Reads never see the transaction's own writes, as in Fabric.
package memstub

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/queryresult"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer/lifecycle"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

const (
	compositeKeyNamespace = "\x00"
	minUnicodeRuneValue   = 0
	maxUnicodeRune        = utf8.MaxRune
)

// ErrUnsupported is returned by the parts of the stub API the chaincode must not use (rich queries,
// private data iterators and hashes, chaincode-to-chaincode calls but _lifecycle's definition query).
var ErrUnsupported = errors.New("memstub: not supported")

// Event is a chaincode event set by a transaction.
type Event struct {
	TxID    string
	Name    string
	Payload []byte
}

// Ledger is the committed state shared by the transactions of one test.
type Ledger struct {
	state       map[string][]byte
	versions    map[string]int // key -> how many committed transactions wrote it
	history     map[string][]*queryresult.KeyModification
	events      []Event
	private     map[string]map[string][]byte // collection -> key -> value, as a member peer holds them
	missing     map[string]bool              // collections whose values this "peer" lacks
	params      map[string][]byte            // key -> its state-based endorsement policy
	hashes      map[string]map[string][]byte // collection -> hex SHA-256 of the key -> SHA-256 of the value, as every peer holds them
	definitions map[string]string            // chaincode name -> the version of its committed definition
}

// Chaincode is the chaincode name every transaction's proposal names.
const Chaincode = "receivables"

// SetDefinition commits a definition of chaincode name with version, as the channel's _lifecycle
// answers it to QueryChaincodeDefinition.
func (l *Ledger) SetDefinition(name, version string) {
	if l.definitions == nil {
		l.definitions = map[string]string{}
	}
	l.definitions[name] = version
}

// NewLedger returns an empty ledger.
func NewLedger() *Ledger {
	return &Ledger{state: map[string][]byte{}, versions: map[string]int{}, history: map[string][]*queryresult.KeyModification{},
		private: map[string]map[string][]byte{}, params: map[string][]byte{}, hashes: map[string]map[string][]byte{}}
}

// Private returns a copy of the committed private data of every collection.
func (l *Ledger) Private() map[string]map[string][]byte {
	out := make(map[string]map[string][]byte, len(l.private))
	for c, kv := range l.private {
		out[c] = maps.Clone(kv)
	}
	return out
}

// ForgetPrivate drops a collection's private data, as a peer outside the collection (or one that
// has not reconciled yet) lacks it: reading a key of it then fails as on such a peer.
func (l *Ledger) ForgetPrivate(collection string) {
	delete(l.private, collection)
	if l.missing == nil {
		l.missing = map[string]bool{}
	}
	l.missing[collection] = true
}

// ErrPrivateDataNotHeld is what a peer answers a member's read of private data whose hash it
// committed but whose value it does not hold (Fabric's message).
var ErrPrivateDataNotHeld = errors.New("private data matching public hash version is not available")

// Snapshot returns a copy of the whole committed state.
func (l *Ledger) Snapshot() map[string][]byte {
	out := make(map[string][]byte, len(l.state))
	for k, v := range l.state {
		out[k] = slices.Clone(v)
	}
	return out
}

// keyHash is the hex SHA-256 of a private key, as a block's hashed write set names it.
func keyHash(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// SetState commits one write made elsewhere (a block's write set, replayed by an audit): value,
// or a delete when nil. Neither history nor events are kept.
func (l *Ledger) SetState(key string, value []byte) {
	if value == nil {
		delete(l.state, key)
		delete(l.params, key)
	} else {
		l.state[key] = slices.Clone(value)
	}
	l.versions[key]++
}

// SetValidationParameter commits a key's state-based endorsement policy written elsewhere.
func (l *Ledger) SetValidationParameter(key string, policy []byte) {
	if len(policy) == 0 {
		delete(l.params, key)
		return
	}
	l.params[key] = slices.Clone(policy)
}

// SetPrivateHash commits the hash of a private value written elsewhere, by the hash of its key
// (all a block holds); a nil valueHash deletes it.
func (l *Ledger) SetPrivateHash(collection string, keyHash, valueHash []byte) {
	if l.hashes[collection] == nil {
		l.hashes[collection] = map[string][]byte{}
	}
	if valueHash == nil {
		delete(l.hashes[collection], hex.EncodeToString(keyHash))
		return
	}
	l.hashes[collection][hex.EncodeToString(keyHash)] = slices.Clone(valueHash)
}

// ValidationParameter returns key's committed state-based endorsement policy, or nil when the
// chaincode-level policy governs it.
func (l *Ledger) ValidationParameter(key string) []byte { return slices.Clone(l.params[key]) }

// State returns the committed value of key, or nil.
func (l *Ledger) State(key string) []byte { return l.state[key] }

// Events returns every committed event, in commit order.
func (l *Ledger) Events() []Event { return slices.Clone(l.events) }

// Keys returns the committed keys, sorted.
func (l *Ledger) Keys() []string { return slices.Sorted(maps.Keys(l.state)) }

// Stub is one transaction's view of the ledger; it implements shim.ChaincodeStubInterface.
type Stub struct {
	ledger    *Ledger
	txID      string
	channel   string
	timestamp *timestamppb.Timestamp
	args      [][]byte
	creator   []byte
	writes    map[string][]byte // nil value: delete
	reads     map[string]int    // key -> its version when first read (GetState)
	ranges    []rangeRead       // GetStateByRange calls, for the phantom check
	events    []Event
	transient map[string][]byte
	private   map[string]map[string][]byte // the transaction's private writes
	params    map[string][]byte            // the transaction's endorsement policy writes
	checked   map[string][]byte            // Policies as of the commit
}

var _ shim.ChaincodeStubInterface = (*Stub)(nil)

// NewStub starts a transaction with the given id, timestamp, creator (a serialized identity) and
// arguments (function name first).
func (l *Ledger) NewStub(txID string, ts time.Time, creator []byte, args ...string) *Stub {
	s := &Stub{ledger: l, txID: txID, channel: "receivables", timestamp: timestamppb.New(ts),
		creator: creator, writes: map[string][]byte{}, reads: map[string]int{}, private: map[string]map[string][]byte{},
		params: map[string][]byte{}}
	for _, a := range args {
		s.args = append(s.args, []byte(a))
	}
	return s
}

// Commit applies the write set, the history and the events to the ledger.
func (s *Stub) Commit() {
	s.checked = s.Policies()
	for _, k := range slices.Sorted(maps.Keys(s.writes)) {
		v := s.writes[k]
		if v == nil {
			delete(s.ledger.state, k)
			delete(s.ledger.params, k) // Fabric deletes a key's metadata with it
		} else {
			s.ledger.state[k] = v
		}
		s.ledger.versions[k]++
		mod := &queryresult.KeyModification{TxId: s.txID, Value: v, Timestamp: s.timestamp, IsDelete: v == nil}
		s.ledger.history[k] = append(s.ledger.history[k], mod)
	}
	for k, p := range s.params {
		if _, deleted := s.writes[k]; deleted && s.writes[k] == nil {
			continue
		}
		s.ledger.params[k] = p
	}
	s.ledger.events = append(s.ledger.events, s.events...)
	for c, kv := range s.private {
		if s.ledger.private[c] == nil {
			s.ledger.private[c] = map[string][]byte{}
		}
		maps.Copy(s.ledger.private[c], kv)
		if s.ledger.hashes[c] == nil {
			s.ledger.hashes[c] = map[string][]byte{}
		}
		for k, v := range kv {
			sum := sha256.Sum256(v)
			s.ledger.hashes[c][keyHash(k)] = sum[:]
		}
	}
}

// SetTransient sets the transaction's transient data.
func (s *Stub) SetTransient(m map[string][]byte) { s.transient = m }

// PrivateWrites returns the transaction's private writes by collection.
func (s *Stub) PrivateWrites() map[string]map[string][]byte { return maps.Clone(s.private) }

// rangeRead is one GetStateByRange: its bounds and the keys it found, with their versions.
type rangeRead struct {
	start, end string
	keys       map[string]int
}

// ReadConflicts returns the keys the transaction read (GetState) that another transaction wrote
// since, and as "range [start, end)" each GetStateByRange whose result another transaction changed
// since (a key added, deleted or rewritten): Fabric's validation would mark the transaction
// MVCC_READ_CONFLICT or PHANTOM_READ_CONFLICT and apply none of it. Composite-key and paginated
// range reads are not tracked.
func (s *Stub) ReadConflicts() []string {
	var stale []string
	for k, v := range s.reads {
		if s.ledger.versions[k] != v {
			stale = append(stale, k)
		}
	}
	slices.Sort(stale)
	for _, r := range s.ranges {
		now := s.rangeVersions(r.start, r.end)
		if !maps.Equal(now, r.keys) {
			stale = append(stale, fmt.Sprintf("range [%s, %s)", r.start, r.end))
		}
	}
	return stale
}

// rangeVersions returns the committed keys in [start, end) with their versions.
func (s *Stub) rangeVersions(start, end string) map[string]int {
	m := map[string]int{}
	for _, k := range s.rangeKeys(start, end) {
		m[k] = s.ledger.versions[k]
	}
	return m
}

// Reads returns how many distinct keys the transaction read with GetState: its read set, each of
// which the peer serves over the chaincode stream and every peer checks at validation.
func (s *Stub) Reads() int { return len(s.reads) }

// Writes returns the transaction's write set (a nil value is a delete).
func (s *Stub) Writes() map[string][]byte { return maps.Clone(s.writes) }

// Events returns the events the transaction set, in order.
func (s *Stub) Events() []Event { return slices.Clone(s.events) }

// GetArgs implements shim.ChaincodeStubInterface.
func (s *Stub) GetArgs() [][]byte { return s.args }

// GetStringArgs implements shim.ChaincodeStubInterface.
func (s *Stub) GetStringArgs() []string {
	out := make([]string, len(s.args))
	for i, a := range s.args {
		out[i] = string(a)
	}
	return out
}

// GetFunctionAndParameters implements shim.ChaincodeStubInterface.
func (s *Stub) GetFunctionAndParameters() (string, []string) {
	args := s.GetStringArgs()
	if len(args) == 0 {
		return "", []string{}
	}
	return args[0], args[1:]
}

// GetArgsSlice implements shim.ChaincodeStubInterface.
func (s *Stub) GetArgsSlice() ([]byte, error) {
	var out []byte
	for _, a := range s.args {
		out = append(out, a...)
	}
	return out, nil
}

// GetTxID implements shim.ChaincodeStubInterface.
func (s *Stub) GetTxID() string { return s.txID }

// GetChannelID implements shim.ChaincodeStubInterface.
func (s *Stub) GetChannelID() string { return s.channel }

// InvokeChaincode implements shim.ChaincodeStubInterface: only _lifecycle's
// QueryChaincodeDefinition on the same channel, answered from SetDefinition.
func (s *Stub) InvokeChaincode(name string, args [][]byte, channel string) *peer.Response {
	if name != "_lifecycle" || channel != "" || len(args) != 2 || string(args[0]) != "QueryChaincodeDefinition" {
		return &peer.Response{Status: shim.ERROR, Message: ErrUnsupported.Error()}
	}
	var q lifecycle.QueryChaincodeDefinitionArgs
	if err := proto.Unmarshal(args[1], &q); err != nil {
		return &peer.Response{Status: shim.ERROR, Message: err.Error()}
	}
	version, ok := s.ledger.definitions[q.GetName()]
	if !ok {
		return &peer.Response{Status: shim.ERROR, Message: fmt.Sprintf("namespace %s is not defined", q.GetName())}
	}
	b, err := proto.Marshal(&lifecycle.QueryChaincodeDefinitionResult{Sequence: 1, Version: version})
	if err != nil {
		return &peer.Response{Status: shim.ERROR, Message: err.Error()}
	}
	return &peer.Response{Status: shim.OK, Payload: b}
}

func checkKey(key string) error {
	if key == "" {
		return errors.New("key must not be empty")
	}
	if !utf8.ValidString(key) {
		return fmt.Errorf("key %q is not valid UTF-8", key)
	}
	return nil
}

// GetState implements shim.ChaincodeStubInterface: it reads the committed state only.
func (s *Stub) GetState(key string) ([]byte, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	if _, seen := s.reads[key]; !seen {
		s.reads[key] = s.ledger.versions[key]
	}
	return slices.Clone(s.ledger.state[key]), nil
}

// GetMultipleStates implements shim.ChaincodeStubInterface: GetState for each key, in order.
func (s *Stub) GetMultipleStates(keys ...string) ([][]byte, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	out := make([][]byte, len(keys))
	for i, k := range keys {
		v, err := s.GetState(k)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// StartWriteBatch implements shim.ChaincodeStubInterface: writes are kept until commit anyway.
func (s *Stub) StartWriteBatch() {}

// FinishWriteBatch implements shim.ChaincodeStubInterface; nothing to flush.
func (s *Stub) FinishWriteBatch() error { return nil }

// PutState implements shim.ChaincodeStubInterface. As in Fabric, an empty value is a delete.
func (s *Stub) PutState(key string, value []byte) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if len(value) == 0 {
		return s.DelState(key)
	}
	s.writes[key] = slices.Clone(value)
	return nil
}

// DelState implements shim.ChaincodeStubInterface.
func (s *Stub) DelState(key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	s.writes[key] = nil
	return nil
}

// SetStateValidationParameter implements shim.ChaincodeStubInterface: key's policy from the
// commit of this transaction on.
func (s *Stub) SetStateValidationParameter(key string, policy []byte) error {
	if err := checkKey(key); err != nil {
		return err
	}
	s.params[key] = slices.Clone(policy)
	return nil
}

// GetStateValidationParameter implements shim.ChaincodeStubInterface: the committed policy.
func (s *Stub) GetStateValidationParameter(key string) ([]byte, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	if _, seen := s.reads[key]; !seen {
		s.reads[key] = s.ledger.versions[key]
	}
	return slices.Clone(s.ledger.params[key]), nil
}

// ValidationParameters returns the endorsement policies the transaction sets, by key.
func (s *Stub) ValidationParameters() map[string][]byte { return maps.Clone(s.params) }

// Policies returns, for every key the transaction writes (its value or its policy), the policy
// Fabric's validation would check that write against: the key's committed state-based policy, or
// nil where the chaincode-level policy governs it (a new key, or one that has none).
// After Commit it returns what they were when the transaction committed.
func (s *Stub) Policies() map[string][]byte {
	if s.checked != nil {
		return maps.Clone(s.checked)
	}
	out := map[string][]byte{}
	for k := range s.writes {
		out[k] = slices.Clone(s.ledger.params[k])
	}
	for k := range s.params {
		out[k] = slices.Clone(s.ledger.params[k])
	}
	return out
}

// rangeKeys returns the committed keys in [start, end), sorted; end "" is unbounded.
func (s *Stub) rangeKeys(start, end string) []string {
	var keys []string
	for k := range s.ledger.state {
		if k >= start && (end == "" || k < end) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// GetStateByRange implements shim.ChaincodeStubInterface; like the shim, it refuses composite keys.
func (s *Stub) GetStateByRange(startKey, endKey string) (shim.StateQueryIteratorInterface, error) {
	if strings.HasPrefix(startKey, compositeKeyNamespace) || strings.HasPrefix(endKey, compositeKeyNamespace) {
		return nil, errors.New("range keys must not be composite keys")
	}
	s.ranges = append(s.ranges, rangeRead{start: startKey, end: endKey, keys: s.rangeVersions(startKey, endKey)})
	return s.iterator(s.rangeKeys(startKey, endKey)), nil
}

// GetStateByRangeWithPagination implements shim.ChaincodeStubInterface.
func (s *Stub) GetStateByRangeWithPagination(startKey, endKey string, pageSize int32, bookmark string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	if strings.HasPrefix(startKey, compositeKeyNamespace) || strings.HasPrefix(endKey, compositeKeyNamespace) {
		return nil, nil, errors.New("range keys must not be composite keys")
	}
	return s.page(startKey, endKey, pageSize, bookmark)
}

func (s *Stub) page(start, end string, pageSize int32, bookmark string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	if pageSize <= 0 {
		return nil, nil, fmt.Errorf("page size %d must be positive", pageSize)
	}
	if bookmark != "" {
		if bookmark < start || (end != "" && bookmark >= end) {
			return nil, nil, fmt.Errorf("bookmark %q is outside the range", bookmark)
		}
		start = bookmark
	}
	keys := s.rangeKeys(start, end)
	next := ""
	if len(keys) > int(pageSize) {
		next = keys[pageSize]
		keys = keys[:pageSize]
	}
	return s.iterator(keys), &peer.QueryResponseMetadata{FetchedRecordsCount: int32(len(keys)), Bookmark: next}, nil
}

// GetStateByPartialCompositeKey implements shim.ChaincodeStubInterface.
func (s *Stub) GetStateByPartialCompositeKey(objectType string, keys []string) (shim.StateQueryIteratorInterface, error) {
	prefix, err := s.CreateCompositeKey(objectType, keys)
	if err != nil {
		return nil, err
	}
	return s.iterator(s.rangeKeys(prefix, prefix+string(maxUnicodeRune))), nil
}

// GetStateByPartialCompositeKeyWithPagination implements shim.ChaincodeStubInterface.
func (s *Stub) GetStateByPartialCompositeKeyWithPagination(objectType string, keys []string, pageSize int32, bookmark string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	prefix, err := s.CreateCompositeKey(objectType, keys)
	if err != nil {
		return nil, nil, err
	}
	return s.page(prefix, prefix+string(maxUnicodeRune), pageSize, bookmark)
}

// GetAllStatesCompositeKeyWithPagination implements shim.ChaincodeStubInterface; not supported.
func (s *Stub) GetAllStatesCompositeKeyWithPagination(int32, string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	return nil, nil, ErrUnsupported
}

// CreateCompositeKey implements shim.ChaincodeStubInterface, with the shim's encoding.
func (s *Stub) CreateCompositeKey(objectType string, attributes []string) (string, error) {
	for _, a := range append([]string{objectType}, attributes...) {
		if !utf8.ValidString(a) {
			return "", fmt.Errorf("not a valid utf8 string: [%x]", a)
		}
		for _, r := range a {
			if r == minUnicodeRuneValue || r == maxUnicodeRune {
				return "", fmt.Errorf("input contains unicode %#U starting at position [0]. %#U and %#U are not allowed in the input attribute of a composite key", r, minUnicodeRuneValue, maxUnicodeRune)
			}
		}
	}
	key := compositeKeyNamespace + objectType + string(rune(minUnicodeRuneValue))
	for _, a := range attributes {
		key += a + string(rune(minUnicodeRuneValue))
	}
	return key, nil
}

// SplitCompositeKey implements shim.ChaincodeStubInterface.
func (s *Stub) SplitCompositeKey(compositeKey string) (string, []string, error) {
	if !strings.HasPrefix(compositeKey, compositeKeyNamespace) {
		return "", nil, fmt.Errorf("%q is not a composite key", compositeKey)
	}
	parts := strings.Split(compositeKey[1:], string(rune(minUnicodeRuneValue)))
	if len(parts) < 2 || parts[len(parts)-1] != "" {
		return "", nil, fmt.Errorf("%q is not a composite key", compositeKey)
	}
	return parts[0], parts[1 : len(parts)-1], nil
}

// GetQueryResult implements shim.ChaincodeStubInterface; LevelDB has no rich queries.
func (s *Stub) GetQueryResult(string) (shim.StateQueryIteratorInterface, error) {
	return nil, ErrUnsupported
}

// GetQueryResultWithPagination implements shim.ChaincodeStubInterface; not supported.
func (s *Stub) GetQueryResultWithPagination(string, int32, string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	return nil, nil, ErrUnsupported
}

// GetHistoryForKey implements shim.ChaincodeStubInterface: newest first, as Fabric 2.x returns it.
func (s *Stub) GetHistoryForKey(key string) (shim.HistoryQueryIteratorInterface, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	mods := slices.Clone(s.ledger.history[key])
	slices.Reverse(mods)
	return &historyIterator{mods: mods}, nil
}

// GetPrivateData implements shim.ChaincodeStubInterface: the committed value, nil when absent.
func (s *Stub) GetPrivateData(collection, key string) ([]byte, error) {
	if collection == "" {
		return nil, errors.New("memstub: collection must not be empty")
	}
	if err := checkKey(key); err != nil {
		return nil, err
	}
	if s.ledger.missing[collection] {
		return nil, fmt.Errorf("GET_STATE failed: transaction ID: %s: %w", s.txID, ErrPrivateDataNotHeld)
	}
	return slices.Clone(s.ledger.private[collection][key]), nil
}

// GetMultiplePrivateData implements shim.ChaincodeStubInterface: GetPrivateData for each key.
func (s *Stub) GetMultiplePrivateData(collection string, keys ...string) ([][]byte, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	out := make([][]byte, len(keys))
	for i, k := range keys {
		v, err := s.GetPrivateData(collection, k)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// GetPrivateDataHash implements shim.ChaincodeStubInterface: the SHA-256 of the committed value,
// nil when absent. Like a peer, the stub answers it for every collection, held or not (ForgetPrivate
// drops values, not their hashes).
func (s *Stub) GetPrivateDataHash(collection, key string) ([]byte, error) {
	if collection == "" {
		return nil, errors.New("memstub: collection must not be empty")
	}
	if err := checkKey(key); err != nil {
		return nil, err
	}
	return slices.Clone(s.ledger.hashes[collection][keyHash(key)]), nil
}

// PutPrivateData implements shim.ChaincodeStubInterface.
func (s *Stub) PutPrivateData(collection, key string, value []byte) error {
	if collection == "" {
		return errors.New("memstub: collection must not be empty")
	}
	if err := checkKey(key); err != nil {
		return err
	}
	if len(value) == 0 {
		return fmt.Errorf("memstub: empty value for private key %q", key)
	}
	if s.private[collection] == nil {
		s.private[collection] = map[string][]byte{}
	}
	s.private[collection][key] = slices.Clone(value)
	return nil
}

// DelPrivateData implements shim.ChaincodeStubInterface; not supported.
func (s *Stub) DelPrivateData(string, string) error { return ErrUnsupported }

// PurgePrivateData implements shim.ChaincodeStubInterface; not supported.
func (s *Stub) PurgePrivateData(string, string) error { return ErrUnsupported }

// SetPrivateDataValidationParameter implements shim.ChaincodeStubInterface; not supported.
func (s *Stub) SetPrivateDataValidationParameter(string, string, []byte) error { return ErrUnsupported }

// GetPrivateDataValidationParameter implements shim.ChaincodeStubInterface; not supported.
func (s *Stub) GetPrivateDataValidationParameter(string, string) ([]byte, error) {
	return nil, ErrUnsupported
}

// GetPrivateDataByRange implements shim.ChaincodeStubInterface; not supported.
func (s *Stub) GetPrivateDataByRange(string, string, string) (shim.StateQueryIteratorInterface, error) {
	return nil, ErrUnsupported
}

// GetPrivateDataByPartialCompositeKey implements shim.ChaincodeStubInterface; not supported.
func (s *Stub) GetPrivateDataByPartialCompositeKey(string, string, []string) (shim.StateQueryIteratorInterface, error) {
	return nil, ErrUnsupported
}

// GetPrivateDataQueryResult implements shim.ChaincodeStubInterface; not supported.
func (s *Stub) GetPrivateDataQueryResult(string, string) (shim.StateQueryIteratorInterface, error) {
	return nil, ErrUnsupported
}

// GetCreator implements shim.ChaincodeStubInterface.
func (s *Stub) GetCreator() ([]byte, error) { return s.creator, nil }

// GetTransient implements shim.ChaincodeStubInterface.
func (s *Stub) GetTransient() (map[string][]byte, error) { return s.transient, nil }

// GetBinding implements shim.ChaincodeStubInterface.
func (s *Stub) GetBinding() ([]byte, error) { return nil, nil }

// GetDecorations implements shim.ChaincodeStubInterface.
func (s *Stub) GetDecorations() map[string][]byte { return nil }

// GetSignedProposal implements shim.ChaincodeStubInterface: an unsigned proposal whose header
// names the channel, the transaction, the chaincode (Chaincode) and the creator.
func (s *Stub) GetSignedProposal() (*peer.SignedProposal, error) {
	ext, err := proto.Marshal(&peer.ChaincodeHeaderExtension{ChaincodeId: &peer.ChaincodeID{Name: Chaincode}})
	if err != nil {
		return nil, err
	}
	ch, err := proto.Marshal(&common.ChannelHeader{Type: int32(common.HeaderType_ENDORSER_TRANSACTION),
		ChannelId: s.channel, TxId: s.txID, Timestamp: s.timestamp, Extension: ext})
	if err != nil {
		return nil, err
	}
	sh, err := proto.Marshal(&common.SignatureHeader{Creator: s.creator})
	if err != nil {
		return nil, err
	}
	hdr, err := proto.Marshal(&common.Header{ChannelHeader: ch, SignatureHeader: sh})
	if err != nil {
		return nil, err
	}
	prop, err := proto.Marshal(&peer.Proposal{Header: hdr})
	if err != nil {
		return nil, err
	}
	return &peer.SignedProposal{ProposalBytes: prop}, nil
}

// GetTxTimestamp implements shim.ChaincodeStubInterface.
func (s *Stub) GetTxTimestamp() (*timestamppb.Timestamp, error) { return s.timestamp, nil }

// SetEvent implements shim.ChaincodeStubInterface.
func (s *Stub) SetEvent(name string, payload []byte) error {
	if name == "" {
		return errors.New("event name can not be empty string")
	}
	s.events = append(s.events, Event{TxID: s.txID, Name: name, Payload: slices.Clone(payload)})
	return nil
}

func (s *Stub) iterator(keys []string) *stateIterator {
	kvs := make([]*queryresult.KV, 0, len(keys))
	for _, k := range keys {
		kvs = append(kvs, &queryresult.KV{Namespace: "receivables", Key: k, Value: slices.Clone(s.ledger.state[k])})
	}
	return &stateIterator{kvs: kvs}
}

type stateIterator struct {
	kvs []*queryresult.KV
	i   int
}

func (it *stateIterator) HasNext() bool { return it.i < len(it.kvs) }
func (it *stateIterator) Close() error  { return nil }
func (it *stateIterator) Next() (*queryresult.KV, error) {
	if !it.HasNext() {
		return nil, errors.New("no more results")
	}
	it.i++
	return it.kvs[it.i-1], nil
}

type historyIterator struct {
	mods []*queryresult.KeyModification
	i    int
}

func (it *historyIterator) HasNext() bool { return it.i < len(it.mods) }
func (it *historyIterator) Close() error  { return nil }
func (it *historyIterator) Next() (*queryresult.KeyModification, error) {
	if !it.HasNext() {
		return nil, errors.New("no more results")
	}
	it.i++
	return it.mods[it.i-1], nil
}

// Clone returns an independent copy of the ledger: state, history and events.
func (l *Ledger) Clone() *Ledger {
	c := NewLedger()
	c.state = l.Snapshot()
	for k, mods := range l.history {
		c.history[k] = slices.Clone(mods)
	}
	c.events = slices.Clone(l.events)
	return c
}

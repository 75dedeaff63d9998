package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"

	"github.com/recv-ledger/recv/chaincode/bare"
	"github.com/recv-ledger/recv/gateway/network"
)

// The same-shape twin of each receivable operation (make bench-network; docs/PERFORMANCE.md,
// "Same shape"). The one-key bare chaincode measures what the design asks of Fabric against the
// least a write can cost; the twin measures what this code adds on top. It is learned from the
// network itself: one operation commits, its transactions are read back from their blocks (with
// the private data the submitting organisation's peer holds), and each one's read-write set is
// counted: public reads (range queries' keys as reads), writes with their value sizes, deletes,
// key policies, private writes with their sizes, private hash reads, the event's and the answer's
// sizes, and the organisations that endorsed it. The twin is the bare chaincode's Shape doing
// exactly that, transaction by transaction, as the same accounts, endorsed by the same
// organisations: reads of keys seeded once (shared and never written, like the registry, settings
// and beacon), writes to keys of its own (no conflicts) except the keys every operation of the
// kind writes (two are learned and compared: hotWrites), private writes to the same collections
// (the bare chaincode is defined with the receivables' collections, so the same collection
// endorsement policies apply).

// bareShape is the step of a twin: its body is the operation's transactions ([]shapedTx).
const bareShape = "bare-shape"

// shapeSeedSize is the value size of the keys the twins read: the block records a read's key and
// version, not its value's size; 1 KiB is about a receivable's or a registry entry's.
const shapeSeedSize = 1024

// txShape is one ledger transaction of an operation, counted from its block.
type txShape struct {
	TxID         string         `json:"txId"`
	Function     string         `json:"function"`
	Account      string         `json:"account"`
	Endorsers    []string       `json:"endorsers"` // MSP IDs, sorted
	Reads        int            `json:"reads"`
	Ranges       int            `json:"rangeQueries"`
	RangeReads   int            `json:"rangeReads"` // keys the range queries returned
	Writes       []int          `json:"writeSizes"`
	Deletes      int            `json:"deletes"`
	Policies     int            `json:"policies"` // key-level endorsement policies set
	Private      []privateWrite `json:"private,omitempty"`
	PrivateReads int            `json:"privateReads"` // hashes of private keys read
	Event        int            `json:"eventSize"`    // its event's payload
	Response     int            `json:"responseSize"` // its answer
	Hot          []hotWrite     `json:"hotWrites,omitempty"`

	readKeys, writeKeys []string // writeKeys: in the order of Writes
}

// hotWrite is a write of a key that every operation of its kind writes (two operations learned
// wrote it both), so that concurrent operations conflict on it: the twin writes one shared key
// there, read first when the operation read it.
type hotWrite struct {
	Index int  `json:"index"` // in Writes
	Read  bool `json:"read"`
}

// privateWrite is a private write's collection and size (-1: no peer asked had the value).
type privateWrite struct {
	Collection string `json:"collection"`
	Size       int    `json:"size"`
}

// opShape is an operation's transactions, in the order they committed.
type opShape []txShape

// String is a shape in one cell: per transaction, reads (+ keys of range queries), writes and
// their bytes, deletes, key policies, private writes and their bytes, private hash reads, the
// event's bytes, by the endorsing organisations.
func (s opShape) String() string {
	var parts []string
	for _, t := range s {
		b := 0
		for _, n := range t.Writes {
			b += n
		}
		p := fmt.Sprintf("%s: %dr", t.Function, t.Reads)
		if t.Ranges > 0 {
			p += fmt.Sprintf("+%d in %d range", t.RangeReads, t.Ranges)
		}
		p += fmt.Sprintf(" %dw %dB", len(t.Writes), b)
		pb := 0
		for _, w := range t.Private {
			pb += max(w.Size, 0)
		}
		// each count that is not zero, in this order
		for _, c := range []struct {
			n      int
			format string
		}{{t.Deletes, " %dd"}, {t.Policies, " %dkp"}, {len(t.Private), " %dpw " + strconv.Itoa(pb) + "B"},
			{t.PrivateReads, " %dph"}, {t.Event, " ev %dB"}, {len(t.Hot), " %dhot"}} {
			if c.n > 0 {
				p += fmt.Sprintf(c.format, c.n)
			}
		}
		parts = append(parts, p+" by "+strings.Join(trimMSP(t.Endorsers), "+"))
	}
	return strings.Join(parts, "; ")
}

func trimMSP(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = strings.TrimSuffix(id, "MSP")
	}
	return out
}

// shapeOf counts transaction txID's read-write set in chaincode's namespace from its block, with
// the private data pvt (the block's, as a peer delivered it; sizes it lacks are -1).
func shapeOf(block *common.Block, pvt map[uint64]*rwset.TxPvtReadWriteSet, txID, chaincode string) (txShape, error) {
	for i, data := range block.GetData().GetData() {
		env, payload, ch := &common.Envelope{}, &common.Payload{}, &common.ChannelHeader{}
		if err := proto.Unmarshal(data, env); err != nil {
			return txShape{}, err
		}
		if err := proto.Unmarshal(env.GetPayload(), payload); err != nil {
			return txShape{}, err
		}
		if err := proto.Unmarshal(payload.GetHeader().GetChannelHeader(), ch); err != nil {
			return txShape{}, err
		}
		if ch.GetTxId() != txID {
			continue
		}
		s, err := shapeOfPayload(payload.GetData(), chaincode)
		if err != nil {
			return txShape{}, fmt.Errorf("transaction %s: %w", txID, err)
		}
		s.TxID = txID
		sizes := privateSizes(pvt[uint64(i)], chaincode)
		for j, w := range s.Private {
			if l := sizes[w.Collection]; len(l) > 0 {
				s.Private[j].Size, sizes[w.Collection] = l[0], l[1:]
			}
		}
		return s, nil
	}
	return txShape{}, fmt.Errorf("transaction %s is not in block %d", txID, block.GetHeader().GetNumber())
}

func shapeOfPayload(data []byte, chaincode string) (txShape, error) {
	var (
		s         txShape
		tx        = &peer.Transaction{}
		ccPayload = &peer.ChaincodeActionPayload{}
		prp       = &peer.ProposalResponsePayload{}
		action    = &peer.ChaincodeAction{}
		rws       = &rwset.TxReadWriteSet{}
	)
	if err := proto.Unmarshal(data, tx); err != nil {
		return s, err
	}
	if len(tx.GetActions()) != 1 {
		return s, fmt.Errorf("%d actions, want 1", len(tx.GetActions()))
	}
	if err := proto.Unmarshal(tx.GetActions()[0].GetPayload(), ccPayload); err != nil {
		return s, err
	}
	s.Function = functionOf(ccPayload.GetChaincodeProposalPayload())
	for _, e := range ccPayload.GetAction().GetEndorsements() {
		id := &msp.SerializedIdentity{}
		if err := proto.Unmarshal(e.GetEndorser(), id); err != nil {
			return s, err
		}
		if !slices.Contains(s.Endorsers, id.GetMspid()) {
			s.Endorsers = append(s.Endorsers, id.GetMspid())
		}
	}
	slices.Sort(s.Endorsers)
	if err := proto.Unmarshal(ccPayload.GetAction().GetProposalResponsePayload(), prp); err != nil {
		return s, err
	}
	if err := proto.Unmarshal(prp.GetExtension(), action); err != nil {
		return s, err
	}
	if err := proto.Unmarshal(action.GetResults(), rws); err != nil {
		return s, err
	}
	if len(action.GetEvents()) > 0 {
		ev := &peer.ChaincodeEvent{}
		if err := proto.Unmarshal(action.GetEvents(), ev); err != nil {
			return s, err
		}
		s.Event = len(ev.GetPayload())
	}
	s.Response = len(action.GetResponse().GetPayload())
	for _, ns := range rws.GetNsRwset() {
		if ns.GetNamespace() != chaincode {
			continue // _lifecycle's read of the definition: every transaction has it
		}
		kv := &kvrwset.KVRWSet{}
		if err := proto.Unmarshal(ns.GetRwset(), kv); err != nil {
			return s, err
		}
		s.Reads = len(kv.GetReads())
		for _, r := range kv.GetReads() {
			s.readKeys = append(s.readKeys, r.GetKey())
		}
		for _, rq := range kv.GetRangeQueriesInfo() {
			s.Ranges++
			s.RangeReads += len(rq.GetRawReads().GetKvReads())
		}
		for _, w := range kv.GetWrites() {
			if w.GetIsDelete() {
				s.Deletes++
			} else {
				s.Writes = append(s.Writes, len(w.GetValue()))
				s.writeKeys = append(s.writeKeys, w.GetKey())
			}
		}
		s.Policies = len(kv.GetMetadataWrites())
		for _, c := range ns.GetCollectionHashedRwset() {
			h := &kvrwset.HashedRWSet{}
			if err := proto.Unmarshal(c.GetHashedRwset(), h); err != nil {
				return s, err
			}
			s.PrivateReads += len(h.GetHashedReads())
			for _, w := range h.GetHashedWrites() {
				if !w.GetIsDelete() {
					s.Private = append(s.Private, privateWrite{Collection: c.GetCollectionName(), Size: -1})
				}
			}
		}
	}
	return s, nil
}

// functionOf is the chaincode function a proposal payload invoked.
func functionOf(b []byte) string {
	pp, spec := &peer.ChaincodeProposalPayload{}, &peer.ChaincodeInvocationSpec{}
	if proto.Unmarshal(b, pp) != nil || proto.Unmarshal(pp.GetInput(), spec) != nil {
		return "?"
	}
	args := spec.GetChaincodeSpec().GetInput().GetArgs()
	if len(args) == 0 {
		return "?"
	}
	f := string(args[0])
	if _, name, ok := strings.Cut(f, ":"); ok {
		f = name // contract:Function
	}
	return f
}

// privateSizes are the sizes of a transaction's private writes in chaincode's namespace, by
// collection, in write-set order.
func privateSizes(pvt *rwset.TxPvtReadWriteSet, chaincode string) map[string][]int {
	m := map[string][]int{}
	for _, ns := range pvt.GetNsPvtRwset() {
		if ns.GetNamespace() != chaincode {
			continue
		}
		for _, c := range ns.GetCollectionPvtRwset() {
			kv := &kvrwset.KVRWSet{}
			if proto.Unmarshal(c.GetRwset(), kv) != nil {
				continue
			}
			for _, w := range kv.GetWrites() {
				if !w.GetIsDelete() {
					m[c.GetCollectionName()] = append(m[c.GetCollectionName()], len(w.GetValue()))
				}
			}
		}
	}
	return m
}

// shapedTx is one transaction of a twin: the Shape to run, as which account, endorsed by whom.
type shapedTx struct {
	Account   string
	Endorsers []string
	Shape     bare.TxShape
}

// markHot marks in a the writes of keys that b, another operation of the same kind, wrote too.
func markHot(a, b opShape) {
	for i := range min(len(a), len(b)) {
		if a[i].Function != b[i].Function {
			continue
		}
		for j, k := range a[i].writeKeys {
			if slices.Contains(b[i].writeKeys, k) {
				a[i].Hot = append(a[i].Hot, hotWrite{Index: j, Read: slices.Contains(a[i].readKeys, k)})
			}
		}
	}
}

// twinTxs is the twin of shape for the run's unique id: the same reads (of the seeded keys),
// writes, deletes, key policies and private writes (to keys of its own; a hot write to the key
// hot-<j> that every twin of the operation (hot) writes), transaction by transaction.
func twinTxs(id, hot string, shape opShape) []shapedTx {
	txs := make([]shapedTx, 0, len(shape))
	for i, t := range shape {
		s := bare.TxShape{Event: t.Event, Response: t.Response}
		key := func(kind string, j int) string { return fmt.Sprintf("%s-t%d-%s%d", id, i, kind, j) }
		hotKey := map[int]string{}
		seeds := t.Reads + t.RangeReads
		for _, h := range t.Hot {
			hotKey[h.Index] = fmt.Sprintf("%s-t%d-hot%d", hot, i, h.Index)
			if h.Read {
				s.Reads = append(s.Reads, hotKey[h.Index])
				seeds--
			}
		}
		for j := range seeds {
			s.Reads = append(s.Reads, shapeSeedKey(j))
		}
		for j, size := range t.Writes {
			k, ok := hotKey[j]
			if !ok {
				k = key("w", j)
			}
			s.Writes = append(s.Writes, bare.Write{Key: k, Size: max(size, 1)})
		}
		for j := range t.Deletes {
			s.Deletes = append(s.Deletes, key("d", j))
		}
		for j := range t.Policies {
			k := key("m", j)
			if j < len(s.Writes) {
				k = s.Writes[j].Key
			}
			s.Policies = append(s.Policies, bare.KeyPolicy{Key: k, Orgs: t.Endorsers})
		}
		for j, w := range t.Private {
			size := w.Size
			if size < 1 {
				size = shapeSeedSize
			}
			s.Private = append(s.Private, bare.PrivateWrite{Collection: w.Collection, Key: key("p", j), Size: size})
		}
		for j := range t.PrivateReads {
			c := "_implicit_org_" + t.Endorsers[0]
			if len(t.Private) > 0 {
				c = t.Private[0].Collection
			}
			s.PrivateReads = append(s.PrivateReads, bare.PrivateKey{Collection: c, Key: shapeSeedKey(j)})
		}
		txs = append(txs, shapedTx{Account: t.Account, Endorsers: t.Endorsers, Shape: s})
	}
	return txs
}

func shapeSeedKey(j int) string { return fmt.Sprintf("shape-seed-%03d", j) }

// twinWorkload is the workload of op's same-shape twin.
func twinWorkload(op workload, shape opShape) workload {
	return workload{name: op.name + shapeSuffix, needs: fresh, bareSize: op.bareSize, bare: true,
		step: func(id string) step {
			return step{shape[0].Account, bareShape, id, twinTxs(id, "shape-"+op.name, shape)}
		}}
}

const shapeSuffix = "-shape"

// committedTx is a transaction the SDK client saw commit, as which account, in which block.
type committedTx struct {
	account, id string
	block       uint64
}

// txRecorder collects the transactions committed under a context (withTxRecorder).
type txRecorder struct {
	mu  sync.Mutex
	txs []committedTx
}

type recorderKey struct{}

func withTxRecorder(ctx context.Context, r *txRecorder) context.Context {
	return context.WithValue(ctx, recorderKey{}, r)
}

// recordCommitted notes a committed transaction when ctx carries a recorder.
func recordCommitted(ctx context.Context, account string, st *client.Status) {
	if r, ok := ctx.Value(recorderKey{}).(*txRecorder); ok {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.txs = append(r.txs, committedTx{account: account, id: st.TransactionID, block: st.BlockNumber})
	}
}

// submitShape runs a twin's transactions in order, each once its predecessor committed.
func (s *sdkClient) submitShape(ctx context.Context, txs []shapedTx) error {
	for _, tx := range txs {
		c, ok := s.bare[tx.Account]
		if !ok {
			return fmt.Errorf("no user %s in network.json", tx.Account)
		}
		arg, err := json.Marshal(tx.Shape)
		if err != nil {
			return err
		}
		opts := []client.ProposalOption{client.WithArguments(string(arg))}
		if len(tx.Endorsers) > 0 {
			opts = append(opts, client.WithEndorsingOrganizations(tx.Endorsers...))
		}
		_, commit, err := c.SubmitAsyncWithContext(ctx, "Shape", opts...)
		if err != nil {
			return classify(err)
		}
		res, err := commit.StatusWithContext(ctx)
		if err != nil {
			return err
		}
		if !res.Successful {
			return &commitError{txID: res.TransactionID, code: res.Code.String()}
		}
	}
	return nil
}

// blockOf is block n as account's organisation's peer delivers it, with the private data that
// account may see.
func (s *sdkClient) blockOf(ctx context.Context, account string, n uint64) (*peer.BlockAndPrivateData, error) {
	gw, ok := s.byAccount[account]
	if !ok {
		return nil, fmt.Errorf("no user %s in network.json", account)
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	events, err := gw.GetNetwork(s.channel).BlockAndPrivateDataEvents(ctx, client.WithStartBlock(n))
	if err != nil {
		return nil, err
	}
	select {
	case b, ok := <-events:
		if !ok {
			return nil, fmt.Errorf("block %d: the peer ended the stream (its deliver service refused the request?)", n)
		}
		return b, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("block %d: %w", n, ctx.Err())
	}
}

// tlsCertHash is the SHA-256 of the client's TLS certificate towards p (none: nil): under mutual
// TLS the peer's deliver service, which blockOf reads blocks from, checks that a request names it.
func tlsCertHash(p network.Peer) ([]byte, error) {
	if p.TLSClientCert == "" {
		return nil, nil
	}
	b, err := os.ReadFile(p.TLSClientCert)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, fmt.Errorf("no PEM certificate in %s", p.TLSClientCert)
	}
	h := sha256.Sum256(block.Bytes)
	return h[:], nil
}

// learnShape runs one operation of w (its input prepared first) and reads its transactions back.
// A private write whose value the submitter's peer does not hold is looked up on every other
// organisation's peer, as that organisation's first user.
func learnShape(ctx context.Context, s *sdkClient, w workload, p *pools, g *ids, today, later string) (opShape, error) {
	id := g.next()
	if w.needs != fresh {
		if err := prepare(ctx, s, p, g, w.needs, 1, 1, today, later); err != nil {
			return nil, err
		}
		var ok bool
		if id, ok = p.take(w.needs); !ok {
			return nil, fmt.Errorf("no %s receivable prepared", w.needs)
		}
	}
	st := w.step(id)
	rec := &txRecorder{}
	if _, err := submitMade(withTxRecorder(ctx, rec), s, st); err != nil {
		return nil, err
	}
	p.put(w.yields, st.outputID())
	var shape opShape
	for _, tx := range rec.txs {
		b, err := s.blockOf(ctx, tx.account, tx.block)
		if err != nil {
			return nil, err
		}
		t, err := shapeOf(b.GetBlock(), b.GetPrivateDataMap(), tx.id, s.chaincode)
		if err != nil {
			return nil, err
		}
		t.Account = tx.account
		for _, other := range s.firstUsers() {
			if !slices.ContainsFunc(t.Private, func(w privateWrite) bool { return w.Size < 0 }) {
				break
			}
			if b, err = s.blockOf(ctx, other, tx.block); err != nil {
				continue
			}
			if o, err := shapeOf(b.GetBlock(), b.GetPrivateDataMap(), tx.id, s.chaincode); err == nil {
				for i := range t.Private {
					if t.Private[i].Size < 0 {
						t.Private[i].Size = o.Private[i].Size
					}
				}
			}
		}
		shape = append(shape, t)
	}
	if len(shape) == 0 {
		return nil, fmt.Errorf("%s: no transaction recorded", w.name)
	}
	return shape, nil
}

// firstUsers is the first user (by name) of every organisation.
func (s *sdkClient) firstUsers() []string {
	var out []string
	seen := map[string]bool{}
	for _, a := range slices.Sorted(maps.Keys(s.byAccount)) {
		org, _, _ := strings.Cut(a, "/")
		if !seen[org] {
			seen[org] = true
			out = append(out, a)
		}
	}
	return out
}

// seedShapeReads writes the keys the twins read (n of them), once, as the core enterprise's
// treasurer, under the chaincode-level policy.
func seedShapeReads(ctx context.Context, s *sdkClient, n int) error {
	if n == 0 {
		return nil
	}
	var seed bare.TxShape
	for j := range n {
		seed.Writes = append(seed.Writes, bare.Write{Key: shapeSeedKey(j), Size: shapeSeedSize})
	}
	return s.submitShape(ctx, []shapedTx{{Account: treasurer, Shape: seed}})
}

// benchTwin learns w's shape, seeds the keys its twin reads and ramps the twin through the SDK,
// right after w's own ramps; nothing when w is the bare chaincode's or cfg leaves it out. A twin
// that cannot run is recorded in the report (the smoke mode fails on it; a measurement goes on).
func benchTwin(cfg benchConfig, w workload, kinds []submitter, procs []proc, p *pools, g *ids, today, later string, rep *report) error {
	if w.bare || (cfg.shapes != nil && !cfg.shapes[w.name]) {
		return nil
	}
	err := runTwin(cfg, w, kinds, procs, p, g, today, later, rep)
	if err != nil {
		fmt.Printf("%s%s: no twin: %v\n", w.name, shapeSuffix, err)
		if rep.NoTwin == nil {
			rep.NoTwin = map[string]string{}
		}
		rep.NoTwin[w.name] = err.Error()
	}
	return err
}

func runTwin(cfg benchConfig, w workload, kinds []submitter, procs []proc, p *pools, g *ids, today, later string, rep *report) error {
	var s *sdkClient
	for _, k := range kinds {
		if sk, ok := k.(*sdkClient); ok {
			s = sk
		}
	}
	if s == nil {
		return nil // the twin runs through the SDK only
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	shape, err := learnShape(ctx, s, w, p, g, today, later)
	if err != nil {
		return fmt.Errorf("%s: learning its shape: %w", w.name, err)
	}
	again, err := learnShape(ctx, s, w, p, g, today, later)
	if err != nil {
		return fmt.Errorf("%s: learning its shape: %w", w.name, err)
	}
	markHot(shape, again)
	reads := 0
	for _, t := range shape {
		reads = max(reads, t.Reads+t.RangeReads, t.PrivateReads)
	}
	if err := seedShapeReads(ctx, s, reads); err != nil {
		return fmt.Errorf("%s: seeding its twin's reads: %w", w.name, err)
	}
	rep.addShape(w.name, shape)
	twin := twinWorkload(w, shape)
	fmt.Printf("%s via sdk (%s):", twin.name, shape)
	r, err := ramp(cfg, twin, s, s, p, g, procs, today, later)
	fmt.Println()
	if err != nil {
		return fmt.Errorf("%s via sdk: %w", twin.name, err)
	}
	rep.add(r)
	return nil
}

// maxOpsPerSec is a ramp's best operations per second (an operation and its twin are compared by
// operations: a twin runs as many ledger transactions as the operation, counted alike or not).
func (rr rampResult) maxOpsPerSec() float64 {
	best := 0.0
	for _, l := range rr.Levels {
		best = max(best, l.OpsPerSec)
	}
	return best
}

// printShapeTable writes the same-shape table: per operation with a twin, its shape, its best
// operations per second and its twin's, their ratio (the code's own cost), and beside it the
// operation's ratio to the one-key bare chaincode (the design's cost, in transactions).
func (r *report) printShapeTable(w io.Writer) {
	if len(r.Shapes) == 0 && len(r.NoTwin) == 0 {
		return
	}
	fmt.Fprintln(w, "\n| operation | op/s | same-shape twin op/s | op / twin (code's cost) | op / one-key bare, tx/s (design's cost) | shape per transaction: reads, writes and bytes, deletes (d), key policies (kp), private writes (pw), private hash reads (ph), event (ev), endorsers |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---|")
	for _, rr := range r.Ramps {
		shape, ok := r.Shapes[rr.Workload]
		if !ok || rr.Via != "sdk" {
			continue
		}
		twin, ok := r.find(rr.Workload+shapeSuffix, "sdk")
		ratio, vsBare := "-", "-"
		if ok && twin.maxOpsPerSec() > 0 {
			ratio = fmt.Sprintf("%.2f", rr.maxOpsPerSec()/twin.maxOpsPerSec())
		}
		if b, ok := r.find(fmt.Sprintf("bare-%d", rr.BareSize), "sdk"); ok && b.MaxTPS > 0 {
			vsBare = fmt.Sprintf("%.2f (%d B)", rr.MaxTPS/b.MaxTPS, rr.BareSize)
		}
		fmt.Fprintf(w, "| %s | %.1f | %.1f | %s | %s | %s |\n", rr.Workload, rr.maxOpsPerSec(), twin.maxOpsPerSec(), ratio, vsBare, shape)
	}
	for _, op := range slices.Sorted(maps.Keys(r.NoTwin)) {
		fmt.Fprintf(w, "\nNo twin for %s: %s\n", op, r.NoTwin[op])
	}
}

func (r *report) addShape(op string, s opShape) {
	if r.Shapes == nil {
		r.Shapes = map[string]opShape{}
	}
	r.Shapes[op] = s
}

// smokeShapes are the twins the smoke mode runs: a maker's write with its checker's confirmation
// (two transactions) and a financing approval (a decision writing private data, endorsed by the two
// parties, then the approval).
const smokeShapes = "Issue,ApproveFinancing"

// nameSet is a comma-separated list as a set; nil for "" (all), empty for "none".
func nameSet(list string) map[string]bool {
	if list == "" {
		return nil
	}
	m := map[string]bool{}
	if list == "none" {
		return m
	}
	for _, n := range strings.Split(list, ",") {
		m[strings.TrimSpace(n)] = true
	}
	return m
}

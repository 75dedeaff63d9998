package audit

import (
	"bytes"
	"crypto/sha256"
	"fmt"

	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"google.golang.org/protobuf/proto"
)

// A range query with more results than a peer keeps raw (maxDegree, 50 by default) is recorded in
// the read set only as a Merkle summary of its results, and Fabric's validation rebuilds the
// summary from the state the earlier valid transactions leave. The audit does the same on its
// rebuilt keys, so that such a query, like a raw one, cannot hide a phantom.
//
// The tree: the results, in key order, are cut into runs of maxDegree+1 KVReads; each run's
// protobuf encoding (kvrwset.QueryReads) is hashed (SHA-256) into a leaf; whenever a level holds
// more than maxDegree hashes, their concatenation is hashed into one node of the level above and
// the level starts empty again. At the end (unless every result still fits in one raw run) the
// results left over form a last leaf, every level below the highest is folded upwards (one hash
// kept as it is, several hashed together), and the highest level, if it then holds more than
// maxDegree hashes, is hashed once more. The summary is that highest level's number (leaves are
// level 1) and its hashes.

// merkle builds the summary of a range query's results.
type merkle struct {
	degree  int
	pending []*kvrwset.KVRead
	levels  [][][]byte // levels[0]: the leaves (level 1)
	err     error
}

func newMerkle(degree uint32) *merkle { return &merkle{degree: int(degree)} }

// add takes the next result in key order.
func (m *merkle) add(r *kvrwset.KVRead) {
	m.pending = append(m.pending, r)
	if len(m.pending) > m.degree {
		m.leaf()
	}
}

func (m *merkle) leaf() {
	raw, err := proto.Marshal(&kvrwset.QueryReads{KvReads: m.pending})
	if err != nil && m.err == nil {
		m.err = err
	}
	m.pending = nil
	m.push(0, hashOf(raw))
}

// push appends h to level i and carries a full level upwards.
func (m *merkle) push(i int, h []byte) {
	for {
		if i == len(m.levels) {
			m.levels = append(m.levels, nil)
		}
		m.levels[i] = append(m.levels[i], h)
		if len(m.levels[i]) <= m.degree {
			return
		}
		h = hashOf(bytes.Join(m.levels[i], nil))
		m.levels[i] = nil
		i++
	}
}

// summary finishes the tree: nil when the results fit in one raw run (Fabric keeps them raw).
func (m *merkle) summary() (*kvrwset.QueryReadsMerkleSummary, error) {
	if len(m.levels) == 0 {
		return nil, m.err
	}
	if len(m.pending) > 0 {
		m.leaf()
	}
	top := len(m.levels) - 1
	for i := 0; i < top; i++ {
		switch len(m.levels[i]) {
		case 0:
			continue
		case 1:
			m.levels[i+1] = append(m.levels[i+1], m.levels[i][0])
		default:
			m.levels[i+1] = append(m.levels[i+1], hashOf(bytes.Join(m.levels[i], nil)))
		}
		m.levels[i] = nil
	}
	hashes := m.levels[top]
	if len(hashes) > m.degree {
		top++
		hashes = [][]byte{hashOf(bytes.Join(hashes, nil))}
	}
	return &kvrwset.QueryReadsMerkleSummary{MaxDegree: uint32(m.degree), MaxLevel: uint32(top + 1), MaxLevelHashes: hashes}, m.err
}

func hashOf(b []byte) []byte {
	h := sha256.Sum256(b)
	return h[:]
}

// sameSummary reports whether two Merkle summaries are the same.
func sameSummary(a, b *kvrwset.QueryReadsMerkleSummary) bool {
	if a == nil || b == nil || a.GetMaxDegree() != b.GetMaxDegree() || a.GetMaxLevel() != b.GetMaxLevel() ||
		len(a.GetMaxLevelHashes()) != len(b.GetMaxLevelHashes()) {
		return false
	}
	for i, h := range a.GetMaxLevelHashes() {
		if !bytes.Equal(h, b.GetMaxLevelHashes()[i]) {
			return false
		}
	}
	return true
}

// checkSummarisedRange recomputes a range query kept as a Merkle summary: the keys the valid
// transactions before it leave from its start key to its end key (included when the query did not
// read to the end of its iterator: then the end key is the last key it read), with their versions,
// must give the same summary.
func (a *Auditor) checkSummarisedRange(rq *kvrwset.RangeQueryInfo) error {
	want := rq.GetReadsMerkleHashes()
	if want.GetMaxDegree() < 2 {
		return fmt.Errorf("its range query from %s to %s carries a Merkle summary of degree %d (Fabric builds none below 2)",
			printable(rq.GetStartKey()), printable(rq.GetEndKey()), want.GetMaxDegree())
	}
	m := newMerkle(want.GetMaxDegree())
	end, inclusive := rq.GetEndKey(), !rq.GetItrExhausted()
	a.keys.AscendGreaterOrEqual(rq.GetStartKey(), func(k string) bool {
		if end != "" && (k > end || (k == end && !inclusive)) {
			return false
		}
		v := a.versions[k]
		m.add(&kvrwset.KVRead{Key: k, Version: &kvrwset.Version{BlockNum: v.GetBlockNum(), TxNum: v.GetTxNum()}})
		return true
	})
	got, err := m.summary()
	if err != nil {
		return err
	}
	if !sameSummary(want, got) {
		return fmt.Errorf("flagged VALID, but its range query from %s to %s, kept as a Merkle summary, does not match the keys and versions "+
			"the valid transactions before it leave in the range (a phantom or a changed version): "+
			"the peer's validation flag does not follow from the blocks", printable(rq.GetStartKey()), printable(end))
	}
	return nil
}

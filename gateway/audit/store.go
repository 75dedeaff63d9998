package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// DefaultMemoryEntries is how many rebuilt receivables are kept in memory before the state moves
// into an embedded store on disk (recv audit --memory-entries).
const DefaultMemoryEntries = 100000

// State is the rebuilt state: the receivables by id, and the ids of each root's pieces (the
// root itself included), so that one tree at a time is read for conservation and trace checks.
// Two implementations: in memory, and on disk (bbolt) for a state that outgrows memory.
type State interface {
	// Get is the receivable of id, or nil.
	Get(id string) (*wire.Receivable, error)
	// Put stores r under r.ID, replacing any earlier version.
	Put(r *wire.Receivable) error
	Delete(id string) error
	// Len is how many receivables are stored.
	Len() int
	// Scan calls fn with every receivable whose id starts with prefix, in id order.
	Scan(prefix string, fn func(r *wire.Receivable) error) error
	// Trees calls fn with every root id the pieces name and the ids of its pieces, in id order,
	// one tree at a time; the root need not be stored itself.
	Trees(fn func(root string, ids []string) error) error
	// Close releases the state; an on-disk state removes its files.
	Close() error
}

// memState is the state in memory.
type memState struct {
	byID  map[string]*wire.Receivable
	trees map[string]map[string]struct{}
}

func newMemState() *memState {
	return &memState{byID: map[string]*wire.Receivable{}, trees: map[string]map[string]struct{}{}}
}

func (m *memState) Get(id string) (*wire.Receivable, error) { return m.byID[id], nil }

func (m *memState) Put(r *wire.Receivable) error {
	if old := m.byID[r.ID]; old != nil && old.RootID != r.RootID {
		m.unindex(old)
	}
	m.byID[r.ID] = r
	t := m.trees[r.RootID]
	if t == nil {
		t = map[string]struct{}{}
		m.trees[r.RootID] = t
	}
	t[r.ID] = struct{}{}
	return nil
}

func (m *memState) unindex(r *wire.Receivable) {
	delete(m.trees[r.RootID], r.ID)
	if len(m.trees[r.RootID]) == 0 {
		delete(m.trees, r.RootID)
	}
}

func (m *memState) Delete(id string) error {
	if old := m.byID[id]; old != nil {
		m.unindex(old)
		delete(m.byID, id)
	}
	return nil
}

func (m *memState) Len() int { return len(m.byID) }

func (m *memState) Scan(prefix string, fn func(r *wire.Receivable) error) error {
	ids := make([]string, 0, len(m.byID))
	for id := range m.byID {
		if strings.HasPrefix(id, prefix) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	for _, id := range ids {
		if err := fn(m.byID[id]); err != nil {
			return err
		}
	}
	return nil
}

func (m *memState) Trees(fn func(root string, ids []string) error) error {
	for _, root := range sortedKeys(m.trees) {
		if err := fn(root, sortedKeys(m.trees[root])); err != nil {
			return err
		}
	}
	return nil
}

func (m *memState) Close() error { return nil }

var (
	bucketRcv   = []byte("rcv")   // id -> receivable JSON
	bucketTrees = []byte("trees") // root \x00 id -> empty
)

// diskState is the state in a bbolt file in a temporary folder, removed by Close. Writes go to
// one read-write transaction, committed before any scan: nothing needs to survive a crash.
type diskState struct {
	dir string
	db  *bolt.DB
	tx  *bolt.Tx // open read-write transaction, or nil
	n   int
}

func newDiskState(tempDir string) (*diskState, error) {
	dir, err := os.MkdirTemp(tempDir, "recv-audit-state-")
	if err != nil {
		return nil, fmt.Errorf("audit state: %w", err)
	}
	db, err := bolt.Open(filepath.Join(dir, "state.db"), 0o600, &bolt.Options{NoSync: true, NoFreelistSync: true})
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("audit state: %w", err)
	}
	d := &diskState{dir: dir, db: db}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketRcv, bucketTrees} {
			if _, err := tx.CreateBucket(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		d.Close()
		return nil, fmt.Errorf("audit state: %w", err)
	}
	return d, nil
}

// Dir is the temporary folder of the store.
func (d *diskState) Dir() string { return d.dir }

func (d *diskState) write() (*bolt.Tx, error) {
	if d.tx == nil {
		tx, err := d.db.Begin(true)
		if err != nil {
			return nil, fmt.Errorf("audit state: %w", err)
		}
		d.tx = tx
	}
	return d.tx, nil
}

// commit ends the open read-write transaction, if any.
func (d *diskState) commit() error {
	if d.tx == nil {
		return nil
	}
	tx := d.tx
	d.tx = nil
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("audit state: %w", err)
	}
	return nil
}

func treeKey(root, id string) []byte { return []byte(root + "\x00" + id) }

func getIn(tx *bolt.Tx, id string) (*wire.Receivable, error) {
	v := tx.Bucket(bucketRcv).Get([]byte(id))
	if v == nil {
		return nil, nil
	}
	var r wire.Receivable
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("audit state: %s: %w", id, err)
	}
	return &r, nil
}

func (d *diskState) Get(id string) (*wire.Receivable, error) {
	if d.tx != nil {
		return getIn(d.tx, id)
	}
	var r *wire.Receivable
	err := d.db.View(func(tx *bolt.Tx) (err error) {
		r, err = getIn(tx, id)
		return err
	})
	return r, err
}

func (d *diskState) Put(r *wire.Receivable) error {
	if strings.ContainsRune(r.ID, 0) || strings.ContainsRune(r.RootID, 0) {
		return fmt.Errorf("receivable id %q or root %q holds a NUL", r.ID, r.RootID)
	}
	tx, err := d.write()
	if err != nil {
		return err
	}
	old, err := getIn(tx, r.ID)
	if err != nil {
		return err
	}
	if old == nil {
		d.n++
	} else if old.RootID != r.RootID {
		if err := tx.Bucket(bucketTrees).Delete(treeKey(old.RootID, old.ID)); err != nil {
			return err
		}
	}
	v, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if err := tx.Bucket(bucketRcv).Put([]byte(r.ID), v); err != nil {
		return err
	}
	return tx.Bucket(bucketTrees).Put(treeKey(r.RootID, r.ID), nil)
}

func (d *diskState) Delete(id string) error {
	tx, err := d.write()
	if err != nil {
		return err
	}
	old, err := getIn(tx, id)
	if err != nil || old == nil {
		return err
	}
	d.n--
	if err := tx.Bucket(bucketTrees).Delete(treeKey(old.RootID, id)); err != nil {
		return err
	}
	return tx.Bucket(bucketRcv).Delete([]byte(id))
}

func (d *diskState) Len() int { return d.n }

func (d *diskState) Scan(prefix string, fn func(r *wire.Receivable) error) error {
	if err := d.commit(); err != nil {
		return err
	}
	return d.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketRcv).Cursor()
		p := []byte(prefix)
		for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
			var r wire.Receivable
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("audit state: %s: %w", k, err)
			}
			if err := fn(&r); err != nil {
				return err
			}
		}
		return nil
	})
}

func (d *diskState) Trees(fn func(root string, ids []string) error) error {
	if err := d.commit(); err != nil {
		return err
	}
	return d.db.View(func(tx *bolt.Tx) error {
		var root string
		var ids []string
		c := tx.Bucket(bucketTrees).Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			r, id, ok := strings.Cut(string(k), "\x00")
			if !ok {
				return fmt.Errorf("audit state: bad tree key %q", k)
			}
			if r != root && ids != nil {
				if err := fn(root, ids); err != nil {
					return err
				}
				ids = nil
			}
			root, ids = r, append(ids, id)
		}
		if ids != nil {
			return fn(root, ids)
		}
		return nil
	})
}

func (d *diskState) Close() error {
	var errs []error
	if d.tx != nil {
		errs = append(errs, d.tx.Rollback())
		d.tx = nil
	}
	if d.db != nil {
		errs = append(errs, d.db.Close())
		d.db = nil
	}
	errs = append(errs, os.RemoveAll(d.dir))
	return errors.Join(errs...)
}

// spillState keeps the state in memory until it holds more than bound receivables, then moves it
// into a diskState and keeps it there.
type spillState struct {
	State
	bound   int
	tempDir string
	disk    *diskState // once spilled
}

func newSpillState(bound int, tempDir string) *spillState {
	if bound <= 0 {
		bound = DefaultMemoryEntries
	}
	return &spillState{State: newMemState(), bound: bound, tempDir: tempDir}
}

func (s *spillState) Put(r *wire.Receivable) error {
	if err := s.State.Put(r); err != nil {
		return err
	}
	if s.disk != nil || s.State.Len() <= s.bound {
		return nil
	}
	d, err := newDiskState(s.tempDir)
	if err != nil {
		return err
	}
	if err := s.State.Scan("", d.Put); err != nil {
		d.Close()
		return err
	}
	if err := d.commit(); err != nil {
		d.Close()
		return err
	}
	s.State, s.disk = d, d
	return nil
}

// flush commits the writes of the block just replayed.
func (s *spillState) flush() error {
	if s.disk == nil {
		return nil
	}
	return s.disk.commit()
}

// where says where the state is, for the report.
func (s *spillState) where() string {
	if s.disk == nil {
		return "memory"
	}
	return fmt.Sprintf("disk (bbolt, more than %d receivables)", s.bound)
}

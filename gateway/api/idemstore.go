package api

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/recv-ledger/recv/gateway/fabric"
)

// idemRecord is a remembered answer as the durable store keeps it. Status 0 is a request that
// was accepted but whose answer was never recorded (the gateway stopped while it ran); it and a
// 5xx or 202 answer are not final (idemEntry.final).
type idemRecord struct {
	Fingerprint string      `json:"fp"`
	Created     int64       `json:"created"` // Unix nanoseconds
	Status      int         `json:"status,omitempty"`
	Header      http.Header `json:"header,omitempty"`
	Body        []byte      `json:"body,omitempty"`
	// Sent are the transactions the request sent, by step, each recorded before it was sent:
	// a retry of a request without a final answer follows them (fabric.Journal).
	Sent []fabric.Sent `json:"sent,omitempty"`
}

// idemBackend is where an IdempotencyStore keeps its records beyond the process: a bbolt file in
// the gateway's state folder (boltIdemBackend), or a fake in tests. A failed put or del changes
// nothing.
type idemBackend interface {
	// get returns the record of key, or nil.
	get(key string) (*idemRecord, error)
	// put writes the record of key and prunes records created before expiredBefore and the
	// oldest beyond max.
	put(key string, rec idemRecord, max int, expiredBefore int64) error
	del(key string) error
	len() int
	// where names the state folder for error messages.
	where() string
	close() error
}

var (
	idemRecords = []byte("records") // key -> JSON idemRecord
	idemOrder   = []byte("order")   // created (8 bytes, big endian) + key -> nothing, oldest first
	idemMeta    = []byte("meta")    // "n" -> number of records (8 bytes)
	idemCount   = []byte("n")
)

type boltIdemBackend struct {
	db  *bolt.DB
	dir string
}

// openBoltIdemBackend opens (or creates) the bbolt file at path.
func openBoltIdemBackend(path string) (*boltIdemBackend, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("open the idempotency store %s: %w (is another gateway using this state folder?)", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{idemRecords, idemOrder, idemMeta} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open the idempotency store %s: %w", path, err)
	}
	return &boltIdemBackend{db: db, dir: filepath.Dir(path)}, nil
}

func orderKey(created int64, key string) []byte {
	k := make([]byte, 8, 8+len(key))
	binary.BigEndian.PutUint64(k, uint64(created))
	return append(k, key...)
}

func (b *boltIdemBackend) get(key string) (*idemRecord, error) {
	var rec *idemRecord
	err := b.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(idemRecords).Get([]byte(key))
		if v == nil {
			return nil
		}
		rec = &idemRecord{}
		return json.Unmarshal(v, rec)
	})
	return rec, err
}

func count(tx *bolt.Tx) uint64 {
	if v := tx.Bucket(idemMeta).Get(idemCount); len(v) == 8 {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

func setCount(tx *bolt.Tx, n uint64) error {
	v := make([]byte, 8)
	binary.BigEndian.PutUint64(v, n)
	return tx.Bucket(idemMeta).Put(idemCount, v)
}

// remove deletes key's record and its place in the order; it reports whether there was one.
func remove(tx *bolt.Tx, key []byte) (bool, error) {
	recs := tx.Bucket(idemRecords)
	v := recs.Get(key)
	if v == nil {
		return false, nil
	}
	var old idemRecord
	if err := json.Unmarshal(v, &old); err == nil {
		if err := tx.Bucket(idemOrder).Delete(orderKey(old.Created, string(key))); err != nil {
			return false, err
		}
	}
	return true, recs.Delete(key)
}

func (b *boltIdemBackend) put(key string, rec idemRecord, max int, expiredBefore int64) error {
	v, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return b.db.Update(func(tx *bolt.Tx) error {
		n := count(tx)
		existed, err := remove(tx, []byte(key))
		if err != nil {
			return err
		}
		if existed {
			n--
		}
		// Prune the expired and, to make room for this one, the oldest.
		c := tx.Bucket(idemOrder).Cursor()
		for k, _ := c.First(); k != nil && len(k) >= 8; k, _ = c.First() {
			if int64(binary.BigEndian.Uint64(k[:8])) >= expiredBefore && n < uint64(max) {
				break
			}
			k = append([]byte(nil), k...)
			gone, err := remove(tx, k[8:])
			if err != nil {
				return err
			}
			if err := tx.Bucket(idemOrder).Delete(k); err != nil { // a record that did not decode
				return err
			}
			if gone && n > 0 {
				n--
			}
		}
		if err := tx.Bucket(idemRecords).Put([]byte(key), v); err != nil {
			return err
		}
		if err := tx.Bucket(idemOrder).Put(orderKey(rec.Created, key), nil); err != nil {
			return err
		}
		return setCount(tx, n+1)
	})
}

func (b *boltIdemBackend) del(key string) error {
	return b.db.Update(func(tx *bolt.Tx) error {
		existed, err := remove(tx, []byte(key))
		if err != nil || !existed {
			return err
		}
		if n := count(tx); n > 0 {
			return setCount(tx, n-1)
		}
		return nil
	})
}

func (b *boltIdemBackend) len() int {
	var n uint64
	_ = b.db.View(func(tx *bolt.Tx) error { n = count(tx); return nil })
	return int(n)
}

func (b *boltIdemBackend) where() string { return b.dir }

func (b *boltIdemBackend) close() error { return b.db.Close() }

// errStore is a failure to write the idempotency store: the request gets a 503 naming the folder.
type errStore struct {
	dir string
	err error
}

func (e *errStore) Error() string {
	return fmt.Sprintf("cannot write the idempotency store in the gateway's state folder %s: %v", e.dir, e.err)
}

func (e *errStore) Unwrap() error { return e.err }

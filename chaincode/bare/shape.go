package bare

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/hyperledger/fabric-chaincode-go/v2/pkg/statebased"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

// MaxKeys bounds the keys one Shape transaction may read or write, each kind counted apart.
const MaxKeys = 1000

// TxShape is what one transaction touches, without its rules: the keys it reads, the keys it
// writes with their value sizes, the keys it deletes, its private writes and reads (of hashes), and the keys whose
// endorsement policy it sets, the sizes of its event and its answer. The network benchmark learns it from a receivable transaction's
// read-write set in a block and replays it through Shape, the same-shape twin of the operation.
type TxShape struct {
	Reads        []string       `json:"reads,omitempty"`
	Writes       []Write        `json:"writes,omitempty"`
	Deletes      []string       `json:"deletes,omitempty"`
	Private      []PrivateWrite `json:"private,omitempty"`
	PrivateReads []PrivateKey   `json:"privateReads,omitempty"`
	Policies     []KeyPolicy    `json:"policies,omitempty"`
	Event        int            `json:"event,omitempty"`    // the payload size of its one event (0: none)
	Response     int            `json:"response,omitempty"` // the size of its answer
}

// Write is a public write of Size bytes under Key.
type Write struct {
	Key  string `json:"key"`
	Size int    `json:"size"`
}

// PrivateWrite is a write of Size bytes under Key in Collection (for example an implicit
// per-organisation collection, _implicit_org_<MSPID>, which needs no definition).
type PrivateWrite struct {
	Collection string `json:"collection"`
	Key        string `json:"key"`
	Size       int    `json:"size"`
}

// PrivateKey is a private key whose hash is read (GetPrivateDataHash: no membership needed).
type PrivateKey struct {
	Collection string `json:"collection"`
	Key        string `json:"key"`
}

// KeyPolicy makes the peers of every organisation in Orgs endorse later writes of Key.
type KeyPolicy struct {
	Key  string   `json:"key"`
	Orgs []string `json:"orgs"`
}

// Shape reads and writes what the shape (TxShape as JSON) describes, in its order, sets its event
// and answers with Response bytes, and nothing else. The values are derived from the transaction
// id and the key, so that every endorser writes the same bytes and no value repeats between
// transactions.
func (c *Contract) Shape(ctx contractapi.TransactionContextInterface, shape string) (string, error) {
	var s TxShape
	if err := json.Unmarshal([]byte(shape), &s); err != nil {
		return "", fmt.Errorf("invalid: shape: %w", err)
	}
	if err := s.check(); err != nil {
		return "", err
	}
	if err := s.apply(ctx.GetStub()); err != nil {
		return "", err
	}
	return string(Value(ctx.GetStub().GetTxID(), "response", s.Response)), nil
}

func (s TxShape) apply(stub shim.ChaincodeStubInterface) error {
	for _, k := range s.Reads {
		if _, err := stub.GetState(k); err != nil {
			return fmt.Errorf("reading %s: %w", k, err)
		}
	}
	for _, k := range s.PrivateReads {
		if _, err := stub.GetPrivateDataHash(k.Collection, k.Key); err != nil {
			return fmt.Errorf("reading the hash of %s in %s: %w", k.Key, k.Collection, err)
		}
	}
	tx := stub.GetTxID()
	for _, w := range s.Writes {
		if err := stub.PutState(w.Key, Value(tx, w.Key, w.Size)); err != nil {
			return fmt.Errorf("writing %s: %w", w.Key, err)
		}
	}
	for _, k := range s.Deletes {
		if err := stub.DelState(k); err != nil {
			return fmt.Errorf("deleting %s: %w", k, err)
		}
	}
	for _, w := range s.Private {
		if err := stub.PutPrivateData(w.Collection, w.Key, Value(tx, w.Collection+"/"+w.Key, w.Size)); err != nil {
			return fmt.Errorf("writing %s in %s: %w", w.Key, w.Collection, err)
		}
	}
	for _, p := range s.Policies {
		ep, err := statebased.NewStateEP(nil)
		if err != nil {
			return err
		}
		if err := ep.AddOrgs(statebased.RoleTypePeer, p.Orgs...); err != nil {
			return fmt.Errorf("invalid: policy of %s: %w", p.Key, err)
		}
		policy, err := ep.Policy()
		if err != nil {
			return fmt.Errorf("invalid: policy of %s: %w", p.Key, err)
		}
		if err := stub.SetStateValidationParameter(p.Key, policy); err != nil {
			return fmt.Errorf("setting the policy of %s: %w", p.Key, err)
		}
	}
	if s.Event > 0 {
		if err := stub.SetEvent("Shape", Value(tx, "event", s.Event)); err != nil {
			return fmt.Errorf("setting the event: %w", err)
		}
	}
	return nil
}

// check bounds a shape: at most MaxKeys keys of each kind, sizes within 1..MaxSize (an empty
// value would be a delete), at most MaxSize bytes written, sent as the event and answered in all,
// every key policy naming an organisation.
func (s TxShape) check() error {
	if max(len(s.Reads), len(s.Writes), len(s.Deletes), len(s.Private), len(s.PrivateReads), len(s.Policies)) > MaxKeys {
		return fmt.Errorf("invalid: more than %d keys of one kind", MaxKeys)
	}
	if s.Event < 0 || s.Response < 0 {
		return fmt.Errorf("invalid: negative event or answer size")
	}
	total := s.Event + s.Response
	for _, w := range s.Writes {
		if w.Size < 1 || w.Size > MaxSize {
			return fmt.Errorf("invalid: size %d of %s is not within 1..%d", w.Size, w.Key, MaxSize)
		}
		total += w.Size
	}
	for _, w := range s.Private {
		if w.Size < 1 || w.Size > MaxSize {
			return fmt.Errorf("invalid: size %d of %s is not within 1..%d", w.Size, w.Key, MaxSize)
		}
		total += w.Size
	}
	for _, p := range s.Policies {
		if len(p.Orgs) == 0 {
			return fmt.Errorf("invalid: the policy of %s names no organisation", p.Key)
		}
	}
	if total > MaxSize {
		return fmt.Errorf("invalid: %d bytes written in all, more than %d", total, MaxSize)
	}
	return nil
}

// Value is size bytes derived from the transaction id and the key: the hex of a SHA-256 chain
// (printable, and about as compressible as the receivables' JSON), the same on every endorser.
func Value(txID, key string, size int) []byte {
	out := make([]byte, 0, size+2*sha256.Size)
	h := sha256.Sum256([]byte(txID + "\x00" + key))
	for len(out) < size {
		out = hex.AppendEncode(out, h[:])
		h = sha256.Sum256(h[:])
	}
	return out[:size]
}

package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// Difference is a receivable on which the rebuilt state and the chaincode disagree.
type Difference struct {
	ID     string   `json:"id"`
	Fields []string `json:"fields,omitempty"` // the JSON fields that differ
	Detail string   `json:"detail"`
}

// Getter reads a receivable as the chaincode answers it (recv get): its JSON, or nil when the
// chaincode says it does not exist.
type Getter func(ctx context.Context, id string) (json.RawMessage, error)

// Compare asks the chaincode for every rebuilt receivable and records each difference in the
// report. An error is a failure to ask, not a difference.
func (a *Auditor) Compare(ctx context.Context, get Getter) ([]Difference, error) {
	var diffs []Difference
	err := a.each(func(r *wire.Receivable) error {
		id := r.ID
		raw, err := get(ctx, id)
		if err != nil {
			return fmt.Errorf("get %s: %w", id, err)
		}
		a.rep.ComparedWithPeer++
		if raw == nil {
			diffs = append(diffs, Difference{ID: id, Detail: "rebuilt from the blocks, unknown to the chaincode"})
			return nil
		}
		raw, termsDiff := a.checkTerms(r, raw)
		if termsDiff != "" {
			diffs = append(diffs, Difference{ID: id, Fields: []string{"financing"}, Detail: termsDiff})
		}
		mine, err := json.Marshal(r)
		if err != nil {
			return err
		}
		if fields, err := differingFields(mine, raw); err != nil {
			diffs = append(diffs, Difference{ID: id, Detail: "chaincode answer unreadable: " + err.Error()})
		} else if len(fields) > 0 {
			diffs = append(diffs, Difference{ID: id, Fields: fields, Detail: "the chaincode's answer differs from the replay"})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	a.rep.Differences = append(a.rep.Differences, diffs...)
	return diffs, nil
}

// checkTerms verifies the private terms the chaincode showed (to the auditor, a member of every
// terms collection) against the public hash the blocks carry, and returns the answer without them
// for the field comparison; a mismatch is a difference.
func (a *Auditor) checkTerms(r *wire.Receivable, raw json.RawMessage) (json.RawMessage, string) {
	var ans wire.Receivable
	if json.Unmarshal(raw, &ans) != nil || ans.Financing == nil || ans.Financing.Terms == nil {
		return raw, ""
	}
	terms, err := json.Marshal(ans.Financing.Terms)
	if err != nil {
		return raw, "terms unreadable: " + err.Error()
	}
	sum := sha256.Sum256(terms)
	want := ""
	if r.Financing != nil {
		want = r.Financing.TermsHash
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return raw, ""
	}
	if f, ok := m["financing"].(map[string]any); ok {
		delete(f, "terms")
	}
	stripped, err := json.Marshal(m)
	if err != nil {
		return raw, ""
	}
	if got := hex.EncodeToString(sum[:]); got != want {
		return stripped, fmt.Sprintf("the private terms the chaincode shows hash to %s, the blocks' termsHash is %s", got, want)
	}
	a.rep.TermsRead++
	return stripped, ""
}

func differingFields(a, b []byte) ([]string, error) {
	var ma, mb map[string]any
	if err := json.Unmarshal(a, &ma); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &mb); err != nil {
		return nil, err
	}
	var out []string
	for k, v := range ma {
		if !reflect.DeepEqual(v, mb[k]) {
			out = append(out, k)
		}
	}
	for k := range mb {
		if _, ok := ma[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out, nil
}

// Tracer reads the chaincode's lineage tree of a root (recv trace).
type Tracer func(ctx context.Context, rootID string) (*wire.TraceNode, error)

// CompareTrees asks the chaincode for the tree of every rebuilt root and records each piece it
// holds that no valid write set wrote, and each rebuilt piece missing from its tree: Compare reads
// only the ids the blocks name, this finds what the chaincode has besides. Meaningful for a whole
// chain only: after a checkpoint the older pieces were not rebuilt.
func (a *Auditor) CompareTrees(ctx context.Context, trace Tracer) ([]Difference, error) {
	if a.opts.Start != nil {
		return nil, errors.New("audit: trees are compared on a whole chain only, not after a checkpoint")
	}
	var diffs []Difference
	err := a.rebuiltTrees(func(rootID string, ids []string) error {
		tree, err := trace(ctx, rootID)
		if err != nil {
			return fmt.Errorf("trace %s: %w", rootID, err)
		}
		a.rep.RootsTraced++
		seen := map[string]bool{}
		walkTrace(tree, func(id string) { seen[id] = true })
		for _, id := range ids {
			if !seen[id] {
				diffs = append(diffs, Difference{ID: id, Detail: "rebuilt from the blocks, missing from the chaincode's trace of " + rootID})
			}
			delete(seen, id)
		}
		for _, id := range sortedKeys(seen) {
			diffs = append(diffs, Difference{ID: id, Detail: "in the chaincode's trace of " + rootID + ", written by no valid transaction"})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	a.rep.Differences = append(a.rep.Differences, diffs...)
	return diffs, nil
}

func walkTrace(n *wire.TraceNode, visit func(id string)) {
	if n == nil || n.Receivable == nil {
		return
	}
	visit(n.ID)
	for _, p := range n.Pieces {
		walkTrace(p, visit)
	}
}

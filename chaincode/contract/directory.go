package contract

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/recv-ledger/recv/chaincode/receivable"
	"github.com/recv-ledger/recv/chaincode/wire"
)

// State layout of the membership registry and governance (plain keys, each a JSON document):
//
//	org/<mspId>              a member organisation
//	acct/<mspId>/<user>      an account; the accounts of an organisation are the range acct/<mspId>/*
//	proposal/<id>            a governance proposal
//	index/registry           the organisations admitted, the proposals created and the banks' exposure
//	                         parts (registryIndex)
const (
	orgPrefix        = "org/"
	accountPrefix    = "acct/"
	proposalPrefix   = "proposal/"
	registryIndexKey = "index/registry"
)

// registryIndex lists, sorted, every organisation the registry admitted and every proposal ever
// created. It is guarded by the veto set like the entries, and written by every transaction that
// admits an organisation or creates a proposal: a key created only under the chaincode-level
// policy (an organisation entry or a proposal with approvals filled in, forged by the core
// enterprise and one other member) is not in it, so no rule reads it (Org, Orgs, Proposal, the
// lists skip it) and the veto set's peers never act on it.
//
// BankParts lists, as "<obligor>/<bank>", every pair of a core enterprise and a bank the registry
// ever held together: the transaction that first records a pair creates the bank's part of the
// obligor's exposure as slots guarded by the bank (exposure.go), so no slot a rule reads was
// created by a transaction the veto set did not endorse, and a pair stays recorded (its slots
// counted) when a kind changes later.
type registryIndex struct {
	Orgs      []string `json:"orgs"`
	Proposals []string `json:"proposals"`
	BankParts []string `json:"bankParts,omitempty"`
}

// registryRead is the registry index as a transaction read it.
type registryRead struct {
	done bool
	idx  *registryIndex
}

// index returns the registry index, or nil on a ledger that has none yet (one written before it
// existed: then every entry counts, until the next registry write creates it). A transaction's
// ledger (txLedger) reads it once.
func (l ledger) index() (*registryIndex, error) {
	if l.reg != nil && l.reg.done {
		return l.reg.idx, nil
	}
	var idx registryIndex
	found, err := l.getJSON(registryIndexKey, &idx)
	if err != nil {
		return nil, err
	}
	var out *registryIndex
	if found {
		out = &idx
	}
	if l.reg != nil {
		*l.reg = registryRead{done: true, idx: out}
	}
	return out, nil
}

// listed reports whether id is in the sorted list, or there is no index.
func listed(idx *registryIndex, list func(*registryIndex) []string, id string) bool {
	if idx == nil {
		return true
	}
	_, ok := slices.BinarySearch(list(idx), id)
	return ok
}

func indexOrgs(idx *registryIndex) []string      { return idx.Orgs }
func indexProposals(idx *registryIndex) []string { return idx.Proposals }

// rangeEnd is the end of the key range of prefix, which ends in '/': '0' follows '/'.
func rangeEnd(prefix string) string { return prefix[:len(prefix)-1] + "0" }

// getJSON reads key into v; found is false when the key is absent.
func (l ledger) getJSON(key string, v any) (bool, error) {
	raw, err := l.stub.GetState(key)
	if err != nil {
		return false, fmt.Errorf("reading %s: %w", key, err)
	}
	if raw == nil {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, fmt.Errorf("decoding %s: %w", key, err)
	}
	return true, nil
}

func (l ledger) putJSON(key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding %s: %w", key, err)
	}
	if err := l.stub.PutState(key, raw); err != nil {
		return fmt.Errorf("writing %s: %w", key, err)
	}
	return nil
}

// Org implements receivable.Directory.
func (l ledger) Org(mspID string) (*wire.Org, error) {
	idx, err := l.index()
	if err != nil || !listed(idx, indexOrgs, mspID) {
		return nil, err
	}
	var o wire.Org
	found, err := l.getJSON(orgPrefix+mspID, &o)
	if !found || err != nil {
		return nil, err
	}
	return &o, nil
}

// Orgs implements receivable.Directory: one bounded range scan, sorted by MSP ID.
func (l ledger) Orgs() ([]wire.Org, error) {
	idx, err := l.index()
	if err != nil {
		return nil, err
	}
	it, err := l.stub.GetStateByRange(orgPrefix, rangeEnd(orgPrefix))
	if err != nil {
		return nil, fmt.Errorf("scanning the registry: %w", err)
	}
	defer it.Close()
	orgs := []wire.Org{}
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("scanning the registry: %w", err)
		}
		if len(orgs) >= receivable.MaxOrgs {
			return nil, fmt.Errorf("the registry holds more than %d organisations", receivable.MaxOrgs)
		}
		var o wire.Org
		if err := json.Unmarshal(kv.Value, &o); err != nil {
			return nil, fmt.Errorf("decoding %s: %w", kv.Key, err)
		}
		if !listed(idx, indexOrgs, o.MSPID) {
			continue
		}
		orgs = append(orgs, o)
	}
	return orgs, nil
}

// Account implements receivable.Directory.
func (l ledger) Account(id string) (*wire.Account, error) {
	var a wire.Account
	found, err := l.getJSON(accountPrefix+id, &a)
	if !found || err != nil {
		return nil, err
	}
	return &a, nil
}

// Proposal implements receivable.Directory.
func (l ledger) Proposal(id string) (*wire.Proposal, error) {
	idx, err := l.index()
	if err != nil || !listed(idx, indexProposals, id) {
		return nil, err
	}
	var p wire.Proposal
	found, err := l.getJSON(proposalPrefix+id, &p)
	if !found || err != nil {
		return nil, err
	}
	return &p, nil
}

// applyDirectory writes the registry entries, accounts, proposals and settings of a change.
func (l ledger) applyDirectory(ch receivable.Change) error {
	for _, o := range ch.Orgs {
		if err := l.putJSON(orgPrefix+o.MSPID, o); err != nil {
			return err
		}
	}
	for _, a := range ch.Accounts {
		if err := l.putJSON(accountPrefix+a.ID, a); err != nil {
			return err
		}
		if err := l.endorsedBy(accountPrefix+a.ID, receivable.AccountEndorsers(a.ID)); err != nil {
			return err
		}
	}
	for _, p := range ch.Proposals {
		if err := l.putJSON(proposalPrefix+p.ID, p); err != nil {
			return err
		}
	}
	if ch.Config != nil {
		if err := l.putConfig(*ch.Config); err != nil {
			return err
		}
	}
	if len(ch.Orgs) == 0 && ch.Config == nil && len(ch.Proposals) == 0 {
		return nil
	}
	orgs, err := l.orgsAsChanged(ch.Orgs)
	if err != nil {
		return err
	}
	indexed, parts, err := l.updateIndex(ch, orgs)
	if err != nil {
		return err
	}
	for _, p := range parts {
		if err := l.createBankPart(p); err != nil {
			return err
		}
	}
	vetoes, keys := registryGuard(orgs)
	if len(vetoes) == 0 {
		return err // a registry without a core enterprise or a bank: nobody to guard it yet
	}
	if len(ch.Orgs) == 0 && ch.Config == nil {
		keys = nil
	}
	if indexed {
		keys = append(keys, registryIndexKey)
	}
	for _, p := range ch.Proposals {
		keys = append(keys, proposalPrefix+p.ID)
	}
	for _, k := range keys {
		if err := l.endorsedBy(k, vetoes); err != nil {
			return err
		}
	}
	return nil
}

// updateIndex adds the organisations and proposals ch writes that the registry index lacks, and
// the pairs of a core enterprise and a bank of orgs (the registry as ch changes it) it has not
// recorded yet, and writes it when it changed (creating it, from the entries there are, on a
// ledger without one); written reports whether it did, parts the banks' parts it recorded.
func (l ledger) updateIndex(ch receivable.Change, orgs []wire.Org) (written bool, parts []receivable.ExposurePart, err error) {
	idx, err := l.index()
	if err != nil {
		return false, nil, err
	}
	changed := idx == nil
	switch {
	case ch.Op == "InitRegistry":
		// The seeding starts the index afresh: one written before it (a key the chaincode-level
		// policy let two members create) lists nothing.
		idx, changed = &registryIndex{Orgs: []string{}, Proposals: []string{}}, true
		orgs = orgs[:0:0]
		for _, o := range ch.Orgs {
			orgs = append(orgs, *o)
		}
	case idx != nil:
		// A copy: the transaction's read stays what it read.
		idx = &registryIndex{Orgs: slices.Clone(idx.Orgs), Proposals: slices.Clone(idx.Proposals), BankParts: slices.Clone(idx.BankParts)}
	default:
		idx = &registryIndex{Orgs: []string{}, Proposals: []string{}}
		orgs, err := l.Orgs() // no index: every entry there is
		if err != nil {
			return false, nil, err
		}
		for _, o := range orgs {
			idx.Orgs = append(idx.Orgs, o.MSPID)
		}
		props, err := l.proposalIDs()
		if err != nil {
			return false, nil, err
		}
		idx.Proposals = props
	}
	add := func(list *[]string, id string) {
		if i, found := slices.BinarySearch(*list, id); !found {
			*list = slices.Insert(*list, i, id)
			changed = true
		}
	}
	for _, o := range ch.Orgs {
		add(&idx.Orgs, o.MSPID)
	}
	for _, p := range ch.Proposals {
		add(&idx.Proposals, p.ID)
	}
	for _, core := range orgs {
		for _, bank := range orgs {
			if core.Kind != wire.OrgCore || bank.Kind != wire.OrgBank {
				continue
			}
			if i, found := slices.BinarySearch(idx.BankParts, bankPartName(core.MSPID, bank.MSPID)); !found {
				idx.BankParts = slices.Insert(idx.BankParts, i, bankPartName(core.MSPID, bank.MSPID))
				parts = append(parts, receivable.ExposurePart{Obligor: core.MSPID, Bank: bank.MSPID})
				changed = true
			}
		}
	}
	if !changed {
		return false, nil, nil
	}
	return true, parts, l.putJSON(registryIndexKey, idx)
}

// proposalIDs lists every proposal key's id, sorted (a ledger without a registry index).
func (l ledger) proposalIDs() ([]string, error) {
	it, err := l.stub.GetStateByRange(proposalPrefix, rangeEnd(proposalPrefix))
	if err != nil {
		return nil, fmt.Errorf("scanning the proposals: %w", err)
	}
	defer it.Close()
	ids := []string{}
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("scanning the proposals: %w", err)
		}
		ids = append(ids, strings.TrimPrefix(kv.Key, proposalPrefix))
	}
	return ids, nil
}

// orgsAsChanged returns the registry as changed by the entries a transaction writes, sorted.
func (l ledger) orgsAsChanged(changed []*wire.Org) ([]wire.Org, error) {
	orgs, err := l.Orgs()
	if err != nil {
		return nil, err
	}
	for _, o := range changed {
		i := slices.IndexFunc(orgs, func(c wire.Org) bool { return c.MSPID == o.MSPID })
		if i < 0 {
			orgs = append(orgs, *o)
		} else {
			orgs[i] = *o
		}
	}
	slices.SortFunc(orgs, func(a, b wire.Org) int { return strings.Compare(a.MSPID, b.MSPID) })
	return orgs, nil
}

// registryGuard returns the veto set of the registry orgs (as a transaction changed it) and the
// keys it guards: the settings, the time beacon and every registry entry, so that a bank that
// joins guards them
// from the change that admits it, and one that leaves no longer does. A proposal is guarded by it
// too: an approval recorded without a vetoing organisation's peer could otherwise make the veto
// set's honest peers apply what their organisations never approved.
func registryGuard(orgs []wire.Org) ([]string, []string) {
	keys := []string{configKey, beaconKey}
	for _, o := range orgs {
		keys = append(keys, orgPrefix+o.MSPID)
	}
	return receivable.RegistryEndorsers(orgs), keys
}

// pageJSON reads one page of the documents under prefix into items via decode.
func pageJSON[T any](l ledger, prefix string, pageSize int32, bookmark string) ([]T, string, error) {
	if pageSize < 1 || pageSize > wire.MaxPageSize {
		return nil, "", receivable.Invalidf("pageSize %d is outside 1..%d", pageSize, wire.MaxPageSize)
	}
	raw, err := decodeBookmark(bookmark, prefix)
	if err != nil {
		return nil, "", err
	}
	it, meta, err := l.stub.GetStateByRangeWithPagination(prefix, rangeEnd(prefix), pageSize, raw)
	if err != nil {
		return nil, "", fmt.Errorf("scanning %s: %w", prefix, err)
	}
	defer it.Close()
	items := []T{}
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return nil, "", fmt.Errorf("scanning %s: %w", prefix, err)
		}
		var v T
		if err := json.Unmarshal(kv.Value, &v); err != nil {
			return nil, "", fmt.Errorf("decoding %s: %w", kv.Key, err)
		}
		items = append(items, v)
	}
	next := ""
	if meta != nil && int32(len(items)) == pageSize {
		next = encodeBookmark(meta.Bookmark)
	}
	return items, next, nil
}

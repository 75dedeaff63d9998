package apitest

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/fabric"
)

// Members is a small in-memory registry for the ledger double: it answers GetOrg, ListOrgs,
// GetAccount and OpenAccount the way the chaincode does for the cases the gateway's tests need
// (found, not found, a role the kind refuses, an account that exists). It checks no caller's
// rights: the chaincode's own tests do.
type Members struct {
	Orgs     map[string]wire.Org      // by MSP ID
	Accounts map[string]*wire.Account // by MSP/user
}

// NewMembers returns a registry with orgs and no accounts.
func NewMembers(orgs ...wire.Org) *Members {
	m := &Members{Orgs: map[string]wire.Org{}, Accounts: map[string]*wire.Account{}}
	for _, o := range orgs {
		m.Orgs[o.MSPID] = o
	}
	return m
}

func refusal(kind wire.Kind, stage, format string, args ...any) Answer {
	msg := wire.Errorf(kind, format, args...).Error()
	return Answer{Err: &fabric.Error{Kind: kind, Stage: stage, Message: msg}}
}

func jsonAnswer(v any) Answer {
	b, err := json.Marshal(v)
	if err != nil {
		return Answer{Err: err}
	}
	return Answer{Payload: b}
}

// answer runs tx on the registry as callerMSP; ok is false for transactions it does not keep.
func (m *Members) answer(callerMSP, tx string, args []string) (Answer, bool) {
	arg := func(i int) string {
		if i < len(args) {
			return args[i]
		}
		return ""
	}
	switch tx {
	case "GetOrg":
		o, found := m.Orgs[arg(0)]
		if !found {
			return refusal(wire.KindNotFound, "evaluate", "organisation %s is not in the registry", arg(0)), true
		}
		return jsonAnswer(o), true
	case "ListOrgs":
		out := wire.Members{Orgs: []wire.Org{}}
		for _, o := range m.Orgs {
			out.Orgs = append(out.Orgs, o)
		}
		sort.Slice(out.Orgs, func(i, j int) bool { return out.Orgs[i].MSPID < out.Orgs[j].MSPID })
		return jsonAnswer(out), true
	case "GetAccount":
		a, found := m.Accounts[arg(0)]
		if !found {
			return refusal(wire.KindNotFound, "evaluate", "account %s", arg(0)), true
		}
		return jsonAnswer(a), true
	case "OpenAccount":
		return m.open(callerMSP, arg(0)), true
	}
	return Answer{}, false
}

func (m *Members) open(callerMSP, body string) Answer {
	var req wire.AccountRequest
	if err := wire.DecodeStrict([]byte(body), &req); err != nil {
		return refusal(wire.KindInvalid, "endorse", "%v", strings.TrimPrefix(err.Error(), "invalid: "))
	}
	org, found := m.Orgs[callerMSP]
	if !found {
		return refusal(wire.KindForbidden, "endorse", "organisation %s is not in the registry", callerMSP)
	}
	if !org.Kind.Allows(req.Role) {
		return refusal(wire.KindInvalid, "endorse", "role %q is not allowed in %s, a %s organisation", req.Role, callerMSP, org.Kind)
	}
	id := wire.AccountID(callerMSP, req.User)
	if a, exists := m.Accounts[id]; exists {
		return refusal(wire.KindConflict, "endorse", "account %s already exists (%s)", id, a.Status)
	}
	a := &wire.Account{ID: id, MSPID: callerMSP, User: req.User, Role: req.Role, DisplayName: req.DisplayName,
		Status: wire.AccountOpen, LastTxID: "tx-OpenAccount"}
	m.Accounts[id] = a
	return jsonAnswer(wire.Event{TxID: "tx-OpenAccount", Op: "OpenAccount", Items: []wire.EventItem{}, Accounts: []*wire.Account{a}})
}

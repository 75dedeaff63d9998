package wire

import (
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func pathValues(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestOps_NamesTxsAndRoutesAreUnique(t *testing.T) {
	names, txs := map[string]bool{}, map[string]bool{}
	for _, o := range Ops {
		if names[o.Name] || txs[o.Tx] {
			t.Fatalf("op %s / tx %s appears twice", o.Name, o.Tx)
		}
		names[o.Name], txs[o.Tx] = true, true
		if o.Submit != (o.Method != "GET") {
			t.Errorf("%s: writes are POST or PUT, reads GET", o.Name)
		}
	}
	_, byPattern := Routes()
	for p, ops := range byPattern {
		if len(ops) > 1 {
			if _, err := Select(ops, url.Values{}); err == nil {
				t.Errorf("%s: ops sharing a route must be told apart by a required query parameter", p)
			}
		}
	}
}

func TestArgs(t *testing.T) {
	tests := []struct {
		op   string
		req  Request
		want []string
	}{
		{"accept", Request{PathValue: pathValues("id", "R-1")}, []string{"R-1"}},
		{"accept", Request{PathValue: pathValues("id", "R-1"), Body: []byte(" {} ")}, []string{"R-1"}},
		{"reject", Request{PathValue: pathValues("id", "R-1"), Body: []byte(`{"reason":"wrong amount"}`)}, []string{"R-1", "wrong amount"}},
		{"reject", Request{PathValue: pathValues("id", "R-1")}, []string{"R-1", ""}},
		{"reject-financing", Request{PathValue: pathValues("id", "R-1"), Body: []byte(`{"termsHash":"cd"}`)}, []string{"R-1", "cd"}},
		{"split", Request{PathValue: pathValues("id", "R-1"), Body: []byte(`{"parts":["1.00","2.00"]}`)}, []string{"R-1", `["1.00","2.00"]`}},
		{"transfer", Request{PathValue: pathValues("id", "R-1"), Body: []byte(`{"to":"S/b"}`)}, []string{"R-1", "S/b", ""}},
		{"decide-financing", Request{PathValue: pathValues("id", "R-1"), Body: []byte(`{"decision":"approved","rateBps":450}`)}, []string{"R-1", "approved"}},
		{"approve-financing", Request{PathValue: pathValues("id", "R-1"), Body: []byte(`{"termsHash":"ab"}`)}, []string{"R-1", "ab", ""}},
		{"approve-financing", Request{PathValue: pathValues("id", "R-1"), Body: []byte(`{"termsHash":"ab","withoutRecourse":true}`)}, []string{"R-1", "ab", "true"}},
		{"redeem-all", Request{PathValue: pathValues("id", "R"), Body: []byte(`{"paymentRef":"PAY-9"}`)}, []string{"R", "PAY-9"}},
		{"freeze", Request{PathValue: pathValues("id", "R"), Body: []byte(`{"reason":"court","reference":"(2026)1"}`)}, []string{"R", "court", "(2026)1"}},
		{"set-credit-line", Request{PathValue: pathValues("msp", "CoreMSP"), Body: []byte(`{"amount":"100"}`)}, []string{"CoreMSP", "100"}},
		{"totals", Request{PathValue: pathValues("msp", "S", "user", "a")}, []string{"S/a"}},
		{"list-held", Request{Query: url.Values{"holder": {"S/a"}}}, []string{"S/a", "20", ""}},
		{"create-proposal", Request{Body: []byte(`{"id":"P-1","action":"set-config","config":{"maxTermDays":90}}`)},
			[]string{`{"id":"P-1","action":"set-config","config":{"maxTermDays":90}}`}},
		{"freeze-account", Request{PathValue: pathValues("msp", "S", "user", "b"), Body: []byte(`{"reason":"court order"}`)}, []string{"S/b", "court order"}},
		{"list-proposals", Request{}, []string{"20", ""}},
		{"issue", Request{Body: []byte(`{"beneficiary":"S/a","amount":"1.00","maturityDate":"2027-01-01","contract":{"number":"C","sha256":"x"},"invoices":[]}`)},
			[]string{`{"beneficiary":"S/a","amount":"1.00","maturityDate":"2027-01-01","contract":{"number":"C","sha256":"x"},"invoices":[]}`}},
	}
	for _, tt := range tests {
		t.Run(tt.op, func(t *testing.T) {
			o, ok := Lookup(tt.op)
			if !ok {
				t.Fatalf("no op %s", tt.op)
			}
			got, err := o.Args(tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("args %q, want %q", got, tt.want)
			}
		})
	}
}

func TestTransientArgs_CarryTheTermsAndASalt(t *testing.T) {
	o, _ := Lookup("decide-financing")
	req := Request{PathValue: pathValues("id", "R-1"), Body: []byte(`{"decision":"approved","rateBps":450}`)}
	m, err := o.TransientArgs(req, "")
	if err != nil {
		t.Fatal(err)
	}
	if string(m["rateBps"]) != "450" || len(m[SaltKey]) != 64 {
		t.Fatalf("transient %q", m)
	}
	again, _ := o.TransientArgs(req, "")
	if string(again[SaltKey]) == string(m[SaltKey]) {
		t.Fatal("each request gets a new salt")
	}
	if m, _ = o.TransientArgs(req, "ab"); string(m[SaltKey]) != "ab" {
		t.Fatalf("a given salt is kept: %q", m)
	}
	if m, err := o.TransientArgs(Request{Body: []byte(`{"decision":"rejected","reason":"no"}`)}, ""); err != nil || string(m["reason"]) != "no" {
		t.Fatalf("a rejection's reason: %q %v", m, err)
	}
	if _, err := o.TransientArgs(Request{Body: []byte(`{"x":1}`)}, ""); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad body: %v", err)
	}
	accept, _ := Lookup("accept")
	if m, err := accept.TransientArgs(Request{}, ""); m != nil || err != nil {
		t.Fatalf("no transient data for accept: %v %v", m, err)
	}
}

func TestArgs_RefusesBadBodies(t *testing.T) {
	tests := []struct {
		op, body, msg string
	}{
		{"decide-financing", `{}`, "decision is required"},
		{"redeem", `{}`, "paymentRef is required"},
		{"approve-financing", `{"rateBps":"450"}`, `field "rateBps" must be a JSON number, not string`},
		{"decide-financing", `{"decision":"approved","rateBps":"450"}`, `field "rateBps" must be a JSON number, not string`},
		{"transfer", `{"to":"S/b","colour":"red"}`, `unknown field "colour"`},
		{"transfer", `{"to":"S/b"} {"to":"S/c"}`, "data after its JSON value"},
		{"transfer", `{"to":"S/b","to":"S/c"}`, `field "to" is given twice`},
		{"issue", `{"beneficiary":"S/a","contract":{"number":"C","number":"D"}}`, `field "number" is given twice`},
		{"transfer", `{"to":`, "ends in the middle"},
		{"transfer", `to=S/b`, "not valid JSON"},
		{"accept", `{"x":1}`, "accept takes no request body"},
		{"split", `[]`, "must be a JSON object, not array"},
	}
	for _, tt := range tests {
		t.Run(tt.op+" "+tt.body, func(t *testing.T) {
			o, _ := Lookup(tt.op)
			_, err := o.Args(Request{PathValue: pathValues("id", "R-1"), Body: []byte(tt.body)})
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("error %v, want invalid containing %q", err, tt.msg)
			}
		})
	}
}

// A bank's approval or rejection that carries the terms themselves is recorded first
// (decide-financing) and then bound by the hash; one that names the hash is bound at once.
func TestDecisionFirst_RecordsTheTermsThenBindsTheirHash(t *testing.T) {
	decoded := func(o *Op, body string) *Body {
		t.Helper()
		b, err := o.DecodeBody([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	approve, _ := Lookup("approve-financing")
	decide, body, ok, err := approve.DecisionFirst(decoded(approve, `{"rateBps":450,"withoutRecourse":true}`))
	if err != nil || !ok || decide.Name != "decide-financing" || string(body.JSON()) != `{"decision":"approved","rateBps":450}` {
		t.Fatalf("decision first: %v %v %v", decide, ok, err)
	}
	if args, err := decide.Args(Request{PathValue: pathValues("id", "R-1"), Decoded: body}); err != nil || !reflect.DeepEqual(args, []string{"R-1", "approved"}) {
		t.Fatalf("the decision's args %q %v", args, err)
	}
	bound, err := approve.WithTermsHash(decoded(approve, `{"rateBps":450,"withoutRecourse":true}`), "ab")
	if err != nil || string(bound.JSON()) != `{"termsHash":"ab","withoutRecourse":true}` {
		t.Fatalf("bound %v", err)
	}
	if _, _, ok, err := approve.DecisionFirst(decoded(approve, `{"termsHash":"ab"}`)); ok || err != nil {
		t.Fatalf("a body with a hash is bound at once: %v %v", ok, err)
	}
	if _, _, _, err := approve.DecisionFirst(decoded(approve, ``)); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "termsHash or rateBps is required") {
		t.Fatalf("an empty approval: %v", err)
	}
	reject, _ := Lookup("reject-financing")
	_, body, ok, err = reject.DecisionFirst(decoded(reject, `{"reason":"limit"}`))
	if err != nil || !ok || string(body.JSON()) != `{"decision":"rejected","reason":"limit"}` {
		t.Fatalf("reject first: %v %v", ok, err)
	}
	if bound, _ := reject.WithTermsHash(decoded(reject, `{"reason":"limit"}`), "cd"); string(bound.JSON()) != `{"termsHash":"cd"}` {
		t.Fatalf("reject bound %s", bound.JSON())
	}
	transfer, _ := Lookup("transfer")
	if _, _, ok, _ := transfer.DecisionFirst(decoded(transfer, `{"to":"S/b"}`)); ok {
		t.Fatal("only the financing decisions are recorded first")
	}
	if _, _, _, err := reject.DecisionFirst(decoded(approve, `{"rateBps":450}`)); err == nil {
		t.Fatal("a body decoded for another op is refused")
	}
}

// A body decoded once serves every step: Args and TransientArgs read it, not Body.
func TestDecodeBody_IsReadByArgsAndTransientArgs(t *testing.T) {
	decide, _ := Lookup("decide-financing")
	b, err := decide.DecodeBody([]byte(`{"decision":"approved","rateBps":450}`))
	if err != nil {
		t.Fatal(err)
	}
	req := Request{PathValue: pathValues("id", "R-1"), Body: []byte("not read"), Decoded: b}
	args, err := decide.Args(req)
	if err != nil || !reflect.DeepEqual(args, []string{"R-1", "approved"}) {
		t.Fatalf("args %q %v", args, err)
	}
	transient, err := decide.TransientArgs(req, "ab")
	if err != nil || string(transient["rateBps"]) != "450" {
		t.Fatalf("transient %q %v", transient, err)
	}
	issue, _ := Lookup("issue")
	v := &IssueRequest{ID: "R-9", Beneficiary: "S/a"}
	nb, err := issue.NewBody(v)
	if err != nil {
		t.Fatal(err)
	}
	if args, err := issue.Args(Request{Decoded: nb}); err != nil || args[0] != string(nb.JSON()) || !strings.Contains(args[0], `"id":"R-9"`) {
		t.Fatalf("a body made from a value: %q %v", args, err)
	}
	accept, _ := Lookup("accept")
	if args, err := accept.Args(Request{PathValue: pathValues("id", "R-1"), Decoded: b}); err != nil || args[0] != "R-1" {
		t.Fatalf("a body decoded for another op is not read: %q %v", args, err)
	}
}

func TestSelect_ListByQuery(t *testing.T) {
	_, byPattern := Routes()
	ops := byPattern["GET /v1/receivables"]
	o, err := Select(ops, url.Values{"issuer": {"C/t"}})
	if err != nil || o.Tx != "ListByIssuer" {
		t.Fatalf("got %v, %v", o, err)
	}
	if _, err := Select(ops, url.Values{"issuer": {"C/t"}, "holder": {"S/a"}}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("both given: %v", err)
	}
}

func TestURL(t *testing.T) {
	o, _ := Lookup("totals")
	if got := o.URL([]string{"SupplierMSP", "a b"}, nil); got != "/v1/accounts/SupplierMSP/a%20b/totals" {
		t.Fatal(got)
	}
	o, _ = Lookup("list-held")
	if got := o.URL(nil, url.Values{"holder": {"S/a"}}); got != "/v1/receivables?holder=S%2Fa" {
		t.Fatal(got)
	}
}

func TestParseRefusal(t *testing.T) {
	tests := []struct {
		text string
		kind Kind
		msg  string
	}{
		{"chaincode response 500, conflict: R-1 is PENDING", KindConflict, "R-1 is PENDING"},
		{"not_found: receivable R-9", KindNotFound, "receivable R-9"},
		{"invalid: invoices[0].amount: conflict: nested", KindInvalid, "invoices[0].amount: conflict: nested"},
		{"rpc error: evaluate call to endorser returned error: chaincode response 500, forbidden: x", KindForbidden, "x"},
	}
	for _, tt := range tests {
		e, ok := ParseRefusal(tt.text)
		if !ok || e.Kind != tt.kind || e.Message != tt.msg {
			t.Errorf("%q: got %+v %v", tt.text, e, ok)
		}
	}
	for _, text := range []string{"connection refused", "preinvalid: x", "not found: old spelling"} {
		if e, ok := ParseRefusal(text); ok {
			t.Errorf("%q parsed as %+v", text, e)
		}
	}
}

func TestKinds_EveryKindHasARow(t *testing.T) {
	for _, k := range []Kind{KindInvalid, KindNotFound, KindForbidden, KindConflict, KindUnauthenticated, KindRateLimited, KindTooLarge,
		KindUnsupportedType, KindNoRoute, KindNoMethod,
		KindEndorse, KindSubmit, KindCommit, KindCommitStatus, KindTimeout, KindUnavailable, KindInternal} {
		if _, ok := Kinds[k]; !ok {
			t.Errorf("%s has no row", k)
		}
	}
	if Kind("bogus").Info() != Kinds[KindInternal] {
		t.Error("an unknown kind must read as internal")
	}
}

func TestPathValuesOf_TheOneIDOfAnOfflineRequest(t *testing.T) {
	o, _ := Lookup("freeze-account")
	require := func(ok bool, msg string) {
		t.Helper()
		if !ok {
			t.Fatal(msg)
		}
	}
	require(reflect.DeepEqual(o.PathNames(), []string{"msp", "user"}), "names")
	get, err := o.PathValuesOf("SupplierMSP/supplier-b")
	require(err == nil && get("msp") == "SupplierMSP" && get("user") == "supplier-b", "values")
	_, err = o.PathValuesOf("supplier-b")
	require(errors.Is(err, ErrInvalid), "a bad id is invalid")
	o, _ = Lookup("accept")
	get, _ = o.PathValuesOf("R-1.2")
	require(get("id") == "R-1.2", "one value")
}

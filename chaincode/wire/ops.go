package wire

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Source says where a chaincode argument comes from in a REST request.
type Source int

// The sources of an argument.
const (
	FromPath      Source = iota // a path value ({id}), or a template of them ("{msp}/{user}")
	FromQuery                   // a query parameter
	FromBody                    // one field of the JSON body: a string as is, anything else as JSON
	FromWholeBody               // the whole JSON body, strictly decoded into the op's Body and re-encoded
)

// Param is one argument of a chaincode transaction, in order.
type Param struct {
	Name     string // the parameter's name, as in the contract metadata
	From     Source
	Field    string // the path value, query parameter or body field (default: Name)
	Required bool   // refused when absent or empty
	Default  string // used when absent (FromQuery)
}

func (p Param) field() string {
	if p.Field != "" {
		return p.Field
	}
	return p.Name
}

// Op is one operation: what the CLI calls it, the chaincode transaction it runs, its REST route,
// and how the transaction's arguments are taken from a request.
type Op struct {
	Name   string  // "request-financing": CLI, offline signing, metrics
	Tx     string  // "RequestFinancing": the chaincode transaction
	Method string  // HTTP method
	Path   string  // ServeMux path: "/v1/receivables/{id}/financing"
	Submit bool    // writes the ledger (submit) rather than reads it (evaluate)
	Params []Param // the transaction's arguments, in order
	// Transient are values sent in the proposal's transient data, never in its arguments (they are
	// not recorded in the block): the private terms of a financing decision. Taken from the body
	// like Params (FromBody); an op with transient values also gets SaltKey.
	Transient []Param
	Body      func() any // a new value of the JSON body's type; nil when the op takes no body
	Summary   string     // one line for docs and help
}

// Pattern is the op's ServeMux pattern, "METHOD /path".
func (o *Op) Pattern() string { return o.Method + " " + o.Path }

// The page sizes of the list operations.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
)

var (
	idParam     = Param{Name: "id", From: FromPath, Required: true}
	reasonParam = Param{Name: "reason", From: FromBody}
	// paymentRefParam is the reference of the payment that settles a redemption.
	paymentRefParam = Param{Name: "paymentRef", From: FromBody, Required: true}
	// accountParam is an account MSPID/user named by the path /{msp}/{user}.
	accountParam = Param{Name: "account", From: FromPath, Field: "{msp}/{user}", Required: true}
	pageParams   = []Param{
		{Name: "pageSize", From: FromQuery, Default: strconv.Itoa(DefaultPageSize)},
		{Name: "bookmark", From: FromQuery},
	}
)

func body[T any]() func() any { return func() any { return new(T) } }

// Ops is the operation table. Adding an operation means a rule in the chaincode, a row here, and
// their tests; the gateway's routes, offline signing, the CLI's client and the load tool follow.
var Ops = []*Op{
	{Name: "issue", Tx: "Issue", Method: "POST", Path: "/v1/receivables", Submit: true,
		Params: []Param{{Name: "request", From: FromWholeBody}}, Body: body[IssueRequest](),
		Summary: "issue a receivable to a supplier against a contract and invoices (开立; a request for the checker under two-person control)"},
	{Name: "accept", Tx: "Accept", Method: "POST", Path: "/v1/receivables/{id}/accept", Submit: true,
		Params: []Param{idParam}, Summary: "accept a receivable offered to the caller (签收)"},
	{Name: "reject", Tx: "Reject", Method: "POST", Path: "/v1/receivables/{id}/reject", Submit: true,
		Params: []Param{idParam, reasonParam}, Body: body[ReasonRequest](),
		Summary: "refuse a receivable offered to the caller (拒收)"},
	{Name: "revoke", Tx: "Revoke", Method: "POST", Path: "/v1/receivables/{id}/revoke", Submit: true,
		Params: []Param{idParam}, Summary: "withdraw the caller's pending offer (撤回)"},
	{Name: "split", Tx: "Split", Method: "POST", Path: "/v1/receivables/{id}/split", Submit: true,
		Params: []Param{idParam, {Name: "parts", From: FromBody, Required: true}}, Body: body[SplitRequest](),
		Summary: "split a held receivable into parts (拆分)"},
	{Name: "transfer", Tx: "Transfer", Method: "POST", Path: "/v1/receivables/{id}/transfer", Submit: true,
		Params: []Param{idParam, {Name: "to", From: FromBody, Required: true}, {Name: "amount", From: FromBody}},
		Body:   body[TransferRequest](), Summary: "offer a held receivable, whole or in part, to another account (流转)"},
	{Name: "request-financing", Tx: "RequestFinancing", Method: "POST", Path: "/v1/receivables/{id}/financing", Submit: true,
		Params: []Param{idParam, {Name: "bank", From: FromBody, Required: true}}, Body: body[FinancingRequest](),
		Summary: "ask a bank to finance a held receivable (融资申请)"},
	{Name: "decide-financing", Tx: "DecideFinancing", Method: "POST", Path: "/v1/receivables/{id}/financing/decision", Submit: true,
		Params:    []Param{idParam, {Name: "decision", From: FromBody, Required: true}},
		Transient: []Param{{Name: "rateBps", From: FromBody}, reasonParam}, Body: body[DecisionRequest](),
		Summary: "record the bank's decision on a financing request privately: approved at an annual rate, or rejected with a reason; only the parties' collection is written, the answer carries the terms' hash"},
	{Name: "approve-financing", Tx: "ApproveFinancing", Method: "POST", Path: "/v1/receivables/{id}/financing/approve", Submit: true,
		Params:  []Param{idParam, {Name: "termsHash", From: FromBody}, {Name: "withoutRecourse", From: FromBody}},
		Body:    body[ApproveRequest](),
		Summary: "approve financing at the terms recorded under termsHash, with recourse unless withoutRecourse (public); the bank pays and becomes holder (放款). With rateBps instead of termsHash the gateway records the decision first"},
	{Name: "reject-financing", Tx: "RejectFinancing", Method: "POST", Path: "/v1/receivables/{id}/financing/reject", Submit: true,
		Params: []Param{idParam, {Name: "termsHash", From: FromBody}}, Body: body[FinancingRejection](),
		Summary: "decline a financing request with the reason recorded under termsHash, private to the parties. With reason instead of termsHash the gateway records the decision first"},
	{Name: "redeem", Tx: "Redeem", Method: "POST", Path: "/v1/receivables/{id}/redeem", Submit: true,
		Params: []Param{idParam, paymentRefParam}, Body: body[RedeemRequest](),
		Summary: "pay the holder of a matured receivable under a payment reference (兑付; a request for the checker under two-person control)"},
	{Name: "redeem-all", Tx: "RedeemAll", Method: "POST", Path: "/v1/roots/{id}/redeem-all", Submit: true,
		Params: []Param{{Name: "rootId", From: FromPath, Field: "id", Required: true}, paymentRefParam}, Body: body[RedeemRequest](),
		Summary: "pay every live piece of a matured root under a payment reference (清分; a request for the checker under two-person control)"},
	{Name: "withdraw-financing", Tx: "WithdrawFinancing", Method: "POST", Path: "/v1/receivables/{id}/financing/withdraw", Submit: true,
		Params: []Param{idParam}, Summary: "withdraw a financing request the bank has not answered"},

	{Name: "confirm", Tx: "ConfirmInstruction", Method: "POST", Path: "/v1/instructions/{id}/confirm", Submit: true,
		Params: []Param{idParam}, Summary: "confirm a maker's issue or redeem request: it commits now (复核; an approver other than the maker)"},
	{Name: "refuse", Tx: "RefuseInstruction", Method: "POST", Path: "/v1/instructions/{id}/refuse", Submit: true,
		Params: []Param{idParam, reasonParam}, Body: body[ReasonRequest](),
		Summary: "refuse a maker's request with a reason (an approver other than the maker)"},
	{Name: "freeze", Tx: "FreezeReceivable", Method: "POST", Path: "/v1/receivables/{id}/freeze", Submit: true,
		Params: []Param{idParam, reasonParam, {Name: "reference", From: FromBody}}, Body: body[FreezeRequest](),
		Summary: "freeze a receivable and its pieces on a court order or dispute (冻结; the auditor)"},
	{Name: "unfreeze", Tx: "UnfreezeReceivable", Method: "POST", Path: "/v1/receivables/{id}/unfreeze", Submit: true,
		Params: []Param{idParam, reasonParam, {Name: "reference", From: FromBody}}, Body: body[FreezeRequest](),
		Summary: "lift the freeze of a receivable and its pieces (the auditor)"},
	{Name: "mark-overdue", Tx: "MarkOverdue", Method: "POST", Path: "/v1/receivables/{id}/overdue", Submit: true,
		Params: []Param{idParam}, Summary: "mark a piece unpaid after maturity and grace OVERDUE (逾期; its holder or the auditor)"},
	{Name: "recourse", Tx: "ExerciseRecourse", Method: "POST", Path: "/v1/receivables/{id}/recourse", Submit: true,
		Params: []Param{idParam}, Summary: "move an overdue piece financed with recourse back to the supplier (追索; the bank)"},
	{Name: "set-credit-line", Tx: "SetCreditLine", Method: "POST", Path: "/v1/orgs/{msp}/credit-line", Submit: true,
		Params: []Param{{Name: "obligor", From: FromPath, Field: "msp", Required: true}, {Name: "amount", From: FromBody, Required: true}},
		Body:   body[LineRequest](), Summary: "set the caller's bank's credit line on a core enterprise (授信额度)"},
	{Name: "fold-exposure", Tx: "FoldExposure", Method: "POST", Path: "/v1/orgs/{msp}/exposure/fold", Submit: true,
		Params:  []Param{{Name: "obligor", From: FromPath, Field: "msp", Required: true}},
		Summary: "fold the pending changes of a core enterprise's exposure into its total (keeps the risk view cheap; changes no figure)"},
	{Name: "set-issuance-limit", Tx: "SetIssuanceLimit", Method: "POST", Path: "/v1/issuance-limit", Submit: true,
		Params: []Param{{Name: "amount", From: FromBody, Required: true}}, Body: body[LineRequest](),
		Summary: "cap the outstanding issuance of the caller's core enterprise (its approver)"},

	{Name: "init-registry", Tx: "InitRegistry", Method: "POST", Path: "/v1/registry", Submit: true,
		Params: []Param{{Name: "registry", From: FromWholeBody}}, Body: body[Registry](),
		Summary: "seed the membership registry, first accounts and settings when the network is created (once)"},
	{Name: "open-account", Tx: "OpenAccount", Method: "POST", Path: "/v1/accounts", Submit: true,
		Params: []Param{{Name: "request", From: FromWholeBody}}, Body: body[AccountRequest](),
		Summary: "open an account of the caller's organisation (开户; its admin)"},
	{Name: "freeze-account", Tx: "FreezeAccount", Method: "POST", Path: "/v1/accounts/{msp}/{user}/freeze", Submit: true,
		Params: []Param{accountParam, reasonParam}, Body: body[ReasonRequest](),
		Summary: "freeze an account: it can neither send nor receive (its organisation's admin)"},
	{Name: "unfreeze-account", Tx: "UnfreezeAccount", Method: "POST", Path: "/v1/accounts/{msp}/{user}/unfreeze", Submit: true,
		Params: []Param{accountParam}, Summary: "unfreeze an account (its organisation's admin)"},
	{Name: "close-account", Tx: "CloseAccount", Method: "POST", Path: "/v1/accounts/{msp}/{user}/close", Submit: true,
		Params: []Param{accountParam, reasonParam}, Body: body[ReasonRequest](),
		Summary: "close an account for good (its organisation's admin)"},
	{Name: "create-proposal", Tx: "CreateProposal", Method: "POST", Path: "/v1/proposals", Submit: true,
		Params: []Param{{Name: "proposal", From: FromWholeBody}}, Body: body[ProposalRequest](),
		Summary: "propose a governed change (settings, an organisation); the proposer's organisation approves it"},
	{Name: "approve-proposal", Tx: "ApproveProposal", Method: "POST", Path: "/v1/proposals/{id}/approve", Submit: true,
		Params: []Param{idParam}, Summary: "approve a proposal for the caller's organisation; a majority applies it"},
	{Name: "tick", Tx: "Tick", Method: "POST", Path: "/v1/beacon/tick", Submit: true,
		Summary: "advance the network's time beacon to this transaction's time (any member's admin; the gateways do it on a schedule)"},

	{Name: "get", Tx: "Get", Method: "GET", Path: "/v1/receivables/{id}",
		Params: []Param{idParam}, Summary: "one receivable"},
	{Name: "history", Tx: "History", Method: "GET", Path: "/v1/receivables/{id}/history",
		Params: []Param{idParam}, Summary: "every version of a receivable with its transaction"},
	{Name: "get-terms", Tx: "GetTerms", Method: "GET", Path: "/v1/receivables/{id}/terms/{hash}",
		Params:  []Param{idParam, {Name: "termsHash", From: FromPath, Field: "hash", Required: true}},
		Summary: "the private terms of a financing decision, by their hash (the parties to them)"},
	{Name: "trace", Tx: "Trace", Method: "GET", Path: "/v1/roots/{id}/trace",
		Params: []Param{{Name: "rootId", From: FromPath, Field: "id", Required: true}}, Summary: "the lineage tree of a root"},
	{Name: "list-held", Tx: "ListByHolder", Method: "GET", Path: "/v1/receivables",
		Params:  append([]Param{{Name: "account", From: FromQuery, Field: "holder", Required: true}}, pageParams...),
		Summary: "receivables held by, or offered to, an account"},
	{Name: "list-issued", Tx: "ListByIssuer", Method: "GET", Path: "/v1/receivables",
		Params:  append([]Param{{Name: "account", From: FromQuery, Field: "issuer", Required: true}}, pageParams...),
		Summary: "receivables issued by an account"},
	{Name: "totals", Tx: "Totals", Method: "GET", Path: "/v1/accounts/{msp}/{user}/totals",
		Params: []Param{{Name: "account", From: FromPath, Field: "{msp}/{user}", Required: true}}, Summary: "an account's totals"},
	{Name: "get-config", Tx: "GetConfig", Method: "GET", Path: "/v1/config", Summary: "the settings in force"},
	{Name: "get-beacon", Tx: "GetBeacon", Method: "GET", Path: "/v1/beacon",
		Summary: "the network's time beacon: the time, account and transaction of the last tick (not_found before the first)"},
	{Name: "list-orgs", Tx: "ListOrgs", Method: "GET", Path: "/v1/orgs", Summary: "the member organisations and their kinds"},
	{Name: "get-org", Tx: "GetOrg", Method: "GET", Path: "/v1/orgs/{msp}",
		Params: []Param{{Name: "mspId", From: FromPath, Field: "msp", Required: true}}, Summary: "one member organisation"},
	{Name: "get-account", Tx: "GetAccount", Method: "GET", Path: "/v1/accounts/{msp}/{user}",
		Params: []Param{accountParam}, Summary: "one account (its own, its organisation's admin, the auditor)"},
	{Name: "list-accounts", Tx: "ListAccounts", Method: "GET", Path: "/v1/orgs/{msp}/accounts",
		Params:  append([]Param{{Name: "mspId", From: FromPath, Field: "msp", Required: true}}, pageParams...),
		Summary: "the accounts of an organisation (its admin, the auditor)"},
	{Name: "get-proposal", Tx: "GetProposal", Method: "GET", Path: "/v1/proposals/{id}",
		Params: []Param{idParam}, Summary: "one governance proposal and its approvals"},
	{Name: "list-proposals", Tx: "ListProposals", Method: "GET", Path: "/v1/proposals",
		Params: pageParams, Summary: "the governance proposals"},
	{Name: "get-instruction", Tx: "GetInstruction", Method: "GET", Path: "/v1/instructions/{id}",
		Params: []Param{idParam}, Summary: "one maker-checker instruction (its organisation, the auditor)"},
	{Name: "limits", Tx: "Limits", Method: "GET", Path: "/v1/orgs/{msp}/limits",
		Params:  []Param{{Name: "obligor", From: FromPath, Field: "msp", Required: true}},
		Summary: "a core enterprise's issuance limit and credit lines with use and headroom"},
	{Name: "risk", Tx: "Risk", Method: "GET", Path: "/v1/risk",
		Params: pageParams, Summary: "per core enterprise: outstanding, overdue, days past due, financed per bank, largest holders, lines (a bank, the auditor)"},
}

// Lookup returns the op named name.
func Lookup(name string) (*Op, bool) {
	for _, o := range Ops {
		if o.Name == name {
			return o, true
		}
	}
	return nil, false
}

// ByTx returns the op that runs the chaincode transaction tx.
func ByTx(tx string) (*Op, bool) {
	for _, o := range Ops {
		if o.Tx == tx {
			return o, true
		}
	}
	return nil, false
}

// Routes groups the ops by ServeMux pattern, in table order. Ops that share a route (the two list
// queries) are told apart by their required query parameter: see Select.
func Routes() (patterns []string, byPattern map[string][]*Op) {
	byPattern = map[string][]*Op{}
	for _, o := range Ops {
		p := o.Pattern()
		if _, seen := byPattern[p]; !seen {
			patterns = append(patterns, p)
		}
		byPattern[p] = append(byPattern[p], o)
	}
	return patterns, byPattern
}

// Select picks, among ops sharing a route, the one whose required query parameter the request
// carries; exactly one must match.
func Select(ops []*Op, query url.Values) (*Op, error) {
	if len(ops) == 1 {
		return ops[0], nil
	}
	var found *Op
	var names []string
	for _, o := range ops {
		for _, p := range o.Params {
			if p.From == FromQuery && p.Required {
				names = append(names, p.field())
				if query.Get(p.field()) != "" {
					if found != nil {
						return nil, Errorf(KindInvalid, "give exactly one of %s", strings.Join(names, " or "))
					}
					found = o
				}
			}
		}
	}
	if found == nil {
		return nil, Errorf(KindInvalid, "give exactly one of %s", strings.Join(names, " or "))
	}
	return found, nil
}

// Request is what a REST request carries for an op: its path values, query and body.
type Request struct {
	PathValue func(name string) string
	Query     url.Values
	Body      []byte
	// Decoded is Body as the op decoded it (DecodeBody), when the caller has it: Args and
	// TransientArgs read it rather than decoding Body again. nil: they decode Body.
	Decoded *Body
}

// Body is a request body checked against an op's Body type and decoded, once: its value and its
// canonical top-level fields, which Args, TransientArgs, DecisionFirst and WithTermsHash read.
type Body struct {
	op     *Op
	value  any                        // a pointer to a value of the op's Body type; nil without one
	fields map[string]json.RawMessage // the top-level fields; "" the canonical encoding of the whole
}

// DecodeBody checks a request body against the op's Body type, refusing a body of the wrong shape
// (unknown fields, wrong types, trailing data, a key given twice) with KindInvalid, and decodes it.
// An op without a Body takes none (or "{}"); an empty body is "{}".
func (o *Op) DecodeBody(raw []byte) (*Body, error) {
	trimmed := bytes.TrimSpace(raw)
	if o.Body == nil {
		if len(trimmed) > 0 && !bytes.Equal(trimmed, []byte("{}")) {
			return nil, Errorf(KindInvalid, "%s takes no request body", o.Name)
		}
		return &Body{op: o}, nil
	}
	if len(trimmed) == 0 {
		trimmed = []byte("{}")
	}
	v := o.Body()
	if err := DecodeStrict(trimmed, v); err != nil {
		return nil, err
	}
	return o.NewBody(v)
}

// NewBody is the body of v, a pointer to a value of the op's Body type (a decoded body's Value
// that the caller changed, or one it made), as DecodeBody would decode its JSON.
func (o *Op) NewBody(v any) (*Body, error) {
	canonical, err := json.Marshal(v)
	if err != nil {
		return nil, Errorf(KindInvalid, "request body: %v", err)
	}
	fields := map[string]json.RawMessage{}
	if err := json.Unmarshal(canonical, &fields); err != nil {
		return nil, Errorf(KindInvalid, "request body must be a JSON object")
	}
	fields[""] = canonical
	return &Body{op: o, value: v, fields: fields}, nil
}

// Value is the decoded body, a pointer to a value of its op's Body type (nil for an op without one).
func (b *Body) Value() any { return b.value }

// JSON is the body's canonical encoding (nil for an op without one).
func (b *Body) JSON() []byte { return b.fields[""] }

// bodyOf is the request's body decoded for o: the one it carries, or Body decoded now.
func (o *Op) bodyOf(req Request) (*Body, error) {
	if req.Decoded != nil && req.Decoded.op == o {
		return req.Decoded, nil
	}
	return o.DecodeBody(req.Body)
}

// Args builds the transaction's arguments from a request, refusing a body of the wrong shape
// (unknown fields, wrong types, trailing data) or a missing required value with KindInvalid.
func (o *Op) Args(req Request) ([]string, error) {
	b, err := o.bodyOf(req)
	if err != nil {
		return nil, err
	}
	fields := b.fields
	args := make([]string, 0, len(o.Params))
	for _, p := range o.Params {
		var v string
		switch p.From {
		case FromPath:
			v = pathValue(p.field(), req.PathValue)
		case FromQuery:
			v = req.Query.Get(p.field())
			if v == "" {
				v = p.Default
			}
		case FromBody:
			v = bodyArg(fields[p.field()])
		case FromWholeBody:
			v = string(fields[""])
		}
		if p.Required && v == "" {
			return nil, Errorf(KindInvalid, "%s is required", p.field())
		}
		args = append(args, v)
	}
	for _, p := range o.Transient {
		if p.Required && bodyArg(fields[p.field()]) == "" {
			return nil, Errorf(KindInvalid, "%s is required", p.field())
		}
	}
	return args, nil
}

// DecisionFirst: approve-financing and reject-financing bind the terms a bank recorded first with
// decide-financing (the obligor endorses the public decision and must not see the terms). A body
// that carries the terms themselves (rateBps, or a rejection's reason) and no termsHash asks for
// both steps: DecisionFirst returns decide-financing and its body; the caller submits it, then op
// with WithTermsHash(b, the hash its event carries). ok is false for any other op or body. b is
// the request's body decoded for o (DecodeBody).
func (o *Op) DecisionFirst(b *Body) (decide *Op, decideBody *Body, ok bool, err error) {
	if b.op != o {
		return nil, nil, false, fmt.Errorf("wire: a body of %s given to %s", b.op.Name, o.Name)
	}
	var req DecisionRequest
	switch v := b.value.(type) {
	case *ApproveRequest:
		if v.TermsHash != "" {
			return nil, nil, false, nil
		}
		if v.RateBps == 0 {
			return nil, nil, false, Errorf(KindInvalid, "termsHash or rateBps is required")
		}
		req = DecisionRequest{Decision: DecisionApproved, RateBps: v.RateBps}
	case *FinancingRejection:
		if v.TermsHash != "" {
			return nil, nil, false, nil
		}
		req = DecisionRequest{Decision: DecisionRejected, Reason: v.Reason}
	default:
		return nil, nil, false, nil
	}
	decide, _ = Lookup("decide-financing")
	if decideBody, err = decide.NewBody(&req); err != nil {
		return nil, nil, false, err
	}
	return decide, decideBody, true, nil
}

// DecisionOf reads a decide-financing result (its event): the one item, naming the receivable, the
// bank and the hash of the terms recorded, which approve-financing or reject-financing then binds.
func DecisionOf(result []byte) (EventItem, error) {
	var ev Event
	if err := json.Unmarshal(result, &ev); err != nil || len(ev.Items) != 1 || ev.Items[0].TermsHash == "" {
		return EventItem{}, fmt.Errorf("a decision's result names no terms hash: %.200s", result)
	}
	return ev.Items[0], nil
}

// WithTermsHash returns the approve-financing or reject-financing body b that binds hash in place
// of the terms DecisionFirst recorded (keeping withoutRecourse).
func (o *Op) WithTermsHash(b *Body, hash string) (*Body, error) {
	if a, ok := b.value.(*ApproveRequest); ok && b.op == o {
		return o.NewBody(&ApproveRequest{TermsHash: hash, WithoutRecourse: a.WithoutRecourse})
	}
	if _, ok := b.value.(*FinancingRejection); ok && b.op == o {
		return o.NewBody(&FinancingRejection{TermsHash: hash})
	}
	return nil, fmt.Errorf("wire: %s binds no terms hash", o.Name)
}

// SaltKey is the transient value that salts an op's private terms: 64 hex characters.
const SaltKey = "salt"

// TransientArgs builds the op's transient data from a request's body, adding salt (NewSalt when
// ""): nil for an op without transient values. It refuses what Args refuses.
func (o *Op) TransientArgs(req Request, salt string) (map[string][]byte, error) {
	if len(o.Transient) == 0 {
		return nil, nil
	}
	b, err := o.bodyOf(req)
	if err != nil {
		return nil, err
	}
	fields := b.fields
	if salt == "" {
		if salt, err = NewSalt(); err != nil {
			return nil, err
		}
	}
	out := map[string][]byte{SaltKey: []byte(salt)}
	for _, p := range o.Transient {
		v := bodyArg(fields[p.field()])
		if p.Required && v == "" {
			return nil, Errorf(KindInvalid, "%s is required", p.field())
		}
		out[p.Name] = []byte(v)
	}
	return out, nil
}

// NewSalt returns 32 random bytes in hex, the salt of a decision's terms. Clients call it; the
// chaincode only checks the form of the salt it is given.
func NewSalt() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("making a salt: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// bodyArg passes a string field as the string itself and anything else as its JSON.
func bodyArg(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if raw[0] == '"' && json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// pathValue reads one path value, or fills a template of them ("{msp}/{user}").
func pathValue(field string, get func(string) string) string {
	if get == nil {
		return ""
	}
	if !strings.Contains(field, "{") {
		return get(field)
	}
	var b strings.Builder
	for rest := field; rest != ""; {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			b.WriteString(rest)
			break
		}
		end := strings.IndexByte(rest[open:], '}')
		if end < 0 {
			b.WriteString(rest)
			break
		}
		b.WriteString(rest[:open])
		v := get(rest[open+1 : open+end])
		if v == "" {
			return ""
		}
		b.WriteString(v)
		rest = rest[open+end+1:]
	}
	return b.String()
}

// PathNames lists the op's path placeholders in order: ["id"], ["msp", "user"], or none.
func (o *Op) PathNames() []string {
	var names []string
	for rest := o.Path; ; {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			return names
		}
		end := strings.IndexByte(rest[open:], '}')
		names = append(names, rest[open+1:open+end])
		rest = rest[open+end+1:]
	}
}

// PathValuesOf reads the op's path values from the one id an offline-signing request (and the
// CLI) carries: the {id} itself, or several values joined by "/" in path order
// ("SupplierMSP/supplier-b" for {msp}/{user}).
func (o *Op) PathValuesOf(id string) (func(string) string, error) {
	names := o.PathNames()
	values := map[string]string{}
	switch {
	case len(names) == 1:
		values[names[0]] = id
	case len(names) > 1 && id != "":
		parts := strings.Split(id, "/")
		if len(parts) != len(names) {
			return nil, Errorf(KindInvalid, "id of %s must be {%s}", o.Name, strings.Join(names, "}/{"))
		}
		for i, n := range names {
			values[n] = parts[i]
		}
	}
	return func(name string) string { return values[name] }, nil
}

// URL returns the op's path with its path values filled in order, each escaped, and the query.
func (o *Op) URL(pathValues []string, query url.Values) string {
	var b strings.Builder
	i := 0
	for rest := o.Path; rest != ""; {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			b.WriteString(rest)
			break
		}
		end := strings.IndexByte(rest[open:], '}')
		b.WriteString(rest[:open])
		if i < len(pathValues) {
			b.WriteString(url.PathEscape(pathValues[i]))
		}
		i++
		rest = rest[open+end+1:]
	}
	if len(query) > 0 {
		b.WriteString("?" + query.Encode())
	}
	return b.String()
}

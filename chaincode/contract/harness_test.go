package contract_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/contract"
	"github.com/recv-ledger/recv/chaincode/memstub"
	"github.com/recv-ledger/recv/chaincode/receivable"
	"github.com/recv-ledger/recv/chaincode/wire"
)

// Accounts of the test network, as in docs/interfaces.md.
const (
	treasurer  = "CoreMSP/treasurer"
	treasurer2 = "CoreMSP/deputy"
	approver   = "CoreMSP/approver"
	approver2  = "CoreMSP/approver-2"
	otherAppr  = "OtherCoreMSP/approver"
	otherCore  = "OtherCoreMSP/treasurer"
	supA       = "SupplierMSP/supplier-a"
	supB       = "SupplierMSP/supplier-b"
	supC       = "SupplierMSP/supplier-c"
	bank1      = "Bank1MSP/officer"
	bank2      = "Bank2MSP/officer"
	auditor    = "AuditorMSP/auditor"
	admin      = "CoreMSP/admin"
	otherAdmin = "OtherCoreMSP/admin"
	supAdmin   = "SupplierMSP/admin"
	bank1Admin = "Bank1MSP/admin"
	bank2Admin = "Bank2MSP/admin"
	audAdmin   = "AuditorMSP/admin"
)

var roles = map[string]string{
	treasurer: "issuer", treasurer2: "issuer", otherCore: "issuer",
	approver: "approver", approver2: "approver", otherAppr: "approver",
	supA: "supplier", supB: "supplier", supC: "supplier",
	bank1: "financier", bank2: "financier", auditor: "auditor", admin: "admin",
	otherAdmin: "admin", supAdmin: "admin", bank1Admin: "admin", bank2Admin: "admin", audAdmin: "admin",
}

// members are the organisations of the test network's registry, by MSP ID.
var members = map[string]wire.OrgKind{
	"CoreMSP": wire.OrgCore, "OtherCoreMSP": wire.OrgCore, "SupplierMSP": wire.OrgSupplier,
	"Bank1MSP": wire.OrgBank, "Bank2MSP": wire.OrgBank, "AuditorMSP": wire.OrgAuditor,
}

// creditCode returns a valid unified social credit code numbered n.
func creditCode(n int) string {
	first := fmt.Sprintf("91310000MA1FL%04d", n)
	c, _ := receivable.CreditCodeCheck(first)
	return first + string(c)
}

// registryJSON is the registry the harness seeds: every member, every test account.
func registryJSON() string {
	var reg wire.Registry
	for i, msp := range slices.Sorted(maps.Keys(members)) {
		reg.Orgs = append(reg.Orgs, wire.Org{MSPID: msp, Kind: members[msp], Name: msp + " Co., Ltd.", CreditCode: creditCode(i)})
	}
	for _, account := range slices.Sorted(maps.Keys(roles)) {
		msp, user, _ := strings.Cut(account, "/")
		reg.Accounts = append(reg.Accounts, wire.SeedAccount{MSPID: msp, User: user, Role: roles[account]})
	}
	raw, _ := json.Marshal(reg)
	return string(raw)
}

var (
	caOnce sync.Once
	ca     *memstub.CA
)

// testCA is the one test CA every identity of the tests is minted by.
func testCA() *memstub.CA {
	caOnce.Do(func() {
		var err error
		if ca, err = memstub.NewCA(); err != nil {
			panic(err)
		}
	})
	return ca
}

var (
	identitiesOnce sync.Once
	identities     map[string][]byte
	identitiesErr  error
)

// creators returns the serialized identity of every test account: real X.509 certificates with
// Fabric CA's attribute extension, so the chaincode reads them through the real cid code.
func creators(t testing.TB) map[string][]byte {
	identitiesOnce.Do(func() {
		ca := testCA()
		var err error
		identities = map[string][]byte{}
		for account, role := range roles {
			msp, id, _ := strings.Cut(account, "/")
			if identities[account], err = ca.User(msp, id, role); err != nil {
				identitiesErr = err
				return
			}
		}
		identities["SupplierMSP/no-attrs"], identitiesErr = ca.Identity("SupplierMSP", "no-attrs", nil)
	})
	require.NoError(t, identitiesErr)
	return identities
}

// day0 is the first transaction day of every test.
var day0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

type harness struct {
	t      testing.TB
	cc     *contract.Chaincode
	ledger *memstub.Ledger
	ids    map[string][]byte
	now    time.Time     // transaction timestamp
	skew   time.Duration // peer clock minus transaction timestamp
	seq    int
	last   *memstub.Stub // the last transaction that committed
}

func newHarness(t testing.TB) *harness {
	h := newUnseededHarness(t)
	h.seed()
	return h
}

// newUnseededHarness is a harness whose registry is not seeded yet (seed does it).
func newUnseededHarness(t testing.TB) *harness {
	h := &harness{t: t, ledger: seededDefinition(), ids: creators(t), now: day0}
	cc, err := contract.NewChaincode(contract.WithClock(func() time.Time { return h.now.Add(h.skew) }))
	require.NoError(t, err)
	h.cc = cc
	return h
}

// seededDefinition is an empty ledger whose chaincode definition names registryJSON's hash, as the
// deployment's definition names the registry it seeds.
func seededDefinition() *memstub.Ledger {
	l := memstub.NewLedger()
	l.SetDefinition(memstub.Chaincode, "1"+contract.SeedTag+sha256Hex(registryJSON()))
	return l
}

// seed runs the deployment's InitRegistry.
func (h *harness) seed() { h.ok(admin, "InitRegistry", registryJSON()) }

// govern changes the settings through a proposal that the core enterprise makes and the other core
// enterprise and both banks approve: the four vetoing organisations, four of the six members, a
// majority.
func (h *harness) govern(config string) {
	h.t.Helper()
	h.seq++
	id := fmt.Sprintf("P-%d", h.seq)
	h.ok(admin, "CreateProposal", `{"id":"`+id+`","action":"set-config","config":`+config+`}`)
	for _, a := range vetoAdmins[1:] {
		h.ok(a, "ApproveProposal", id)
	}
}

// vetoAdmins are the admins of the organisations whose approval every proposal needs: the core
// enterprises and the banks.
var vetoAdmins = []string{admin, otherAdmin, bank1Admin, bank2Admin}

func (h *harness) nextTxID() string {
	h.seq++
	sum := sha256.Sum256([]byte(fmt.Sprintf("tx-%d", h.seq)))
	return hex.EncodeToString(sum[:])
}

// invoke runs one transaction as account; it commits on success. On a refusal it checks that the
// transaction wrote nothing and set no event; on success, that a write set exactly one event named
// after the transaction.
func (h *harness) invoke(account, fn string, args ...string) (string, error) {
	h.t.Helper()
	if hash, decided, err := h.decideFirst(account, fn, args); decided {
		if err != nil {
			return "", err
		}
		if fn == "ApproveFinancing" {
			args = []string{args[0], hash, args[1]}
		} else {
			args = []string{args[0], hash}
		}
	}
	creator, ok := h.ids[account]
	require.True(h.t, ok, "unknown account %s", account)
	txID := h.nextTxID()
	args, transient := splitTransient(fn, args, txID)
	stub := h.ledger.NewStub(txID, h.now, creator, append([]string{fn}, args...)...)
	stub.SetTransient(transient)
	resp := h.cc.Invoke(stub)
	if resp.Status != shim.OK {
		require.Empty(h.t, stub.Writes(), "%s refused but wrote", fn)
		require.Empty(h.t, stub.PrivateWrites(), "%s refused but wrote private data", fn)
		require.Empty(h.t, stub.ValidationParameters(), "%s refused but set an endorsement policy", fn)
		require.Empty(h.t, stub.Events(), "%s refused but set an event", fn)
		return "", errors.New(resp.Message)
	}
	if len(stub.Writes()) > 0 || len(stub.PrivateWrites()) > 0 {
		events := stub.Events()
		require.Len(h.t, events, 1, "%s must set exactly one event", fn)
		require.Equal(h.t, fn, events[0].Name)
	} else {
		require.Empty(h.t, stub.Events(), "%s is a query and must not set events", fn)
	}
	stub.Commit()
	h.last = stub
	return string(resp.Payload), nil
}

// decideFirst: the tests ask for ApproveFinancing(id, withoutRecourse, rateBps) and
// RejectFinancing(id, reason) as a bank's officer asks the gateway; like the gateway
// (wire.Op.DecisionFirst), the harness records the decision first (DecideFinancing, the terms as
// transient data) and returns the hash that the binding transaction then carries. decided is
// false for any other call, or one that already names a hash.
func (h *harness) decideFirst(account, fn string, args []string) (hash string, decided bool, err error) {
	var decideArgs []string
	switch {
	case fn == "ApproveFinancing" && len(args) == 3 && !isHex64(args[1]):
		decideArgs = []string{args[0], wire.DecisionApproved, args[2], ""}
	case fn == "RejectFinancing" && len(args) == 2 && !isHex64(args[1]):
		decideArgs = []string{args[0], wire.DecisionRejected, "", args[1]}
	default:
		return "", false, nil
	}
	out, err := h.invoke(account, "DecideFinancing", decideArgs...)
	if err != nil {
		return "", true, err
	}
	item, err := wire.DecisionOf([]byte(out))
	require.NoError(h.t, err)
	return item.TermsHash, true, nil
}

func isHex64(s string) bool {
	_, err := hex.DecodeString(s)
	return len(s) == 64 && err == nil
}

// splitTransient passes the arguments after an op's Params as its transient values, in the order
// of wire.Op.Transient, with a salt made from the transaction id: h.ok(bank1, "ApproveFinancing",
// id, "450") sends rateBps 450 as transient data, as the gateway does.
func splitTransient(fn string, args []string, txID string) ([]string, map[string][]byte) {
	op, ok := wire.ByTx(fn)
	if !ok || len(op.Transient) == 0 || len(args) <= len(op.Params) {
		return args, nil
	}
	transient := map[string][]byte{wire.SaltKey: []byte(hash("salt" + txID))}
	for i, v := range args[len(op.Params):] {
		if i < len(op.Transient) {
			transient[op.Transient[i].Name] = []byte(v)
		}
	}
	return args[:len(op.Params)], transient
}

func (h *harness) ok(account, fn string, args ...string) string {
	h.t.Helper()
	out, err := h.invoke(account, fn, args...)
	require.NoError(h.t, err, "%s %s %v", account, fn, args)
	return out
}

// refuse checks that the transaction is refused with the given message prefix and that the whole
// committed state is unchanged.
func (h *harness) refuse(prefix, account, fn string, args ...string) string {
	h.t.Helper()
	before := h.ledger.Snapshot()
	_, err := h.invoke(account, fn, args...)
	require.Error(h.t, err, "%s %s %v should be refused", account, fn, args)
	require.True(h.t, strings.HasPrefix(err.Error(), prefix), "want %q, got %q", prefix, err.Error())
	require.Equal(h.t, before, h.ledger.Snapshot(), "state changed on refusal")
	return err.Error()
}

// kindOf reads a refusal's kind as the gateway does, with wire.ParseRefusal, and requires the
// message to start with it.
func kindOf(t testing.TB, err error) wire.Kind {
	t.Helper()
	e, ok := wire.ParseRefusal(err.Error())
	require.True(t, ok, "refusal without a kind: %v", err)
	require.True(t, strings.HasPrefix(err.Error(), string(e.Kind)+": "), "the kind must start the message: %v", err)
	return e.Kind
}

func (h *harness) get(id string) wire.Receivable {
	h.t.Helper()
	var r wire.Receivable
	require.NoError(h.t, json.Unmarshal([]byte(h.ok(auditor, "Get", id)), &r))
	return r
}

func (h *harness) days(n int) { h.now = h.now.AddDate(0, 0, n) }

func hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

type issueOpts struct {
	ID, Beneficiary, Amount, Maturity string
	Invoices                          []wire.Invoice
}

func issueJSON(o issueOpts) string {
	if o.Beneficiary == "" {
		o.Beneficiary = supA
	}
	if o.Amount == "" {
		o.Amount = "1250000.00"
	}
	if o.Maturity == "" {
		o.Maturity = "2027-03-31"
	}
	if o.Invoices == nil {
		o.Invoices = []wire.Invoice{{Number: "INV-" + o.ID, SHA256: hash("inv" + o.ID), Amount: o.Amount}}
	}
	raw, _ := json.Marshal(wire.IssueRequest{
		ID: o.ID, Beneficiary: o.Beneficiary, Amount: o.Amount, MaturityDate: o.Maturity,
		Contract: wire.Document{Number: "C-" + o.ID, SHA256: hash("contract" + o.ID)},
		Invoices: o.Invoices,
	})
	return string(raw)
}

// active issues id to beneficiary and has it accepted.
func (h *harness) active(id, beneficiary, amount string) {
	h.t.Helper()
	h.issue(issueJSON(issueOpts{ID: id, Beneficiary: beneficiary, Amount: amount}))
	h.ok(beneficiary, "Accept", id)
}

// instructionOf returns the id of the instruction a maker's request recorded.
func (h *harness) instructionOf(out string) string {
	h.t.Helper()
	var ev wire.Event
	require.NoError(h.t, json.Unmarshal([]byte(out), &ev))
	require.NotNil(h.t, ev.Instruction, "the request recorded no instruction: %s", out)
	return ev.Instruction.ID
}

// made runs a maker's request (Issue, Redeem, RedeemAll) as maker and has the approver confirm
// it: the one way the tests issue and redeem at the core enterprise, under two-person control.
func (h *harness) made(maker, fn string, args ...string) string {
	h.t.Helper()
	return h.ok(approver, "ConfirmInstruction", h.instructionOf(h.ok(maker, fn, args...)))
}

// issue issues a request as the treasurer, confirmed by the approver.
func (h *harness) issue(request string) string {
	h.t.Helper()
	return h.made(treasurer, "Issue", request)
}

// redeem redeems id as maker, confirmed by the approver.
func (h *harness) redeem(maker, id string) string {
	h.t.Helper()
	return h.made(maker, "Redeem", id, "PAY-"+id)
}

// redeemAll redeems every live piece of root as maker, confirmed by the approver.
func (h *harness) redeemAll(maker, root string) string {
	h.t.Helper()
	return h.made(maker, "RedeemAll", root, "PAY-"+root)
}

type event struct {
	TxID   string `json:"txId"`
	Op     string `json:"op"`
	Reason string `json:"reason"`
	Items  []struct {
		ID            string `json:"id"`
		Status        string `json:"status"`
		Amount        string `json:"amount"`
		Holder        string `json:"holder"`
		PendingHolder string `json:"pendingHolder"`
		Bank          string `json:"bank"`
		TermsHash     string `json:"termsHash"`
	} `json:"items"`
}

func (h *harness) lastEvent() event {
	h.t.Helper()
	evs := h.ledger.Events()
	require.NotEmpty(h.t, evs)
	var e event
	require.NoError(h.t, json.Unmarshal(evs[len(evs)-1].Payload, &e))
	require.Equal(h.t, evs[len(evs)-1].Name, e.Op)
	return e
}

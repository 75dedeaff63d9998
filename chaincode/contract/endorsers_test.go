package contract_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
)

// chaincodeLevel stands for a write governed by the chaincode-level policy (a new key).
const chaincodeLevel = "chaincode-level"

// policyOrgs decodes a state-based endorsement policy: the organisations whose peers must all
// endorse (it fails unless the policy is "every one of them", which is what the chaincode sets).
func policyOrgs(t *testing.T, raw []byte) []string {
	t.Helper()
	if raw == nil {
		return []string{chaincodeLevel}
	}
	var env common.SignaturePolicyEnvelope
	require.NoError(t, proto.Unmarshal(raw, &env))
	var orgs []string
	for _, id := range env.Identities {
		require.Equal(t, msp.MSPPrincipal_ROLE, id.PrincipalClassification)
		var role msp.MSPRole
		require.NoError(t, proto.Unmarshal(id.Principal, &role))
		require.Equal(t, msp.MSPRole_PEER, role.Role, "the policy names peers")
		orgs = append(orgs, role.MspIdentifier)
	}
	n := env.Rule.GetNOutOf()
	require.NotNil(t, n, "an n-of-n rule")
	require.EqualValues(t, len(orgs), n.N, "every listed organisation must endorse")
	return orgs
}

// needs returns what the last committed transaction's write of key had to satisfy at commit.
func (h *harness) needs(key string) []string {
	h.t.Helper()
	p := h.last.Policies()
	raw, written := p[key]
	require.True(h.t, written, "the transaction did not write %s (it wrote %v)", key, slices.Sorted(maps.Keys(p)))
	return policyOrgs(h.t.(*testing.T), raw)
}

// guard returns who must endorse the next change of key, as committed.
func (h *harness) guard(key string) []string {
	h.t.Helper()
	return policyOrgs(h.t.(*testing.T), h.ledger.ValidationParameter(key))
}

// A receivable's every change needs its obligor's peer and its holder's (and the peer of the
// organisation it is offered to, the bank it waits for, the auditor that froze it): no pair of
// organisations without them can change what the obligor owes or the holder owns, whatever code
// their chaincode servers run, because Fabric's validation checks the key's own policy.
func TestEndorsers_AReceivableChangeNeedsTheOrganisationsItAffects(t *testing.T) {
	h := newHarness(t)
	h.issue(issueJSON(issueOpts{ID: "R-1", Beneficiary: supA}))
	require.Equal(t, []string{chaincodeLevel}, h.needs("rcv/R-1"), "a new key is under the chaincode-level policy")
	require.Equal(t, []string{"CoreMSP", "SupplierMSP"}, h.guard("rcv/R-1"), "offered: the obligor and the beneficiary")

	h.ok(supA, "Accept", "R-1")
	require.Equal(t, []string{"CoreMSP", "SupplierMSP"}, h.needs("rcv/R-1"))

	h.ok(supA, "Transfer", "R-1", "Bank2MSP/officer", "")
	require.Equal(t, []string{"Bank2MSP", "CoreMSP", "SupplierMSP"}, h.guard("rcv/R-1"),
		"offered to a bank: the obligor, the holder and the bank it is offered to")
	h.ok(supA, "Revoke", "R-1")
	require.Equal(t, []string{"Bank2MSP", "CoreMSP", "SupplierMSP"}, h.needs("rcv/R-1"))

	h.ok(supA, "RequestFinancing", "R-1", "Bank1MSP")
	require.Equal(t, []string{"CoreMSP", "SupplierMSP"}, h.needs("rcv/R-1"))
	require.Equal(t, []string{"Bank1MSP", "CoreMSP", "SupplierMSP"}, h.guard("rcv/R-1"),
		"awaiting the bank: the obligor, the holder and the bank")

	h.ok(bank1, "ApproveFinancing", "R-1", "", "450")
	require.Equal(t, []string{"Bank1MSP", "CoreMSP", "SupplierMSP"}, h.needs("rcv/R-1"),
		"the public approval: the obligor endorses it too, and sees no terms")
	require.Equal(t, []string{"Bank1MSP", "CoreMSP"}, h.guard("rcv/R-1"),
		"financed: the obligor and the bank; the core enterprise and the supplier cannot move it")

	h.ok(auditor, "FreezeReceivable", "R-1", "court order", "CASE-1")
	require.Equal(t, []string{"Bank1MSP", "CoreMSP"}, h.needs("rcv/R-1"))
	require.Equal(t, []string{"AuditorMSP", "Bank1MSP", "CoreMSP"}, h.guard("rcv/R-1"),
		"frozen: the auditor too, so the parties cannot unfreeze it without it")
	h.ok(auditor, "UnfreezeReceivable", "R-1", "order lifted", "CASE-1")
	require.Equal(t, []string{"AuditorMSP", "Bank1MSP", "CoreMSP"}, h.needs("rcv/R-1"))

	h.days(200)
	h.redeem(treasurer, "R-1")
	require.Equal(t, []string{"Bank1MSP", "CoreMSP"}, h.needs("rcv/R-1"), "redeeming a bank's piece needs the bank")
}

// Pieces made by a split or a partial transfer are guarded from their first write, and the parent
// that makes them needs its own parties.
func TestEndorsers_PiecesAreGuardedByTheirOwnParties(t *testing.T) {
	h := newHarness(t)
	h.active("R-2", supA, "1000.00")
	h.ok(supA, "Transfer", "R-2", supB, "400.00")
	require.Equal(t, []string{"CoreMSP", "SupplierMSP"}, h.needs("rcv/R-2"))
	require.Equal(t, []string{chaincodeLevel}, h.needs("rcv/R-2.1"))
	require.Equal(t, []string{"CoreMSP", "SupplierMSP"}, h.guard("rcv/R-2.1"))
	require.Equal(t, []string{"CoreMSP", "SupplierMSP"}, h.guard("rcv/R-2.2"))
}

// The settings and every registry entry need the veto set (every core enterprise and every bank);
// an account needs its own organisation; a credit line its bank, an issuance limit and an
// instruction their core enterprise; an invoice binding its obligor.
func TestEndorsers_SettingsRegistryAccountsLinesInstructions(t *testing.T) {
	h := newHarness(t)
	vetoes := []string{"Bank1MSP", "Bank2MSP", "CoreMSP", "OtherCoreMSP"}
	for _, k := range []string{"config", "org/CoreMSP", "org/SupplierMSP", "org/AuditorMSP", "org/Bank1MSP"} {
		require.Equal(t, vetoes, h.guard(k), k)
	}
	h.govern(`{"graceDays":5}`)
	require.Equal(t, vetoes, h.needs("config"))
	require.Equal(t, vetoes, h.guard("config"))

	h.ok(admin, "CreateProposal", `{"id":"P-9","action":"set-config","config":{"graceDays":7}}`)
	require.Equal(t, []string{chaincodeLevel}, h.needs("proposal/P-9"))
	require.Equal(t, vetoes, h.guard("proposal/P-9"), "a proposal's approvals need the veto set's peers")
	h.ok(supAdmin, "ApproveProposal", "P-9")
	require.Equal(t, vetoes, h.needs("proposal/P-9"), "even the supplier's approval")

	require.Equal(t, []string{"SupplierMSP"}, h.guard("acct/"+supA))
	h.ok(supAdmin, "FreezeAccount", supC, "audit")
	require.Equal(t, []string{"SupplierMSP"}, h.needs("acct/"+supC))

	h.ok(bank1, "SetCreditLine", "CoreMSP", "1000.00")
	require.Equal(t, []string{"Bank1MSP"}, h.guard("line/CoreMSP/Bank1MSP"))

	out := h.ok(treasurer, "Issue", issueJSON(issueOpts{ID: "R-3"}))
	in := h.instructionOf(out)
	require.Equal(t, []string{"CoreMSP"}, h.guard("instr/"+in))
	h.ok(approver, "ConfirmInstruction", in)
	require.Equal(t, []string{"CoreMSP"}, h.needs("instr/"+in))
	inv := ""
	for k := range h.last.ValidationParameters() {
		if len(k) > 0 && k[0] == 0 && slices.Contains([]string{"invoice"}, k[1:8]) {
			inv = k
		}
	}
	require.NotEmpty(t, inv, "the invoice binding gets a policy")
	require.Equal(t, []string{"CoreMSP"}, h.guard(inv))
}

// A bank that joins guards the settings and every registry entry from the change that admits it.
func TestEndorsers_ABankThatJoinsGuardsTheRegistry(t *testing.T) {
	h := newHarness(t)
	h.ok(admin, "CreateProposal", `{"id":"P-bank3","action":"set-org","org":{"mspId":"Bank3MSP","kind":"bank",`+
		`"name":"Bank3MSP Co., Ltd.","creditCode":"`+creditCode(9)+`"}}`)
	for _, a := range vetoAdmins[1:] {
		h.ok(a, "ApproveProposal", "P-bank3")
	}
	vetoes := []string{"Bank1MSP", "Bank2MSP", "CoreMSP", "OtherCoreMSP"}
	require.Equal(t, vetoes, h.needs("org/SupplierMSP"), "re-guarding needs the veto set in force")
	require.Equal(t, []string{chaincodeLevel}, h.needs("org/Bank3MSP"))
	with3 := []string{"Bank1MSP", "Bank2MSP", "Bank3MSP", "CoreMSP", "OtherCoreMSP"}
	for _, k := range []string{"config", "org/CoreMSP", "org/SupplierMSP", "org/Bank3MSP"} {
		require.Equal(t, with3, h.guard(k), k)
	}
	for _, obligor := range []string{"CoreMSP", "OtherCoreMSP"} {
		for i := range 16 {
			slot := fmt.Sprintf("exposure/%s/bank/Bank3MSP/s/%02d", obligor, i)
			require.Equal(t, []string{"Bank3MSP"}, h.guard(slot), "the admission creates the bank's part of every core enterprise's exposure, guarded by it")
		}
	}
}

// A bank's part of an obligor's exposure (the financing it bears, which its credit line checks)
// lives in slots the bank guards, created with the registry by transactions the veto set endorses:
// a change of them needs the bank's peer, and keys the chaincode-level policy lets the core
// enterprise and one member create (a blind change, a slot of a pair the registry never held) are
// read by no rule, so no such pair can lower what a bank is counted to bear.
func TestEndorsers_ABanksFinancingIsCountedOnlyInSlotsTheBankGuards(t *testing.T) {
	h := newHarness(t)
	slots := func(obligor, bank string) []string {
		var keys []string
		for i := range 16 {
			keys = append(keys, fmt.Sprintf("exposure/%s/bank/%s/s/%02d", obligor, bank, i))
		}
		return keys
	}
	for _, k := range slices.Concat(slots("CoreMSP", "Bank1MSP"), slots("OtherCoreMSP", "Bank2MSP")) {
		bank := strings.Split(k, "/")[3]
		require.Equal(t, []string{bank}, h.guard(k), k)
	}
	require.Nil(t, h.ledger.State("exposure/CoreMSP/bank/Bank1MSP/s/16"), "16 slots")
	require.Nil(t, h.ledger.State("exposure/CoreMSP/bank/SupplierMSP/s/00"), "a supplier bears no financing")

	h.ok(bank1, "SetCreditLine", "CoreMSP", "1000.00")
	h.active("R-1", supA, "600.00")
	h.ok(supA, "RequestFinancing", "R-1", "Bank1MSP")
	h.ok(bank1, "ApproveFinancing", "R-1", "", "450")
	var written []string
	for k := range h.last.Policies() {
		if strings.HasPrefix(k, "exposure/CoreMSP/bank/") {
			written = append(written, k)
		}
	}
	require.Len(t, written, 16, "600.00 is more than a slot's sixteenth of the line: the approval refolds the line over every slot")
	for _, k := range written {
		require.Equal(t, []string{"Bank1MSP"}, h.needs(k), k)
		require.Equal(t, []string{"Bank1MSP"}, h.guard(k), "a refold keeps the slot's policy: %s", k)
	}
	limits := h.ok(bank1, "Limits", "CoreMSP")
	require.Contains(t, limits, `"usedFen":60000`)

	// Written as changed chaincode servers of the core enterprise and a supplier would: new keys
	// (the chaincode-level policy lets them commit), each lowering Bank1MSP's financing on CoreMSP.
	h.ledger.SetState("exposure/CoreMSP/bank/Bank1MSP/t/20261207T000000Z/forged", []byte(`{"financed":{"Bank1MSP":-60000}}`))
	h.ledger.SetState("exposure/CoreMSP/bank/Bank1MSP/s/16", []byte(`{"financed":{"Bank1MSP":-60000}}`))
	h.ledger.SetState("exposure/CoreMSP/bank/Bank1MSP/base", []byte(`{"financed":{"Bank1MSP":-60000}}`))
	require.Equal(t, limits, h.ok(bank1, "Limits", "CoreMSP"), "no rule reads them")
	h.active("R-2", supA, "600.00")
	h.ok(supA, "RequestFinancing", "R-2", "Bank1MSP")
	h.refuse("conflict: credit line of Bank1MSP on CoreMSP is 1000.00: 600.00 financed and outstanding + 600.00 of receivable R-2 = 1200.00, 200.00 over the line",
		bank1, "ApproveFinancing", "R-2", "", "450")

	// 10.00 fits a slot's share of the 400.00 left (25.00): the approval moves its slot alone.
	h.active("R-3", supA, "10.00")
	h.ok(supA, "RequestFinancing", "R-3", "Bank1MSP")
	h.ok(bank1, "ApproveFinancing", "R-3", "", "450")
	written = written[:0]
	for k := range h.last.Policies() {
		if strings.HasPrefix(k, "exposure/CoreMSP/bank/") {
			written = append(written, k)
		}
	}
	require.Len(t, written, 1, "an approval its slot's sub-line takes moves that slot alone")
	require.Equal(t, []string{"Bank1MSP"}, h.needs(written[0]))
}

// Keys created under the chaincode-level policy alone (the core enterprise and any one member
// suffice) could be forged by such a pair: an organisation entry, a proposal with its approvals
// filled in. The registry index, guarded by the veto set and written by every admission and every
// proposal's creation, is what the rules read them through: an entry it does not list is not
// there for any rule, so the veto set's peers never act on it.
func TestEndorsers_RegistryEntriesAndProposalsCountOnlyThroughTheGuardedIndex(t *testing.T) {
	h := newHarness(t)
	vetoes := []string{"Bank1MSP", "Bank2MSP", "CoreMSP", "OtherCoreMSP"}
	require.Equal(t, vetoes, h.guard("index/registry"))
	h.ok(admin, "CreateProposal", `{"id":"P-10","action":"set-config","config":{"graceDays":7}}`)
	require.Equal(t, vetoes, h.needs("index/registry"), "creating a proposal needs the veto set's peers")
	require.Contains(t, h.ok(auditor, "ListProposals", "10", ""), `"id":"P-10"`)

	// Written as a changed chaincode server of the core enterprise and a supplier would.
	h.ledger.SetState("org/EvilMSP", []byte(`{"mspId":"EvilMSP","kind":"bank","name":"Evil","creditCode":"`+creditCode(8)+`"}`))
	h.ledger.SetState("proposal/P-forged", []byte(`{"id":"P-forged","action":"set-config","config":{"graceDays":1},"status":"OPEN",`+
		`"approvals":[{"mspId":"Bank1MSP"},{"mspId":"Bank2MSP"},{"mspId":"OtherCoreMSP"},{"mspId":"CoreMSP"}],"proposer":"CoreMSP/admin"}`))

	h.refuse("not_found:", auditor, "GetOrg", "EvilMSP")
	require.NotContains(t, h.ok(auditor, "ListOrgs"), "EvilMSP")
	h.refuse("not_found:", auditor, "GetProposal", "P-forged")
	h.refuse("not_found:", supAdmin, "ApproveProposal", "P-forged")
	require.NotContains(t, h.ok(auditor, "ListProposals", "10", ""), "P-forged")
	h.govern(`{"graceDays":5}`)
	require.Equal(t, vetoes, h.needs("config"), "the veto set is the registry's, not the forger's")
}

// An index written before the seeding (a new key the chaincode-level policy lets the core
// enterprise and one member create) is not carried into the registry: the seeding starts it
// afresh, so an entry forged for a name it listed is read by no rule.
func TestEndorsers_TheSeedingStartsTheRegistryIndexAfresh(t *testing.T) {
	h := newUnseededHarness(t)
	h.ledger.SetState("index/registry", []byte(`{"orgs":["EvilMSP"],"proposals":["P-forged"]}`))
	h.seed()
	h.ledger.SetState("org/EvilMSP", []byte(`{"mspId":"EvilMSP","kind":"bank","name":"Evil","creditCode":"`+creditCode(8)+`"}`))
	h.refuse("not_found:", auditor, "GetOrg", "EvilMSP")
	require.NotContains(t, h.ok(auditor, "ListOrgs"), "EvilMSP")
}

// The time beacon bounds how old an endorsement may be when it commits and refuses writes dated
// before it: the core enterprise and one member moving it a year ahead would stop every other
// member's writes. The seeding creates it guarded by the veto set, each tick needs the veto set's
// peers, and a bank that joins guards it from its admission.
func TestEndorsers_TheTimeBeaconNeedsTheVetoSet(t *testing.T) {
	h := newHarness(t)
	vetoes := []string{"Bank1MSP", "Bank2MSP", "CoreMSP", "OtherCoreMSP"}
	require.Equal(t, vetoes, h.guard("beacon"), "created by the seeding, guarded at once")
	h.now = h.now.Add(time.Minute)
	h.ok(bank1Admin, "Tick")
	require.Equal(t, vetoes, h.needs("beacon"), "a tick needs the veto set's peers")
	h.ok(admin, "CreateProposal", `{"id":"P-bank3","action":"set-org","org":{"mspId":"Bank3MSP","kind":"bank",`+
		`"name":"Bank3MSP Co., Ltd.","creditCode":"`+creditCode(9)+`"}}`)
	for _, a := range vetoAdmins[1:] {
		h.ok(a, "ApproveProposal", "P-bank3")
	}
	require.Equal(t, []string{"Bank1MSP", "Bank2MSP", "Bank3MSP", "CoreMSP", "OtherCoreMSP"}, h.guard("beacon"))
}

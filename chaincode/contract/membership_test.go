package contract_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/contract"
	"github.com/recv-ledger/recv/chaincode/memstub"
	"github.com/recv-ledger/recv/chaincode/wire"
)

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestRegistry_IsSeededOnceAndReadByEveryMember(t *testing.T) {
	bare := newUnseededHarness(t)
	bare.refuse("conflict: the membership registry is not seeded yet", supA, "GetConfig")
	bare.refuse("forbidden: InitRegistry needs role admin", treasurer, "InitRegistry", registryJSON())
	bare.ok(admin, "InitRegistry", registryJSON())

	h := newHarness(t)
	h.refuse("conflict: the registry already holds 6 organisations", supAdmin, "InitRegistry", registryJSON())
	var members wire.Members
	require.NoError(t, json.Unmarshal([]byte(h.ok(supA, "ListOrgs")), &members))
	require.Len(t, members.Orgs, 6)
	var bank wire.Org
	require.NoError(t, json.Unmarshal([]byte(h.ok(treasurer, "GetOrg", "Bank1MSP")), &bank))
	require.Equal(t, wire.OrgBank, bank.Kind)
	h.refuse("not_found: organisation Bank3MSP is not a member", supA, "GetOrg", "Bank3MSP")
}

// The registry is seeded only as the chaincode's definition, which every organisation approved,
// names it: a member's admin who calls InitRegistry first, with a registry of its own making, is
// refused, and so is any seeding under a definition that names no seed.
func TestRegistry_OnlyTheSeedTheDefinitionNamesIsSeeded(t *testing.T) {
	h := newUnseededHarness(t)
	var reg wire.Registry
	require.NoError(t, json.Unmarshal([]byte(registryJSON()), &reg))
	reg.Orgs = slices.DeleteFunc(reg.Orgs, func(o wire.Org) bool { return o.MSPID == "Bank2MSP" }) // a rival bank left out
	reg.Accounts = slices.DeleteFunc(reg.Accounts, func(a wire.SeedAccount) bool { return a.MSPID == "Bank2MSP" })
	forged, err := json.Marshal(reg)
	require.NoError(t, err)
	h.refuse("forbidden: InitRegistry: this registry's SHA-256 is", supAdmin, "InitRegistry", string(forged))
	h.refuse("forbidden: InitRegistry: this registry's SHA-256 is "+sha256Hex(registryJSON()+" "), bank1Admin, "InitRegistry", registryJSON()+" ")

	h.ledger.SetDefinition(memstub.Chaincode, "1")
	h.refuse(`forbidden: InitRegistry: the definition of chaincode receivables (version "1") names no seed`, admin, "InitRegistry", registryJSON())

	h.ledger.SetDefinition(memstub.Chaincode, "7"+contract.SeedTag+sha256Hex(registryJSON()))
	h.ok(bank1Admin, "InitRegistry", registryJSON())
	h.refuse("conflict: the registry already holds 6 organisations", admin, "InitRegistry", registryJSON())
}

// A member's own CA can mint any recv.role attribute; the registry bounds what it buys.
func TestRegistry_ForgedRolesAreRefused(t *testing.T) {
	h := newHarness(t)
	ids, err := forgedIdentities()
	require.NoError(t, err)
	for account, creator := range ids {
		h.ids[account] = creator
	}
	h.refuse(`forbidden: role "issuer" is not allowed in SupplierMSP, a supplier organisation`, "SupplierMSP/forger", "Issue",
		issueJSON(issueOpts{ID: "R-F", Beneficiary: supB}))
	h.refuse(`forbidden: role "auditor" is not allowed in Bank1MSP, a bank organisation`, "Bank1MSP/snoop", "Get", "R-F")
	h.refuse(`forbidden: role "financier" is not allowed in CoreMSP, a core organisation`, "CoreMSP/banker", "GetConfig")
	h.refuse(`forbidden: account SupplierMSP/stranger is not opened on the ledger`, "SupplierMSP/stranger", "GetConfig")
}

func TestAccounts_OpenedByTheirAdminFrozenAndClosed(t *testing.T) {
	h := newHarness(t)
	h.ids["SupplierMSP/stranger"] = mustForged(t)["SupplierMSP/stranger"]
	h.active("R-1", supA, "100")

	h.refuse("not_found: to SupplierMSP/stranger is not an account opened on the ledger", supA, "Transfer", "R-1", "SupplierMSP/stranger", "")
	h.refuse("forbidden: OpenAccount needs role admin", supA, "OpenAccount", `{"user":"stranger","role":"supplier"}`)
	h.refuse(`invalid: role "issuer" is not allowed in SupplierMSP`, supAdmin, "OpenAccount", `{"user":"stranger","role":"issuer"}`)
	h.ok(supAdmin, "OpenAccount", `{"user":"stranger","role":"supplier","displayName":"三级供应商"}`)
	h.ok(supA, "Transfer", "R-1", "SupplierMSP/stranger", "")
	h.ok("SupplierMSP/stranger", "Accept", "R-1")

	h.refuse("forbidden: only an admin of SupplierMSP may change account", bank1Admin, "FreezeAccount", "SupplierMSP/stranger", "court order")
	h.ok(supAdmin, "FreezeAccount", "SupplierMSP/stranger", "court order (2026) 沪01执1号")
	h.refuse("forbidden: account SupplierMSP/stranger is FROZEN", "SupplierMSP/stranger", "Transfer", "R-1", supA, "")
	var acct wire.Account
	require.NoError(t, json.Unmarshal([]byte(h.ok("SupplierMSP/stranger", "GetAccount", "SupplierMSP/stranger")), &acct))
	require.Equal(t, wire.AccountFrozen, acct.Status)
	h.refuse("conflict: beneficiary SupplierMSP/stranger is FROZEN and cannot receive", treasurer, "Issue",
		issueJSON(issueOpts{ID: "R-2", Beneficiary: "SupplierMSP/stranger"}))
	h.refuse("forbidden: ", supA, "GetAccount", "SupplierMSP/stranger")

	h.ok(supAdmin, "UnfreezeAccount", "SupplierMSP/stranger")
	h.ok("SupplierMSP/stranger", "Transfer", "R-1", supA, "")
	// Closed only once it holds nothing live: R-1 is still its own until supplier A accepts it.
	h.refuse("conflict: account SupplierMSP/stranger still holds or is offered receivable R-1", supAdmin, "CloseAccount", "SupplierMSP/stranger", "left the supply chain")
	h.ok(supA, "Accept", "R-1")
	h.ok(supAdmin, "CloseAccount", "SupplierMSP/stranger", "left the supply chain")
	h.refuse("forbidden: account SupplierMSP/stranger is closed", "SupplierMSP/stranger", "Get", "R-1")

	var page wire.AccountPage
	require.NoError(t, json.Unmarshal([]byte(h.ok(supAdmin, "ListAccounts", "SupplierMSP", "2", "")), &page))
	require.Len(t, page.Items, 2)
	require.NotEmpty(t, page.Bookmark)
	h.refuse("forbidden: ", supA, "ListAccounts", "SupplierMSP", "20", "")
	h.refuse("invalid: pageSize 0", auditor, "ListAccounts", "SupplierMSP", "0", "")
}

func TestFinancing_OnlyAtABankAndWithdrawable(t *testing.T) {
	h := newHarness(t)
	h.active("R-1", supA, "100")
	h.refuse("not_found: bank Bank3MSP is not a member", supA, "RequestFinancing", "R-1", "Bank3MSP")
	h.refuse("invalid: bank CoreMSP is a core organisation, not a bank", supA, "RequestFinancing", "R-1", "CoreMSP")
	h.ok(supA, "RequestFinancing", "R-1", "Bank1MSP")
	h.refuse("forbidden: ", bank1, "WithdrawFinancing", "R-1")
	h.ok(supA, "WithdrawFinancing", "R-1")
	require.Equal(t, wire.StatusActive, h.get("R-1").Status)
}

func TestProposals_AMajorityChangesTheRules(t *testing.T) {
	h := newHarness(t)
	h.refuse("forbidden: CreateProposal needs role admin", treasurer, "CreateProposal", `{"id":"P-1","action":"set-config","config":{"maxTermDays":30}}`)
	h.ok(admin, "CreateProposal", `{"id":"P-1","action":"set-config","config":{"maxTermDays":30}}`)
	h.refuse("conflict: proposal P-1 is already approved by CoreMSP", admin, "ApproveProposal", "P-1")
	h.ok(bank1Admin, "ApproveProposal", "P-1")
	h.ok(bank2Admin, "ApproveProposal", "P-1")
	require.Contains(t, h.ok(supA, "GetConfig"), `"maxTermDays":183`, "3 of 6 is no majority")
	out := h.ok(supAdmin, "ApproveProposal", "P-1")
	require.Contains(t, out, `"waiting":["OtherCoreMSP"]`, "4 of 6 is a majority, but without the other core enterprise")
	require.Contains(t, h.ok(supA, "GetConfig"), `"maxTermDays":183`)
	out = h.ok(otherAdmin, "ApproveProposal", "P-1")
	require.Contains(t, out, `"config":{"maxTermDays":30,`)
	require.Contains(t, h.ok(supA, "GetConfig"), `"maxTermDays":30`)
	var p wire.Proposal
	require.NoError(t, json.Unmarshal([]byte(h.ok(auditor, "GetProposal", "P-1")), &p))
	require.Equal(t, wire.ProposalApplied, p.Status)
	require.Equal(t, 4, p.Needed)
	require.Equal(t, []string{"Bank1MSP", "Bank2MSP", "CoreMSP", "OtherCoreMSP"}, p.Vetoes)
	require.Empty(t, p.Waiting)

	bank3 := `{"mspId":"Bank3MSP","kind":"bank","name":"Bank Three","creditCode":"` + creditCode(42) + `"}`
	h.ok(bank1Admin, "CreateProposal", `{"id":"add-bank3","action":"set-org","org":`+bank3+`}`)
	h.days(8)
	h.refuse("conflict: proposal add-bank3 is EXPIRED", admin, "ApproveProposal", "add-bank3")
	var page wire.ProposalPage
	require.NoError(t, json.Unmarshal([]byte(h.ok(supA, "ListProposals", "20", "")), &page))
	require.Len(t, page.Items, 2)
	require.Equal(t, wire.ProposalExpired, page.Items[1].Status)
}

// Issue 17: the members other than the core enterprises and the banks, however many, cannot change
// the registry: the supplier and the auditor with one bank (or the other core enterprise) make
// their friend a core enterprise only with every vetoing organisation's approval.
func TestProposals_SetOrgNeedsTheCoreEnterprisesAndEveryBank(t *testing.T) {
	h := newHarness(t)
	friend := `{"mspId":"SupplierMSP","kind":"core","name":"SupplierMSP Co., Ltd.","creditCode":"` + creditCode(5) + `"}`
	before := h.ok(auditor, "GetOrg", "SupplierMSP")
	h.ok(supAdmin, "CreateProposal", `{"id":"promote","action":"set-org","org":`+friend+`}`)
	for _, a := range []string{audAdmin, bank1Admin, otherAdmin} {
		h.ok(a, "ApproveProposal", "promote")
	}
	var p wire.Proposal
	require.NoError(t, json.Unmarshal([]byte(h.ok(auditor, "GetProposal", "promote")), &p))
	require.Equal(t, wire.ProposalOpen, p.Status, "4 of 6 without CoreMSP and Bank2MSP")
	require.Equal(t, []string{"Bank2MSP", "CoreMSP"}, p.Waiting)
	require.Equal(t, "waiting for Bank2MSP, CoreMSP", p.Pending())
	require.Equal(t, before, h.ok(auditor, "GetOrg", "SupplierMSP"), "the registry is unchanged")
	h.refuse(`invalid: role "issuer" is not allowed in SupplierMSP, a supplier organisation`, supAdmin, "OpenAccount", `{"user":"forger2","role":"issuer"}`)

	h.ok(bank2Admin, "ApproveProposal", "promote")
	require.Equal(t, before, h.ok(auditor, "GetOrg", "SupplierMSP"), "still without CoreMSP")
	out := h.ok(admin, "ApproveProposal", "promote")
	require.Contains(t, out, `"status":"APPLIED"`)
	require.Contains(t, h.ok(auditor, "GetOrg", "SupplierMSP"), `"kind":"core"`)
}

// forgedIdentities are certificates a member's own CA could mint: roles its kind does not allow,
// or a user nobody opened an account for.
func forgedIdentities() (map[string][]byte, error) {
	out := map[string][]byte{}
	for account, role := range map[string]string{
		"SupplierMSP/forger": "issuer", "Bank1MSP/snoop": "auditor", "CoreMSP/banker": "financier", "SupplierMSP/stranger": "supplier",
	} {
		msp, id, _ := strings.Cut(account, "/")
		raw, err := testCA().User(msp, id, role)
		if err != nil {
			return nil, err
		}
		out[account] = raw
	}
	return out, nil
}

func mustForged(t *testing.T) map[string][]byte {
	ids, err := forgedIdentities()
	require.NoError(t, err)
	return ids
}

// The gateway refuses a key given twice; a member calling its peer directly is refused the same.
func TestArguments_DuplicateKeysRefusedAtThePeerToo(t *testing.T) {
	h := newHarness(t)
	h.refuse(`invalid: proposal gives field "id" twice`, admin, "CreateProposal",
		`{"id":"P-1","id":"P-2","action":"set-config","config":{"maxTermDays":30}}`)
}

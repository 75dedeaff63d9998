package receivable

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// directory is an in-memory Directory that applies Changes like the ledger does.
type directory struct {
	orgs      map[string]wire.Org
	accounts  map[string]wire.Account
	proposals map[string]wire.Proposal
	config    wire.Config
}

func newDirectory() *directory {
	return &directory{orgs: map[string]wire.Org{}, accounts: map[string]wire.Account{}, proposals: map[string]wire.Proposal{}, config: DefaultConfig()}
}

func (d *directory) Org(msp string) (*wire.Org, error) {
	if o, ok := d.orgs[msp]; ok {
		return &o, nil
	}
	return nil, nil
}

func (d *directory) Orgs() ([]wire.Org, error) {
	var out []wire.Org
	for _, o := range d.orgs {
		out = append(out, o)
	}
	slices.SortFunc(out, func(a, b wire.Org) int { return compareStrings(a.MSPID, b.MSPID) })
	return out, nil
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (d *directory) Account(id string) (*wire.Account, error) {
	if a, ok := d.accounts[id]; ok {
		return &a, nil
	}
	return nil, nil
}

// LiveHeldBy implements Holdings: the directory alone holds no receivable (book holds them).
func (d *directory) LiveHeldBy(string) (string, error) { return "", nil }

func (d *directory) Proposal(id string) (*wire.Proposal, error) {
	if p, ok := d.proposals[id]; ok {
		return &p, nil
	}
	return nil, nil
}

func (d *directory) apply(ch Change) {
	for _, o := range ch.Orgs {
		d.orgs[o.MSPID] = *o
	}
	for _, a := range ch.Accounts {
		d.accounts[a.ID] = *a
	}
	for _, p := range ch.Proposals {
		d.proposals[p.ID] = *p
	}
	if ch.Config != nil {
		d.config = *ch.Config
	}
}

// snapshot copies the directory so a test can prove a refusal changed nothing.
func (d *directory) snapshot() *directory {
	c := newDirectory()
	for k, v := range d.orgs {
		c.orgs[k] = v
	}
	for k, v := range d.accounts {
		c.accounts[k] = v
	}
	for k, v := range d.proposals {
		c.proposals[k] = v
	}
	c.config = d.config
	return c
}

var testOrgs = []wire.Org{
	{MSPID: "CoreMSP", Kind: wire.OrgCore, Name: "Core Enterprise Co., Ltd.", CreditCode: withCheck("91310000MA1FL0000")},
	{MSPID: "SupplierMSP", Kind: wire.OrgSupplier, Name: "Supplier Co.", CreditCode: withCheck("91310000MA1FL0001")},
	{MSPID: "Bank1MSP", Kind: wire.OrgBank, Name: "Bank One", CreditCode: withCheck("91310000MA1FL0002")},
	{MSPID: "Bank2MSP", Kind: wire.OrgBank, Name: "Bank Two", CreditCode: withCheck("91310000MA1FL0003")},
	{MSPID: "AuditorMSP", Kind: wire.OrgAuditor, Name: "Auditor LLP", CreditCode: withCheck("91310000MA1FL0004")},
}

func withCheck(first17 string) string {
	c, ok := CreditCodeCheck(first17)
	if !ok {
		panic(first17)
	}
	return first17 + string(c)
}

func adminTx(msp string, at time.Time, cfg wire.Config) Tx {
	return Tx{ID: "tx-" + msp + at.Format("150405"), Time: at, Caller: Caller{MSPID: msp, ID: "admin", Role: wire.RoleAdmin}, Config: cfg}
}

// seedAccounts are the accounts the rules' tests use, opened when the registry is seeded.
var seedAccounts = []wire.SeedAccount{
	{MSPID: "CoreMSP", User: "treasurer", Role: wire.RoleIssuer},
	{MSPID: "CoreMSP", User: "deputy", Role: wire.RoleIssuer},
	{MSPID: "OtherCoreMSP", User: "treasurer", Role: wire.RoleIssuer},
	{MSPID: "SupplierMSP", User: "supplier-a", Role: wire.RoleSupplier},
	{MSPID: "SupplierMSP", User: "supplier-b", Role: wire.RoleSupplier},
	{MSPID: "SupplierMSP", User: "supplier-c", Role: wire.RoleSupplier},
	{MSPID: "Bank1MSP", User: "officer", Role: wire.RoleFinancier},
	{MSPID: "Bank2MSP", User: "officer", Role: wire.RoleFinancier},
	{MSPID: "AuditorMSP", User: "auditor", Role: wire.RoleAuditor},
}

// otherCore is a second core enterprise, for the rules' tests of who may redeem.
var otherCore = wire.Org{MSPID: "OtherCoreMSP", Kind: wire.OrgCore, Name: "Other Core", CreditCode: withCheck("91310000MA1FL0009")}

// seedDirectory returns a directory with the test organisations (and extra), their admins and
// those of seedAccounts whose organisation is there.
func seedDirectory(extra ...wire.Org) *directory {
	d := newDirectory()
	orgs := append(slices.Clone(testOrgs), extra...)
	var accounts []wire.SeedAccount
	for _, o := range orgs {
		accounts = append(accounts, wire.SeedAccount{MSPID: o.MSPID, User: "admin", Role: wire.RoleAdmin})
		for _, a := range seedAccounts {
			if a.MSPID == o.MSPID {
				accounts = append(accounts, a)
			}
		}
	}
	ch, err := InitRegistry(d, adminTx("CoreMSP", mt0, d.config), wire.Registry{Orgs: orgs, Accounts: accounts})
	if err != nil {
		panic(err)
	}
	d.apply(ch)
	return d
}

func seeded(t *testing.T) *directory {
	t.Helper()
	return seedDirectory()
}

var mt0 = time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)

func TestValidateCreditCode(t *testing.T) {
	require.NoError(t, ValidateCreditCode("91350100M000100Y43")) // a published example code
	for _, bad := range []string{"91350100M000100Y44", "91350100M000100Y4", "91350100M000100I43", ""} {
		require.ErrorIs(t, ValidateCreditCode(bad), wire.ErrInvalid, bad)
	}
}

func TestInitRegistry_OnceOnly(t *testing.T) {
	d := seeded(t)
	before := d.snapshot()
	_, err := InitRegistry(d, adminTx("SupplierMSP", mt0, d.config), wire.Registry{Orgs: testOrgs[:1]})
	require.ErrorIs(t, err, wire.ErrConflict)
	require.Equal(t, before, d)
}

func TestInitRegistry_RefusesBadEntries(t *testing.T) {
	bad := testOrgs[0]
	bad.CreditCode = "91310000MA1FL00000"
	tests := map[string]wire.Registry{
		"bad credit code": {Orgs: []wire.Org{bad}},
		"unknown kind":    {Orgs: []wire.Org{{MSPID: "CoreMSP", Kind: "god", Name: "x", CreditCode: testOrgs[0].CreditCode}}},
		"duplicate org":   {Orgs: []wire.Org{testOrgs[0], testOrgs[0]}},
		"forged role":     {Orgs: testOrgs, Accounts: []wire.SeedAccount{{MSPID: "SupplierMSP", User: "x", Role: wire.RoleAuditor}}},
		"unknown org":     {Orgs: testOrgs, Accounts: []wire.SeedAccount{{MSPID: "FooMSP", User: "x", Role: wire.RoleSupplier}}},
	}
	for name, reg := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := InitRegistry(newDirectory(), adminTx("CoreMSP", mt0, DefaultConfig()), reg)
			require.ErrorIs(t, err, wire.ErrInvalid)
		})
	}
}

func TestAdmit_RoleMustFitTheOrganisationsKind(t *testing.T) {
	d := seeded(t)
	tests := []struct {
		caller Caller
		write  bool
		ok     bool
	}{
		{Caller{MSPID: "CoreMSP", ID: "treasurer", Role: wire.RoleIssuer}, true, true},
		{Caller{MSPID: "SupplierMSP", ID: "supplier-a", Role: wire.RoleIssuer}, true, false},   // forged issuer
		{Caller{MSPID: "SupplierMSP", ID: "supplier-a", Role: wire.RoleAuditor}, false, false}, // forged auditor
		{Caller{MSPID: "Bank1MSP", ID: "officer", Role: wire.RoleIssuer}, true, false},
		{Caller{MSPID: "CoreMSP", ID: "treasurer", Role: wire.RoleFinancier}, true, false},
		{Caller{MSPID: "SupplierMSP", ID: "nobody", Role: wire.RoleSupplier}, false, false}, // no account
		{Caller{MSPID: "FooMSP", ID: "x", Role: wire.RoleSupplier}, false, false},           // not a member
		{Caller{MSPID: "AuditorMSP", ID: "auditor", Role: wire.RoleAuditor}, false, true},
	}
	for _, tt := range tests {
		err := Admit(d, tt.caller, tt.write)
		if tt.ok {
			require.NoError(t, err, tt.caller)
		} else {
			require.ErrorIs(t, err, wire.ErrForbidden, tt.caller)
		}
	}
}

func TestAccounts_OpenFreezeClose(t *testing.T) {
	d := seeded(t)
	admin := adminTx("SupplierMSP", mt0, d.config)
	ch, err := OpenAccount(d, admin, wire.AccountRequest{User: "supplier-d", Role: wire.RoleSupplier, DisplayName: "二级供应商"})
	require.NoError(t, err)
	d.apply(ch)
	require.NoError(t, CheckRecipient(d, "to", "SupplierMSP/supplier-d"))

	before := d.snapshot()
	_, err = OpenAccount(d, admin, wire.AccountRequest{User: "supplier-d", Role: wire.RoleSupplier})
	require.ErrorIs(t, err, wire.ErrConflict)
	_, err = OpenAccount(d, admin, wire.AccountRequest{User: "boss", Role: wire.RoleIssuer})
	require.ErrorIs(t, err, wire.ErrInvalid)
	_, err = OpenAccount(d, Tx{Time: mt0, Caller: Caller{MSPID: "SupplierMSP", ID: "supplier-a", Role: wire.RoleSupplier}}, wire.AccountRequest{User: "x", Role: wire.RoleSupplier})
	require.ErrorIs(t, err, wire.ErrForbidden)
	_, err = SetAccountStatus(d, adminTx("Bank1MSP", mt0, d.config), "FreezeAccount", "SupplierMSP/supplier-d", "court order")
	require.ErrorIs(t, err, wire.ErrForbidden, "another organisation's admin")
	require.Equal(t, before, d)

	ch, err = SetAccountStatus(d, admin, "FreezeAccount", "SupplierMSP/supplier-d", "court order 2026-88")
	require.NoError(t, err)
	d.apply(ch)
	require.ErrorIs(t, CheckRecipient(d, "to", "SupplierMSP/supplier-d"), wire.ErrConflict)
	require.ErrorIs(t, Admit(d, Caller{MSPID: "SupplierMSP", ID: "supplier-d", Role: wire.RoleSupplier}, true), wire.ErrForbidden)
	require.NoError(t, Admit(d, Caller{MSPID: "SupplierMSP", ID: "supplier-d", Role: wire.RoleSupplier}, false), "a frozen account still reads")

	ch, err = SetAccountStatus(d, admin, "UnfreezeAccount", "SupplierMSP/supplier-d", "")
	require.NoError(t, err)
	d.apply(ch)
	ch, err = SetAccountStatus(d, admin, "CloseAccount", "SupplierMSP/supplier-d", "left the chain")
	require.NoError(t, err)
	d.apply(ch)
	_, err = SetAccountStatus(d, admin, "UnfreezeAccount", "SupplierMSP/supplier-d", "")
	require.ErrorIs(t, err, wire.ErrConflict)
}

func TestCheckRecipient(t *testing.T) {
	d := seeded(t)
	require.ErrorIs(t, CheckRecipient(d, "to", "FooMSP/x"), wire.ErrNotFound)
	require.ErrorIs(t, CheckRecipient(d, "to", "SupplierMSP/nobody"), wire.ErrNotFound)
	require.ErrorIs(t, CheckRecipient(d, "to", "AuditorMSP/auditor"), wire.ErrInvalid)
	require.ErrorIs(t, CheckRecipient(d, "to", "CoreMSP/admin"), wire.ErrInvalid)
	require.NoError(t, CheckRecipient(d, "to", "Bank1MSP/officer"))
}

func TestCheckBank(t *testing.T) {
	d := seeded(t)
	require.NoError(t, CheckBank(d, "Bank1MSP"))
	require.ErrorIs(t, CheckBank(d, "Bank3MSP"), wire.ErrNotFound)
	require.ErrorIs(t, CheckBank(d, "CoreMSP"), wire.ErrInvalid)
}

func TestProposal_SettingsChangeNeedsAMajority(t *testing.T) {
	d := seeded(t)
	req := wire.ProposalRequest{ID: "P-1", Action: wire.ActionSetConfig, Config: &wire.ConfigRequest{MaxTermDays: 90}}
	ch, err := CreateProposal(d, adminTx("CoreMSP", mt0, d.config), req)
	require.NoError(t, err)
	require.Nil(t, ch.Config)
	d.apply(ch)

	before := d.snapshot()
	_, err = ApproveProposal(d, adminTx("CoreMSP", mt0.Add(time.Minute), d.config), "P-1")
	require.ErrorIs(t, err, wire.ErrConflict, "the proposer's organisation cannot approve twice")
	_, err = ApproveProposal(d, Tx{Time: mt0, Caller: Caller{MSPID: "Bank1MSP", ID: "officer", Role: wire.RoleFinancier}, Config: d.config}, "P-1")
	require.ErrorIs(t, err, wire.ErrForbidden, "only admins approve")
	require.Equal(t, before, d)

	ch, err = ApproveProposal(d, adminTx("Bank1MSP", mt0.Add(time.Minute), d.config), "P-1")
	require.NoError(t, err)
	require.Nil(t, ch.Config, "2 of 5 is no majority")
	d.apply(ch)
	require.Equal(t, 183, d.config.MaxTermDays)

	ch, err = ApproveProposal(d, adminTx("Bank2MSP", mt0.Add(2*time.Minute), d.config), "P-1")
	require.NoError(t, err)
	require.NotNil(t, ch.Config)
	d.apply(ch)
	require.Equal(t, 90, d.config.MaxTermDays)
	require.Equal(t, wire.ProposalApplied, d.proposals["P-1"].Status)
	require.Len(t, d.proposals["P-1"].Approvals, 3)

	_, err = ApproveProposal(d, adminTx("AuditorMSP", mt0.Add(3*time.Minute), d.config), "P-1")
	require.ErrorIs(t, err, wire.ErrConflict, "an applied proposal is closed")
}

func TestProposal_ExpiresAndAddsOrganisations(t *testing.T) {
	d := seeded(t)
	bank3 := wire.Org{MSPID: "Bank3MSP", Kind: wire.OrgBank, Name: "Bank Three", CreditCode: withCheck("91310000MA1FL0005")}
	ch, err := CreateProposal(d, adminTx("Bank1MSP", mt0, d.config), wire.ProposalRequest{ID: "add-bank3", Action: wire.ActionSetOrg, Org: &bank3})
	require.NoError(t, err)
	d.apply(ch)

	late := mt0.Add(time.Duration(d.config.ProposalTTLHours)*time.Hour + time.Second)
	before := d.snapshot()
	_, err = ApproveProposal(d, adminTx("CoreMSP", late, d.config), "add-bank3")
	require.ErrorIs(t, err, wire.ErrConflict)
	require.Equal(t, before, d)

	for i, msp := range []string{"CoreMSP", "Bank2MSP"} {
		ch, err = ApproveProposal(d, adminTx(msp, mt0.Add(time.Duration(i+1)*time.Hour), d.config), "add-bank3")
		require.NoError(t, err)
		d.apply(ch)
	}
	require.NoError(t, CheckBank(d, "Bank3MSP"))
	require.NoError(t, Admit(d, Caller{MSPID: "Bank3MSP", ID: "admin", Role: wire.RoleAdmin}, true), "the newcomer's admin can act")
	ch, err = OpenAccount(d, adminTx("Bank3MSP", mt0.Add(3*time.Hour), d.config), wire.AccountRequest{User: "officer", Role: wire.RoleFinancier})
	require.NoError(t, err)
	d.apply(ch)
	require.NoError(t, CheckRecipient(d, "to", "Bank3MSP/officer"))
}

// Issue 17: a majority of the members changes the registry or the settings only with the core
// enterprise and every bank among it, the veto set of the channel's Admins policy, so three members
// cannot change the rules behind the others' backs; the proposal says whose approval it waits for.
func TestProposal_NeedsTheCoreEnterpriseAndEveryBank(t *testing.T) {
	friend := wire.Org{MSPID: "AuditorMSP", Kind: wire.OrgBank, Name: "Auditor LLP", CreditCode: withCheck("91310000MA1FL0004")}
	bank3 := wire.Org{MSPID: "Bank3MSP", Kind: wire.OrgBank, Name: "Bank Three", CreditCode: withCheck("91310000MA1FL0005")}
	setOrg := func(o wire.Org) wire.ProposalRequest {
		return wire.ProposalRequest{ID: "P-1", Action: wire.ActionSetOrg, Org: &o}
	}
	setConfig := wire.ProposalRequest{ID: "P-1", Action: wire.ActionSetConfig, Config: &wire.ConfigRequest{ClockSkewSeconds: 3600}}
	tests := []struct {
		name      string
		req       wire.ProposalRequest
		approvers []string // the first proposes
		waiting   []string // nil: applied by the last approval
		pending   string
	}{
		{"3 of 5 without the core enterprise do not change another's kind", setOrg(friend),
			[]string{"SupplierMSP", "Bank1MSP", "Bank2MSP"}, []string{"CoreMSP"}, "waiting for CoreMSP"},
		{"the supplier, the auditor and one bank do not add a bank", setOrg(bank3),
			[]string{"SupplierMSP", "AuditorMSP", "Bank1MSP"}, []string{"Bank2MSP", "CoreMSP"}, "waiting for Bank2MSP, CoreMSP"},
		{"4 of 5 without the second bank do not add a bank", setOrg(bank3),
			[]string{"CoreMSP", "SupplierMSP", "AuditorMSP", "Bank1MSP"}, []string{"Bank2MSP"}, "waiting for Bank2MSP"},
		{"the supplier and the auditor alone wait for all three", setOrg(bank3),
			[]string{"SupplierMSP", "AuditorMSP"}, []string{"Bank1MSP", "Bank2MSP", "CoreMSP"}, "waiting for Bank1MSP, Bank2MSP, CoreMSP"},
		{"the core enterprise alone waits for both banks", setOrg(bank3),
			[]string{"CoreMSP"}, []string{"Bank1MSP", "Bank2MSP"}, "waiting for Bank1MSP, Bank2MSP"},
		{"4 of 5 without the core enterprise do not widen the clock skew", setConfig,
			[]string{"SupplierMSP", "AuditorMSP", "Bank1MSP", "Bank2MSP"}, []string{"CoreMSP"}, "waiting for CoreMSP"},
		{"the core enterprise and both banks add a bank", setOrg(bank3),
			[]string{"CoreMSP", "Bank1MSP", "Bank2MSP"}, nil, ""},
		{"the core enterprise and both banks change another's kind", setOrg(friend),
			[]string{"Bank2MSP", "Bank1MSP", "CoreMSP"}, nil, ""},
		{"the core enterprise and both banks change the settings", setConfig,
			[]string{"Bank1MSP", "CoreMSP", "Bank2MSP"}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := seeded(t)
			before := d.snapshot()
			var ch Change
			var err error
			for i, msp := range tt.approvers {
				tx := adminTx(msp, mt0.Add(time.Duration(i)*time.Minute), d.config)
				if i == 0 {
					ch, err = CreateProposal(d, tx, tt.req)
				} else {
					ch, err = ApproveProposal(d, tx, "P-1")
				}
				require.NoError(t, err)
				d.apply(ch)
			}
			p := d.proposals["P-1"]
			require.Equal(t, []string{"Bank1MSP", "Bank2MSP", "CoreMSP"}, p.Vetoes)
			require.Equal(t, tt.pending, p.Pending())
			if tt.waiting != nil {
				require.Equal(t, wire.ProposalOpen, p.Status)
				require.Equal(t, tt.waiting, p.Waiting)
				require.Equal(t, before.orgs, d.orgs, "the registry is unchanged")
				require.Equal(t, before.accounts, d.accounts)
				require.Equal(t, before.config, d.config, "the settings are unchanged")
				return
			}
			require.Equal(t, wire.ProposalApplied, p.Status)
			require.Empty(t, p.Waiting)
			if tt.req.Org != nil {
				require.Equal(t, tt.req.Org.Kind, d.orgs[tt.req.Org.MSPID].Kind)
			} else {
				require.Equal(t, 3600, d.config.ClockSkewSeconds)
			}
		})
	}
}

// A bank that joins holds the same veto from then on.
func TestProposal_ANewBankJoinsTheVetoSet(t *testing.T) {
	d := seeded(t)
	bank3 := wire.Org{MSPID: "Bank3MSP", Kind: wire.OrgBank, Name: "Bank Three", CreditCode: withCheck("91310000MA1FL0005")}
	at := mt0
	run := func(msps []string, req wire.ProposalRequest) {
		t.Helper()
		for i, msp := range msps {
			at = at.Add(time.Minute)
			var ch Change
			var err error
			if i == 0 {
				ch, err = CreateProposal(d, adminTx(msp, at, d.config), req)
			} else {
				ch, err = ApproveProposal(d, adminTx(msp, at, d.config), req.ID)
			}
			require.NoError(t, err)
			d.apply(ch)
		}
	}
	run([]string{"CoreMSP", "Bank1MSP", "Bank2MSP"}, wire.ProposalRequest{ID: "add-bank3", Action: wire.ActionSetOrg, Org: &bank3})
	require.NoError(t, CheckBank(d, "Bank3MSP"))

	run([]string{"CoreMSP", "Bank1MSP", "Bank2MSP", "SupplierMSP"}, wire.ProposalRequest{ID: "P-1", Action: wire.ActionSetConfig, Config: &wire.ConfigRequest{GraceDays: 1}})
	p := d.proposals["P-1"]
	require.Equal(t, []string{"Bank1MSP", "Bank2MSP", "Bank3MSP", "CoreMSP"}, p.Vetoes)
	require.Equal(t, "waiting for Bank3MSP", p.Pending(), "4 of 6 without the newcomer bank")
	require.Equal(t, 3, d.config.GraceDays)
	ch, err := ApproveProposal(d, adminTx("Bank3MSP", at.Add(time.Minute), d.config), "P-1")
	require.NoError(t, err)
	d.apply(ch)
	require.Equal(t, wire.ProposalApplied, d.proposals["P-1"].Status)
	require.Equal(t, 1, d.config.GraceDays)
}

func TestCreateProposal_RefusesBadRequests(t *testing.T) {
	d := seeded(t)
	negative := -1
	tests := map[string]wire.ProposalRequest{
		"bad id":         {ID: "a b", Action: wire.ActionSetConfig, Config: &wire.ConfigRequest{MaxTermDays: 90}},
		"unknown action": {ID: "P", Action: "dissolve"},
		"bad setting":    {ID: "P", Action: wire.ActionSetConfig, Config: &wire.ConfigRequest{MaxTermDays: negative}},
		"no setting":     {ID: "P", Action: wire.ActionSetConfig, Config: &wire.ConfigRequest{}},
		"org missing":    {ID: "P", Action: wire.ActionSetOrg},
	}
	for name, req := range tests {
		t.Run(name, func(t *testing.T) {
			before := d.snapshot()
			_, err := CreateProposal(d, adminTx("CoreMSP", mt0, d.config), req)
			require.ErrorIs(t, err, wire.ErrInvalid)
			require.Equal(t, before, d)
		})
	}
}

func TestRules_RecipientsMustBeOpenAccountsAndBanksBanks(t *testing.T) {
	b := newBook()
	ok := mustApply(t, b)
	ok(Issue(b, txAs(core, t0), request("R-1")))
	ok(Accept(b, txAs(supplier, t0), "R-1"))
	frozen := seedAccounts[4] // SupplierMSP/supplier-b
	acct, _ := b.Account(frozen.MSPID + "/" + frozen.User)
	acct.Status = wire.AccountFrozen
	b.accounts[acct.ID] = *acct

	refusals := []struct {
		name string
		err  func() error
		kind error
	}{
		{"issue to a stranger's typo", func() error {
			req := request("R-2")
			req.Beneficiary = "SupplierMSP/nobody"
			_, err := Issue(b, txAs(core, t0), req)
			return err
		}, wire.ErrNotFound},
		{"issue to a non-member", func() error {
			req := request("R-2")
			req.Beneficiary = "FooMSP/x"
			_, err := Issue(b, txAs(core, t0), req)
			return err
		}, wire.ErrNotFound},
		{"issue to the auditor", func() error {
			req := request("R-2")
			req.Beneficiary = "AuditorMSP/auditor"
			_, err := Issue(b, txAs(core, t0), req)
			return err
		}, wire.ErrInvalid},
		{"transfer to an admin", func() error { _, err := Transfer(b, txAs(supplier, t0), "R-1", "CoreMSP/admin", ""); return err }, wire.ErrInvalid},
		{"transfer to a frozen account", func() error {
			_, err := Transfer(b, txAs(supplier, t0), "R-1", "SupplierMSP/supplier-b", "")
			return err
		}, wire.ErrConflict},
		{"finance at a non-member bank", func() error { _, err := RequestFinancing(b, txAs(supplier, t0), "R-1", "Bank3MSP"); return err }, wire.ErrNotFound},
		{"finance at the core enterprise", func() error { _, err := RequestFinancing(b, txAs(supplier, t0), "R-1", "CoreMSP"); return err }, wire.ErrInvalid},
		{"withdraw a request never made", func() error { _, err := WithdrawFinancing(b, txAs(supplier, t0), "R-1"); return err }, wire.ErrConflict},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			before := snapshot(b)
			require.ErrorIs(t, tt.err(), tt.kind)
			require.Equal(t, before, snapshot(b))
		})
	}
}

// financingRequested is a book where the supplier holds R-1 and asked Bank1 to finance it.
func financingRequested(t *testing.T) (*book, func(Change, error)) {
	b := newBook()
	ok := mustApply(t, b)
	ok(Issue(b, txAs(core, t0), request("R-1")))
	ok(Accept(b, txAs(supplier, t0), "R-1"))
	ok(RequestFinancing(b, txAs(supplier, t0), "R-1", "Bank1MSP"))
	return b, ok
}

func TestWithdrawFinancing_OnlyTheHolderBeforeTheBankAnswers(t *testing.T) {
	b, ok := financingRequested(t)
	_, err := WithdrawFinancing(b, txAs(officer, t0), "R-1")
	require.ErrorIs(t, err, wire.ErrForbidden)
	ok(WithdrawFinancing(b, txAs(supplier, t0), "R-1"))
	r, _ := b.Get("R-1")
	require.Equal(t, wire.StatusActive, r.Status)
	require.Nil(t, r.Financing)
	_, _, err = approveAt(b, txAs(officer, t0), "R-1", 450, salt, "")
	require.ErrorIs(t, err, wire.ErrForbidden, "the bank cannot approve a withdrawn request: it is no longer asked")
}

// A bank binds only its latest decision on the request it answers: terms the supplier's peer
// endorsed for an earlier request of the same piece (withdrawn, then asked again), or a decision
// the bank later replaced, are refused.
func TestApproveFinancing_BindsOnlyTheLatestDecisionOnThisRequest(t *testing.T) {
	b, ok := financingRequested(t)
	early, err := DecideFinancing(b, txAs(officer, t0), "R-1", wire.DecisionApproved, 200, "", salt)
	ok(early, err)
	ok(WithdrawFinancing(b, txAs(supplier, t0.Add(time.Minute)), "R-1"))
	ok(RequestFinancing(b, txAs(supplier, t0.Add(2*time.Minute)), "R-1", "Bank1MSP"))
	before := snapshot(b)
	_, err = ApproveFinancing(b, txAs(officer, t0.Add(3*time.Minute)), "R-1", early.Private[0].Hash, "")
	require.ErrorIs(t, err, wire.ErrConflict, "terms decided on the withdrawn request")
	require.ErrorContains(t, err, "latest decision on the financing requested by SupplierMSP/supplier-a")
	require.Equal(t, before, snapshot(b))

	first, err := DecideFinancing(b, txAs(officer, t0.Add(3*time.Minute)), "R-1", wire.DecisionApproved, 300, "", salt)
	ok(first, err)
	second, err := DecideFinancing(b, txAs(officer, t0.Add(4*time.Minute)), "R-1", wire.DecisionApproved, 350, "", salt)
	ok(second, err)
	_, err = ApproveFinancing(b, txAs(officer, t0.Add(5*time.Minute)), "R-1", first.Private[0].Hash, "")
	require.ErrorIs(t, err, wire.ErrConflict, "a decision the bank replaced")
	_, err = RejectFinancing(b, txAs(officer, t0.Add(5*time.Minute)), "R-1", second.Private[0].Hash)
	require.ErrorIs(t, err, wire.ErrNotFound, "an approval's hash bound as a rejection")
	ok(ApproveFinancing(b, txAs(officer, t0.Add(5*time.Minute)), "R-1", second.Private[0].Hash, ""))
	r, _ := b.Get("R-1")
	require.Equal(t, second.Private[0].Hash, r.Financing.TermsHash)
	var terms wire.Terms
	require.NoError(t, json.Unmarshal(second.Private[0].Value, &terms))
	require.Equal(t, r.Financing.RequestTx, terms.RequestTx, "the terms name the request they answer")
}

func TestCheckReason_CountsCharactersNotBytes(t *testing.T) {
	require.NoError(t, checkReason(strings.Repeat("拒", maxReasonLen)), "512 Chinese characters are 1536 bytes")
	require.ErrorIs(t, checkReason(strings.Repeat("拒", maxReasonLen+1)), wire.ErrInvalid)
	require.ErrorIs(t, checkReason("\xff"), wire.ErrInvalid)
	require.ErrorIs(t, checkReason("  "), wire.ErrInvalid)
}

// An account is closed only when it holds and is offered nothing live: a closed holder could
// neither accept, move nor finance its piece, which would be stranded.
func TestCloseAccount_RefusedWhileTheAccountHoldsALivePiece(t *testing.T) {
	b := newBook()
	ok := mustApply(t, b)
	supAdmin := txAs(Caller{MSPID: "SupplierMSP", ID: "admin", Role: wire.RoleAdmin}, t0)
	ok(Issue(b, txAs(core, t0), request("R-1")))
	before := snapshot(b)
	_, err := SetAccountStatus(b, supAdmin, "CloseAccount", supplier.Account(), "left the chain")
	require.ErrorIs(t, err, wire.ErrConflict, "offered R-1")
	require.ErrorContains(t, err, "still holds or is offered receivable R-1")
	require.Equal(t, before, snapshot(b))
	ok(Accept(b, txAs(supplier, t0), "R-1"))
	_, err = SetAccountStatus(b, supAdmin, "CloseAccount", supplier.Account(), "left the chain")
	require.ErrorIs(t, err, wire.ErrConflict, "holds R-1")
	ok(SetAccountStatus(b, supAdmin, "FreezeAccount", supplier.Account(), "court order"))
	ok(Redeem(b, txAs(core, t0.AddDate(0, 3, 0)), "R-1", "PAY-1"))
	ok(SetAccountStatus(b, supAdmin, "CloseAccount", supplier.Account(), "left the chain"))
}

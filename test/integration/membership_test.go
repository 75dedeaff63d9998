package integration

import (
	"context"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/ca"
)

// mint registers and enrolls an identity on the organisation's own Fabric CA with any recv.role,
// as a hostile member's admin can, and connects it to its organisation's peer: it bypasses every
// gateway.
func mint(t *testing.T, mspID, role string) *actor {
	t.Helper()
	org := net.Orgs[mspID]
	c, err := ca.New(org.CA.URL, org.CA.Name, org.CA.TLSCACert)
	require.NoError(t, err)
	certPEM, err := os.ReadFile(org.CA.AdminCert)
	require.NoError(t, err)
	keyPEM, err := os.ReadFile(org.CA.AdminKey)
	require.NoError(t, err)
	name := strings.ToLower(uniqueID("mint-" + role))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	secret, err := c.Register(ctx, ca.Registrar{CertPEM: certPEM, KeyPEM: keyPEM}, ca.Registration{
		Name: name, Type: "client", MaxEnrollments: 1,
		Attributes: []ca.Attribute{{Name: "recv.role", Value: role, ECert: true}},
	})
	require.NoError(t, err)
	userCert, userKey, err := c.Enroll(ctx, name, secret)
	require.NoError(t, err)

	cert, err := identity.CertificateFromPEM(userCert)
	require.NoError(t, err)
	id, err := identity.NewX509Identity(mspID, cert)
	require.NoError(t, err)
	key, err := identity.PrivateKeyFromPEM(userKey)
	require.NoError(t, err)
	sign, err := identity.NewPrivateKeySign(key)
	require.NoError(t, err)
	gw, err := client.Connect(id, client.WithSign(sign), client.WithClientConnection(peerConn(t, mspID)),
		client.WithEvaluateTimeout(30*time.Second), client.WithEndorseTimeout(30*time.Second),
		client.WithSubmitTimeout(30*time.Second), client.WithCommitStatusTimeout(time.Minute))
	require.NoError(t, err)
	t.Cleanup(func() { _ = gw.Close() })
	nw := gw.GetNetwork(net.Channel)
	return &actor{account: mspID + "/" + name, mspID: mspID, gw: gw, network: nw, contract: nw.GetContract(net.Chaincode)}
}

// TestMembership_ForgedRolesAreRefused: certificates minted on a member's own CA with a role its
// organisation's kind does not allow, or for a user nobody opened an account for, are refused by
// the chaincode on the real peers, whatever the certificate says.
func TestMembership_ForgedRolesAreRefused(t *testing.T) {
	maturity := time.Now().UTC().AddDate(0, 0, 60).Format("2006-01-02")
	_, err := mint(t, "SupplierMSP", wire.RoleIssuer).trySubmit("Issue", issueRequest(t, uniqueID("RF"), tier1, "10.00", maturity, "10.00"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `forbidden: role`)
	assert.Contains(t, err.Error(), `is not allowed in SupplierMSP, a supplier organisation`)

	_, err = mint(t, "Bank1MSP", wire.RoleAuditor).tryEvaluate("Bank1MSP", "ListOrgs")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `is not allowed in Bank1MSP, a bank organisation`)

	_, err = mint(t, "SupplierMSP", wire.RoleSupplier).tryEvaluate("SupplierMSP", "GetConfig")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is not opened on the ledger")
}

// TestMembership_RecipientsAndBanksComeFromTheRegistry: financing only at a bank, offers only to
// open accounts, and an account its organisation's admin froze can neither send nor receive.
func TestMembership_RecipientsAndBanksComeFromTheRegistry(t *testing.T) {
	core, a, aud, supAdmin := as(t, treasurer), as(t, tier1), as(t, auditor), as(t, "SupplierMSP/admin")
	maturity := time.Now().UTC().AddDate(0, 0, 60).Format("2006-01-02")
	id := uniqueID("RM")
	core.made(t, "Issue", issueRequest(t, id, tier1, "3000.00", maturity, "3000.00"))
	a.submit(t, "Accept", id)
	before := aud.get(t, id)

	user := strings.ToLower(uniqueID("tier4"))
	account := "SupplierMSP/" + user
	refusals := []struct {
		name, tx string
		args     []string
		want     string
	}{
		{"financing at the core enterprise", "RequestFinancing", []string{id, "CoreMSP"}, "invalid: bank CoreMSP is a core organisation, not a bank"},
		{"financing at a bank that is not a member", "RequestFinancing", []string{id, "Bank3MSP"}, "not_found: bank Bank3MSP is not a member"},
		{"a transfer to an account nobody opened", "Transfer", []string{id, account, ""}, "not_found: to " + account + " is not an account opened on the ledger"},
		{"a transfer to the auditor", "Transfer", []string{id, auditor, ""}, "invalid: to " + auditor + " has role auditor"},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			_, err := a.trySubmit(tc.tx, tc.args...)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Equal(t, before, aud.get(t, id), "the refusal changed nothing")
		})
	}

	supAdmin.submit(t, "OpenAccount", `{"user":"`+user+`","role":"supplier","displayName":"四级供应商"}`)
	supAdmin.submit(t, "FreezeAccount", account, "dispute under review")
	_, err := a.trySubmit("Transfer", id, account, "")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "conflict: to "+account+" is FROZEN and cannot receive")
	assert.Equal(t, before, aud.get(t, id))

	supAdmin.submit(t, "UnfreezeAccount", account)
	a.submit(t, "Transfer", id, account, "")
	assert.Equal(t, account, aud.get(t, id).PendingHolder)

	a.submit(t, "Revoke", id)
	a.submit(t, "RequestFinancing", id, "Bank1MSP")
	a.submit(t, "WithdrawFinancing", id)
	assert.Equal(t, wire.StatusActive, aud.get(t, id).Status)
}

// TestMembership_SettingsChangeOnlyByAMajority: a proposal by one organisation's admin changes
// nothing until a majority of the members' admins approved it, the core enterprise and both banks
// among them; the approval that completes both applies it.
func TestMembership_SettingsChangeOnlyByAMajority(t *testing.T) {
	coreAdmin, bank1Admin, bank2Admin, aud := as(t, "CoreMSP/admin"), as(t, "Bank1MSP/admin"), as(t, "Bank2MSP/admin"), as(t, auditor)
	config := func() wire.Config {
		var c wire.Config
		aud.evaluate(t, &c, "GetConfig")
		return c
	}
	next := config().ProposalTTLHours%700 + 1 // a change whatever the suite ran before
	id := uniqueID("P")
	change := `{"id":"` + id + `","action":"set-config","config":{"proposalTtlHours":` + strconv.Itoa(next) + `}}`

	_, err := as(t, treasurer).trySubmit("CreateProposal", change)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "forbidden: CreateProposal needs role admin")

	coreAdmin.submit(t, "CreateProposal", change)
	_, err = coreAdmin.trySubmit("ApproveProposal", id)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "conflict: proposal "+id+" is already approved by CoreMSP")
	c := bank1Admin.submit(t, "ApproveProposal", id)
	assert.Equal(t, wire.ProposalOpen, c.Result.Proposal.Status)
	assert.NotEqual(t, next, config().ProposalTTLHours, "two of five organisations change nothing")
	assert.Equal(t, []string{"Bank2MSP"}, c.Result.Proposal.Waiting, "the other bank's veto is still missing")

	c = bank2Admin.submit(t, "ApproveProposal", id)
	assert.Equal(t, wire.ProposalApplied, c.Result.Proposal.Status)
	assert.Equal(t, 3, c.Result.Proposal.Needed)
	assert.Equal(t, []string{"Bank1MSP", "Bank2MSP", "CoreMSP"}, c.Result.Proposal.Vetoes)
	assert.Empty(t, c.Result.Proposal.Waiting)
	assert.Equal(t, next, config().ProposalTTLHours)

	var p wire.Proposal
	aud.evaluate(t, &p, "GetProposal", id)
	raw, _ := json.Marshal(p.Approvals)
	assert.Len(t, p.Approvals, 3, "%s", raw)
}

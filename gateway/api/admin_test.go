package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/api/apitest"
	"github.com/recv-ledger/recv/gateway/fabric"
)

// addUser posts a registration as the test gateway's admin and returns the status and the body.
func addUser(t *testing.T, g *apitest.Gateway, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, g.URL+"/v1/admin/users", bytes.NewBufferString(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+g.Tokens["admin"])
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, err = buf.ReadFrom(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, buf.Bytes()
}

func problem(t *testing.T, body []byte) wire.Problem {
	t.Helper()
	var p wire.Problem
	require.NoError(t, json.Unmarshal(body, &p), string(body))
	return p
}

func txs(calls []apitest.Call) []string {
	var out []string
	for _, c := range calls {
		out = append(out, c.Tx)
	}
	return out
}

func coreAs(kind wire.OrgKind) wire.Org {
	return wire.Org{MSPID: "CoreMSP", Kind: kind, Name: "Test Org", CreditCode: "91310000MA1FL0000N"}
}

func TestAddUser_OpensTheAccountWithARoleTheKindAllows(t *testing.T) {
	tests := []struct {
		kind wire.OrgKind
		role string
	}{
		{wire.OrgCore, wire.RoleIssuer}, {wire.OrgSupplier, wire.RoleSupplier}, {wire.OrgBank, wire.RoleFinancier},
		{wire.OrgAuditor, wire.RoleAuditor}, {wire.OrgSupplier, wire.RoleAdmin},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind)+"/"+tt.role, func(t *testing.T) {
			members := apitest.NewMembers(coreAs(tt.kind))
			led := &apitest.Ledger{Members: members}
			admin := &apitest.Admin{}
			g := apitest.Start(t, led, admin)

			status, body := addUser(t, g, `{"name":"new-user","role":"`+tt.role+`"}`)
			require.Equal(t, http.StatusCreated, status, string(body))
			require.Contains(t, string(body), `"token":"recv_new"`)
			require.Equal(t, []wire.NewUser{{Name: "new-user", Role: tt.role}}, admin.Users())
			calls := led.Recorded()
			require.Equal(t, []string{"GetOrg", "GetAccount", "OpenAccount"}, txs(calls), "the CA is asked between the reads and the write")
			require.Equal(t, apitest.Call{Caller: "admin", Tx: "GetOrg", Args: []string{"CoreMSP"}}, calls[0])
			require.Equal(t, apitest.Call{Caller: "admin", Tx: "GetAccount", Args: []string{"CoreMSP/new-user"}}, calls[1])
			require.Equal(t, apitest.Call{Caller: "admin", Tx: "OpenAccount", Args: []string{`{"user":"new-user","role":"` + tt.role + `"}`}}, calls[2])
			require.Equal(t, wire.AccountOpen, members.Accounts["CoreMSP/new-user"].Status)
		})
	}
}

func TestAddUser_RoleOutsideTheKindIsRefusedBeforeTheCA(t *testing.T) {
	tests := []struct {
		kind    wire.OrgKind
		role    string
		allowed string
	}{
		{wire.OrgSupplier, "god", "allowed: supplier, admin"},
		{wire.OrgSupplier, wire.RoleIssuer, "allowed: supplier, admin"},
		{wire.OrgSupplier, wire.RoleAuditor, "allowed: supplier, admin"},
		{wire.OrgBank, wire.RoleIssuer, "allowed: financier, admin"},
		{wire.OrgCore, wire.RoleFinancier, "allowed: issuer, approver, admin"},
		{wire.OrgAuditor, wire.RoleSupplier, "allowed: auditor, admin"},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind)+"/"+tt.role, func(t *testing.T) {
			members := apitest.NewMembers(coreAs(tt.kind))
			led := &apitest.Ledger{Members: members}
			admin := &apitest.Admin{}
			g := apitest.Start(t, led, admin)

			status, body := addUser(t, g, `{"name":"new-user","role":"`+tt.role+`"}`)
			require.Equal(t, http.StatusBadRequest, status)
			p := problem(t, body)
			require.Equal(t, wire.KindInvalid, p.Kind)
			require.Contains(t, p.Detail, tt.allowed)
			require.Contains(t, p.Detail, "a "+string(tt.kind)+" organisation")
			require.Empty(t, admin.Users(), "the CA is not asked")
			require.Equal(t, []string{"GetOrg"}, txs(led.Recorded()), "nothing written")
			require.Empty(t, members.Accounts)
		})
	}
}

func TestAddUser_RefusalsBeforeTheCAChangeNothing(t *testing.T) {
	unavailable := &fabric.Error{Kind: wire.KindUnavailable, Stage: "evaluate", Message: "peer down"}
	tests := []struct {
		name    string
		members *apitest.Members
		answers map[string]apitest.Answer
		status  int
		kind    wire.Kind
		detail  string
	}{
		{"the organisation is not in the registry", apitest.NewMembers(), nil, http.StatusNotFound, wire.KindNotFound, "not in the registry"},
		{"the registry cannot be read", apitest.NewMembers(coreAs(wire.OrgCore)), map[string]apitest.Answer{"GetOrg": {Err: unavailable}},
			http.StatusServiceUnavailable, wire.KindUnavailable, "peer down"},
		{"the registry names no kind", apitest.NewMembers(coreAs(wire.OrgCore)), map[string]apitest.Answer{"GetOrg": {Payload: []byte(`{"mspId":"CoreMSP"}`)}},
			http.StatusInternalServerError, wire.KindInternal, "names no kind"},
		{"the account is already on the ledger", func() *apitest.Members {
			m := apitest.NewMembers(coreAs(wire.OrgCore))
			m.Accounts["CoreMSP/new-user"] = &wire.Account{ID: "CoreMSP/new-user", Role: wire.RoleIssuer, Status: wire.AccountFrozen}
			return m
		}(), nil, http.StatusConflict, wire.KindConflict, "account CoreMSP/new-user is already on the ledger (FROZEN)"},
		{"the account cannot be read", apitest.NewMembers(coreAs(wire.OrgCore)), map[string]apitest.Answer{"GetAccount": {Err: unavailable}},
			http.StatusServiceUnavailable, wire.KindUnavailable, "peer down"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			led := &apitest.Ledger{Members: tt.members, Answers: tt.answers}
			admin := &apitest.Admin{}
			g := apitest.Start(t, led, admin)
			before := len(tt.members.Accounts)

			status, body := addUser(t, g, `{"name":"new-user","role":"issuer"}`)
			require.Equal(t, tt.status, status, string(body))
			p := problem(t, body)
			require.Equal(t, tt.kind, p.Kind)
			require.Contains(t, p.Detail, tt.detail)
			require.Empty(t, admin.Users(), "the CA is not asked")
			require.NotContains(t, txs(led.Recorded()), "OpenAccount")
			require.Len(t, tt.members.Accounts, before)
		})
	}
}

func TestAddUser_ACARefusalOpensNoAccount(t *testing.T) {
	members := apitest.NewMembers(coreAs(wire.OrgCore))
	led := &apitest.Ledger{Members: members}
	admin := &apitest.Admin{Err: &fabric.Error{Kind: wire.KindConflict, Stage: "ca", Message: "conflict: Identity 'new-user' is already registered"}}
	g := apitest.Start(t, led, admin)

	status, body := addUser(t, g, `{"name":"new-user","role":"issuer"}`)
	require.Equal(t, http.StatusConflict, status)
	require.Equal(t, "ca", problem(t, body).Stage)
	require.Equal(t, []string{"GetOrg", "GetAccount"}, txs(led.Recorded()))
	require.Empty(t, members.Accounts)
}

func TestAddUser_AFailedOpenAccountSaysWhatIsLeftAndHowToFinish(t *testing.T) {
	led := &apitest.Ledger{Members: apitest.NewMembers(coreAs(wire.OrgCore)), Answers: map[string]apitest.Answer{
		"OpenAccount": {Err: &fabric.Error{Kind: wire.KindTimeout, Stage: "commit_status", TransactionID: "tx9", Message: "deadline exceeded"}},
	}}
	admin := &apitest.Admin{}
	g := apitest.Start(t, led, admin)

	// The account was sent and its commit not seen: it may still open, so the answer says so.
	status, body := addUser(t, g, `{"name":"new-user","role":"issuer"}`)
	require.Equal(t, http.StatusAccepted, status)
	var pending wire.SubmitResponse
	require.NoError(t, json.Unmarshal(body, &pending))
	require.True(t, pending.Pending)
	require.Equal(t, "tx9", pending.TransactionID)
	require.Contains(t, pending.Message, "new-user is registered with the CA and in the gateway's wallet; its account was sent to the ledger and may still open")
	require.Contains(t, pending.Message, "recv account open new-user --role issuer")
	require.Len(t, admin.Users(), 1)

	// Refused at endorsement, nothing was sent: the answer says what is left and how to finish.
	led.Answers["OpenAccount"] = apitest.Answer{Err: &fabric.Error{Kind: wire.KindUnavailable, Stage: "endorse", Message: "no peer answered"}}
	status, body = addUser(t, g, `{"name":"other-user","role":"issuer"}`)
	require.Equal(t, http.StatusServiceUnavailable, status)
	p := problem(t, body)
	require.Contains(t, p.Detail, "other-user is registered with the CA and in the gateway's wallet, but its account was not opened")
	require.Contains(t, p.Detail, "recv account open other-user --role issuer")
}

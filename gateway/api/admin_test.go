package api_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/api/apitest"
	"github.com/recv-ledger/recv/gateway/ca"
	"github.com/recv-ledger/recv/gateway/fabric"
)

// addUser posts a registration as the test gateway's admin and returns the status and the body.
func addUser(t *testing.T, g *apitest.Gateway, body string) (int, []byte) {
	t.Helper()
	return postAsAdmin(t, g, "/v1/admin/users", body)
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

// startWithAdmin runs a test gateway with user administration (an apitest.Admin) over a ledger
// whose registry has CoreMSP as an organisation of kind, and that gives the answers for the
// transactions they name.
func startWithAdmin(t *testing.T, kind wire.OrgKind, answers map[string]apitest.Answer) (*apitest.Ledger, *apitest.Admin, *apitest.Gateway) {
	t.Helper()
	led := &apitest.Ledger{Members: apitest.NewMembers(coreAs(kind)), Answers: answers}
	admin := &apitest.Admin{}
	return led, admin, apitest.Start(t, led, admin)
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
			led, admin, g := startWithAdmin(t, tt.kind, nil)

			status, body := addUser(t, g, `{"name":"new-user","role":"`+tt.role+`"}`)
			require.Equal(t, http.StatusCreated, status, string(body))
			var res wire.NewUserResult
			require.NoError(t, json.Unmarshal(body, &res))
			require.Equal(t, http.StatusOK, whoami(t, g, res.Token), "the token works")
			require.False(t, res.Resumed)
			require.Equal(t, []wire.NewUser{{Name: "new-user", Role: tt.role}}, admin.Users())
			calls := led.Recorded()
			require.Equal(t, []string{"GetOrg", "GetAccount", "OpenAccount"}, txs(calls), "the CA is asked between the reads and the write")
			require.Equal(t, apitest.Call{Caller: "admin", Tx: "GetOrg", Args: []string{"CoreMSP"}}, calls[0])
			require.Equal(t, apitest.Call{Caller: "admin", Tx: "GetAccount", Args: []string{"CoreMSP/new-user"}}, calls[1])
			require.Equal(t, apitest.Call{Caller: "admin", Tx: "OpenAccount", Args: []string{`{"user":"new-user","role":"` + tt.role + `"}`}}, calls[2])
			require.Equal(t, wire.AccountOpen, led.Members.Accounts["CoreMSP/new-user"].Status)
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
			led, admin, g := startWithAdmin(t, tt.kind, nil)

			status, body := addUser(t, g, `{"name":"new-user","role":"`+tt.role+`"}`)
			require.Equal(t, http.StatusBadRequest, status)
			p := problem(t, body)
			require.Equal(t, wire.KindInvalid, p.Kind)
			require.Contains(t, p.Detail, tt.allowed)
			require.Contains(t, p.Detail, "a "+string(tt.kind)+" organisation")
			require.Empty(t, admin.Users(), "the CA is not asked")
			require.Equal(t, []string{"GetOrg"}, txs(led.Recorded()), "nothing written")
			require.Empty(t, led.Members.Accounts)
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
	require.Empty(t, led.Members.Accounts)
}

func TestAddUser_AFailedOpenAccountSaysWhatIsLeftAndHowToFinish(t *testing.T) {
	led, admin, g := startWithAdmin(t, wire.OrgCore, map[string]apitest.Answer{
		"OpenAccount": {Err: &fabric.Error{Kind: wire.KindTimeout, Stage: "commit_status", TransactionID: "tx9", Message: "deadline exceeded"}},
	})

	// The account was sent and its commit not seen: it may still open, so the answer says so.
	status, body := addUser(t, g, `{"name":"new-user","role":"issuer"}`)
	require.Equal(t, http.StatusAccepted, status)
	var pending wire.SubmitResponse
	require.NoError(t, json.Unmarshal(body, &pending))
	require.True(t, pending.Pending)
	require.Equal(t, "tx9", pending.TransactionID)
	require.Contains(t, pending.Message, "new-user is registered with the CA and in the gateway's wallet; its account was sent to the ledger and may still open")
	require.Contains(t, pending.Message, "no token is issued yet")
	require.Contains(t, pending.Message, "run the same registration again (recv user register new-user --role issuer)")
	require.Len(t, admin.Users(), 1)
	require.False(t, g.Auth.Tokens.Has("new-user"), "no token before the account")

	// Refused at endorsement, nothing was sent: the answer says what is left and how to finish.
	led.Answers["OpenAccount"] = apitest.Answer{Err: &fabric.Error{Kind: wire.KindUnavailable, Stage: "endorse", Message: "no peer answered"}}
	status, body = addUser(t, g, `{"name":"other-user","role":"issuer"}`)
	require.Equal(t, http.StatusServiceUnavailable, status)
	p := problem(t, body)
	require.Contains(t, p.Detail, "other-user is registered with the CA and in the gateway's wallet, but its account was not opened")
	require.Contains(t, p.Detail, "run the same registration again (recv user register other-user --role issuer)")
	require.False(t, g.Auth.Tokens.Has("other-user"), "no token before the account")
}

// whoami is the status of GET /v1/whoami with token.
func whoami(t *testing.T, g *apitest.Gateway, token string) int {
	t.Helper()
	status, _ := g.Do(t, http.MethodGet, "/v1/whoami", token, "")
	return status
}

// postAsAdmin posts body to path as the test gateway's admin, with extra headers.
func postAsAdmin(t *testing.T, g *apitest.Gateway, path, body string, hdr ...string) (int, []byte) {
	t.Helper()
	return g.Do(t, http.MethodPost, path, g.Tokens["admin"], body, hdr...)
}

// TestAddUser_ResumesAfterAFailedAccountOpening: a registration whose account could not be opened
// (a peer down) leaves the CA identity and the wallet entry and no token; the same registration
// again opens the account and issues the token without asking the CA; a different role is refused
// and changes nothing; once finished, a third registration changes nothing either.
func TestAddUser_ResumesAfterAFailedAccountOpening(t *testing.T) {
	led, admin, g := startWithAdmin(t, wire.OrgCore, map[string]apitest.Answer{
		"OpenAccount": {Err: &fabric.Error{Kind: wire.KindUnavailable, Stage: "endorse", Message: "no peer answered"}},
	})

	status, body := addUser(t, g, `{"name":"new-user","role":"issuer"}`)
	require.Equal(t, http.StatusServiceUnavailable, status, string(body))
	require.Contains(t, problem(t, body).Detail, "run the same registration again (recv user register new-user --role issuer)")
	require.Len(t, admin.Users(), 1, "the CA step ran")
	require.False(t, g.Auth.Tokens.Has("new-user"))
	require.Empty(t, led.Members.Accounts)

	// Still down: the same registration says so again, and still does not ask the CA.
	status, body = addUser(t, g, `{"name":"new-user","role":"issuer"}`)
	require.Equal(t, http.StatusServiceUnavailable, status, string(body))
	require.Len(t, admin.Users(), 1, "the CA is not asked again")

	// Another role than the registered one is refused before the ledger is asked.
	delete(led.Answers, "OpenAccount")
	before := len(led.Recorded())
	status, body = addUser(t, g, `{"name":"new-user","role":"admin"}`)
	require.Equal(t, http.StatusConflict, status, string(body))
	require.Contains(t, problem(t, body).Detail, "registered with role issuer; finish its registration with --role issuer")
	require.Len(t, led.Recorded(), before)

	// The peer is back: the account is opened and the token issued, once.
	status, body = addUser(t, g, `{"name":"new-user","role":"issuer"}`)
	require.Equal(t, http.StatusCreated, status, string(body))
	var res wire.NewUserResult
	require.NoError(t, json.Unmarshal(body, &res))
	require.True(t, res.Resumed)
	require.Equal(t, "CoreMSP/new-user", res.Account)
	require.Empty(t, res.Certificate, "the gateway holds this user's key")
	require.Equal(t, http.StatusOK, whoami(t, g, res.Token))
	require.Len(t, admin.Users(), 1, "the CA was asked once in all")
	require.Equal(t, wire.AccountOpen, led.Members.Accounts["CoreMSP/new-user"].Status)
	require.Equal(t, []string{"GetOrg", "GetAccount", "OpenAccount"}, txs(led.Recorded()[before:]))

	// Finished: the same registration again is a conflict that names the way to a new token,
	// and the token shown above still works.
	status, body = addUser(t, g, `{"name":"new-user","role":"issuer"}`)
	require.Equal(t, http.StatusConflict, status, string(body))
	require.Contains(t, problem(t, body).Detail, "nothing to finish; a new token: recv user token new-user")
	require.Equal(t, http.StatusOK, whoami(t, g, res.Token))
}

// TestAddUser_ResumeAfterALateCommitOnlyIssuesTheToken: an account whose OpenAccount was answered
// pending and committed afterwards is not opened again; the resumed registration issues the token.
func TestAddUser_ResumeAfterALateCommitOnlyIssuesTheToken(t *testing.T) {
	led, admin, g := startWithAdmin(t, wire.OrgCore, map[string]apitest.Answer{
		"OpenAccount": {Err: &fabric.Error{Kind: wire.KindTimeout, Stage: "commit_status", TransactionID: "tx9", Message: "deadline exceeded"}},
	})
	status, body := addUser(t, g, `{"name":"new-user","role":"issuer"}`)
	require.Equal(t, http.StatusAccepted, status, string(body))

	// Transaction tx9 committed after all.
	led.Members.Accounts["CoreMSP/new-user"] = &wire.Account{ID: "CoreMSP/new-user", Role: wire.RoleIssuer, Status: wire.AccountOpen}
	delete(led.Answers, "OpenAccount")
	before := len(led.Recorded())
	status, body = addUser(t, g, `{"name":"new-user","role":"issuer"}`)
	require.Equal(t, http.StatusCreated, status, string(body))
	var res wire.NewUserResult
	require.NoError(t, json.Unmarshal(body, &res))
	require.True(t, res.Resumed)
	require.Equal(t, http.StatusOK, whoami(t, g, res.Token))
	require.Equal(t, []string{"GetOrg", "GetAccount"}, txs(led.Recorded()[before:]), "nothing written")
	require.Len(t, admin.Users(), 1)
}

// TestAddUser_ResumeWithItsOwnKeyNeedsTheSameKey: a user enrolled with its own CSR resumes only
// with a CSR of the same key (the certificate in the wallet is of that key); the answer carries
// the certificate again.
func TestAddUser_ResumeWithItsOwnKeyNeedsTheSameKey(t *testing.T) {
	led, admin, g := startWithAdmin(t, wire.OrgCore, map[string]apitest.Answer{
		"OpenAccount": {Err: &fabric.Error{Kind: wire.KindUnavailable, Stage: "endorse", Message: "no peer answered"}},
	})
	csrOf := func() string {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		require.NoError(t, err)
		csr, err := ca.NewCSR("own-key", key)
		require.NoError(t, err)
		b, err := json.Marshal(wire.NewUser{Name: "own-key", Role: wire.RoleIssuer, CSR: string(csr)})
		require.NoError(t, err)
		return string(b)
	}
	first, other := csrOf(), csrOf()
	status, body := addUser(t, g, first)
	require.Equal(t, http.StatusServiceUnavailable, status, string(body))
	require.Contains(t, problem(t, body).Detail, "--key-out <the same key file>")
	delete(led.Answers, "OpenAccount")

	status, body = addUser(t, g, other)
	require.Equal(t, http.StatusConflict, status, string(body))
	require.Contains(t, problem(t, body).Detail, "enrolled with another key than this CSR's")
	require.False(t, g.Auth.Tokens.Has("own-key"))

	status, body = addUser(t, g, first)
	require.Equal(t, http.StatusCreated, status, string(body))
	var res wire.NewUserResult
	require.NoError(t, json.Unmarshal(body, &res))
	require.True(t, res.Resumed)
	require.Contains(t, res.Certificate, "BEGIN CERTIFICATE")
	require.Len(t, admin.Users(), 1)
}

// TestUserToken_TheOldTokenStopsAtOnce: an admin issues a user a new token; the old one is refused
// with 401 from then on, the new one is accepted. Only an admin may, only for a wallet user, and
// an Idempotency-Key replays nothing (no answer carrying a token is kept).
func TestUserToken_TheOldTokenStopsAtOnce(t *testing.T) {
	g := apitest.Start(t, &apitest.Ledger{}, nil)
	old := g.Tokens["supplier-a"]
	require.Equal(t, http.StatusOK, whoami(t, g, old))

	status, body := postAsAdmin(t, g, "/v1/admin/users/supplier-a/token", "")
	require.Equal(t, http.StatusOK, status, string(body))
	var tok wire.UserToken
	require.NoError(t, json.Unmarshal(body, &tok))
	require.Equal(t, wire.UserToken{Name: "supplier-a", Account: "CoreMSP/supplier-a", Token: tok.Token}, tok)
	require.NotEqual(t, old, tok.Token)
	require.Equal(t, http.StatusUnauthorized, whoami(t, g, old), "the old token is refused at once")
	require.Equal(t, http.StatusOK, whoami(t, g, tok.Token))

	_, first := postAsAdmin(t, g, "/v1/admin/users/supplier-a/token", "", "Idempotency-Key", "k1")
	_, second := postAsAdmin(t, g, "/v1/admin/users/supplier-a/token", "", "Idempotency-Key", "k1")
	var a, b wire.UserToken
	require.NoError(t, json.Unmarshal(first, &a))
	require.NoError(t, json.Unmarshal(second, &b))
	require.NotEqual(t, a.Token, b.Token, "not replayed")
	require.Equal(t, http.StatusUnauthorized, whoami(t, g, a.Token))
	require.Equal(t, http.StatusOK, whoami(t, g, b.Token))

	status, _ = postAsAdmin(t, g, "/v1/admin/users/nobody/token", "")
	require.Equal(t, http.StatusNotFound, status)
	status, _ = postAsAdmin(t, g, "/v1/admin/users/bad%20name/token", "")
	require.Equal(t, http.StatusBadRequest, status)

	status, _ = g.Do(t, http.MethodPost, "/v1/admin/users/treasurer/token", b.Token, "")
	require.Equal(t, http.StatusForbidden, status, "a supplier issues no tokens")
	require.Equal(t, http.StatusOK, whoami(t, g, g.Tokens["treasurer"]), "the refused request changed nothing")
}

// TestRevokeUser_RemovesTheTokenAndTheWalletEntry: revocation takes the user out of the gateway
// (its token is refused with 401, its wallet entry is gone) as well as revoking it at the CA; when
// the CA fails, the gateway part is done already and the same revocation again finishes it. The
// gateway's own service identity cannot be revoked through it.
func TestRevokeUser_RemovesTheTokenAndTheWalletEntry(t *testing.T) {
	led, admin, g := startWithAdmin(t, wire.OrgCore, nil)
	status, body := addUser(t, g, `{"name":"leaver","role":"issuer"}`)
	require.Equal(t, http.StatusCreated, status, string(body))
	var added wire.NewUserResult
	require.NoError(t, json.Unmarshal(body, &added))
	require.Equal(t, http.StatusOK, whoami(t, g, added.Token))

	status, body = postAsAdmin(t, g, "/v1/admin/users/leaver/revoke", `{"reason":"keycompromise"}`)
	require.Equal(t, http.StatusOK, status, string(body))
	var res wire.RevokeUserResult
	require.NoError(t, json.Unmarshal(body, &res))
	require.True(t, res.RemovedFromGateway)
	require.Equal(t, []string{"0a1b"}, res.Serials)
	require.Equal(t, http.StatusUnauthorized, whoami(t, g, added.Token), "the token is refused")
	_, inWallet := led.Identity("leaver")
	require.False(t, inWallet, "the wallet entry is gone")
	require.False(t, g.Auth.Tokens.Has("leaver"))
	require.Equal(t, []string{"leaver"}, admin.Revoked, "revoked at the CA")
	require.Equal(t, http.StatusOK, whoami(t, g, g.Tokens["treasurer"]), "another user is untouched")

	// The CA fails: the user is out of the gateway already, and the problem says to run it again.
	admin.RevokeErr = &fabric.Error{Kind: wire.KindUnavailable, Stage: "ca", Message: "unavailable: CA revoke: connection refused"}
	status, body = postAsAdmin(t, g, "/v1/admin/users/supplier-a/revoke", "")
	require.Equal(t, http.StatusServiceUnavailable, status, string(body))
	p := problem(t, body)
	require.Contains(t, p.Detail, "supplier-a no longer authenticates at this gateway (its tokens and wallet entry are removed), but the CA did not revoke it")
	require.Contains(t, p.Detail, "run recv user revoke supplier-a again")
	require.Equal(t, http.StatusUnauthorized, whoami(t, g, g.Tokens["supplier-a"]))
	_, inWallet = led.Identity("supplier-a")
	require.False(t, inWallet)
	admin.RevokeErr = nil
	status, body = postAsAdmin(t, g, "/v1/admin/users/supplier-a/revoke", "")
	require.Equal(t, http.StatusOK, status, string(body))
	require.NoError(t, json.Unmarshal(body, &res))
	require.False(t, res.RemovedFromGateway, "nothing was left at the gateway")
	require.Equal(t, []string{"leaver", "supplier-a"}, admin.Revoked)

	// The identity the gateway signs its own checks with.
	status, body = postAsAdmin(t, g, "/v1/admin/users/admin/revoke", "")
	require.Equal(t, http.StatusConflict, status, string(body))
	require.Contains(t, problem(t, body).Detail, "--service-user")
	require.Equal(t, http.StatusOK, whoami(t, g, g.Tokens["admin"]))
}

package api_test

import (
	"bytes"
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

// renewGateway is a test gateway with two registered users: clerk, whose key the gateway holds,
// and own-key, enrolled with its own CSR. It returns clerk's token.
func renewGateway(t *testing.T) (*apitest.Gateway, *apitest.Admin, string) {
	t.Helper()
	admin := &apitest.Admin{}
	g := apitest.Start(t, &apitest.Ledger{Members: apitest.NewMembers(coreAs(wire.OrgCore))}, admin)
	status, body := addUser(t, g, `{"name":"clerk","role":"issuer"}`)
	require.Equal(t, http.StatusCreated, status, string(body))
	var clerk wire.NewUserResult
	require.NoError(t, json.Unmarshal(body, &clerk))
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	csr, err := ca.NewCSR("own-key", key)
	require.NoError(t, err)
	reg, _ := json.Marshal(wire.NewUser{Name: "own-key", Role: wire.RoleIssuer, CSR: string(csr)})
	status, body = addUser(t, g, string(reg))
	require.Equal(t, http.StatusCreated, status, string(body))
	return g, admin, clerk.Token
}

func certOf(t *testing.T, g *apitest.Gateway, name string) []byte {
	t.Helper()
	id, ok := g.Ledger.Identity(name)
	require.True(t, ok)
	return id.ID.Credentials()
}

// TestRenewUser_SwapsTheCertificateOfAUserWhoseKeyTheGatewayHolds: the answer names the new
// certificate and the one it replaced, the gateway signs for the user with the new one, and the
// user's token keeps working.
func TestRenewUser_SwapsTheCertificateOfAUserWhoseKeyTheGatewayHolds(t *testing.T) {
	g, admin, token := renewGateway(t)
	before := certOf(t, g, "clerk")

	status, body := postAsAdmin(t, g, "/v1/admin/users/clerk/renew", "")
	require.Equal(t, http.StatusOK, status, string(body))
	var res wire.RenewedUser
	require.NoError(t, json.Unmarshal(body, &res))
	require.Equal(t, "CoreMSP/clerk", res.Account)
	require.NotEmpty(t, res.Serial)
	require.NotEqual(t, res.PreviousSerial, res.Serial)
	require.False(t, res.NotAfter.IsZero())
	require.False(t, res.PreviousNotAfter.IsZero())
	require.Equal(t, []string{"clerk"}, admin.Renewed)
	after := certOf(t, g, "clerk")
	require.NotEqual(t, before, after)
	require.Equal(t, string(after), res.Certificate, "the answer's certificate is the one in use")
	require.Equal(t, http.StatusOK, whoami(t, g, token), "the token is the user's, whatever its certificate")
}

// TestRenewUser_RefusesBeforeTheCA: what the gateway cannot or may not renew is refused before
// the CA is asked, and the user's certificate is unchanged.
func TestRenewUser_RefusesBeforeTheCA(t *testing.T) {
	tests := []struct {
		name, path, body, token string
		status                  int
		detail                  string
	}{
		{"a user who holds its own key", "/v1/admin/users/own-key/renew", "", "", http.StatusConflict,
			"CoreMSP/own-key signs with its own key (recv --sign-with, or its browser's), which this gateway does not hold"},
		{"a user not in the wallet", "/v1/admin/users/nobody/renew", "", "", http.StatusNotFound, "no user nobody in this gateway's wallet"},
		{"a name that is not one", "/v1/admin/users/a.b/renew", "", "", http.StatusBadRequest, "name ([A-Za-z0-9_-]{1,64}) is required"},
		{"a body with a field", "/v1/admin/users/clerk/renew", `{"key":"x"}`, "", http.StatusBadRequest, "key"},
		{"a caller who is not an admin", "/v1/admin/users/clerk/renew", "", "supplier-a", http.StatusForbidden,
			"only an identity with role admin may renew users' certificates"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, admin, _ := renewGateway(t)
			clerk, own := certOf(t, g, "clerk"), certOf(t, g, "own-key")
			if tt.token != "" {
				g.Tokens["admin"] = g.Tokens[tt.token]
			}
			status, body := postAsAdmin(t, g, tt.path, tt.body)
			require.Equal(t, tt.status, status, string(body))
			require.Contains(t, problem(t, body).Detail, tt.detail)
			require.Empty(t, admin.Renewed, "the CA is not asked")
			require.Equal(t, clerk, certOf(t, g, "clerk"))
			require.Equal(t, own, certOf(t, g, "own-key"))
		})
	}
}

// TestRenewUser_ACARefusalChangesNothing: the CA's refusal (an expired or revoked current
// certificate) is the caller's problem with its kind, and the user keeps its certificate.
func TestRenewUser_ACARefusalChangesNothing(t *testing.T) {
	g, admin, _ := renewGateway(t)
	before := certOf(t, g, "clerk")
	admin.Err = &fabric.Error{Kind: wire.KindForbidden, Stage: "ca", Message: "forbidden: 71 Authentication failure"}
	status, body := postAsAdmin(t, g, "/v1/admin/users/clerk/renew", "")
	require.Equal(t, http.StatusForbidden, status, string(body))
	require.Contains(t, problem(t, body).Detail, "Authentication failure")
	require.Equal(t, before, certOf(t, g, "clerk"))
}

// TestRenewUser_ARetryWithTheSameKeyRenewsOnce: a lost answer asked again with the same
// Idempotency-Key is replayed; the user is renewed once.
func TestRenewUser_ARetryWithTheSameKeyRenewsOnce(t *testing.T) {
	g, admin, _ := renewGateway(t)
	status, first := postAsAdmin(t, g, "/v1/admin/users/clerk/renew", "", "Idempotency-Key", "renew-clerk-1")
	require.Equal(t, http.StatusOK, status, string(first))
	status, again := postAsAdmin(t, g, "/v1/admin/users/clerk/renew", "", "Idempotency-Key", "renew-clerk-1")
	require.Equal(t, http.StatusOK, status, string(again))
	require.True(t, bytes.Equal(first, again), "the first answer, replayed")
	require.Equal(t, []string{"clerk"}, admin.Renewed)
}

// TestListUsers_NamesWhoRenewsEachTheFirstToExpireFirst: an admin lists every user of the wallet
// with its certificate's serial and expiry, in order of expiry, and whether the gateway holds its
// key; a renewal shows at once; a user who is not an admin is refused.
func TestListUsers_NamesWhoRenewsEachTheFirstToExpireFirst(t *testing.T) {
	g, _, _ := renewGateway(t)
	list := func() wire.WalletUsers {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, g.URL+"/v1/admin/users", nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+g.Tokens["admin"])
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		var out wire.WalletUsers
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
		return out
	}
	users := list().Users
	byName := map[string]wire.WalletUser{}
	for i, u := range users {
		byName[u.Name] = u
		if i > 0 {
			require.False(t, u.NotAfter.Before(users[i-1].NotAfter), "the first to expire first")
		}
	}
	require.Len(t, users, 5, "the three users the gateway started with and the two registered")
	require.True(t, byName["clerk"].KeyHeldByGateway)
	require.False(t, byName["own-key"].KeyHeldByGateway)
	require.Equal(t, "CoreMSP/clerk", byName["clerk"].Account)
	require.Equal(t, wire.RoleIssuer, byName["clerk"].Role)
	require.NotEmpty(t, byName["clerk"].Serial)
	require.False(t, byName["clerk"].NotAfter.IsZero())

	status, body := postAsAdmin(t, g, "/v1/admin/users/clerk/renew", "")
	require.Equal(t, http.StatusOK, status, string(body))
	var res wire.RenewedUser
	require.NoError(t, json.Unmarshal(body, &res))
	for _, u := range list().Users {
		if u.Name == "clerk" {
			require.Equal(t, res.Serial, u.Serial, "the renewed certificate")
		}
	}

	req, err := http.NewRequest(http.MethodGet, g.URL+"/v1/admin/users", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+g.Tokens["supplier-a"])
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
}

package api_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/api/apitest"
	"github.com/recv-ledger/recv/gateway/auth"
	"github.com/recv-ledger/recv/gateway/ca"
	"github.com/recv-ledger/recv/gateway/fabric"
)

// enroll posts a browser enrollment, with no credential, and returns the status and the body.
func enroll(t *testing.T, g *apitest.Gateway, name, code, csr string) (int, []byte) {
	t.Helper()
	b, err := json.Marshal(wire.BrowserEnrollment{Name: name, Code: code, CSR: csr})
	require.NoError(t, err)
	return g.Do(t, http.MethodPost, "/v1/enroll", "", string(b))
}

// browserUser registers name as a browser user and returns its enrollment code.
func browserUser(t *testing.T, g *apitest.Gateway, name string) string {
	t.Helper()
	status, body := addUser(t, g, `{"name":"`+name+`","role":"issuer","browser":true}`)
	require.Equal(t, http.StatusCreated, status, string(body))
	var res wire.NewUserResult
	require.NoError(t, json.Unmarshal(body, &res))
	require.Empty(t, res.Token, "no token before the user enrolls")
	require.Regexp(t, `^enroll_[A-Za-z0-9_-]{43}$`, res.EnrollmentCode)
	require.NotNil(t, res.EnrollmentExpires)
	require.WithinDuration(t, time.Now().Add(24*time.Hour), *res.EnrollmentExpires, time.Minute)
	return res.EnrollmentCode
}

func csrFor(t *testing.T, name string) (string, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	csr, err := ca.NewCSR(name, key)
	require.NoError(t, err)
	return string(csr), key
}

// TestEnroll_TheCodeEnrollsTheBrowsersKeyOnce: a browser registration asks nothing of the CA;
// a wrong code and a bad CSR are refused and change nothing (the code still works); the right
// code with a CSR of the user's name enrolls it with no key at the gateway, opens its account and
// answers its token and certificate; the code then works no more.
func TestEnroll_TheCodeEnrollsTheBrowsersKeyOnce(t *testing.T) {
	led, admin, g := startWithAdmin(t, wire.OrgCore, nil)
	code := browserUser(t, g, "web-user")
	require.Empty(t, admin.Users(), "the CA is not asked at registration")
	require.Equal(t, []string{"GetOrg", "GetAccount"}, txs(led.Recorded()), "the role and the account are checked at registration")

	csr, key := csrFor(t, "web-user")
	otherName, _ := csrFor(t, "someone-else")
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	rsaDER, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "web-user"}}, rsaKey)
	require.NoError(t, err)
	rsaCSR := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: rsaDER}))
	tampered := []byte(csr)
	tampered[len(tampered)/2] ^= 1

	for _, tt := range []struct {
		name, user, code, csr string
		status                int
		detail                string
	}{
		{"wrong code", "web-user", code[:len(code)-1] + "x", csr, http.StatusUnauthorized, "wrong, used or expired"},
		{"another user's name", "treasurer", code, csr, http.StatusUnauthorized, "wrong, used or expired"},
		{"no code", "web-user", "", csr, http.StatusUnauthorized, "wrong, used or expired"},
		{"a CSR of another name", "web-user", code, otherName, http.StatusBadRequest, `common name "someone-else" is not the user's name "web-user"`},
		{"not PEM", "web-user", code, "hello", http.StatusBadRequest, "not a PEM CERTIFICATE REQUEST"},
		{"a tampered CSR", "web-user", code, string(tampered), http.StatusBadRequest, "csr:"},
		{"an RSA key", "web-user", code, rsaCSR, http.StatusBadRequest, "not an ECDSA key"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, body := enroll(t, g, tt.user, tt.code, tt.csr)
			require.Equal(t, tt.status, status, string(body))
			require.Contains(t, problem(t, body).Detail, tt.detail)
			require.Empty(t, admin.Users(), "nothing asked of the CA")
			require.False(t, g.Auth.Tokens.Has("web-user"))
			_, inWallet := led.Identity("web-user")
			require.False(t, inWallet)
		})
	}

	status, body := enroll(t, g, "web-user", code, csr)
	require.Equal(t, http.StatusCreated, status, string(body))
	var res wire.NewUserResult
	require.NoError(t, json.Unmarshal(body, &res))
	require.Equal(t, "CoreMSP/web-user", res.Account)
	require.Equal(t, http.StatusOK, whoami(t, g, res.Token), "the token works")
	require.Equal(t, []wire.NewUser{{Name: "web-user", Role: wire.RoleIssuer, CSR: csr, Browser: true}}, admin.Users())
	block, _ := pem.Decode([]byte(res.Certificate))
	require.NotNil(t, block)
	cert, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	require.True(t, key.PublicKey.Equal(cert.PublicKey), "the certificate is of the browser's key")
	id, ok := led.Identity("web-user")
	require.True(t, ok)
	require.Nil(t, id.Sign, "the gateway holds no key of the user")
	calls := led.Recorded()
	require.Equal(t, apitest.Call{Caller: "admin", Tx: "OpenAccount", Args: calls[len(calls)-1].Args}, calls[len(calls)-1], "the registering admin opens the account")

	status, body = enroll(t, g, "web-user", code, csr)
	require.Equal(t, http.StatusUnauthorized, status, "a code is used once: %s", body)
	require.Len(t, admin.Users(), 1)
}

// TestEnroll_AFailedAccountOpeningKeepsTheCodeForTheSameKey: the CA step done, the account not
// opened (a peer down): the code still works, for a CSR of the same key only, and the retry
// finishes without the CA.
func TestEnroll_AFailedAccountOpeningKeepsTheCodeForTheSameKey(t *testing.T) {
	led, admin, g := startWithAdmin(t, wire.OrgCore, map[string]apitest.Answer{
		"OpenAccount": {Err: &fabric.Error{Kind: wire.KindUnavailable, Stage: "endorse", Message: "no peer answered"}},
	})
	code := browserUser(t, g, "web-user")
	csr, _ := csrFor(t, "web-user")
	other, _ := csrFor(t, "web-user")

	status, body := enroll(t, g, "web-user", code, csr)
	require.Equal(t, http.StatusServiceUnavailable, status, string(body))
	require.Contains(t, problem(t, body).Detail, "the same enrollment in the web console, from the same browser")
	delete(led.Answers, "OpenAccount")

	status, body = enroll(t, g, "web-user", code, other)
	require.Equal(t, http.StatusConflict, status, string(body))
	require.Contains(t, problem(t, body).Detail, "enrolled with another key than this CSR's")

	status, body = enroll(t, g, "web-user", code, csr)
	require.Equal(t, http.StatusCreated, status, string(body))
	var res wire.NewUserResult
	require.NoError(t, json.Unmarshal(body, &res))
	require.True(t, res.Resumed)
	require.Len(t, admin.Users(), 1, "the CA was asked once")
}

// TestEnroll_RegistrationRefusals: browser with a CSR or a secret, a user already in the wallet,
// a caller who is not an admin: refused, no code.
func TestEnroll_RegistrationRefusals(t *testing.T) {
	_, admin, g := startWithAdmin(t, wire.OrgCore, nil)
	csr, _ := csrFor(t, "web-user")
	withCSR, err := json.Marshal(wire.NewUser{Name: "web-user", Role: wire.RoleIssuer, Browser: true, CSR: csr})
	require.NoError(t, err)
	for _, tt := range []struct {
		name, body string
		status     int
		detail     string
	}{
		{"with a CSR", string(withCSR), http.StatusBadRequest, "give neither csr nor secret"},
		{"with a secret", `{"name":"web-user","role":"issuer","browser":true,"secret":"s3cret"}`, http.StatusBadRequest, "give neither csr nor secret"},
		{"a wallet user", `{"name":"treasurer","role":"issuer","browser":true}`, http.StatusConflict, "already in the wallet"},
		{"a role the kind does not allow", `{"name":"web-user","role":"financier","browser":true}`, http.StatusBadRequest, "not allowed in CoreMSP"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, body := addUser(t, g, tt.body)
			require.Equal(t, tt.status, status, string(body))
			require.Contains(t, problem(t, body).Detail, tt.detail)
			require.NotContains(t, string(body), "enrollmentCode")
		})
	}
	status, body := postAsUser(t, g, "treasurer", "/v1/admin/users", `{"name":"web-user","role":"issuer","browser":true}`)
	require.Equal(t, http.StatusForbidden, status, string(body))
	require.Empty(t, admin.Users())
}

// TestEnroll_WrongCodesCountLikeBadTokens: wrong codes spend the address's budget of failed
// authentications; past it the answer is 429 and even the right code waits.
func TestEnroll_WrongCodesCountLikeBadTokens(t *testing.T) {
	led := &apitest.Ledger{Members: apitest.NewMembers(coreAs(wire.OrgCore))}
	g := apitest.Start(t, led, &apitest.Admin{})
	g.Auth.Limiter = auth.NewFailureLimiter(2, 1)
	code := browserUser(t, g, "web-user")
	csr, _ := csrFor(t, "web-user")
	for range 2 {
		status, _ := enroll(t, g, "web-user", "enroll_guess", csr)
		require.Equal(t, http.StatusUnauthorized, status)
	}
	status, body := enroll(t, g, "web-user", code, csr)
	require.Equal(t, http.StatusTooManyRequests, status, string(body))
	_, inWallet := led.Identity("web-user")
	require.False(t, inWallet)
}

func postAsUser(t *testing.T, g *apitest.Gateway, user, path, body string) (int, []byte) {
	t.Helper()
	return g.Do(t, http.MethodPost, path, g.Tokens[user], body)
}

// A browser registration revoked before its user enrolled exists only at the gateway: the
// revocation cancels it (its code enrolls nobody) and does not ask the CA, which never heard of
// the user.
func TestEnroll_ARevocationBeforeTheEnrollmentCancelsTheCode(t *testing.T) {
	_, admin, g := startWithAdmin(t, wire.OrgCore, nil)
	code := browserUser(t, g, "web-user")

	status, body := postAsAdmin(t, g, "/v1/admin/users/web-user/revoke", `{"reason":"superseded"}`)
	require.Equal(t, http.StatusOK, status, string(body))
	var res wire.RevokeUserResult
	require.NoError(t, json.Unmarshal(body, &res))
	require.True(t, res.RemovedFromGateway)
	require.Empty(t, admin.Revoked, "the CA is not asked")

	csr, _ := csrFor(t, "web-user")
	status, body = enroll(t, g, "web-user", code, csr)
	require.Equal(t, http.StatusUnauthorized, status, string(body))
	require.Empty(t, admin.Users(), "nobody enrolled")
}

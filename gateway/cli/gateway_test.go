package cli

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/api/apitest"
	"github.com/recv-ledger/recv/gateway/certtest"
	"github.com/recv-ledger/recv/gateway/fabric"
)

// recv runs the CLI as user against a test gateway (the real api.Server over led).
func recv(t *testing.T, g *apitest.Gateway, user string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Execute(append([]string{"--gateway", g.URL, "--token", g.Tokens[user]}, args...), &out, &errOut)
	return code, out.String(), errOut.String()
}

// requirePrints runs recv as user with args and requires it to succeed and print each of want.
func requirePrints(t *testing.T, g *apitest.Gateway, user string, args, want []string) {
	t.Helper()
	code, out, stderr := recv(t, g, user, args...)
	require.Equal(t, wire.ExitOK, code, stderr)
	for _, w := range want {
		require.Contains(t, out, w)
	}
}

const receivableJSON = `{"id":"R-1.2","rootId":"R-1","parentId":"R-1","issuer":"CoreMSP/treasurer","holder":"Bank1MSP/officer",
	"amount":"4.00","amountFen":400,"currency":"CNY","maturityDate":"2027-03-31","status":"ACTIVE","parties":[],
	"financing":{"bank":"Bank1MSP","approvedAt":"2026-11-30","termsHash":"ab12","terms":{"rateBps":450,"days":90,"disbursed":"3.96"}},"lastTxId":"t7"}`

func TestQueries_PrintTablesAndVerbatimJSON(t *testing.T) {
	led := &apitest.Ledger{Answers: map[string]apitest.Answer{
		"Get":          {Payload: []byte(receivableJSON)},
		"ListByHolder": {Payload: []byte(`{"items":[` + receivableJSON + `,{"id":"R-2","status":"PENDING","pendingHolder":"CoreMSP/supplier-a","amount":"1.00"}],"bookmark":"b2","count":2}`)},
		"History":      {Payload: []byte(`[{"txId":"t1","timestamp":"2026-11-30T01:00:00Z","submitter":"CoreMSP/treasurer","value":` + receivableJSON + `},{"txId":"t2","timestamp":"2026-11-30T02:00:00Z","submitter":"x","isDelete":true}]`)},
		"Totals":       {Payload: []byte(`{"account":"CoreMSP/supplier-a","outstanding":"1.00","outstandingFen":100,"financed":"0.00","redeemed":"2.00"}`)},
		"GetConfig":    {Payload: []byte(`{"maxTermDays":183,"clockSkewSeconds":300,"proposalTtlHours":168}`)},
		"GetBeacon":    {Payload: []byte(`{"time":"2026-11-30T12:00:00Z","by":"CoreMSP/admin","txId":"t9"}`)},
	}}
	g := apitest.Start(t, led, nil)
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"get", "R-1.2"}, []string{"id:             R-1.2", "amount:         4.00 CNY", "root / parent:  R-1 / R-1", "financing:      Bank1MSP 450bps 90d paid 3.96", "last tx:        t7"}},
		{[]string{"list", "--holder", "CoreMSP/supplier-a", "--page-size", "5"}, []string{"R-1.2  ACTIVE   4.00    Bank1MSP/officer", "R-2    PENDING  1.00    (offered) -> CoreMSP/supplier-a", "more: --bookmark b2"}},
		{[]string{"history", "R-1.2"}, []string{"TIME", "CoreMSP/treasurer  ACTIVE", "DELETED"}},
		{[]string{"totals", "CoreMSP/supplier-a"}, []string{"outstanding:  1.00", "redeemed:     2.00"}},
		{[]string{"config", "get"}, []string{"maxTermDays:       183", "clockSkewSeconds:  300", "proposalTtlHours:  168"}},
		{[]string{"beacon"}, []string{"time:  2026-11-30T12:00:00Z", "by:    CoreMSP/admin", "txId:  t9"}},
		{[]string{"whoami"}, []string{"account:  CoreMSP/supplier-a", "role:     supplier"}},
		{[]string{"tx", "abc"}, []string{"tx:          abc", "validation:  VALID", "block:       9"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			requirePrints(t, g, "supplier-a", tt.args, tt.want)
		})
	}

	code, out, _ := recv(t, g, "supplier-a", "get", "R-1.2", "-o", "json")
	require.Equal(t, wire.ExitOK, code)
	require.JSONEq(t, receivableJSON, out, "a query's JSON is the ledger's, verbatim")
	code, out, _ = recv(t, g, "supplier-a", "list", "--issuer", "CoreMSP/treasurer", "-o", "json")
	require.Equal(t, wire.ExitOK, code)
	var page wire.Page
	require.NoError(t, json.Unmarshal([]byte(out), &page))
	require.Equal(t, 0, page.Count, "ListByIssuer has no canned answer")
	require.Equal(t, []string{"CoreMSP/treasurer", "20", ""}, led.Recorded()[len(led.Recorded())-1].Args)
}

func TestWrites_ThroughTheRealServer(t *testing.T) {
	led := &apitest.Ledger{Answers: map[string]apitest.Answer{
		"Split":  {Payload: []byte(`{"txId":"tx-Split","op":"Split","items":[{"id":"R-1.1","status":"ACTIVE","amount":"1.00","holder":"S/a"},{"id":"R-1.2","status":"PENDING","amount":"2.00","holder":"S/a","pendingHolder":"S/b"}]}`)},
		"Reject": {Payload: []byte(`"done"`)},
	}}
	g := apitest.Start(t, led, nil)
	code, out, stderr := recv(t, g, "supplier-a", "split", "R-1", "--parts", "1.00,2.00")
	require.Equal(t, wire.ExitOK, code, stderr)
	require.Contains(t, out, "committed:  tx tx-Split in block 5")
	require.Contains(t, out, "R-1.2  PENDING  2.00    S/a -> S/b")
	code, out, _ = recv(t, g, "supplier-a", "reject", "R-1", "--reason", "no")
	require.Equal(t, wire.ExitOK, code)
	require.Contains(t, out, `result:     "done"`)

	calls := led.Recorded()
	require.Equal(t, apitest.Call{Caller: "supplier-a", Tx: "Split", Args: []string{"R-1", `["1.00","2.00"]`}}, calls[0])

	// Bad input caught by the gateway's operation table is invalid, with the table's message.
	code, _, stderr = recv(t, g, "supplier-a", "finance", "approve", "R-1", "--rate-bps", "-1")
	require.Equal(t, wire.ExitInvalid, code)
	require.Contains(t, stderr, "--rate-bps")
}

func TestExitCodes_FromTheRealServersProblems(t *testing.T) {
	tests := []struct {
		err  error
		code int
	}{
		{&fabric.Error{Kind: wire.KindNotFound, Stage: "evaluate", Message: "not_found: receivable R-9"}, wire.ExitNotFound},
		{&fabric.Error{Kind: wire.KindForbidden, Stage: "endorse", Message: "forbidden: not the holder"}, wire.ExitForbidden},
		{&fabric.Error{Kind: wire.KindConflict, Stage: "endorse", Message: "conflict: R-9 is PENDING"}, wire.ExitConflict},
		{&fabric.Error{Kind: wire.KindInvalid, Stage: "endorse", Message: "invalid: bad id"}, wire.ExitInvalid},
		{&fabric.Error{Kind: wire.KindUnavailable, Stage: "endorse", Message: "peer down"}, wire.ExitFailure},
	}
	for _, tt := range tests {
		t.Run(string(tt.err.(*fabric.Error).Kind), func(t *testing.T) {
			g := apitest.Start(t, &apitest.Ledger{Answers: map[string]apitest.Answer{"Get": {Err: tt.err}, "Accept": {Err: tt.err}}}, nil)
			code, _, stderr := recv(t, g, "supplier-a", "get", "R-9")
			require.Equal(t, tt.code, code)
			require.Contains(t, stderr, tt.err.(*fabric.Error).Message)
			code, _, _ = recv(t, g, "supplier-a", "accept", "R-9")
			require.Equal(t, tt.code, code)
		})
	}
	g := apitest.Start(t, &apitest.Ledger{}, nil)
	var errOut bytes.Buffer
	code := Execute([]string{"--gateway", g.URL, "--token", "recv_wrong", "get", "R-1"}, &bytes.Buffer{}, &errOut)
	require.Equal(t, wire.ExitForbidden, code, "unauthenticated")
	require.Contains(t, errOut.String(), "HTTP 401")
}

func TestSignWith_ThroughTheRealServer(t *testing.T) {
	_, certPEM, keyFile := signingKey(t)
	led := &apitest.Ledger{OfflineCerts: map[string][]byte{"treasurer": certPEM}}
	g := apitest.Start(t, led, nil)

	code, out, stderr := recv(t, g, "treasurer", "transfer", "R-1", "--to", "CoreMSP/supplier-a", "--sign-with", keyFile)
	require.Equal(t, wire.ExitOK, code, stderr)
	require.Regexp(t, `committed:  tx [0-9a-f]{64} in block 6`, out)
	require.Equal(t, apitest.Call{Caller: "treasurer", Tx: "prepare:Transfer", Args: []string{"R-1", "CoreMSP/supplier-a", ""}}, led.Recorded()[0])

	// supplier-a's proposal names supplier-a's certificate, not the key's.
	code, _, stderr = recv(t, g, "supplier-a", "accept", "R-1", "--sign-with", keyFile)
	require.Equal(t, wire.ExitFailure, code, "the key is not supplier-a's")
	require.Contains(t, stderr, "refusing to sign: the creator differs")
	code, _, _ = recv(t, g, "treasurer", "accept", "R-1", "--sign-with", filepath.Join(t.TempDir(), "none.pem"))
	require.Equal(t, wire.ExitInvalid, code)
	code, _, _ = recv(t, g, "treasurer", "accept", "R-1", "--sign-with", "gateway_test.go")
	require.Equal(t, wire.ExitInvalid, code)

	// The certificate is found beside the key, or named; a key without one is bad input.
	_, otherCert, otherKey := signingKey(t)
	code, _, stderr = recv(t, g, "treasurer", "accept", "R-1", "--sign-with", keyFile, "--sign-cert", filepath.Join(filepath.Dir(otherKey), "cert.pem"))
	require.Equal(t, wire.ExitInvalid, code)
	require.Contains(t, stderr, "the key is not the key of the certificate")
	require.NotNil(t, otherCert)
	lone := filepath.Join(t.TempDir(), "key.pem")
	keyPEM, err := os.ReadFile(keyFile)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(lone, keyPEM, 0o600))
	code, _, stderr = recv(t, g, "treasurer", "accept", "R-1", "--sign-with", lone)
	require.Equal(t, wire.ExitInvalid, code)
	require.Contains(t, stderr, "give it with --sign-cert")
	code, _, stderr = recv(t, g, "treasurer", "accept", "R-1", "--sign-with", lone, "--sign-cert", filepath.Join(filepath.Dir(keyFile), "cert.pem"))
	require.Equal(t, wire.ExitOK, code, stderr)
}

func TestEvents_PrintsOneLinePerTransaction(t *testing.T) {
	led := &apitest.Ledger{Stream: []fabric.Event{
		{BlockNumber: 3, TransactionID: "0123456789abcdef", Name: "Issue", Payload: []byte(`{"items":[{"id":"R-1","status":"PENDING","amount":"1.00","pendingHolder":"CoreMSP/supplier-a"}]}`)},
		{BlockNumber: 4, TransactionID: "b", Name: "Accept", Payload: []byte(`{"items":[{"id":"R-1","status":"ACTIVE","amount":"1.00","holder":"CoreMSP/supplier-a"}]}`)},
	}}
	g := apitest.Start(t, led, nil)
	code, out, stderr := recv(t, g, "supplier-a", "events", "--start-block", "0")
	require.Equal(t, wire.ExitOK, code, stderr)
	require.Equal(t, "block 3     Issue              tx 0123456789ab  R-1 PENDING 1.00\nblock 4     Accept             tx b  R-1 ACTIVE 1.00\n", out)

	code, out, _ = recv(t, g, "supplier-a", "events", "--count", "1", "-o", "json")
	require.Equal(t, wire.ExitOK, code)
	var ev wire.StreamEvent
	require.NoError(t, json.Unmarshal([]byte(out), &ev))
	require.Equal(t, "Issue", ev.Name)

	code, _, _ = recv(t, g, "supplier-a", "events", "--after", "bad")
	require.Equal(t, wire.ExitInvalid, code)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	root := NewRootCommand(&bytes.Buffer{}, &bytes.Buffer{})
	root.SetArgs([]string{"--gateway", g.URL, "--token", g.Tokens["supplier-a"], "events", "--follow"})
	require.NoError(t, root.ExecuteContext(ctx), "a cancelled follow ends quietly")
}

func TestUserRegister_OpensTheAccountTokenShownOnceOrWritten(t *testing.T) {
	members := apitest.NewMembers(wire.Org{MSPID: "CoreMSP", Kind: wire.OrgSupplier, Name: "Supplier Co", CreditCode: "91310000MA1FL0000N"})
	admin := &apitest.Admin{}
	g := apitest.Start(t, &apitest.Ledger{Members: members}, admin)
	code, out, stderr := recv(t, g, "admin", "user", "register", "supplier-d", "--role", "supplier")
	require.Equal(t, wire.ExitOK, code, stderr)
	require.Regexp(t, `token:    recv_\S{43}\n`, out)
	require.Equal(t, wire.AccountOpen, members.Accounts["CoreMSP/supplier-d"].Status, "registration opens the account")
	tokenFile := filepath.Join(t.TempDir(), "d.token")
	code, out, _ = recv(t, g, "admin", "user", "add", "supplier-e", "--role", "supplier", "--token-out", tokenFile)
	require.Equal(t, wire.ExitOK, code)
	require.Contains(t, out, "written to "+tokenFile)
	b, err := os.ReadFile(tokenFile)
	require.NoError(t, err)
	require.Regexp(t, `^recv_\S{43}\n$`, string(b))
	require.NotContains(t, out, strings.TrimSpace(string(b)), "a token written to a file is not printed")
	require.Contains(t, members.Accounts, "CoreMSP/supplier-e")
	code, out, _ = recv(t, g, "admin", "account", "show", "CoreMSP/supplier-e")
	require.Equal(t, wire.ExitOK, code)
	require.Contains(t, out, "status:   OPEN")
	code, out, _ = recv(t, g, "admin", "org", "list")
	require.Equal(t, wire.ExitOK, code)
	require.Contains(t, out, "CoreMSP  supplier  91310000MA1FL0000N  Supplier Co")

	code, _, stderr = recv(t, g, "admin", "user", "register", "x", "--role", "god")
	require.Equal(t, wire.ExitInvalid, code)
	require.Contains(t, stderr, "allowed: supplier, admin")
	code, _, stderr = recv(t, g, "admin", "user", "register", "x", "--role", "issuer")
	require.Equal(t, wire.ExitInvalid, code, "an issuer in a supplier organisation")
	require.Contains(t, stderr, "CoreMSP, a supplier organisation")
	require.Len(t, admin.Users(), 2, "refused before the CA")
	require.NotContains(t, members.Accounts, "CoreMSP/x")

	code, _, _ = recv(t, g, "admin", "user", "register", "x")
	require.Equal(t, wire.ExitInvalid, code, "--role is required")
	code, _, _ = recv(t, g, "supplier-a", "user", "register", "x", "--role", "supplier")
	require.Equal(t, wire.ExitForbidden, code)
	code, _, _ = recv(t, g, "admin", "user", "enroll", "x")
	require.Equal(t, wire.ExitInvalid, code, "enroll needs the CA's flags")
}

func TestGlobals_ResolveGatewayAndToken(t *testing.T) {
	g := apitest.Start(t, &apitest.Ledger{}, nil)
	dir := t.TempDir()
	addr := strings.TrimPrefix(g.URL, "http://")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "network.json"), []byte(`{"channel":"c","chaincode":"c","orgs":{"CoreMSP":{"name":"core","gateway":{"address":"`+addr+`"},"users":{"treasurer":{"role":"issuer","key":"/keys/t.pem"}}}}}`), 0o600))
	tokens := filepath.Join(dir, "gateways", "core", "tokens")
	require.NoError(t, os.MkdirAll(tokens, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(tokens, "supplier-a.token"), []byte(g.Tokens["supplier-a"]+"\n"), 0o600))
	t.Setenv("RECV_NET_DIR", dir)

	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := Execute(args, &out, &errOut)
		return code, out.String(), errOut.String()
	}
	code, out, stderr := run("--as", "CoreMSP/supplier-a", "whoami")
	require.Equal(t, wire.ExitOK, code, stderr)
	require.Contains(t, out, "CoreMSP/supplier-a")
	code, _, _ = run("--as", "core/treasurer", "whoami")
	require.Equal(t, wire.ExitFailure, code, "no token file for treasurer")
	code, out, _ = run("--as", "core/treasurer", "--token", g.Tokens["treasurer"], "whoami", "-o", "json")
	require.Equal(t, wire.ExitOK, code)
	require.Contains(t, out, `"account": "CoreMSP/treasurer"`)

	for _, bad := range [][]string{
		{"--as", "supplier-a", "whoami"}, {"--as", "NopeMSP/x", "whoami"}, {"whoami"},
		{"--gateway", "127.0.0.1:1", "whoami"}, {"--gateway", g.URL, "-o", "yaml", "whoami"},
		{"totals", "nobody", "--gateway", g.URL}, {"list", "--gateway", g.URL}, {"bogus"},
	} {
		code, _, _ := run(bad...)
		require.Equal(t, wire.ExitInvalid, code, "%v", bad)
	}
	t.Setenv("RECV_NET_DIR", t.TempDir())
	code, _, stderr = run("--as", "CoreMSP/supplier-a", "whoami")
	require.Equal(t, wire.ExitFailure, code)
	require.Contains(t, stderr, "--as needs the local network")
	code, _, _ = run("--gateway", "http://127.0.0.1:1", "whoami")
	require.Equal(t, wire.ExitFailure, code, "no gateway there")

	code, out, _ = run("netinfo", "--network", filepath.Join(dir, "network.json"))
	require.Equal(t, wire.ExitOK, code)
	require.Equal(t, "CoreMSP core "+addr+"\n", out)
	code, out, _ = run("netinfo", "--network", filepath.Join(dir, "network.json"), "--key", "CoreMSP/treasurer")
	require.Equal(t, wire.ExitOK, code)
	require.Equal(t, "/keys/t.pem\n", out)
	code, _, _ = run("netinfo", "--network", filepath.Join(dir, "network.json"), "--key", "CoreMSP/nobody")
	require.Equal(t, wire.ExitInvalid, code)
}

func TestServe_SettingsErrorsAreInvalid(t *testing.T) {
	t.Setenv("RECV_ORG", "")
	var errOut bytes.Buffer
	code := Execute([]string{"serve", "--network", filepath.Join(t.TempDir(), "network.json")}, &bytes.Buffer{}, &errOut)
	require.Equal(t, wire.ExitInvalid, code)
	require.Contains(t, errOut.String(), "--org")
	code = Execute([]string{"serve", "--org", "CoreMSP", "--config", filepath.Join(t.TempDir(), "none.yaml")}, &bytes.Buffer{}, &bytes.Buffer{})
	require.Equal(t, wire.ExitInvalid, code)
}

// signingKey makes an offline signing key and writes it as a PEM file, as a user keeps it.
// signingKey makes a key and its self-signed certificate, written as key.pem and cert.pem in one
// folder, as recv user register --key-out leaves them.
func signingKey(t *testing.T) (key *ecdsa.PrivateKey, certPEM []byte, keyFile string) {
	t.Helper()
	p := certtest.New(t, "signer")
	der, err := x509.MarshalECPrivateKey(p.Key)
	require.NoError(t, err)
	dir := t.TempDir()
	keyFile = filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "cert.pem"), p.CertPEM, 0o600))
	return p.Key, p.CertPEM, keyFile
}

// An https:// gateway is verified against --gateway-ca (RECV_GATEWAY_CA): without it the
// system's roots refuse the gateway's certificate; a file with no certificate is bad input.
func TestGatewayCA_AnHTTPSGatewayIsTrustedWithItsRoot(t *testing.T) {
	g := apitest.Start(t, &apitest.Ledger{}, nil)
	ts := httptest.NewTLSServer(g.Server.Config.Handler)
	t.Cleanup(ts.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw}), 0o600))
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := Execute(append([]string{"--gateway", ts.URL, "--token", g.Tokens["supplier-a"]}, args...), &out, &errOut)
		return code, out.String(), errOut.String()
	}
	code, _, stderr := run("whoami")
	require.Equal(t, wire.ExitFailure, code)
	require.Contains(t, stderr, "certificate")
	code, out, stderr := run("--gateway-ca", ca, "whoami")
	require.Equal(t, wire.ExitOK, code, stderr)
	require.Contains(t, out, "CoreMSP/supplier-a")
	t.Setenv("RECV_GATEWAY_CA", ca)
	code, _, stderr = run("whoami")
	require.Equal(t, wire.ExitOK, code, stderr)
	code, _, _ = run("--gateway-ca", filepath.Join(t.TempDir(), "missing.pem"), "whoami")
	require.Equal(t, wire.ExitInvalid, code)
}

// TestUserRegister_TheSameCommandFinishesAStoppedRegistration: the account could not be opened, so
// the command fails saying how to finish; the same command (the same --key-out file, whose key was
// written before the gateway was asked) finishes it: account opened, token written, certificate
// beside the key, the CA asked once.
func TestUserRegister_TheSameCommandFinishesAStoppedRegistration(t *testing.T) {
	members := apitest.NewMembers(wire.Org{MSPID: "CoreMSP", Kind: wire.OrgSupplier, Name: "Supplier Co", CreditCode: "91310000MA1FL0000N"})
	led := &apitest.Ledger{Members: members, Answers: map[string]apitest.Answer{
		"OpenAccount": {Err: &fabric.Error{Kind: wire.KindUnavailable, Stage: "endorse", Message: "no peer answered"}},
	}}
	admin := &apitest.Admin{}
	g := apitest.Start(t, led, admin)
	dir := t.TempDir()
	key, token := filepath.Join(dir, "d", "key.pem"), filepath.Join(dir, "d.token")
	args := []string{"user", "register", "supplier-d", "--role", "supplier", "--key-out", key, "--token-out", token}

	code, _, stderr := recv(t, g, "admin", args...)
	require.NotEqual(t, wire.ExitOK, code)
	require.Contains(t, stderr, "run the same registration again (recv user register supplier-d --role supplier --key-out <the same key file>)")
	first, err := os.ReadFile(key)
	require.NoError(t, err, "the key is kept for the second run")
	_, err = os.Stat(token)
	require.ErrorIs(t, err, os.ErrNotExist, "no token yet")

	delete(led.Answers, "OpenAccount")
	code, out, stderr := recv(t, g, "admin", args...)
	require.Equal(t, wire.ExitOK, code, stderr)
	require.Contains(t, out, "resumed:")
	require.Contains(t, out, "the existing key file")
	again, err := os.ReadFile(key)
	require.NoError(t, err)
	require.Equal(t, first, again, "the same key")
	cert, err := os.ReadFile(filepath.Join(dir, "d", "cert.pem"))
	require.NoError(t, err)
	require.Contains(t, string(cert), "BEGIN CERTIFICATE")
	tok, err := os.ReadFile(token)
	require.NoError(t, err)
	require.Len(t, admin.Users(), 1, "the CA was asked once")
	require.Equal(t, wire.AccountOpen, members.Accounts["CoreMSP/supplier-d"].Status)

	// A new token: the one written above is refused from then on.
	var whoOut, whoErr bytes.Buffer
	require.Equal(t, wire.ExitOK, Execute([]string{"--gateway", g.URL, "--token", strings.TrimSpace(string(tok)), "whoami"}, &whoOut, &whoErr), whoErr.String())
	code, out, stderr = recv(t, g, "admin", "user", "token", "supplier-d", "--token-out", token)
	require.Equal(t, wire.ExitOK, code, stderr)
	require.Contains(t, out, "old token:  refused from now on")
	fresh, err := os.ReadFile(token)
	require.NoError(t, err)
	require.NotEqual(t, tok, fresh)
	whoErr.Reset()
	require.Equal(t, wire.ExitForbidden, Execute([]string{"--gateway", g.URL, "--token", strings.TrimSpace(string(tok)), "whoami"}, &whoOut, &whoErr), "the old token")
	require.Equal(t, wire.ExitOK, Execute([]string{"--gateway", g.URL, "--token", strings.TrimSpace(string(fresh)), "whoami"}, &whoOut, &whoErr))
	code, _, _ = recv(t, g, "supplier-a", "user", "token", "supplier-d")
	require.Equal(t, wire.ExitForbidden, code)

	// Revoked: out of the gateway.
	code, out, stderr = recv(t, g, "admin", "user", "revoke", "supplier-d")
	require.Equal(t, wire.ExitOK, code, stderr)
	require.Contains(t, out, "gateway:       token and wallet entry removed")
	require.Equal(t, wire.ExitForbidden, Execute([]string{"--gateway", g.URL, "--token", strings.TrimSpace(string(fresh)), "whoami"}, &whoOut, &whoErr))
}

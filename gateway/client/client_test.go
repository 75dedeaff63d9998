package client_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/api/apitest"
	"github.com/recv-ledger/recv/gateway/client"
	"github.com/recv-ledger/recv/gateway/fabric"
)

func newClient(t *testing.T, g *apitest.Gateway, user string) *client.Client {
	t.Helper()
	c, err := client.New(g.URL, g.Tokens[user], client.WithRequestTimeout(time.Minute))
	require.NoError(t, err)
	return c
}

func TestCall_EveryOpReachesItsTransaction(t *testing.T) {
	tests := []struct {
		op     string
		path   []string
		query  url.Values
		body   any
		tx     string
		args   []string
		submit bool
	}{
		{"accept", []string{"R 1"}, nil, nil, "Accept", []string{"R 1"}, true},
		{"split", []string{"R-1"}, nil, wire.SplitRequest{Parts: []string{"1", "2"}}, "Split", []string{"R-1", `["1","2"]`}, true},
		{"transfer", []string{"R-1"}, nil, wire.TransferRequest{To: "S/b"}, "Transfer", []string{"R-1", "S/b", ""}, true},
		{"decide-financing", []string{"R-1"}, nil, wire.DecisionRequest{Decision: "approved", RateBps: 450}, "DecideFinancing", []string{"R-1", "approved"}, true},
		{"approve-financing", []string{"R-1"}, nil, wire.ApproveRequest{TermsHash: "ab"}, "ApproveFinancing", []string{"R-1", "ab", ""}, true},
		{"redeem-all", []string{"R"}, nil, wire.RedeemRequest{PaymentRef: "TRF-1"}, "RedeemAll", []string{"R", "TRF-1"}, true},
		{"confirm", []string{"I1"}, nil, nil, "ConfirmInstruction", []string{"I1"}, true},
		{"create-proposal", nil, nil, wire.ProposalRequest{ID: "P-1", Action: wire.ActionSetConfig, Config: &wire.ConfigRequest{MaxTermDays: 90}},
			"CreateProposal", []string{`{"id":"P-1","action":"set-config","config":{"maxTermDays":90}}`}, true},
		{"freeze-account", []string{"SupplierMSP", "supplier-b"}, nil, wire.ReasonRequest{Reason: "r"}, "FreezeAccount", []string{"SupplierMSP/supplier-b", "r"}, true},
		{"list-accounts", []string{"SupplierMSP"}, nil, nil, "ListAccounts", []string{"SupplierMSP", "20", ""}, false},
		{"get", []string{"R-1"}, nil, nil, "Get", []string{"R-1"}, false},
		{"totals", []string{"SupplierMSP", "supplier-a"}, nil, nil, "Totals", []string{"SupplierMSP/supplier-a"}, false},
		{"list-issued", nil, url.Values{"issuer": {"CoreMSP/treasurer"}}, nil, "ListByIssuer", []string{"CoreMSP/treasurer", "20", ""}, false},
		{"get-config", nil, nil, nil, "GetConfig", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.op, func(t *testing.T) {
			g := apitest.Start(t, &apitest.Ledger{Answers: map[string]apitest.Answer{tt.tx: {Payload: []byte(`{"ok":true}`)}}}, nil)
			c := newClient(t, g, "treasurer")
			var out json.RawMessage
			require.NoError(t, c.Call(context.Background(), tt.op, tt.path, tt.query, tt.body, &out))
			calls := g.Ledger.Recorded()
			require.Len(t, calls, 1)
			require.Equal(t, tt.tx, calls[0].Tx)
			if len(tt.args) > 0 {
				require.Equal(t, tt.args, calls[0].Args)
			}
			if tt.op == "decide-financing" {
				require.Equal(t, "450", string(calls[0].Transient["rateBps"]), "the rate travels as transient data")
			}
			if tt.submit {
				var res wire.SubmitResponse
				require.NoError(t, json.Unmarshal(out, &res))
				require.Equal(t, "tx-"+tt.tx, res.TransactionID)
				require.JSONEq(t, `{"ok":true}`, string(res.Result))
			} else {
				require.JSONEq(t, `{"ok":true}`, string(out))
			}
		})
	}
}

func TestCall_RefusesMisuseBeforeSending(t *testing.T) {
	g := apitest.Start(t, &apitest.Ledger{}, nil)
	c := newClient(t, g, "treasurer")
	ctx := context.Background()
	for name, err := range map[string]error{
		"unknown op":       c.Call(ctx, "mint", nil, nil, nil, nil),
		"path values":      c.Call(ctx, "accept", nil, nil, nil, nil),
		"body for no body": c.Call(ctx, "accept", []string{"R-1"}, nil, map[string]string{"x": "y"}, nil),
	} {
		require.ErrorIs(t, err, wire.ErrInvalid, name)
	}
	require.Empty(t, g.Ledger.Recorded())
}

func TestCall_FailuresAreTheGatewaysProblem(t *testing.T) {
	tests := []struct {
		err    error
		kind   wire.Kind
		status int
	}{
		{&fabric.Error{Kind: wire.KindNotFound, Stage: "evaluate", Message: "not_found: receivable R-9"}, wire.KindNotFound, 404},
		{&fabric.Error{Kind: wire.KindConflict, Stage: "commit", TransactionID: "t9", Message: "conflict: retry"}, wire.KindConflict, 409},
		{&fabric.Error{Kind: wire.KindTimeout, Stage: "commit_status", Message: "deadline"}, wire.KindTimeout, 504},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			g := apitest.Start(t, &apitest.Ledger{Answers: map[string]apitest.Answer{"Get": {Err: tt.err}}}, nil)
			_, err := newClient(t, g, "supplier-a").Get(context.Background(), "R-9")
			var p *wire.Problem
			require.ErrorAs(t, err, &p)
			require.Equal(t, tt.kind, p.Kind)
			require.Equal(t, tt.status, p.Status)
			require.Equal(t, tt.err.(*fabric.Error).Message, p.Detail)
			require.ErrorIs(t, err, &wire.Error{Kind: tt.kind})
		})
	}
}

func TestProblem_KindComesFromTheBodyNeverTheStatus(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/receivables/R-1" {
			w.WriteHeader(http.StatusConflict)
			_, _ = w.Write([]byte(`{"status":409,"kind":"not_found","detail":"odd but told"}`))
			return
		}
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte("404 page not found\n"))
	}))
	defer srv.Close()
	c, err := client.New(srv.URL, "")
	require.NoError(t, err)
	_, err = c.Get(context.Background(), "R-1")
	var p *wire.Problem
	require.ErrorAs(t, err, &p)
	require.Equal(t, wire.KindNotFound, p.Kind)
	require.Equal(t, 409, p.Status)

	resp, err := c.Do(context.Background(), http.MethodGet, "/elsewhere", nil, nil)
	require.NoError(t, err)
	require.False(t, resp.OK())
	require.Equal(t, wire.Kind(""), resp.Problem().Kind, "no kind is made up from a 404")
	require.Equal(t, "404 page not found", resp.Problem().Detail)
}

func TestDo_RawAnswersAndHeaders(t *testing.T) {
	g := apitest.Start(t, &apitest.Ledger{}, nil)
	c := newClient(t, g, "supplier-a")
	resp, err := c.Do(context.Background(), http.MethodPost, "/v1/receivables/R-1/accept", nil, http.Header{"Idempotency-Key": {"k1"}})
	require.NoError(t, err)
	require.True(t, resp.OK())
	require.Nil(t, resp.Problem())
	again, err := c.Do(context.Background(), http.MethodPost, "/v1/receivables/R-1/accept", nil, http.Header{"Idempotency-Key": {"k1"}})
	require.NoError(t, err)
	require.Equal(t, "true", again.Header.Get("Idempotent-Replayed"))
	require.Len(t, g.Ledger.Recorded(), 1)

	anon, err := client.New(g.URL, "")
	require.NoError(t, err)
	resp, err = anon.Do(context.Background(), http.MethodGet, "/v1/whoami", nil, nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusUnauthorized, resp.Status)
	require.Equal(t, wire.KindUnauthenticated, resp.Problem().Kind)
}

func TestSubmit_IdempotencyKeyDerivesTheIssueID(t *testing.T) {
	g := apitest.Start(t, &apitest.Ledger{Answers: map[string]apitest.Answer{"Issue": {Payload: []byte(`{"txId":"tx-Issue","op":"Issue","items":[{"id":"R-1","status":"PENDING","amount":"1.00","amountFen":100}]}`)}}}, nil)
	c := newClient(t, g, "treasurer")
	req := wire.IssueRequest{Beneficiary: "SupplierMSP/supplier-a", Amount: "1.00", MaturityDate: "2027-01-01", Contract: wire.Document{Number: "C", SHA256: "a"}}
	res, err := c.Submit(context.Background(), "issue", nil, req, client.WithIdempotencyKey("order-7"), client.WithHeader("Request-Timeout", "5s"))
	require.NoError(t, err)
	ev, err := client.EventOf(res)
	require.NoError(t, err)
	require.Equal(t, "R-1", ev.Items[0].ID)
	var sent wire.IssueRequest
	require.NoError(t, json.Unmarshal([]byte(g.Ledger.Recorded()[0].Args[0]), &sent))
	require.True(t, strings.HasPrefix(sent.ID, "RK"), sent.ID)
}

func TestTypedHelpers(t *testing.T) {
	led := &apitest.Ledger{Answers: map[string]apitest.Answer{
		"ListByHolder": {Payload: []byte(`{"items":[{"id":"R-1","status":"ACTIVE"}],"bookmark":"b","count":1}`)},
	}}
	g := apitest.Start(t, led, nil)
	c := newClient(t, g, "supplier-a")
	ctx := context.Background()

	page, err := c.List(ctx, client.ListQuery{Holder: "CoreMSP/supplier-a", PageSize: 5, Bookmark: "a"})
	require.NoError(t, err)
	require.Equal(t, wire.StatusActive, page.Items[0].Status)
	require.Equal(t, []string{"CoreMSP/supplier-a", "5", "a"}, led.Recorded()[0].Args)
	_, err = c.List(ctx, client.ListQuery{})
	require.ErrorIs(t, err, wire.ErrInvalid)

	st, err := c.Transaction(ctx, "abc")
	require.NoError(t, err)
	require.Equal(t, wire.TxStatus{TransactionID: "abc", ValidationCode: "VALID", Valid: true, BlockNumber: 9}, *st)

	me, err := c.WhoAmI(ctx)
	require.NoError(t, err)
	require.Equal(t, "CoreMSP/supplier-a", me.Account)
	require.Equal(t, wire.RoleSupplier, me.Role)

	_, err = c.AddUser(ctx, wire.NewUser{Name: "x", Role: "supplier"})
	require.ErrorIs(t, err, wire.ErrNotFound, "no user administration on this gateway")
}

func TestEvents_StreamInOrderUntilTheEnd(t *testing.T) {
	led := &apitest.Ledger{Stream: []fabric.Event{
		{BlockNumber: 3, TransactionID: "a", Name: "Issue", Payload: []byte(`{"items":[{"id":"R-1","holder":"CoreMSP/supplier-a"}]}`)},
		{BlockNumber: 4, TransactionID: "b", Name: "Accept", Payload: []byte(`{"items":[{"id":"R-1","holder":"CoreMSP/supplier-a"}]}`)},
		{BlockNumber: 4, TransactionID: "c", Name: "Issue", Payload: []byte(`{"items":[{"id":"R-9","holder":"CoreMSP/someone-else"}]}`)},
	}}
	g := apitest.Start(t, led, nil)
	c := newClient(t, g, "supplier-a")
	var got []client.Event
	err := c.Events(context.Background(), client.StreamOptions{StartBlock: 0, IdleStop: 5 * time.Second}, func(ev client.Event) bool {
		got = append(got, ev)
		return true
	})
	require.NoError(t, err)
	require.Len(t, got, 2)
	require.Equal(t, "3:a", got[0].ID)
	require.Equal(t, "Accept", got[1].Name)
	require.Equal(t, uint64(4), got[1].BlockNumber)
	require.JSONEq(t, `{"txId":"","op":"","items":[{"id":"R-1","status":"","amount":"","amountFen":0,"holder":"CoreMSP/supplier-a"}]}`, string(got[1].Payload),
		"the gateway re-encodes what the caller may read; another holder's R-9 is not delivered")

	// fn stops the stream.
	n := 0
	require.NoError(t, c.Events(context.Background(), client.StreamOptions{After: "3:a"}, func(client.Event) bool { n++; return false }))
	require.Equal(t, 1, n)

	// A refused stream is a problem.
	err = c.Events(context.Background(), client.StreamOptions{After: "nonsense"}, func(client.Event) bool { return true })
	require.ErrorIs(t, err, wire.ErrInvalid)
}

func TestEvents_IdleStop(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = w.Write([]byte(": recv events\n\n"))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	defer srv.Close()
	c, err := client.New(srv.URL, "")
	require.NoError(t, err)
	start := time.Now()
	require.NoError(t, c.Events(context.Background(), client.StreamOptions{StartBlock: -1, IdleStop: 100 * time.Millisecond}, func(client.Event) bool { return true }))
	require.Less(t, time.Since(start), 5*time.Second)

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, c.Events(ctx, client.StreamOptions{StartBlock: -1}, func(client.Event) bool { return true }), context.DeadlineExceeded)
}

func keyPair(t *testing.T) (*ecdsa.PrivateKey, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	der, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	return key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

func TestSubmitOffline_SignsBothDigestsHere(t *testing.T) {
	signer, certPEM := newIdentity(t, "treasurer")
	led := &apitest.Ledger{OfflineCerts: map[string][]byte{"treasurer": certPEM}}
	g := apitest.Start(t, led, nil)
	c := newClient(t, g, "treasurer")

	res, err := c.SubmitOffline(context.Background(), signer, "split", "R-1", wire.SplitRequest{Parts: []string{"1", "2"}}, client.WithIdempotencyKey("k"))
	require.NoError(t, err)
	require.Len(t, res.TransactionID, 64)
	require.Equal(t, uint64(6), res.BlockNumber)
	calls := led.Recorded()
	require.Equal(t, apitest.Call{Caller: "treasurer", Tx: "prepare:Split", Args: []string{"R-1", `["1","2"]`}}, calls[0])

	// Another identity's key and certificate are refused before anything is signed: the
	// proposal's creator is the treasurer.
	wrong, _ := newIdentity(t, "mallory")
	_, err = c.SubmitOffline(context.Background(), wrong, "accept", "R-1", nil)
	var ue *client.UnapprovedError
	require.ErrorAs(t, err, &ue)
	require.Equal(t, "creator", ue.What)

	_, err = c.SubmitOffline(context.Background(), signer, "get", "R-1", nil)
	require.ErrorIs(t, err, wire.ErrInvalid, "queries are not signed")

	// An approval at a rate is two transactions, each signed here: the decision with the rate
	// (transient data), then the approval with the hash the decision's result carries.
	led.Calls = nil
	_, err = c.SubmitOffline(context.Background(), signer, "approve-financing", "R-1", wire.ApproveRequest{RateBps: 450, WithoutRecourse: true})
	require.NoError(t, err)
	var prepared []apitest.Call
	for _, call := range led.Recorded() {
		if strings.HasPrefix(call.Tx, "prepare:") {
			prepared = append(prepared, call)
		}
	}
	require.Len(t, prepared, 2)
	require.Equal(t, []string{"R-1", "approved"}, prepared[0].Args)
	require.Equal(t, "450", string(prepared[0].Transient["rateBps"]))
	require.Equal(t, "prepare:ApproveFinancing", prepared[1].Tx)
	require.Equal(t, []string{"R-1", apitest.TermsHash, "true"}, prepared[1].Args)
	require.Empty(t, prepared[1].Transient)
}

func TestNewSigner_LowSAndKeyForms(t *testing.T) {
	key, pkcs8 := keyPair(t)
	sec1DER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	sec1 := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1DER})
	half := new(big.Int).Rsh(elliptic.P256().Params().N, 1)
	for _, keyPEM := range [][]byte{pkcs8, sec1} {
		sign, err := client.NewSigner(keyPEM)
		require.NoError(t, err)
		for i := 0; i < 20; i++ {
			d := sha256.Sum256([]byte{byte(i)})
			sig, err := sign(d[:])
			require.NoError(t, err)
			require.True(t, ecdsa.VerifyASN1(&key.PublicKey, d[:], sig))
			var rs struct{ R, S *big.Int }
			_, err = asn1.Unmarshal(sig, &rs)
			require.NoError(t, err)
			require.LessOrEqual(t, rs.S.Cmp(half), 0, "S is in the lower half")
		}
	}
	_, err = client.NewSigner([]byte("not a key"))
	require.Error(t, err)
	_, err = client.NewSigner(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1, 2}}))
	require.Error(t, err)
}

func TestLocateAndAs_OneRuleForTokenFiles(t *testing.T) {
	g := apitest.Start(t, &apitest.Ledger{}, nil)
	dir := t.TempDir()
	addr := strings.TrimPrefix(g.URL, "http://")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "network.json"), []byte(`{"channel":"c","chaincode":"c","orgs":{"CoreMSP":{"name":"core","gateway":{"address":"`+addr+`"}}}}`), 0o600))
	tokenFile := client.TokenFile(dir, "core", "supplier-a")
	require.Equal(t, filepath.Join(dir, "gateways", "core", "tokens", "supplier-a.token"), tokenFile)
	require.NoError(t, os.MkdirAll(filepath.Dir(tokenFile), 0o700))
	require.NoError(t, os.WriteFile(tokenFile, []byte(g.Tokens["supplier-a"]+"\n"), 0o600))

	loc, err := client.Locate(dir, "core/supplier-a")
	require.NoError(t, err)
	require.Equal(t, client.Location{Account: "CoreMSP/supplier-a", MSPID: "CoreMSP", User: "supplier-a", Org: "core", BaseURL: g.URL, TokenFile: tokenFile,
		Channel: "c", Chaincode: "c"}, *loc, "the network description names the channel and chaincode offline proposals must name")

	c, err := client.As(dir, "CoreMSP/supplier-a")
	require.NoError(t, err)
	require.Equal(t, g.URL, c.BaseURL())
	me, err := c.WhoAmI(context.Background())
	require.NoError(t, err)
	require.Equal(t, "supplier-a", me.Name)

	for _, bad := range []string{"supplier-a", "/x", "NopeMSP/x"} {
		_, err := client.Locate(dir, bad)
		require.ErrorIs(t, err, wire.ErrInvalid, bad)
	}
	_, err = client.As(dir, "CoreMSP/nobody")
	require.ErrorContains(t, err, "read token")
	_, err = client.Locate(t.TempDir(), "CoreMSP/x")
	require.Error(t, err)
	require.False(t, errors.Is(err, wire.ErrInvalid), "a missing network is not bad input")
}

func TestNew_Options(t *testing.T) {
	_, err := client.New("127.0.0.1:8801", "")
	require.Error(t, err)
	_, err = client.New("http://x", "", client.WithHTTPClient(nil))
	require.Error(t, err)
	_, err = client.New("http://x", "", client.WithRequestTimeout(-time.Second))
	require.Error(t, err)
	c, err := client.New("https://x/", "", client.WithHTTPClient(&http.Client{}))
	require.NoError(t, err)
	require.Equal(t, "https://x", c.BaseURL())
}

// A gateway that serves HTTPS: network.json names the root of its certificate, and client.As
// (and Locate, for the CLI) verifies the gateway against that root only.
func TestAs_AnHTTPSGatewayIsVerifiedAgainstTheRootNetworkJSONNames(t *testing.T) {
	g := apitest.Start(t, &apitest.Ledger{}, nil)
	ts := httptest.NewTLSServer(g.Server.Config.Handler)
	t.Cleanup(ts.Close)
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	require.NoError(t, os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw}), 0o600))
	addr := strings.TrimPrefix(ts.URL, "https://")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "network.json"),
		[]byte(`{"channel":"c","chaincode":"c","orgs":{"CoreMSP":{"name":"core","gateway":{"address":"`+addr+`","tlsCACert":"`+ca+`"}}}}`), 0o600))
	tokenFile := client.TokenFile(dir, "core", "supplier-a")
	require.NoError(t, os.MkdirAll(filepath.Dir(tokenFile), 0o700))
	require.NoError(t, os.WriteFile(tokenFile, []byte(g.Tokens["supplier-a"]), 0o600))

	loc, err := client.Locate(dir, "CoreMSP/supplier-a")
	require.NoError(t, err)
	require.Equal(t, ts.URL, loc.BaseURL)
	require.Equal(t, ca, loc.TLSCACert)
	c, err := client.As(dir, "CoreMSP/supplier-a")
	require.NoError(t, err)
	me, err := c.WhoAmI(context.Background())
	require.NoError(t, err)
	require.Equal(t, "supplier-a", me.Name)

	// Without the root (the system's roots), or with another root, the handshake fails.
	plain, err := client.New(ts.URL, g.Tokens["supplier-a"])
	require.NoError(t, err)
	_, err = plain.WhoAmI(context.Background())
	require.ErrorContains(t, err, "certificate")
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	require.NoError(t, err)
	otherCA := filepath.Join(dir, "other.pem")
	require.NoError(t, os.WriteFile(otherCA, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	wrong, err := client.New(ts.URL, g.Tokens["supplier-a"], client.WithTLSCAFile(otherCA))
	require.NoError(t, err)
	_, err = wrong.WhoAmI(context.Background())
	require.ErrorContains(t, err, "certificate")

	_, err = client.New(ts.URL, "", client.WithTLSCAFile(filepath.Join(dir, "missing.pem")))
	require.Error(t, err)
	_, err = client.New(ts.URL, "", client.WithTLSCAFile(tokenFile))
	require.ErrorContains(t, err, "no certificate")
}

// A write answered 202 (sent, outcome not known yet) is asked again with its Idempotency-Key until
// the gateway knows the outcome; without a key the caller learns at once that it may still commit.
func TestSubmit_APendingWriteIsAskedAgainWithItsKey(t *testing.T) {
	client.PendingInterval = 10 * time.Millisecond
	t.Cleanup(func() { client.PendingInterval = 2 * time.Second })
	var asked []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked = append(asked, r.Header.Get("Idempotency-Key"))
		w.Header().Set("Content-Type", "application/json")
		if len(asked) < 3 {
			w.WriteHeader(http.StatusAccepted)
			_, _ = w.Write([]byte(`{"txId":"tx-1","blockNumber":0,"result":null,"pending":true,"message":"submitted as transaction tx-1"}`))
			return
		}
		_, _ = w.Write([]byte(`{"txId":"tx-1","blockNumber":7,"result":{"op":"Accept"}}`))
	}))
	t.Cleanup(srv.Close)
	c, err := client.New(srv.URL, "token")
	require.NoError(t, err)

	res, err := c.Submit(context.Background(), "accept", []string{"R-1"}, nil, client.WithIdempotencyKey("k1"))
	require.NoError(t, err)
	require.Equal(t, uint64(7), res.BlockNumber)
	require.Equal(t, []string{"k1", "k1", "k1"}, asked, "the same key each time")

	asked = nil
	_, err = c.Submit(context.Background(), "accept", []string{"R-1"}, nil)
	var pending *client.PendingError
	require.ErrorAs(t, err, &pending)
	require.Equal(t, "tx-1", pending.Response.TransactionID)
	require.Contains(t, err.Error(), "pending: submitted as transaction tx-1")
	require.Len(t, asked, 1, "no key: not asked again")
}

// A write under two-person control is two requests: the caller's wait preference goes with both,
// its idempotency key with the maker's only (the checker's confirmation is another request).
func TestSubmitConfirmed_PreferencesGoWithBothWrites(t *testing.T) {
	type seen struct{ path, prefer, key string }
	var got []seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, seen{r.URL.Path, r.Header.Get("Prefer"), r.Header.Get("Idempotency-Key")})
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/confirm") {
			_, _ = w.Write([]byte(`{"txId":"tx-2","blockNumber":8,"result":{"op":"Confirm"}}`))
			return
		}
		_, _ = w.Write([]byte(`{"txId":"tx-1","blockNumber":7,"result":{"op":"RedeemAll","instruction":{"id":"I-1","status":"OPEN"}}}`))
	}))
	t.Cleanup(srv.Close)
	c, err := client.New(srv.URL, "token")
	require.NoError(t, err)
	res, err := c.SubmitConfirmed(context.Background(), c, "redeem", []string{"R-1"}, wire.RedeemRequest{PaymentRef: "TRF-1"},
		client.WithIdempotencyKey("k1"), client.WithPeerWait(2500*time.Millisecond))
	require.NoError(t, err)
	require.Equal(t, "tx-2", res.TransactionID)
	require.Len(t, got, 2)
	require.Equal(t, seen{"/v1/receivables/R-1/redeem", "wait=2", "k1"}, got[0])
	require.Equal(t, "wait=2", got[1].prefer)
	require.Empty(t, got[1].key)
}

// Package apitest runs the real REST server of package api over an in-memory ledger, so that the
// gateway's clients (package client, the recv CLI) are tested against the routes, the error table
// and the problem bodies they will meet, without a Fabric network.
package apitest

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/api"
	"github.com/recv-ledger/recv/gateway/auth"
	"github.com/recv-ledger/recv/gateway/fabric"
	"github.com/recv-ledger/recv/gateway/fabric/fabrictest"
	"github.com/recv-ledger/recv/gateway/fabric/proposaltest"
)

// Call is one call the ledger received.
type Call struct {
	Caller    string
	Tx        string
	Args      []string
	Transient map[string][]byte // a submitted or prepared proposal's transient data
}

// Answer is what the ledger answers to a transaction: its payload, or an error (typically a
// *fabric.Error of a refusal kind).
type Answer struct {
	Payload []byte
	Err     error
}

// Ledger stands in for the Fabric client: it records calls and answers from Answers by
// transaction name, then from Members for the registry's transactions (default: a null
// payload). Offline signatures are checked against the signing user's certificate in OfflineCerts.
type Ledger struct {
	mu           sync.Mutex
	Calls        []Call
	Answers      map[string]Answer
	Members      *Members
	Stream       []fabric.Event    // what Events streams
	OfflineCerts map[string][]byte // PEM certificates of the users who sign offline, by user name
	identities   map[string]*fabric.Identity
	offline      map[string][]byte // the bytes to sign, by "proposal/<txId>" or "transaction/<txId>"
	prepared     []string          // the last prepared proposal: its transaction, then its arguments
}

func (l *Ledger) record(caller, tx string, args []string) Answer {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.Calls = append(l.Calls, Call{Caller: caller, Tx: tx, Args: args})
	if a, ok := l.Answers[tx]; ok || l.Members == nil {
		return a
	}
	msp := ""
	if id, ok := l.identities[caller]; ok {
		msp = id.ID.MspID()
	}
	a, _ := l.Members.answer(msp, tx, args)
	return a
}

// withTransient notes the transient data of the call just recorded.
func (l *Ledger) withTransient(transient map[string][]byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.Calls[len(l.Calls)-1].Transient = transient
}

// Recorded returns a copy of the calls so far.
func (l *Ledger) Recorded() []Call {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Call(nil), l.Calls...)
}

// Submit implements api.Ledger.
func (l *Ledger) Submit(_ context.Context, name, tx string, args []string, transient map[string][]byte, onSubmitted func(string)) (*fabric.Result, error) {
	a := l.record(name, tx, args)
	l.withTransient(transient)
	if a.Err != nil {
		return nil, a.Err
	}
	if onSubmitted != nil {
		onSubmitted("tx-" + tx)
	}
	return &fabric.Result{TransactionID: "tx-" + tx, BlockNumber: 5, Payload: a.Payload, Attempts: 1}, nil
}

// Evaluate implements api.Ledger.
func (l *Ledger) Evaluate(_ context.Context, name, tx string, args ...string) ([]byte, error) {
	a := l.record(name, tx, args)
	return a.Payload, a.Err
}

// TransactionStatus implements api.Ledger: every id is valid in block 9 unless Answers["qscc"]
// holds an error.
func (l *Ledger) TransactionStatus(_ context.Context, name, txID string) (*fabric.TxStatus, error) {
	if a := l.record(name, "qscc", []string{txID}); a.Err != nil {
		return nil, a.Err
	}
	return &fabric.TxStatus{TransactionID: txID, ValidationCode: "VALID", Valid: true, BlockNumber: 9}, nil
}

// Events implements api.Ledger: it streams Stream, then ends the stream.
func (l *Ledger) Events(ctx context.Context, _ string, _ fabric.Position) (<-chan fabric.Event, error) {
	out := make(chan fabric.Event)
	go func() {
		defer close(out)
		for _, e := range l.Stream {
			select {
			case out <- e:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

// Channel and Chaincode are what the test ledger's proposals name.
const (
	Channel   = "receivables"
	Chaincode = "receivables"
)

// PrepareProposal implements api.Ledger: a real Fabric proposal, whose creator is the caller's
// certificate in OfflineCerts (else its wallet identity's).
func (l *Ledger) PrepareProposal(name, tx string, args []string, transient map[string][]byte) (*fabric.Unsigned, error) {
	l.record(name, "prepare:"+tx, args)
	l.withTransient(transient)
	l.mu.Lock()
	l.prepared = append([]string{tx}, args...)
	cert := l.OfflineCerts[name]
	if id, ok := l.identities[name]; ok && cert == nil {
		cert = id.ID.Credentials()
	}
	l.mu.Unlock()
	txID, b, err := proposaltest.Proposal{Channel: Channel, Chaincode: Chaincode, MSPID: "CoreMSP", Cert: cert,
		Function: tx, Args: args, Transient: transient}.Build()
	if err != nil {
		return nil, err
	}
	return l.unsigned(txID, "proposal", b, nil), nil
}

// unsigned keeps the bytes to sign of a proposal or transaction under the key the server keeps
// for it ("proposal/<txId>").
func (l *Ledger) unsigned(txID, stage string, signed, result []byte) *fabric.Unsigned {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.offline == nil {
		l.offline = map[string][]byte{}
	}
	key := stage + "/" + txID
	l.offline[key] = signed
	d := sha256.Sum256(signed)
	return &fabric.Unsigned{TransactionID: txID, Bytes: []byte(key), Signed: signed, Digest: d[:], Result: result}
}

// verify checks sig of the bytes kept under key against name's certificate in OfflineCerts and
// returns those bytes and their transaction id.
func (l *Ledger) verify(name string, key, sig []byte) (signed []byte, txID string, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	stage, txID, _ := strings.Cut(string(key), "/")
	signed = l.offline[string(key)]
	d := sha256.Sum256(signed)
	var pub *ecdsa.PublicKey
	if block, _ := pem.Decode(l.OfflineCerts[name]); block != nil {
		if cert, err := x509.ParseCertificate(block.Bytes); err == nil {
			pub, _ = cert.PublicKey.(*ecdsa.PublicKey)
		}
	}
	if pub == nil || signed == nil || !ecdsa.VerifyASN1(pub, d[:], sig) {
		return nil, "", &fabric.Error{Kind: wire.KindInvalid, Stage: map[string]string{"proposal": "endorse", "transaction": "submit"}[stage],
			Message: "invalid: the " + stage + " signature does not match " + name + "'s certificate"}
	}
	return signed, txID, nil
}

// EndorseSigned implements api.Ledger: the transaction a peer's gateway prepares from the
// proposal.
func (l *Ledger) EndorseSigned(_ context.Context, name string, b, sig []byte) (*fabric.Unsigned, error) {
	l.record(name, "endorse", nil)
	proposal, txID, err := l.verify(name, b, sig)
	if err != nil {
		return nil, err
	}
	result := []byte(`{"txId":"` + txID + `","op":"Accept","items":[]}`)
	payload, err := proposaltest.Endorsed(proposal, result)
	if err != nil {
		return nil, err
	}
	return l.unsigned(txID, "transaction", payload, result), nil
}

// SubmitSigned implements api.Ledger.
func (l *Ledger) SubmitSigned(_ context.Context, name, _ string, b, sig []byte) (*fabric.Result, error) {
	l.record(name, "submit", nil)
	_, txID, err := l.verify(name, b, sig)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	prepared := l.prepared
	l.mu.Unlock()
	if len(prepared) > 1 && prepared[0] == "DecideFinancing" {
		return &fabric.Result{TransactionID: txID, BlockNumber: 6, Payload: []byte(`{"txId":"` + txID + `","op":"DecideFinancing","items":[{"id":"` +
			prepared[1] + `","bank":"Bank1MSP","termsHash":"` + TermsHash + `"}]}`), Attempts: 1}, nil
	}
	return &fabric.Result{TransactionID: txID, BlockNumber: 6, Payload: []byte(`{"txId":"` + txID + `","op":"Accept","items":[]}`), Attempts: 1}, nil
}

// TermsHash is the hash of every decision the test ledger records (DecideFinancing).
const TermsHash = "5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592"

// Ready implements api.Ledger.
func (l *Ledger) Ready(context.Context, string) error { return nil }

// Identity implements api.Ledger.
func (l *Ledger) Identity(name string) (*fabric.Identity, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	id, ok := l.identities[name]
	return id, ok
}

// Names lists the wallet's users, sorted (as fabric.Client.Names).
func (l *Ledger) Names() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Sorted(maps.Keys(l.identities))
}

func (l *Ledger) addIdentity(id *fabric.Identity) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.identities[id.Name] = id
}

func (l *Ledger) removeIdentity(name string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, ok := l.identities[name]
	delete(l.identities, name)
	return ok
}

// Gateway is a running test gateway: its URL, its ledger and a bearer token per user.
type Gateway struct {
	*httptest.Server
	Ledger *Ledger
	Tokens map[string]string
	Auth   *auth.Authenticator // the gateway's tokens
}

// Do sends method path to the test gateway with token as the bearer token (none when empty), body
// as JSON (none when empty) and hdr's name-value pairs as headers; it returns the answer's status
// and body.
func (g *Gateway) Do(t testing.TB, method, path, token, body string, hdr ...string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, g.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// Users are the test gateway's identities (all of CoreMSP) and their roles.
var Users = map[string]string{"treasurer": wire.RoleIssuer, "supplier-a": wire.RoleSupplier, "admin": wire.RoleAdmin}

// Start runs the api.Server over led on a loopback port until the test ends. admin, when not
// nil, serves the user administration; an *Admin adds its users to led's wallet.
func Start(t testing.TB, led *Ledger, admin api.UserAdmin) *Gateway {
	t.Helper()
	store, err := auth.OpenTokenStore("")
	if err != nil {
		t.Fatal(err)
	}
	g := &Gateway{Ledger: led, Tokens: map[string]string{}}
	led.identities = map[string]*fabric.Identity{}
	for name, role := range Users {
		if g.Tokens[name], err = store.Mint(name); err != nil {
			t.Fatal(err)
		}
		led.identities[name] = fabrictest.Identity(t, "CoreMSP", name, role)
	}
	if a, ok := admin.(*Admin); ok {
		a.ledger = led
	}
	g.Auth = &auth.Authenticator{Tokens: store}
	srv := api.NewServer(api.Config{Ledger: led, Auth: g.Auth, Admin: admin, ServiceIdentity: "admin"})
	g.Server = httptest.NewServer(srv)
	t.Cleanup(g.Close)
	return g
}

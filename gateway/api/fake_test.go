package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/gateway/auth"
	"github.com/recv-ledger/recv/gateway/fabric"
	"github.com/recv-ledger/recv/gateway/fabric/fabrictest"

	"github.com/recv-ledger/recv/chaincode/wire"
)

type call struct {
	caller    string
	tx        string
	args      []string
	transient map[string][]byte
}

// fakeLedger records calls and answers with canned results; it stands in for the Fabric client.
type fakeLedger struct {
	mu       sync.Mutex
	calls    []call
	err      error
	payload  []byte
	events   []fabric.Event
	gotPos   fabric.Position
	offline  map[string]bool
	identity map[string]*fabric.Identity
}

func (f *fakeLedger) record(name, tx string, args []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call{caller: name, tx: tx, args: args})
}

func (f *fakeLedger) Submit(_ context.Context, name, tx string, args []string, transient map[string][]byte, _ func(string)) (*fabric.Result, error) {
	f.record(name, tx, args)
	f.mu.Lock()
	f.calls[len(f.calls)-1].transient = transient
	f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	if tx == "DecideFinancing" {
		return &fabric.Result{TransactionID: "tx0", BlockNumber: 4, Payload: []byte(`{"txId":"tx0","op":"DecideFinancing","items":[{"id":"` +
			args[0] + `","bank":"Bank1MSP","termsHash":"` + fakeTermsHash + `"}]}`), Attempts: 1}, nil
	}
	return &fabric.Result{TransactionID: "tx1", BlockNumber: 5, Payload: f.payload, Attempts: 1}, nil
}

// fakeTermsHash is the hash every decision the fake ledger records carries.
const fakeTermsHash = "5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592"

func (f *fakeLedger) Evaluate(_ context.Context, name, tx string, args ...string) ([]byte, error) {
	f.record(name, tx, args)
	if f.err != nil {
		return nil, f.err
	}
	return f.payload, nil
}

func (f *fakeLedger) TransactionStatus(_ context.Context, name, txID string) (*fabric.TxStatus, error) {
	f.record(name, "qscc", []string{txID})
	if f.err != nil {
		return nil, f.err
	}
	return &fabric.TxStatus{TransactionID: txID, ValidationCode: "VALID", Valid: true, BlockNumber: 9}, nil
}

func (f *fakeLedger) Events(ctx context.Context, name string, pos fabric.Position) (<-chan fabric.Event, error) {
	f.gotPos = pos
	out := make(chan fabric.Event)
	go func() {
		defer close(out)
		for _, e := range f.events {
			select {
			case out <- e:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

func (f *fakeLedger) PrepareProposal(name, tx string, args []string, transient map[string][]byte) (*fabric.Unsigned, error) {
	f.record(name, "prepare:"+tx, args)
	f.mu.Lock()
	f.calls[len(f.calls)-1].transient = transient
	f.mu.Unlock()
	return &fabric.Unsigned{TransactionID: "otx", Bytes: []byte("proposal"), Signed: []byte("proposal to sign"), Digest: make([]byte, 32)}, nil
}

func (f *fakeLedger) EndorseSigned(_ context.Context, name string, b, sig []byte) (*fabric.Unsigned, error) {
	f.record(name, "endorse", []string{string(b), string(sig)})
	if string(sig) != "good" {
		return nil, &fabric.Error{Kind: wire.KindInvalid, Stage: "endorse", Message: "invalid: proposal signature does not match"}
	}
	return &fabric.Unsigned{TransactionID: "otx", Bytes: []byte("transaction"), Signed: []byte("transaction to sign"), Digest: make([]byte, 32), Result: []byte(`{"id":"R-1"}`)}, nil
}

func (f *fakeLedger) SubmitSigned(_ context.Context, name, statusID string, b, sig []byte) (*fabric.Result, error) {
	f.record(name, "submit", []string{statusID, string(b), string(sig)})
	return &fabric.Result{TransactionID: "otx", BlockNumber: 6, Payload: []byte(`{"id":"R-1"}`), Attempts: 1}, nil
}

func (f *fakeLedger) Ready(context.Context, string) error { return f.err }

func (f *fakeLedger) Identity(name string) (*fabric.Identity, bool) {
	id, ok := f.identity[name]
	return id, ok
}

// testServer has tokens "t-treasurer" -> treasurer and "t-supplier" -> supplier-a (via hashes).
func testServer(t *testing.T, led *fakeLedger) (*Server, map[string]string) {
	t.Helper()
	store, err := auth.OpenTokenStore("")
	require.NoError(t, err)
	tokens := map[string]string{}
	for _, n := range []string{"treasurer", "supplier-a", "admin"} {
		tok, err := store.Mint(n)
		require.NoError(t, err)
		tokens[n] = tok
	}
	if led.identity == nil {
		led.identity = map[string]*fabric.Identity{"treasurer": fabrictest.Identity(t, "CoreMSP", "treasurer", "issuer"),
			"admin": fabrictest.Identity(t, "CoreMSP", "admin", "admin"), "supplier-a": fabrictest.Identity(t, "CoreMSP", "supplier-a", "supplier")}
	}
	return NewServer(Config{Ledger: led, Auth: &auth.Authenticator{Tokens: store}, ServiceIdentity: "admin"}), tokens
}

func do(t *testing.T, s http.Handler, method, path, token, body string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec
}

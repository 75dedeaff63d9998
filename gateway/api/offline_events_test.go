package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/fabric"
)

type fakeAdmin struct{}

func (fakeAdmin) AddUser(_ context.Context, req wire.NewUser) (*wire.NewUserResult, error) {
	return &wire.NewUserResult{Name: req.Name, Account: "SupplierMSP/" + req.Name, Role: req.Role, Token: "recv_new"}, nil
}

func (fakeAdmin) Registered(string) (string, bool) { return "", false }

func (fakeAdmin) Forget(string) (bool, error) { return false, nil }

func (fakeAdmin) RevokeUser(_ context.Context, name, _ string) (*wire.RevokeUserResult, error) {
	return &wire.RevokeUserResult{Name: name, Account: "SupplierMSP/" + name, Serials: []string{"0a1b"}, CRL: "-----BEGIN X509 CRL-----\n"}, nil
}

func (fakeAdmin) RenewUser(_ context.Context, name string) (*wire.RenewedUser, error) {
	return &wire.RenewedUser{Name: name, Account: "SupplierMSP/" + name, Serial: "0c2d", PreviousSerial: "0a1b"}, nil
}

func sig(s string) string {
	b, _ := json.Marshal(map[string]string{"signature": base64.StdEncoding.EncodeToString([]byte(s))})
	return string(b)
}

func TestOffline_PrepareEndorseSubmit(t *testing.T) {
	led := &fakeLedger{}
	s, tokens := testServer(t, led)
	tok := tokens["treasurer"]

	rec := do(t, s, "POST", "/v1/offline/proposals", tok, `{"operation":"split","id":"R-1","body":{"parts":["1","2"]}}`)
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	var d wire.OfflineDigest
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &d))
	require.Equal(t, "otx", d.TransactionID)
	require.Equal(t, base64.StdEncoding.EncodeToString([]byte("proposal to sign")), d.Bytes, "the bytes to sign, not only their digest")
	require.Equal(t, call{caller: "treasurer", tx: "prepare:Split", args: []string{"R-1", `["1","2"]`}}, led.calls[0], "same mapping as the direct endpoint")

	// Another caller cannot use this proposal.
	require.Equal(t, http.StatusNotFound, do(t, s, "POST", "/v1/offline/proposals/otx/endorse", tokens["supplier-a"], sig("good")).Code)
	// A bad signature is refused and the proposal stays usable.
	require.Equal(t, http.StatusBadRequest, do(t, s, "POST", "/v1/offline/proposals/otx/endorse", tok, sig("bad")).Code)
	rec = do(t, s, "POST", "/v1/offline/proposals/otx/endorse", tok, sig("good"))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.Contains(t, rec.Body.String(), `"result":{"id":"R-1"}`)
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &d))
	require.Equal(t, base64.StdEncoding.EncodeToString([]byte("transaction to sign")), d.Bytes)
	// Used once.
	require.Equal(t, http.StatusNotFound, do(t, s, "POST", "/v1/offline/proposals/otx/endorse", tok, sig("good")).Code)

	rec = do(t, s, "POST", "/v1/offline/transactions/otx/submit", tok, sig("good2"))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	last := led.calls[len(led.calls)-1]
	require.Equal(t, call{caller: "treasurer", tx: "submit", args: []string{"admin", "transaction", "good2"}}, last, "commit status signed by the service identity")
	require.Equal(t, http.StatusNotFound, do(t, s, "POST", "/v1/offline/transactions/otx/submit", tok, sig("good2")).Code)
}

func TestOffline_UnknownOperationAndBadSignature(t *testing.T) {
	s, tokens := testServer(t, &fakeLedger{})
	require.Equal(t, 400, do(t, s, "POST", "/v1/offline/proposals", tokens["treasurer"], `{"operation":"mint"}`).Code)
	require.Equal(t, 400, do(t, s, "POST", "/v1/offline/proposals", tokens["treasurer"], `{"operation":"get","id":"R-1"}`).Code, "queries are not signed offline")
	require.Equal(t, 400, do(t, s, "POST", "/v1/offline/proposals/otx/endorse", tokens["treasurer"], `{"signature":"***"}`).Code)
}

func TestOffline_AnAccountOpNamesItsAccountAsMSPUser(t *testing.T) {
	tests := []struct {
		body   string
		status int
		args   []string
	}{
		{`{"operation":"freeze-account","id":"SupplierMSP/supplier-b","body":{"reason":"court order"}}`, http.StatusCreated, []string{"SupplierMSP/supplier-b", "court order"}},
		{`{"operation":"unfreeze-account","id":"SupplierMSP/supplier-b"}`, http.StatusCreated, []string{"SupplierMSP/supplier-b"}},
		{`{"operation":"approve-proposal","id":"P-1"}`, http.StatusCreated, []string{"P-1"}},
		{`{"operation":"open-account","body":{"user":"d","role":"supplier"}}`, http.StatusCreated, []string{`{"user":"d","role":"supplier"}`}},
		{`{"operation":"freeze-account","id":"supplier-b","body":{"reason":"r"}}`, http.StatusBadRequest, nil},
		{`{"operation":"close-account","id":"SupplierMSP/a/b","body":{"reason":"r"}}`, http.StatusBadRequest, nil},
		{`{"operation":"unfreeze-account"}`, http.StatusBadRequest, nil},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			led := &fakeLedger{}
			s, tokens := testServer(t, led)
			rec := do(t, s, "POST", "/v1/offline/proposals", tokens["admin"], tt.body)
			require.Equal(t, tt.status, rec.Code, rec.Body.String())
			if tt.args == nil {
				require.Empty(t, led.calls, "nothing prepared")
				return
			}
			require.Equal(t, tt.args, led.calls[0].args)
		})
	}
}

func TestEvents_StreamInOrderWithResumableIDs(t *testing.T) {
	led := &fakeLedger{events: []fabric.Event{
		{BlockNumber: 3, TransactionID: "a", Name: "Issue", Payload: []byte(`{"op":"Issue"}`)},
		{BlockNumber: 3, TransactionID: "b", Name: "Accept", Payload: []byte(`{"op":"Accept"}`)},
		{BlockNumber: 4, TransactionID: "c", Name: "Split", Payload: []byte(`{"op":"Split"}`)},
	}}
	s, tokens := testServer(t, led)
	srv := httptest.NewServer(s)
	defer srv.Close()

	req, _ := http.NewRequest("GET", srv.URL+"/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+tokens["supplier-a"])
	req.Header.Set("Last-Event-ID", "2:z")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	var sb strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil || strings.Contains(sb.String(), "event: end") {
			break
		}
	}
	out := sb.String()
	require.Equal(t, fabric.Position{StartBlock: 2, AfterTx: "z"}, led.gotPos)
	ia, ib, ic := strings.Index(out, "id: 3:a\nevent: Issue\n"), strings.Index(out, "id: 3:b\nevent: Accept\n"), strings.Index(out, "id: 4:c\nevent: Split\n")
	require.True(t, ia >= 0 && ib > ia && ic > ib, out)
	require.Contains(t, out, `data: {"blockNumber":4,"txId":"c","name":"Split","payload":{"txId":"","op":"Split","items":[]}}`)
}

// sse reads the event stream as the holder of token until it ends, and returns its data lines.
func sse(t *testing.T, s http.Handler, token string) []wire.StreamEvent {
	t.Helper()
	srv := httptest.NewServer(s)
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL+"/v1/events?startBlock=1", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var out []wire.StreamEvent
	for _, line := range strings.Split(string(body), "\n") {
		if data, ok := strings.CutPrefix(line, "data: "); ok && data != "{}" {
			var e wire.StreamEvent
			require.NoError(t, json.Unmarshal([]byte(data), &e))
			out = append(out, e)
		}
	}
	return out
}

func TestEvents_EachCallerGetsWhatItMayRead(t *testing.T) {
	item := func(id, holder string, parties ...string) wire.EventItem {
		return wire.EventItem{ID: id, Issuer: "CoreMSP/treasurer", Holder: holder, Parties: parties}
	}
	evs := []wire.Event{
		{TxID: "a", Op: "Issue", Items: []wire.EventItem{{ID: "R-1", Issuer: "CoreMSP/treasurer", PendingHolder: "CoreMSP/supplier-a"}}},
		{TxID: "b", Op: "Transfer", Items: []wire.EventItem{item("R-2", "CoreMSP/supplier-b"), item("R-2.1", "CoreMSP/supplier-b", "CoreMSP/supplier-a")}},
		{TxID: "c", Op: "ApproveFinancing", Items: []wire.EventItem{{ID: "R-3", Issuer: "OtherMSP/treasurer", Holder: "Bank1MSP/officer", Bank: "Bank1MSP", TermsHash: "h3",
			Parties: []string{"Bank1MSP/officer", "CoreMSP/supplier-a"}}}},
		{TxID: "d", Op: "Issue", Items: []wire.EventItem{{ID: "R-4", Issuer: "OtherMSP/treasurer", PendingHolder: "OtherMSP/x"}}},
		{TxID: "e", Op: "OpenAccount", Items: []wire.EventItem{}, Accounts: []*wire.Account{{ID: "OtherMSP/y"}}},
	}
	led := &fakeLedger{payload: []byte(`{"id":"R-3","bank":"Bank1MSP","requestedBy":"CoreMSP/supplier-a","decision":"approved","rateBps":450}`)}
	for i, e := range evs {
		raw, err := json.Marshal(e)
		require.NoError(t, err)
		led.events = append(led.events, fabric.Event{BlockNumber: uint64(i + 1), TransactionID: e.TxID, Name: e.Op, Payload: raw})
	}
	s, tokens := testServer(t, led)

	got := sse(t, s, tokens["supplier-a"])
	require.Len(t, got, 3, "R-1 offered to it, its piece of R-2, the financing of R-3 it asked for")
	var b, c wire.Event
	require.NoError(t, json.Unmarshal(got[1].Payload, &b))
	require.Len(t, b.Items, 1)
	require.Equal(t, "R-2.1", b.Items[0].ID)
	require.NoError(t, json.Unmarshal(got[2].Payload, &c))
	require.NotNil(t, c.Items[0].Terms, "a party to the terms gets them")
	require.Equal(t, int64(450), c.Items[0].Terms.RateBps)
	require.Equal(t, "GetTerms", led.calls[len(led.calls)-1].tx)
	require.Equal(t, []string{"R-3", "h3"}, led.calls[len(led.calls)-1].args)

	led.calls = nil
	got = sse(t, s, tokens["treasurer"])
	require.Len(t, got, 2, "the issuer's MSP reads what it issued, nothing of another obligor")
	for _, e := range got {
		require.NotEqual(t, "c", e.TransactionID)
	}
	for _, c := range led.calls {
		require.NotEqual(t, "GetTerms", c.tx, "an issuer is never a party to terms")
	}
}

func TestEvents_Positions(t *testing.T) {
	tests := []struct {
		query, lastID string
		want          fabric.Position
	}{
		{"", "", fabric.Position{FromNow: true}},
		{"?startBlock=0", "", fabric.Position{StartBlock: 0}},
		{"?startBlock=12", "", fabric.Position{StartBlock: 12}},
		{"?after=12:abc", "", fabric.Position{StartBlock: 12, AfterTx: "abc"}},
		{"?startBlock=1", "7:t", fabric.Position{StartBlock: 7, AfterTx: "t"}},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/v1/events"+tt.query, nil)
		if tt.lastID != "" {
			r.Header.Set("Last-Event-ID", tt.lastID)
		}
		got, err := parsePosition(r)
		require.NoError(t, err)
		require.Equal(t, tt.want, got, tt.query)
	}
}

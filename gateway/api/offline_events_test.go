package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
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

func (fakeAdmin) RevokeUser(_ context.Context, name, _ string) (*wire.RevokeUserResult, error) {
	return &wire.RevokeUserResult{Name: name, Account: "SupplierMSP/" + name, Serials: []string{"0a1b"}, CRL: "-----BEGIN X509 CRL-----\n"}, nil
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
	require.Equal(t, call{caller: "treasurer", tx: "prepare:Split", args: []string{"R-1", `["1","2"]`}}, led.calls[0], "same mapping as the direct endpoint")

	// Another caller cannot use this proposal.
	require.Equal(t, http.StatusNotFound, do(t, s, "POST", "/v1/offline/proposals/otx/endorse", tokens["supplier-a"], sig("good")).Code)
	// A bad signature is refused and the proposal stays usable.
	require.Equal(t, http.StatusBadRequest, do(t, s, "POST", "/v1/offline/proposals/otx/endorse", tok, sig("bad")).Code)
	rec = do(t, s, "POST", "/v1/offline/proposals/otx/endorse", tok, sig("good"))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.Contains(t, rec.Body.String(), `"result":{"id":"R-1"}`)
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
	require.Contains(t, out, `data: {"blockNumber":4,"txId":"c","name":"Split","payload":{"op":"Split"}}`)
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

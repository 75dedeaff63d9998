package api

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// problemOf decodes a problem body and checks its media type.
func problemOf(t *testing.T, h http.Header, body []byte) wire.Problem {
	t.Helper()
	require.Equal(t, "application/problem+json", h.Get("Content-Type"))
	var p wire.Problem
	require.NoError(t, json.Unmarshal(body, &p), string(body))
	return p
}

func TestStrict_BodiesMustBeJSON(t *testing.T) {
	tests := []struct{ name, contentType string }{
		{"a form", "application/x-www-form-urlencoded"},
		{"plain text", "text/plain"},
		{"no content type", ""},
		{"not a media type", "json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			led := &fakeLedger{}
			s, tokens := testServer(t, led)
			rec := do(t, s, "POST", "/v1/receivables/R-1/transfer", tokens["supplier-a"], "to=SupplierMSP/supplier-b", "Content-Type", tt.contentType)
			require.Equal(t, http.StatusUnsupportedMediaType, rec.Code, rec.Body.String())
			require.Equal(t, wire.KindUnsupportedType, problemOf(t, rec.Header(), rec.Body.Bytes()).Kind)
			require.Empty(t, led.calls)
		})
	}
	led := &fakeLedger{}
	s, tokens := testServer(t, led)
	rec := do(t, s, "POST", "/v1/receivables/R-1/transfer", tokens["supplier-a"], `{"to":"SupplierMSP/supplier-b"}`, "Content-Type", "application/json; charset=utf-8")
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
}

func TestStrict_BodiesWithTrailingDataOrDuplicateKeysAre400(t *testing.T) {
	for _, body := range []string{
		`{"to":"SupplierMSP/supplier-b"} {"to":"SupplierMSP/supplier-c"}`,
		`{"to":"SupplierMSP/supplier-b"}x`,
		`{"to":"SupplierMSP/supplier-b","to":"SupplierMSP/supplier-c"}`,
	} {
		led := &fakeLedger{}
		s, tokens := testServer(t, led)
		rec := do(t, s, "POST", "/v1/receivables/R-1/transfer", tokens["supplier-a"], body)
		require.Equal(t, http.StatusBadRequest, rec.Code, body)
		require.Equal(t, wire.KindInvalid, problemOf(t, rec.Header(), rec.Body.Bytes()).Kind)
		require.Empty(t, led.calls)
	}
}

func TestStrict_UnknownRoutesAndMethodsAreProblems(t *testing.T) {
	s, tokens := testServer(t, &fakeLedger{})
	rec := do(t, s, "GET", "/v1/nothing-here", tokens["treasurer"], "")
	require.Equal(t, http.StatusNotFound, rec.Code)
	require.Equal(t, wire.KindNoRoute, problemOf(t, rec.Header(), rec.Body.Bytes()).Kind)

	rec = do(t, s, "DELETE", "/v1/receivables/R-1", tokens["treasurer"], "")
	require.Equal(t, http.StatusMethodNotAllowed, rec.Code)
	require.Equal(t, "GET", rec.Header().Get("Allow"))
	p := problemOf(t, rec.Header(), rec.Body.Bytes())
	require.Equal(t, wire.KindNoMethod, p.Kind)
	require.Contains(t, p.Detail, "answers GET, not DELETE")
}

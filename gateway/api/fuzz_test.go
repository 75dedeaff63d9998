package api

import (
	"strings"
	"testing"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// FuzzServer sends the real server arbitrary requests on every route: whatever the path values,
// query, body and content type, it never fails with a 5xx of its own, and every refusal is a
// problem body with a kind.
func FuzzServer(f *testing.F) {
	patterns, _ := wire.Routes()
	for i := range patterns {
		f.Add(uint16(i), "R-1", `{"to":"SupplierMSP/supplier-b"}`, "application/json", "holder=SupplierMSP/supplier-a")
	}
	f.Add(uint16(0), "R-1", `{"a":1,"a":2}`, "application/json", "")
	f.Add(uint16(1), "x/../y", "to=SupplierMSP/supplier-b", "application/x-www-form-urlencoded", "pageSize=0")
	f.Add(uint16(2), "", `{"parts":["1"]} []`, "text/plain", "bookmark=%00")
	f.Fuzz(func(t *testing.T, which uint16, id, body, contentType, query string) {
		method, path, _ := strings.Cut(patterns[int(which)%len(patterns)], " ")
		for _, name := range []string{"{id}", "{msp}", "{user}"} {
			path = strings.ReplaceAll(path, name, urlSafe(id))
		}
		s, tokens := testServer(t, &fakeLedger{})
		rec := do(t, s, method, path+"?"+urlSafe(query), tokens["treasurer"], body, "Content-Type", contentType)
		if rec.Code >= 500 {
			t.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body.String())
		}
		if rec.Code >= 400 && rec.Header().Get("Content-Type") != "application/problem+json" {
			t.Fatalf("%s %s: %d without a problem body: %s", method, path, rec.Code, rec.Body.String())
		}
	})
}

// urlSafe keeps the characters a request line may carry, so the fuzzer tests the server and not
// the test's request parser.
func urlSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r <= ' ' || r >= 0x7f || r == '#' || r == '%' {
			return -1
		}
		return r
	}, s)
}

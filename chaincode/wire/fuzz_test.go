package wire

import (
	"errors"
	"net/url"
	"testing"
)

// FuzzOpArgs feeds every operation arbitrary bodies, path values and queries: decoding never
// panics, and every refusal is an invalid: error whose message names what was wrong.
func FuzzOpArgs(f *testing.F) {
	for _, seed := range []string{
		`{}`, `{"to":"S/b","amount":"1.00"}`, `{"parts":["1","2"]}`, `{"rateBps":450}`, `{"reason":"no"}`,
		`{"to":"a","to":"b"}`, `{"a":{"b":[1,{"c":2,"c":3}]}}`, `[]`, `null`, `"x"`, `{"rateBps":1e400}`,
		`{} {}`, `to=S/b`, "\xff\xfe", `{"id":"P","action":"set-config","config":{"maxTermDays":9}}`,
	} {
		f.Add(uint8(0), seed, "R-1", "20")
	}
	f.Fuzz(func(t *testing.T, which uint8, body, id, pageSize string) {
		op := Ops[int(which)%len(Ops)]
		req := Request{
			PathValue: func(string) string { return id },
			Query:     url.Values{"pageSize": {pageSize}, "holder": {id}, "issuer": {id}},
			Body:      []byte(body),
		}
		args, err := op.Args(req)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Kind != KindInvalid || e.Message == "" {
				t.Fatalf("%s: refusal %v is not an invalid: error with a message", op.Name, err)
			}
			return
		}
		if len(args) != len(op.Params) {
			t.Fatalf("%s: %d args for %d params", op.Name, len(args), len(op.Params))
		}
	})
}

package gateway_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/test/internal/testnet"
)

// describedAPI checks every request this suite's clients send to a gateway, and every answer,
// against docs/openapi.yaml (kin-openapi's openapi3filter: parameters, bodies, statuses,
// content types and schemas), so the description cannot drift from what the gateways do. It
// wraps http.DefaultTransport, which the gateway clients of this suite use (the native gateways
// serve plain HTTP on loopback); the recv CLI, a process of its own, is not seen. Event streams
// are checked up to their headers.
type describedAPI struct {
	next   http.RoundTripper
	router routers.Router

	mu       sync.Mutex
	seen     int
	problems map[string]bool
}

func newDescribedAPI(next http.RoundTripper) (*describedAPI, error) {
	root, err := testnet.FindRoot()
	if err != nil {
		return nil, err
	}
	doc, err := openapi3.NewLoader().LoadFromFile(filepath.Join(root, "docs", "openapi.yaml"))
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, err
	}
	doc.Servers = nil // every gateway, whatever its port
	router, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, err
	}
	return &describedAPI{next: next, router: router, problems: map[string]bool{}}, nil
}

var checkOpts = &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
	IncludeResponseStatus: true, MultiError: true}

func (d *describedAPI) RoundTrip(req *http.Request) (*http.Response, error) {
	if !strings.HasPrefix(req.URL.Path, "/v1/") {
		return d.next.RoundTrip(req)
	}
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	resp, err := d.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	route, params, ferr := d.router.FindRoute(req)
	if ferr != nil {
		d.problem(req, fmt.Sprintf("no route in the description: %v", ferr))
		return resp, nil
	}
	check := req.Clone(req.Context())
	check.Body = io.NopCloser(bytes.NewReader(body))
	in := &openapi3filter.RequestValidationInput{Request: check, PathParams: params, Route: route, Options: checkOpts}
	if err := openapi3filter.ValidateRequest(req.Context(), in); err != nil {
		d.problem(req, "request: "+err.Error())
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode,
		Header: resp.Header, Options: checkOpts}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		out.Body = io.NopCloser(bytes.NewReader(nil))
		out.Options = &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
			IncludeResponseStatus: true, ExcludeResponseBody: true}
	} else {
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(b))
		if err != nil {
			return resp, nil // the caller reads the same failure
		}
		out.Body = io.NopCloser(bytes.NewReader(b))
	}
	if err := openapi3filter.ValidateResponse(req.Context(), out); err != nil {
		d.problem(req, fmt.Sprintf("response %d: %v", resp.StatusCode, err))
	}
	d.mu.Lock()
	d.seen++
	d.mu.Unlock()
	return resp, nil
}

func (d *describedAPI) problem(req *http.Request, what string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.problems[req.Method+" "+req.URL.Path+": "+what] = true
}

// check fails when any exchange differed from the description, or none was seen.
func (d *describedAPI) check() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.problems) > 0 {
		list := make([]string, 0, len(d.problems))
		for p := range d.problems {
			list = append(list, p)
		}
		slices.Sort(list)
		return fmt.Errorf("%d exchanges with the gateways differ from docs/openapi.yaml:\n%s", len(list), strings.Join(list, "\n"))
	}
	if d.seen == 0 {
		return errors.New("no exchange with a gateway was checked against docs/openapi.yaml")
	}
	fmt.Printf("openapi: %d exchanges with the gateways checked against docs/openapi.yaml, none differs\n", d.seen)
	return nil
}

type answerWith func(*http.Request) (*http.Response, error)

func (f answerWith) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// The check finds what the description does not allow: an undescribed route, a status no route
// answers, a body of the wrong shape.
func TestDescribedAPI_FindsWhatTheDescriptionDoesNotAllow(t *testing.T) {
	for name, c := range map[string]struct {
		path   string
		status int
		body   string
		want   string
	}{
		"an undescribed route":    {"/v1/nowhere", 200, `{}`, "no route in the description"},
		"an undescribed status":   {"/v1/whoami", 418, `{}`, "response 418"},
		"a body of another shape": {"/v1/whoami", 200, `{"name":42}`, "response 200"},
	} {
		d, err := newDescribedAPI(answerWith(func(r *http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: c.status, Header: http.Header{"Content-Type": {"application/json"}},
				Body: io.NopCloser(strings.NewReader(c.body)), Request: r}, nil
		}))
		require.NoError(t, err)
		req, err := http.NewRequest(http.MethodGet, "http://127.0.0.1:1"+c.path, nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer x")
		resp, err := d.RoundTrip(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.ErrorContains(t, d.check(), c.want, name)
	}
}

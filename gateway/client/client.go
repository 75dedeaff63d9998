// Package client is the Go client of a recv gateway, used by the recv CLI, the test suites and
// the load tool: operations called by their name in the wire contract's table (wire.Ops), failures
// returned as the gateway's *wire.Problem, the Server-Sent Events stream, the offline-signing
// flow in which the caller's key never leaves this process and signs only what the caller asked
// for (approve.go), and the rule that finds an account's gateway and token in a local network's
// folder. It needs neither the Fabric SDK nor the gateway service's packages (only Fabric's
// protobuf messages, to read what it signs).
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/network"
)

// maxAnswer bounds the body of one answer read into memory.
const maxAnswer = 64 << 20

// Client calls one gateway with one bearer token. It is safe for concurrent use.
type Client struct {
	base           string
	token          string
	http           *http.Client
	requestTimeout time.Duration

	// The channel and chaincode an offline-signed proposal must name: from WithNetwork, or
	// fixed by the first proposal this client signs.
	mu        sync.Mutex
	channel   string
	chaincode string
}

// Option configures a Client; it returns an error for a value it cannot use.
type Option func(*Client) error

// WithHTTPClient sends the requests with hc (default: a new http.Client without timeout; bound
// calls with their context).
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) error {
		if hc == nil {
			return errors.New("client: nil http.Client")
		}
		c.http = hc
		return nil
	}
}

// WithTLSCAFile verifies the gateway's HTTPS certificate against the CA certificates of the PEM
// file path (the gateway's organisation's CA; default: the system's roots).
func WithTLSCAFile(path string) Option {
	return func(c *Client) error {
		cfg, err := network.RootsConfig(path)
		if err != nil {
			return fmt.Errorf("client: gateway TLS CA: %w", err)
		}
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = cfg
		c.http = &http.Client{Transport: tr}
		return nil
	}
}

// WithRequestTimeout asks the gateway to give up after d less one second (the Request-Timeout
// header), so that it answers before a caller that waits d gives up.
func WithRequestTimeout(d time.Duration) Option {
	return func(c *Client) error {
		if d < 0 {
			return fmt.Errorf("client: negative request timeout %s", d)
		}
		c.requestTimeout = d
		return nil
	}
}

// WithNetwork names the channel and chaincode every proposal signed offline through this client
// must name (As takes them from the network description). Without it, the first proposal the
// client signs fixes them.
func WithNetwork(channel, chaincode string) Option {
	return func(c *Client) error {
		if channel == "" || chaincode == "" {
			return errors.New("client: WithNetwork needs a channel and a chaincode")
		}
		c.channel, c.chaincode = channel, chaincode
		return nil
	}
}

// New returns a client of the gateway at baseURL (e.g. http://127.0.0.1:8801) that sends token
// as its bearer token ("" sends none).
func New(baseURL, token string, opts ...Option) (*Client, error) {
	if !strings.HasPrefix(baseURL, "http://") && !strings.HasPrefix(baseURL, "https://") {
		return nil, fmt.Errorf("client: gateway URL %q must start with http:// or https://", baseURL)
	}
	c := &Client{base: strings.TrimRight(baseURL, "/"), token: token, http: &http.Client{}}
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// BaseURL is the gateway's URL.
func (c *Client) BaseURL() string { return c.base }

// Response is a gateway's answer as it came: status, header and body.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// OK reports whether the status is 2xx.
func (r *Response) OK() bool { return r.Status >= 200 && r.Status < 300 }

// Problem returns the answer's problem: the gateway's problem body of a failed request, with its
// kind as the gateway wrote it. It returns nil for a 2xx answer.
func (r *Response) Problem() *wire.Problem {
	if r.OK() {
		return nil
	}
	p := &wire.Problem{}
	if json.Unmarshal(r.Body, p) != nil || p.Detail == "" {
		p.Detail = strings.TrimSpace(string(r.Body))
	}
	p.Status = r.Status
	return p
}

// Decode decodes a 2xx answer's JSON into out (a *json.RawMessage keeps it verbatim), or
// returns the problem of a failed one.
func (r *Response) Decode(out any) error {
	if p := r.Problem(); p != nil {
		return p
	}
	if out == nil {
		return nil
	}
	if raw, ok := out.(*json.RawMessage); ok {
		*raw = append((*raw)[:0], r.Body...)
		return nil
	}
	if err := json.Unmarshal(r.Body, out); err != nil {
		return fmt.Errorf("gateway %s: answer is not the JSON expected: %w", r.Header.Get("Content-Type"), err)
	}
	return nil
}

// Do sends one request and returns the answer whatever its status; an error means no answer.
// body is sent as JSON (nil: no body; json.RawMessage and []byte as they are).
func (c *Client) Do(ctx context.Context, method, path string, body any, header http.Header) (*Response, error) {
	resp, err := c.send(ctx, method, path, body, header)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return readResponse(resp)
}

// readResponse reads a whole answer.
func readResponse(resp *http.Response) (*Response, error) {
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return nil, fmt.Errorf("gateway: read answer: %w", err)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
}

func (c *Client) send(ctx context.Context, method, path string, body any, header http.Header) (*http.Response, error) {
	rd, err := jsonBody(body)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.requestTimeout > time.Second {
		req.Header.Set("Request-Timeout", (c.requestTimeout - time.Second).String())
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("gateway %s: %w", c.base, err)
	}
	return resp, nil
}

func jsonBody(body any) (io.Reader, error) {
	switch b := body.(type) {
	case nil:
		return nil, nil
	case json.RawMessage:
		return bytes.NewReader(b), nil
	case []byte:
		return bytes.NewReader(b), nil
	}
	b, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("encode request body: %w", err)
	}
	return bytes.NewReader(b), nil
}

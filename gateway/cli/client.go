package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Client is a small REST client of the gateway.
type Client struct {
	base  string
	token string
	http  *http.Client
	// requestTimeout is sent as the Request-Timeout header so the gateway gives up in time too.
	requestTimeout time.Duration
}

// NewClient returns a client of the gateway at base using a bearer token.
func NewClient(base, token string, timeout time.Duration) *Client {
	return &Client{base: strings.TrimRight(base, "/"), token: token, http: &http.Client{}, requestTimeout: timeout}
}

// APIError is a non-2xx answer: the status and the problem body's fields.
type APIError struct {
	Status         int    `json:"status"`
	Title          string `json:"title"`
	Detail         string `json:"detail"`
	Kind           string `json:"kind"`
	Stage          string `json:"stage"`
	TransactionID  string `json:"txId"`
	ValidationCode string `json:"validationCode"`
}

func (e *APIError) Error() string {
	msg := e.Detail
	if msg == "" {
		msg = e.Title
	}
	if e.TransactionID != "" {
		msg += fmt.Sprintf(" [stage %s, tx %s]", e.Stage, e.TransactionID)
	}
	return fmt.Sprintf("%s (HTTP %d)", msg, e.Status)
}

// Do sends a request with an optional JSON body and decodes a JSON answer into out.
func (c *Client) Do(ctx context.Context, method, path string, body, out any, header http.Header) error {
	resp, err := c.send(ctx, method, path, body, header)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		ae := &APIError{Status: resp.StatusCode}
		if json.Unmarshal(raw, ae) != nil || ae.Detail == "" {
			ae.Detail = strings.TrimSpace(string(raw))
		}
		ae.Status = resp.StatusCode
		return ae
	}
	if out == nil {
		return nil
	}
	if p, ok := out.(*json.RawMessage); ok {
		*p = raw
		return nil
	}
	return json.Unmarshal(raw, out)
}

func (c *Client) send(ctx context.Context, method, path string, body any, header http.Header) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.requestTimeout > 0 {
		req.Header.Set("Request-Timeout", (c.requestTimeout - time.Second).String())
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("gateway %s: %w", c.base, err)
	}
	return resp, nil
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/recv-ledger/recv/gateway/network"
)

// restClient submits through each organisation's recv gateway with the users' bearer tokens, over
// one keep-alive HTTP client.
type restClient struct {
	http   *http.Client
	base   map[string]string // gateway URL by MSP ID
	tokens map[string]string // by account
}

func newREST(desc *network.Description, netDir string) (*restClient, error) {
	r := &restClient{
		http:   &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}},
		base:   map[string]string{},
		tokens: map[string]string{},
	}
	for _, mspID := range desc.MSPIDs() {
		org := desc.Orgs[mspID]
		if org.Gateway.Address == "" {
			return nil, fmt.Errorf("%s has no gateway address in network.json", mspID)
		}
		r.base[mspID] = "http://" + org.Gateway.Address
		for _, name := range org.UserNames() {
			tok, err := os.ReadFile(filepath.Join(netDir, "gateways", org.Name, "tokens", name+".token"))
			if err != nil {
				return nil, fmt.Errorf("token of %s/%s (are the gateways up? make gateways): %w", mspID, name, err)
			}
			r.tokens[mspID+"/"+name] = strings.TrimSpace(string(tok))
		}
	}
	return r, nil
}

func (r *restClient) name() string { return "rest" }

func (r *restClient) submit(ctx context.Context, account, tx string, args ...string) error {
	mspID, _, _ := strings.Cut(account, "/")
	var path string
	var body any
	switch tx {
	case "Issue":
		path, body = "/v1/receivables", json.RawMessage(args[0])
	case "Accept":
		path, body = "/v1/receivables/"+args[0]+"/accept", struct{}{}
	case "RequestFinancing":
		path, body = "/v1/receivables/"+args[0]+"/financing", map[string]string{"bank": args[1]}
	case "ApproveFinancing":
		path, body = "/v1/receivables/"+args[0]+"/financing/approve", map[string]json.RawMessage{"rateBps": json.RawMessage(args[1])}
	default:
		return fmt.Errorf("rest: %s is not driven by the load tool", tx)
	}
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.base[mspID]+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+r.tokens[account])
	req.Header.Set("Content-Type", "application/json")
	resp, err := r.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	switch {
	case resp.StatusCode == http.StatusOK:
		return nil
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusConflict || resp.StatusCode == http.StatusForbidden:
		return fmt.Errorf("%w: HTTP %d %s", errStale, resp.StatusCode, msg)
	default:
		return fmt.Errorf("HTTP %d %s", resp.StatusCode, msg)
	}
}

func (r *restClient) close() { r.http.CloseIdleConnections() }

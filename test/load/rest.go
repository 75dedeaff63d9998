package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/recv-ledger/recv/gateway/client"
	"github.com/recv-ledger/recv/gateway/network"
)

// restClient submits through each organisation's recv gateway as the network's users, with the
// gateway client of the CLI and the suites, over one keep-alive HTTP client.
type restClient struct {
	http    *http.Client
	clients map[string]*client.Client // by account
}

func newREST(desc *network.Description, netDir string) (*restClient, error) {
	r := &restClient{
		http:    &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}},
		clients: map[string]*client.Client{},
	}
	for _, mspID := range desc.MSPIDs() {
		for _, name := range desc.Orgs[mspID].UserNames() {
			account := mspID + "/" + name
			c, err := client.As(netDir, account, client.WithHTTPClient(r.http))
			if err != nil {
				return nil, fmt.Errorf("%s (are the gateways up? make gateways): %w", account, err)
			}
			r.clients[account] = c
		}
	}
	return r, nil
}

func (r *restClient) name() string { return "rest" }

func (r *restClient) submit(ctx context.Context, s step) (json.RawMessage, error) {
	if s.op == barePut {
		return nil, fmt.Errorf("the REST gateway serves the %s chaincode only, not the bare one", "receivables")
	}
	c, ok := r.clients[s.account]
	if !ok {
		return nil, fmt.Errorf("no user %s in network.json", s.account)
	}
	var pathValues []string
	if s.id != "" {
		pathValues = []string{s.id}
	}
	res, err := c.Submit(ctx, s.op, pathValues, s.body)
	if err != nil {
		return nil, stale(err)
	}
	return res.Result, nil
}

func (r *restClient) close() { r.http.CloseIdleConnections() }

package client

import (
	"context"
	"fmt"
	"net/http"
)

// ChainInfo is the channel's height on the gateway's organisation's peer (GET /v1/chain).
type ChainInfo struct {
	Height            uint64 `json:"height"`
	CurrentBlockHash  string `json:"currentBlockHash"`
	PreviousBlockHash string `json:"previousBlockHash"`
}

// ChainInfo reads the channel's height and last block hash from the gateway's peer.
func (c *Client) ChainInfo(ctx context.Context) (*ChainInfo, error) {
	resp, err := c.Do(ctx, http.MethodGet, "/v1/chain", nil, nil)
	if err != nil {
		return nil, err
	}
	var info ChainInfo
	if err := resp.Decode(&info); err != nil {
		return nil, err
	}
	return &info, nil
}

// Block reads block number as the gateway's peer stores it: protobuf common.Block bytes,
// unverified (package audit verifies them).
func (c *Client) Block(ctx context.Context, number uint64) ([]byte, error) {
	resp, err := c.Do(ctx, http.MethodGet, fmt.Sprintf("/v1/blocks/%d", number), nil, nil)
	if err != nil {
		return nil, err
	}
	if p := resp.Problem(); p != nil {
		return nil, p
	}
	return resp.Body, nil
}

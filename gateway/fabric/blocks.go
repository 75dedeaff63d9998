package fabric

import (
	"context"
	"encoding/hex"
	"fmt"
	"strconv"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/proto"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// ChainInfo is the channel's height on this organisation's peer and the hash of its last block
// header.
type ChainInfo struct {
	Height            uint64 `json:"height"`
	CurrentBlockHash  string `json:"currentBlockHash"`
	PreviousBlockHash string `json:"previousBlockHash"`
}

// ChainInfo asks this organisation's peer (qscc GetChainInfo) as the named identity.
func (c *Client) ChainInfo(ctx context.Context, name string) (*ChainInfo, error) {
	raw, err := c.qscc(ctx, name, "GetChainInfo", c.opts.Channel)
	if err != nil {
		return nil, err
	}
	var info common.BlockchainInfo
	if err := proto.Unmarshal(raw, &info); err != nil {
		return nil, fmt.Errorf("decode chain info: %w", err)
	}
	return &ChainInfo{Height: info.GetHeight(), CurrentBlockHash: hex.EncodeToString(info.GetCurrentBlockHash()),
		PreviousBlockHash: hex.EncodeToString(info.GetPreviousBlockHash())}, nil
}

// Block returns block number as this organisation's peer stores it (qscc GetBlockByNumber), in
// its protobuf encoding, read as the named identity. The gateway relays it unverified: verifying
// it is the reader's business (package audit). A block beyond the height is wire.KindNotFound.
func (c *Client) Block(ctx context.Context, name string, number uint64) ([]byte, error) {
	raw, err := c.qscc(ctx, name, "GetBlockByNumber", c.opts.Channel, strconv.FormatUint(number, 10))
	if err != nil {
		// qscc's refusal of a block beyond the height is an internal error's text; ask the height.
		if info, ierr := c.ChainInfo(ctx, name); ierr == nil && number >= info.Height {
			return nil, &Error{Kind: wire.KindNotFound, Stage: "evaluate", Err: err,
				Message: fmt.Sprintf("not_found: no block %d in the ledger of this organisation's peer (height %d)", number, info.Height)}
		}
		return nil, err
	}
	return raw, nil
}

// qscc evaluates a query system chaincode function on this organisation's peer.
func (c *Client) qscc(ctx context.Context, name, fn string, args ...string) ([]byte, error) {
	gw, err := c.signing(name)
	if err != nil {
		return nil, err
	}
	out, err := gw.GetNetwork(c.opts.Channel).GetContract("qscc").EvaluateWithContext(ctx, fn,
		client.WithArguments(args...), client.WithEndorsingOrganizations(c.opts.MSPID))
	if err != nil {
		return nil, Classify(err, "evaluate")
	}
	return out, nil
}

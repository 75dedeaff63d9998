package fabric

import (
	"context"
	"fmt"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	gatewaypb "github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// TxStatus is where a transaction ended up: its validation code and block.
type TxStatus struct {
	TransactionID  string `json:"txId"`
	ValidationCode string `json:"validationCode"`
	Valid          bool   `json:"valid"`
	BlockNumber    uint64 `json:"blockNumber"`
}

// TransactionStatus looks a transaction up in the peer's ledger (qscc GetTransactionByID and
// GetBlockByTxID), so a client that lost the answer to a submit can learn whether it committed.
// An unknown id is a wire.KindNotFound error.
func (c *Client) TransactionStatus(ctx context.Context, name, txID string) (*TxStatus, error) {
	gw, err := c.signing(name)
	if err != nil {
		return nil, err
	}
	qscc := gw.GetNetwork(c.opts.Channel).GetContract("qscc")
	raw, err := qscc.EvaluateWithContext(ctx, "GetTransactionByID", client.WithArguments(c.opts.Channel, txID))
	if err != nil {
		return nil, notFoundIfUnknown(Classify(err, "evaluate"), txID)
	}
	var ptx peer.ProcessedTransaction
	if err := proto.Unmarshal(raw, &ptx); err != nil {
		return nil, fmt.Errorf("decode processed transaction: %w", err)
	}
	rawBlock, err := qscc.EvaluateWithContext(ctx, "GetBlockByTxID", client.WithArguments(c.opts.Channel, txID))
	if err != nil {
		return nil, notFoundIfUnknown(Classify(err, "evaluate"), txID)
	}
	var block common.Block
	if err := proto.Unmarshal(rawBlock, &block); err != nil {
		return nil, fmt.Errorf("decode block: %w", err)
	}
	code := peer.TxValidationCode(ptx.GetValidationCode())
	return &TxStatus{
		TransactionID:  txID,
		ValidationCode: code.String(),
		Valid:          code == peer.TxValidationCode_VALID,
		BlockNumber:    block.GetHeader().GetNumber(),
	}, nil
}

// notFoundIfUnknown turns qscc's "no such transaction ID" into a not-found error.
func notFoundIfUnknown(e *Error, txID string) *Error {
	if e.Kind == wire.KindEndorse || e.Kind == wire.KindInternal || e.Kind == wire.KindNotFound {
		e.Kind = wire.KindNotFound
		e.Message = "not_found: no transaction " + txID + " in the ledger of this organisation's peer"
	}
	return e
}

// waitCommitAs waits for a transaction's commit using the named identity's own signature on the
// commit-status request. The offline flow uses it: the submitter's key is not here, and the
// status of a transaction is readable by any member of the channel.
func (c *Client) waitCommitAs(ctx context.Context, name, txID string) (*Result, *Error) {
	gw, err := c.signing(name)
	if err != nil {
		return nil, Classify(err, "commit_status")
	}
	creator, err := proto.Marshal(&msp.SerializedIdentity{Mspid: gw.Identity().MspID(), IdBytes: gw.Identity().Credentials()})
	if err != nil {
		return nil, Classify(err, "commit_status")
	}
	req, err := proto.Marshal(&gatewaypb.CommitStatusRequest{ChannelId: c.opts.Channel, TransactionId: txID, Identity: creator})
	if err != nil {
		return nil, Classify(err, "commit_status")
	}
	signed, err := proto.Marshal(&gatewaypb.SignedCommitStatusRequest{Request: req})
	if err != nil {
		return nil, Classify(err, "commit_status")
	}
	commit, err := gw.NewCommit(signed)
	if err != nil {
		return nil, Classify(err, "commit_status")
	}
	return c.waitCommit(ctx, commit, nil, nil)
}

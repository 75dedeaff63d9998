package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/asn1"
	"fmt"
	"math/big"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/proto"
)

// HeaderHash is Fabric's hash of a block header: SHA-256 over the ASN.1 DER sequence
// (number, previous_hash, data_hash), as fabric/protoutil.BlockHeaderBytes encodes it. The next
// block's previous_hash must equal it.
func HeaderHash(h *common.BlockHeader) []byte {
	der, err := asn1.Marshal(struct {
		Number       *big.Int
		PreviousHash []byte
		DataHash     []byte
	}{new(big.Int).SetUint64(h.GetNumber()), h.GetPreviousHash(), h.GetDataHash()})
	if err != nil {
		panic(err) // a big.Int and two byte slices always encode
	}
	sum := sha256.Sum256(der)
	return sum[:]
}

// DataHash is Fabric's hash of a block's data: SHA-256 over its envelopes concatenated
// (fabric/protoutil.BlockDataHash in Fabric 2.5).
func DataHash(d *common.BlockData) []byte {
	sum := sha256.Sum256(bytes.Join(d.GetData(), nil))
	return sum[:]
}

// ParseBlock decodes a block as the peer delivers it (qscc GetBlockByNumber, the gateway's
// GET /v1/blocks/{number}).
func ParseBlock(raw []byte) (*common.Block, error) {
	var b common.Block
	if err := proto.Unmarshal(raw, &b); err != nil {
		return nil, fmt.Errorf("decode block: %w", err)
	}
	if b.GetHeader() == nil || b.GetData() == nil {
		return nil, fmt.Errorf("decode block: no header or no data")
	}
	return &b, nil
}

// LastConfigIndex is the number of the latest configuration block as of b, read from b's
// SIGNATURES metadata (where Fabric 2.x orderers record it). A resumed audit loads the channel's
// members from that block.
func LastConfigIndex(b *common.Block) (uint64, error) {
	md := b.GetMetadata().GetMetadata()
	if len(md) <= int(common.BlockMetadataIndex_SIGNATURES) {
		return 0, fmt.Errorf("block %d has no signatures metadata", b.GetHeader().GetNumber())
	}
	var m common.Metadata
	if err := proto.Unmarshal(md[common.BlockMetadataIndex_SIGNATURES], &m); err != nil {
		return 0, fmt.Errorf("block %d: decode signatures metadata: %w", b.GetHeader().GetNumber(), err)
	}
	var obm common.OrdererBlockMetadata
	if err := proto.Unmarshal(m.GetValue(), &obm); err != nil {
		return 0, fmt.Errorf("block %d: decode orderer metadata: %w", b.GetHeader().GetNumber(), err)
	}
	return obm.GetLastConfig().GetIndex(), nil
}

// txFilter is the peer's validation code of each transaction of b (TRANSACTIONS_FILTER).
func txFilter(b *common.Block) []byte {
	md := b.GetMetadata().GetMetadata()
	if len(md) <= int(common.BlockMetadataIndex_TRANSACTIONS_FILTER) {
		return nil
	}
	return md[common.BlockMetadataIndex_TRANSACTIONS_FILTER]
}

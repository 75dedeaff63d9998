package fault

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"

	"github.com/recv-ledger/recv/gateway/audit"
	"github.com/recv-ledger/recv/gateway/client"
)

// ledger is one peer's copy of the channel as its organisation's gateway relays it (GET
// /v1/blocks, read as the organisation's admin), read once from block 0 and then block by block
// as it grows: each block verified and replayed by package audit (hash chain, signatures,
// endorsement policy, rebuilt receivables), and every transaction's id and validation code, and
// each valid chaincode call's arguments, counted.
type ledger struct {
	msp   string
	c     *client.Client
	aud   *audit.Auditor
	next  uint64
	hash  string         // header hash of the last block read
	txs   map[string]int // transaction id -> times in the blocks, valid or not
	valid map[string]int // transaction id -> times valid
	calls map[string]int // a valid chaincode call's function and arguments -> times
	names map[string]string
}

func newLedger(msp string, c *client.Client) (*ledger, error) {
	a, err := audit.New(audit.Options{})
	if err != nil {
		return nil, err
	}
	return &ledger{msp: msp, c: c, aud: a, txs: map[string]int{}, valid: map[string]int{},
		calls: map[string]int{}, names: map[string]string{}}, nil
}

// read reads the blocks up to height.
func (l *ledger) read(ctx context.Context, height uint64) error {
	for ; l.next < height; l.next++ {
		raw, err := l.c.Block(ctx, l.next)
		if err != nil {
			return fmt.Errorf("%s: block %d: %w", l.msp, l.next, err)
		}
		b, err := audit.ParseBlock(raw)
		if err != nil {
			return fmt.Errorf("%s: %w", l.msp, err)
		}
		if err := l.aud.Verify(b); err != nil {
			return fmt.Errorf("%s: %w", l.msp, err)
		}
		if err := l.count(b); err != nil {
			return fmt.Errorf("%s: block %d: %w", l.msp, l.next, err)
		}
		l.hash = hex.EncodeToString(audit.HeaderHash(b.GetHeader()))
	}
	return nil
}

func (l *ledger) count(b *common.Block) error {
	var filter []byte
	if md := b.GetMetadata().GetMetadata(); len(md) > int(common.BlockMetadataIndex_TRANSACTIONS_FILTER) {
		filter = md[common.BlockMetadataIndex_TRANSACTIONS_FILTER]
	}
	for i, raw := range b.GetData().GetData() {
		var env common.Envelope
		var payload common.Payload
		var chdr common.ChannelHeader
		if err := proto.Unmarshal(raw, &env); err != nil {
			return err
		}
		if err := proto.Unmarshal(env.GetPayload(), &payload); err != nil {
			return err
		}
		if err := proto.Unmarshal(payload.GetHeader().GetChannelHeader(), &chdr); err != nil {
			return err
		}
		if chdr.GetType() != int32(common.HeaderType_ENDORSER_TRANSACTION) {
			continue
		}
		l.txs[chdr.GetTxId()]++
		if i >= len(filter) || peer.TxValidationCode(filter[i]) != peer.TxValidationCode_VALID {
			continue
		}
		l.valid[chdr.GetTxId()]++
		args, err := callArgs(payload.GetData())
		if err != nil {
			return fmt.Errorf("transaction %s: %w", chdr.GetTxId(), err)
		}
		sum := sha256.Sum256(bytes.Join(args, []byte{0}))
		key := hex.EncodeToString(sum[:])
		l.calls[key]++
		if len(args) > 1 {
			l.names[key] = string(args[0]) + " " + string(args[1][:min(len(args[1]), 80)])
		}
	}
	return nil
}

// callArgs are the function name and arguments of an endorser transaction's chaincode call.
func callArgs(data []byte) ([][]byte, error) {
	var tx peer.Transaction
	if err := proto.Unmarshal(data, &tx); err != nil {
		return nil, err
	}
	if len(tx.GetActions()) == 0 {
		return nil, errors.New("no action")
	}
	var action peer.ChaincodeActionPayload
	if err := proto.Unmarshal(tx.GetActions()[0].GetPayload(), &action); err != nil {
		return nil, err
	}
	var cpp peer.ChaincodeProposalPayload
	if err := proto.Unmarshal(action.GetChaincodeProposalPayload(), &cpp); err != nil {
		return nil, err
	}
	var spec peer.ChaincodeInvocationSpec
	if err := proto.Unmarshal(cpp.GetInput(), &spec); err != nil {
		return nil, err
	}
	return spec.GetChaincodeSpec().GetInput().GetArgs(), nil
}

// repeated are the valid chaincode calls whose arguments name run and that are in the blocks
// more than once: one write applied twice.
func (l *ledger) repeated(run string) []string {
	var out []string
	for key, n := range l.calls {
		if n > 1 && strings.Contains(l.names[key], run) {
			out = append(out, fmt.Sprintf("%s (%d times)", l.names[key], n))
		}
	}
	return out
}

// stateDigest is a hash of the receivables rebuilt from the valid write sets.
func (l *ledger) stateDigest() (string, int, error) {
	h := sha256.New()
	ids := l.aud.IDs()
	for _, id := range ids {
		b, err := json.Marshal(l.aud.Receivable(id))
		if err != nil {
			return "", 0, err
		}
		h.Write(b)
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil)), len(ids), nil
}

// converge waits until every gateway's peer reports the same height and last block hash (the
// load stopped, so they settle), and returns that height.
func converge(ctx context.Context, ledgers []*ledger, bound time.Duration) (uint64, string, error) {
	deadline := time.Now().Add(bound)
	var last string
	for {
		var height uint64
		var hash string
		same := true
		var parts []string
		for i, l := range ledgers {
			actx, cancel := context.WithTimeout(ctx, 10*time.Second)
			info, err := l.c.ChainInfo(actx)
			cancel()
			if err != nil {
				same = false
				parts = append(parts, fmt.Sprintf("%s: %v", l.msp, err))
				continue
			}
			parts = append(parts, fmt.Sprintf("%s %d %.12s", l.msp, info.Height, info.CurrentBlockHash))
			if i == 0 {
				height, hash = info.Height, info.CurrentBlockHash
			} else if info.Height != height || info.CurrentBlockHash != hash {
				same = false
			}
		}
		last = strings.Join(parts, "; ")
		if same {
			return height, hash, nil
		}
		if time.Now().After(deadline) {
			return 0, "", fmt.Errorf("the peers do not agree after %s: %s", bound, last)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

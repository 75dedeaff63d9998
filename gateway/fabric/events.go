package fabric

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/hyperledger/fabric-gateway/pkg/client"
)

// Event is one chaincode event with its position in the ledger.
type Event struct {
	BlockNumber   uint64
	TransactionID string
	Name          string
	Payload       []byte
}

// Position is where to start reading events: at StartBlock, skipping the events of that block up to
// and including AfterTx when it is set (a resumed stream's last delivered event).
type Position struct {
	StartBlock uint64
	AfterTx    string
	FromNow    bool // ignore StartBlock and start with the next block
}

// EventID names the event of transaction txID in block block: "<blockNumber>:<txId>", the id of
// the gateway's SSE stream (resume after it with Last-Event-ID) and of the console's stored
// position.
func EventID(block uint64, txID string) string { return strconv.FormatUint(block, 10) + ":" + txID }

// After is the position after the event named id (EventID): the SDK's checkpoint, which resumes
// with the next event, so each event is read once.
func After(id string) (Position, error) {
	block, tx, ok := strings.Cut(id, ":")
	n, err := strconv.ParseUint(block, 10, 64)
	if !ok || err != nil || tx == "" {
		return Position{}, errors.New("an event id is <blockNumber>:<txId>")
	}
	return Position{StartBlock: n, AfterTx: tx}, nil
}

// Events streams the chaincode's events as the named identity until ctx ends. Each event arrives
// once, in ledger order; the channel closes when the stream ends.
func (c *Client) Events(ctx context.Context, name string, pos Position) (<-chan Event, error) {
	gw, err := c.signing(name)
	if err != nil {
		return nil, err
	}
	var opts []client.ChaincodeEventsOption
	if !pos.FromNow {
		cp := &client.InMemoryCheckpointer{}
		if pos.AfterTx != "" {
			cp.CheckpointTransaction(pos.StartBlock, pos.AfterTx)
			opts = append(opts, client.WithCheckpoint(cp))
		} else {
			opts = append(opts, client.WithStartBlock(pos.StartBlock))
		}
	}
	src, err := gw.GetNetwork(c.opts.Channel).ChaincodeEvents(ctx, c.opts.Chaincode, opts...)
	if err != nil {
		return nil, Classify(err, "events")
	}
	out := make(chan Event)
	go func() {
		defer close(out)
		for ev := range src {
			select {
			case out <- Event{BlockNumber: ev.BlockNumber, TransactionID: ev.TransactionID, Name: ev.EventName, Payload: ev.Payload}:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

package fabric

import (
	"context"

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

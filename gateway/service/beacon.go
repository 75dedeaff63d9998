package service

import (
	"context"
	"log/slog"
	"time"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/fabric"
)

// ticker is what the beacon needs of the Fabric client.
type ticker interface {
	Submit(ctx context.Context, name, txName string, args []string, transient map[string][]byte, onSubmitted func(txID string)) (*fabric.Result, error)
}

// runBeacon advances the network's time beacon (the chaincode's Tick, docs/security.md "No
// back-dating") as identity every interval until ctx ends: every write reads the beacon, so an
// endorsement held across a tick can no longer commit. A failed tick is logged and tried again at
// the next interval; a tick another member's gateway made at the same instant is a conflict, which
// is harmless (the beacon advanced).
func runBeacon(ctx context.Context, fc ticker, identity string, interval time.Duration, log *slog.Logger) {
	op, ok := wire.ByTx("Tick")
	if !ok {
		log.Error("time beacon disabled: the wire contract has no Tick")
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		tctx, cancel := context.WithTimeout(ctx, interval)
		res, err := fc.Submit(tctx, identity, op.Tx, nil, nil, nil)
		cancel()
		switch {
		case err == nil:
			log.Debug("time beacon advanced", "txId", res.TransactionID)
		case ctx.Err() != nil:
			return
		default:
			log.Warn("time beacon: tick failed; trying again at the next interval", "identity", identity, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

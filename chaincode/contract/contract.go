// Package contract is the Fabric contract of the receivables chaincode: it adapts the chaincode API
// (arguments, identity, state, events) to the rules of package receivable. Its transactions are
// typed with the wire contract's types, so the contract metadata describes them (metadata.go).
package contract

import (
	"fmt"
	"strconv"
	"time"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/hyperledger/fabric-contract-api-go/v2/metadata"

	"github.com/recv-ledger/recv/chaincode/receivable"
	"github.com/recv-ledger/recv/chaincode/wire"
)

// contractName is the contract's namespace; it is also the default contract.
const contractName = "receivables"

// info describes the chaincode and its contract in the metadata.
var info = metadata.InfoMetadata{Title: "recv receivables", Version: "1.0.0"}

// Contract is the receivables contract. Each transaction is a row of wire.Ops: its parameters, in
// order, are the op's Params, and writes return the event they set.
type Contract struct {
	contractapi.Contract
	now func() time.Time
}

// Option configures a Contract.
type Option func(*Contract)

// WithClock replaces the peer clock used by the clock-skew check (tests).
func WithClock(now func() time.Time) Option { return func(c *Contract) { c.now = now } }

// New returns the contract with its BeforeTransaction hook and context type installed.
func New(opts ...Option) *Contract {
	c := &Contract{now: time.Now}
	c.Name = contractName
	c.Info = info
	c.TransactionContextHandler = new(TxContext)
	c.BeforeTransaction = c.before
	for _, o := range opts {
		o(c)
	}
	return c
}

// GetEvaluateTransactions marks the queries of wire.Ops as evaluate transactions in the metadata.
func (c *Contract) GetEvaluateTransactions() []string {
	var names []string
	for _, op := range wire.Ops {
		if !op.Submit {
			names = append(names, op.Tx)
		}
	}
	return names
}

func (c *Contract) tx(ctx *TxContext) (receivable.Tx, error) {
	ts, err := ctx.GetStub().GetTxTimestamp()
	if err != nil {
		return receivable.Tx{}, fmt.Errorf("reading the transaction timestamp: %w", err)
	}
	return receivable.Tx{ID: ctx.GetStub().GetTxID(), Time: ts.AsTime().UTC(), Caller: ctx.caller, Config: ctx.config}, nil
}

// run applies a rule and, when it accepts, writes its change and returns its event.
func (c *Contract) run(ctx *TxContext, rule func(receivable.Reader, receivable.Tx) (receivable.Change, error)) (*wire.Event, error) {
	tx, err := c.tx(ctx)
	if err != nil {
		return nil, err
	}
	l := txLedger(ctx)
	ch, err := rule(l, tx)
	if err != nil {
		return nil, err
	}
	if err := receivable.NotBackdated(l, tx, ch); err != nil {
		return nil, err
	}
	return l.apply(tx, ch)
}

// Tick advances the network's time beacon to the transaction's time, which must be within
// receivable.MaxTickSkew of the endorsing peer's clock.
func (c *Contract) Tick(ctx *TxContext) (*wire.Event, error) {
	ts, err := ctx.GetStub().GetTxTimestamp()
	if err != nil {
		return nil, fmt.Errorf("reading the transaction timestamp: %w", err)
	}
	if skew := c.now().Sub(ts.AsTime()); skew > receivable.MaxTickSkew || skew < -receivable.MaxTickSkew {
		return nil, receivable.Invalidf("a Tick's timestamp %s is %s away from the peer clock, more than %s allowed",
			ts.AsTime().UTC().Format(time.RFC3339), skew.Round(time.Second).Abs(), receivable.MaxTickSkew)
	}
	return c.run(ctx, func(_ receivable.Reader, tx receivable.Tx) (receivable.Change, error) {
		return receivable.Tick(tx, ctx.beacon)
	})
}

// GetBeacon returns the time beacon, for a gateway that ticks only when the beacon is late. Like
// every query it adds nothing to any write's read set.
func (c *Contract) GetBeacon(ctx *TxContext) (*wire.Beacon, error) {
	b, err := readBeacon(ctx.GetStub())
	if err != nil {
		return nil, err
	}
	if b == nil {
		return nil, receivable.NotFoundf("no time beacon on this ledger (InitRegistry starts it; a Tick advances it)")
	}
	return b, nil
}

// Issue creates a receivable offered to its beneficiary.
func (c *Contract) Issue(ctx *TxContext, request wire.IssueRequest) (*wire.Event, error) {
	return c.run(ctx, func(rd receivable.Reader, tx receivable.Tx) (receivable.Change, error) {
		return receivable.RequestIssue(rd, tx, request)
	})
}

// Accept takes a receivable offered to the caller.
func (c *Contract) Accept(ctx *TxContext, id string) (*wire.Event, error) {
	return c.run(ctx, func(rd receivable.Reader, tx receivable.Tx) (receivable.Change, error) {
		return receivable.Accept(rd, tx, id)
	})
}

// Reject refuses a receivable offered to the caller.
func (c *Contract) Reject(ctx *TxContext, id, reason string) (*wire.Event, error) {
	return c.run(ctx, func(rd receivable.Reader, tx receivable.Tx) (receivable.Change, error) {
		return receivable.Reject(rd, tx, id, reason)
	})
}

// Revoke withdraws the caller's pending offer.
func (c *Contract) Revoke(ctx *TxContext, id string) (*wire.Event, error) {
	return c.run(ctx, func(rd receivable.Reader, tx receivable.Tx) (receivable.Change, error) {
		return receivable.Revoke(rd, tx, id)
	})
}

// Split divides a held receivable into parts, decimal amounts summing to its amount.
func (c *Contract) Split(ctx *TxContext, id string, parts []string) (*wire.Event, error) {
	return c.run(ctx, func(rd receivable.Reader, tx receivable.Tx) (receivable.Change, error) {
		return receivable.Split(rd, tx, id, parts)
	})
}

// Transfer offers a held receivable, whole (amount "") or in part, to another account.
func (c *Contract) Transfer(ctx *TxContext, id, to, amount string) (*wire.Event, error) {
	return c.run(ctx, func(rd receivable.Reader, tx receivable.Tx) (receivable.Change, error) {
		return receivable.Transfer(rd, tx, id, to, amount)
	})
}

// RequestFinancing asks the bank (an MSP ID) to finance a held receivable.
func (c *Contract) RequestFinancing(ctx *TxContext, id, bank string) (*wire.Event, error) {
	return c.run(ctx, func(rd receivable.Reader, tx receivable.Tx) (receivable.Change, error) {
		return receivable.RequestFinancing(rd, tx, id, bank)
	})
}

// DecideFinancing records the caller's bank's decision on a financing request privately: decision
// "approved" with the transient rateBps (annual, basis points), or "rejected" with the transient
// reason. Only the collection of the requester's organisation and the bank is written; the event
// carries the terms' hash for ApproveFinancing or RejectFinancing.
func (c *Contract) DecideFinancing(ctx *TxContext, id, decision string) (*wire.Event, error) {
	var rate int64
	if decision == wire.DecisionApproved {
		var err error
		if rate, err = strconv.ParseInt(ctx.transient["rateBps"], 10, 64); err != nil {
			return nil, receivable.Invalidf("rateBps %.40q is not an integer", ctx.transient["rateBps"])
		}
	}
	return c.run(ctx, func(rd receivable.Reader, tx receivable.Tx) (receivable.Change, error) {
		return receivable.DecideFinancing(rd, tx, id, decision, rate, ctx.transient["reason"], ctx.transient[wire.SaltKey])
	})
}

// ApproveFinancing discounts a receivable at the terms the bank recorded under termsHash
// (DecideFinancing); the caller's account becomes the holder. Whether the financing is without
// recourse ("true") is public.
func (c *Contract) ApproveFinancing(ctx *TxContext, id, termsHash, withoutRecourse string) (*wire.Event, error) {
	return c.run(ctx, func(rd receivable.Reader, tx receivable.Tx) (receivable.Change, error) {
		return receivable.ApproveFinancing(rd, tx, id, termsHash, withoutRecourse)
	})
}

// RejectFinancing declines a financing request with the reason the bank recorded under termsHash
// (DecideFinancing).
func (c *Contract) RejectFinancing(ctx *TxContext, id, termsHash string) (*wire.Event, error) {
	return c.run(ctx, func(rd receivable.Reader, tx receivable.Tx) (receivable.Change, error) {
		return receivable.RejectFinancing(rd, tx, id, termsHash)
	})
}

// Redeem pays the holder of one matured receivable, under the payment paymentRef.
func (c *Contract) Redeem(ctx *TxContext, id, paymentRef string) (*wire.Event, error) {
	return c.run(ctx, func(rd receivable.Reader, tx receivable.Tx) (receivable.Change, error) {
		return receivable.RequestRedeem(rd, tx, id, paymentRef)
	})
}

// RedeemAll pays every live piece of a matured root, under the payment paymentRef.
func (c *Contract) RedeemAll(ctx *TxContext, rootID, paymentRef string) (*wire.Event, error) {
	return c.run(ctx, func(rd receivable.Reader, tx receivable.Tx) (receivable.Change, error) {
		return receivable.RequestRedeemAll(rd, tx, rootID, paymentRef)
	})
}

// GetConfig returns the settings in force.
func (c *Contract) GetConfig(ctx *TxContext) (*wire.Config, error) {
	cfg := ctx.config
	return &cfg, nil
}

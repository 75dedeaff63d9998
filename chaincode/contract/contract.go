// Package contract is the Fabric contract of the receivables chaincode: it adapts the chaincode API
// (arguments, identity, state, events) to the rules of package receivable.
package contract

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/hyperledger/fabric-contract-api-go/v2/metadata"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/recv-ledger/recv/chaincode/receivable"
)

// Contract is the receivables contract. Every transaction takes and returns strings; structured
// values are JSON (see docs/interfaces.md).
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
	c.Name = "receivables"
	c.Info = metadata.InfoMetadata{Title: "recv receivables", Version: "1.0.0"}
	c.TransactionContextHandler = new(TxContext)
	c.BeforeTransaction = c.before
	for _, o := range opts {
		o(c)
	}
	return c
}

// Chaincode is the receivables chaincode: the contract framework's router, with the framework's own
// argument errors given the "invalid: " kind like every other refusal.
type Chaincode struct {
	*contractapi.ContractChaincode
}

var _ shim.Chaincode = (*Chaincode)(nil)

// NewChaincode returns the chaincode with this contract as its default contract.
func NewChaincode(opts ...Option) (*Chaincode, error) {
	cc, err := contractapi.NewChaincode(New(opts...))
	if err != nil {
		return nil, fmt.Errorf("creating chaincode: %w", err)
	}
	cc.Info = metadata.InfoMetadata{Title: "recv receivables", Version: "1.0.0"}
	return &Chaincode{ContractChaincode: cc}, nil
}

// frameworkErrors are the beginnings of the contract framework's messages about bad arguments.
var frameworkErrors = []string{"Blank function name", "Function ", "incorrect number of params", "error managing parameter", "Contract not found"}

// Invoke routes the transaction and classifies the framework's argument errors as invalid.
func (cc *Chaincode) Invoke(stub shim.ChaincodeStubInterface) *peer.Response {
	resp := cc.ContractChaincode.Invoke(stub)
	if resp.Status != shim.OK {
		for _, prefix := range frameworkErrors {
			if strings.HasPrefix(resp.Message, prefix) {
				resp.Message = string(receivable.KindInvalid) + ": " + resp.Message
				break
			}
		}
	}
	return resp
}

// GetEvaluateTransactions marks the queries as evaluate transactions in the metadata.
func (c *Contract) GetEvaluateTransactions() []string { return evaluateTransactions() }

func (c *Contract) tx(ctx *TxContext) (receivable.Tx, error) {
	ts, err := ctx.GetStub().GetTxTimestamp()
	if err != nil {
		return receivable.Tx{}, fmt.Errorf("reading the transaction timestamp: %w", err)
	}
	return receivable.Tx{ID: ctx.GetStub().GetTxID(), Time: ts.AsTime().UTC(), Caller: ctx.caller, Config: ctx.config}, nil
}

// run applies a rule and, when it accepts, writes its change and returns the event payload.
func (c *Contract) run(ctx *TxContext, rule func(receivable.Reader, receivable.Tx) (receivable.Change, error)) (string, error) {
	tx, err := c.tx(ctx)
	if err != nil {
		return "", err
	}
	l := ledger{stub: ctx.GetStub()}
	ch, err := rule(l, tx)
	if err != nil {
		return "", err
	}
	ev, err := l.apply(tx.ID, ch)
	if err != nil {
		return "", err
	}
	return marshal(ev)
}

func marshal(v any) (string, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encoding result: %w", err)
	}
	return string(raw), nil
}

// Issue creates a receivable offered to its beneficiary. request is the JSON issue request.
func (c *Contract) Issue(ctx *TxContext, request string) (string, error) {
	req, err := receivable.ParseIssueRequest(request)
	if err != nil {
		return "", err
	}
	return c.run(ctx, func(rd receivable.Reader, tx receivable.Tx) (receivable.Change, error) {
		return receivable.Issue(rd, tx, req)
	})
}

// Accept takes a receivable offered to the caller.
func (c *Contract) Accept(ctx *TxContext, id string) (string, error) {
	return c.run(ctx, func(rd receivable.Reader, tx receivable.Tx) (receivable.Change, error) {
		return receivable.Accept(rd, tx, id)
	})
}

// Reject refuses a receivable offered to the caller.
func (c *Contract) Reject(ctx *TxContext, id, reason string) (string, error) {
	return c.run(ctx, func(rd receivable.Reader, tx receivable.Tx) (receivable.Change, error) {
		return receivable.Reject(rd, tx, id, reason)
	})
}

// Revoke withdraws the caller's pending offer.
func (c *Contract) Revoke(ctx *TxContext, id string) (string, error) {
	return c.run(ctx, func(rd receivable.Reader, tx receivable.Tx) (receivable.Change, error) {
		return receivable.Revoke(rd, tx, id)
	})
}

// Split divides a held receivable; parts is a JSON array of amount strings.
func (c *Contract) Split(ctx *TxContext, id, parts string) (string, error) {
	var amounts []string
	if err := json.Unmarshal([]byte(parts), &amounts); err != nil {
		return "", receivable.Invalidf("parts must be a JSON array of amount strings: %v", err)
	}
	return c.run(ctx, func(rd receivable.Reader, tx receivable.Tx) (receivable.Change, error) {
		return receivable.Split(rd, tx, id, amounts)
	})
}

// Transfer offers a held receivable, whole (amount "") or in part, to another account.
func (c *Contract) Transfer(ctx *TxContext, id, to, amount string) (string, error) {
	return c.run(ctx, func(rd receivable.Reader, tx receivable.Tx) (receivable.Change, error) {
		return receivable.Transfer(rd, tx, id, to, amount)
	})
}

// RequestFinancing asks the bank (an MSP ID) to finance a held receivable.
func (c *Contract) RequestFinancing(ctx *TxContext, id, bank string) (string, error) {
	return c.run(ctx, func(rd receivable.Reader, tx receivable.Tx) (receivable.Change, error) {
		return receivable.RequestFinancing(rd, tx, id, bank)
	})
}

// ApproveFinancing discounts a receivable at rateBps (annual, basis points); the caller's account
// becomes the holder.
func (c *Contract) ApproveFinancing(ctx *TxContext, id, rateBps string) (string, error) {
	return c.run(ctx, func(rd receivable.Reader, tx receivable.Tx) (receivable.Change, error) {
		return receivable.ApproveFinancing(rd, tx, id, rateBps)
	})
}

// RejectFinancing declines a financing request.
func (c *Contract) RejectFinancing(ctx *TxContext, id, reason string) (string, error) {
	return c.run(ctx, func(rd receivable.Reader, tx receivable.Tx) (receivable.Change, error) {
		return receivable.RejectFinancing(rd, tx, id, reason)
	})
}

// Redeem pays the holder of one matured receivable.
func (c *Contract) Redeem(ctx *TxContext, id string) (string, error) {
	return c.run(ctx, func(rd receivable.Reader, tx receivable.Tx) (receivable.Change, error) {
		return receivable.Redeem(rd, tx, id)
	})
}

// RedeemAll pays every live piece of a matured root.
func (c *Contract) RedeemAll(ctx *TxContext, rootID string) (string, error) {
	return c.run(ctx, func(rd receivable.Reader, tx receivable.Tx) (receivable.Change, error) {
		return receivable.RedeemAll(rd, tx, rootID)
	})
}

// SetConfig changes the settings; config is JSON with optional maxTermDays and clockSkewSeconds.
func (c *Contract) SetConfig(ctx *TxContext, config string) (string, error) {
	next, err := receivable.ApplyConfigJSON(ctx.config, config)
	if err != nil {
		return "", err
	}
	raw, err := json.Marshal(next)
	if err != nil {
		return "", err
	}
	if err := ctx.GetStub().PutState(configKey, raw); err != nil {
		return "", fmt.Errorf("writing config: %w", err)
	}
	ev := eventPayload{TxID: ctx.GetStub().GetTxID(), Op: "SetConfig", Items: []eventItem{}, Config: &next}
	if err := (ledger{stub: ctx.GetStub()}).emit(ev); err != nil {
		return "", err
	}
	return marshal(ev)
}

// GetConfig returns the settings in force.
func (c *Contract) GetConfig(ctx *TxContext) (string, error) {
	return marshal(ctx.config)
}

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/network"
	"github.com/recv-ledger/recv/test/internal/testnet"
)

// sdkClient submits straight to each organisation's peer with the fabric-gateway SDK: one gRPC
// connection per peer, one Gateway per user, as a well-written client application would.
type sdkClient struct {
	conns     []*grpc.ClientConn
	contracts map[string]*client.Contract // by account
	bare      map[string]*client.Contract // the bare chaincode, by account
	gateways  []*client.Gateway
	byAccount map[string]*client.Gateway
	channel   string
	chaincode string
}

func newSDK(desc *network.Description) (*sdkClient, error) {
	s := &sdkClient{contracts: map[string]*client.Contract{}, bare: map[string]*client.Contract{},
		byAccount: map[string]*client.Gateway{}, channel: desc.Channel, chaincode: desc.Chaincode}
	for _, mspID := range desc.MSPIDs() {
		conn, err := testnet.DialPeer(desc, mspID)
		if err != nil {
			return nil, err
		}
		s.conns = append(s.conns, conn)
		hash, err := tlsCertHash(desc.Orgs[mspID].Peer)
		if err != nil {
			return nil, err
		}
		for _, name := range desc.Orgs[mspID].UserNames() {
			gw, err := testnet.Connect(desc, mspID+"/"+name, conn, client.WithTLSClientCertificateHash(hash))
			if err != nil {
				return nil, fmt.Errorf("%s/%s: %w", mspID, name, err)
			}
			s.gateways = append(s.gateways, gw)
			s.byAccount[mspID+"/"+name] = gw
			s.contracts[mspID+"/"+name] = gw.GetNetwork(desc.Channel).GetContract(desc.Chaincode)
			s.bare[mspID+"/"+name] = gw.GetNetwork(desc.Channel).GetContract(bareChaincode)
		}
	}
	return s, nil
}

func (s *sdkClient) name() string { return "sdk" }

// submit runs the step's transaction with the arguments the gateway would build for it: the
// wire contract's operation table turns the same request into the same arguments.
//
// An approval at a rate is two transactions, as through the gateway (wire.Op.DecisionFirst): the
// decision with the rate, then the approval with its hash (retried while another organisation's
// peer has not committed the decision yet).
func (s *sdkClient) submit(ctx context.Context, st step) (json.RawMessage, error) {
	if txs, ok := st.body.([]shapedTx); ok && st.op == bareShape {
		return nil, s.submitShape(ctx, txs)
	}
	if op, ok := wire.Lookup(st.op); ok && st.body != nil {
		body, err := json.Marshal(st.body)
		if err != nil {
			return nil, err
		}
		decoded, err := op.DecodeBody(body)
		if err != nil {
			return nil, err
		}
		decide, decideBody, first, err := op.DecisionFirst(decoded)
		if err != nil {
			return nil, err
		}
		if first {
			out, err := s.submit(ctx, step{account: st.account, op: decide.Name, id: st.id, body: json.RawMessage(decideBody.JSON())})
			if err != nil {
				return nil, err
			}
			decided, err := wire.DecisionOf(out)
			if err != nil {
				return nil, err
			}
			bound, err := op.WithTermsHash(decoded, decided.TermsHash)
			if err != nil {
				return nil, err
			}
			st.body = json.RawMessage(bound.JSON())
			var res json.RawMessage
			err = retryStale(ctx, func() error {
				var err error
				res, err = s.submit(ctx, st)
				return err
			})
			return res, err
		}
	}
	contracts, tx, args := s.contracts, "", []string(nil)
	var transient map[string][]byte
	if st.op == barePut {
		contracts, tx, args = s.bare, "Put", []string{st.id, strconv.Itoa(st.body.(int))}
	} else {
		op, opArgs, err := st.args()
		if err != nil {
			return nil, err
		}
		tx, args = op.Tx, opArgs
		if transient, err = st.transient(op); err != nil {
			return nil, err
		}
	}
	c, ok := contracts[st.account]
	if !ok {
		return nil, fmt.Errorf("no user %s in network.json", st.account)
	}
	opts := []client.ProposalOption{client.WithArguments(args...)}
	if transient != nil {
		opts = append(opts, client.WithTransient(transient))
	}
	result, commit, err := c.SubmitAsyncWithContext(ctx, tx, opts...)
	if err != nil {
		return nil, classify(err)
	}
	res, err := commit.StatusWithContext(ctx)
	if err != nil {
		return nil, err
	}
	if !res.Successful {
		return nil, &commitError{txID: res.TransactionID, code: res.Code.String()}
	}
	recordCommitted(ctx, st.account, res)
	return result, nil
}

// transient is a step's transient data (a financing decision's terms and salt), as the gateway
// builds it.
func (st step) transient(op *wire.Op) (map[string][]byte, error) {
	body, err := json.Marshal(st.body)
	if err != nil || st.body == nil {
		return nil, err
	}
	return op.TransientArgs(wire.Request{Body: body}, "")
}

// args are the chaincode arguments of a step, built by its op in the wire contract.
func (st step) args() (*wire.Op, []string, error) {
	op, ok := wire.Lookup(st.op)
	if !ok {
		return nil, nil, fmt.Errorf("no operation %q in the wire contract", st.op)
	}
	var body []byte
	if st.body != nil {
		var err error
		if body, err = json.Marshal(st.body); err != nil {
			return nil, nil, err
		}
	}
	args, err := op.Args(wire.Request{PathValue: func(string) string { return st.id }, Body: body})
	return op, args, err
}

// classify reads the chaincode's refusal from an endorsement error (wire.ParseRefusal, the one
// reader of refusals) so that stale refusals are retried.
func classify(err error) error {
	texts := []string{err.Error()}
	if st, ok := status.FromError(err); ok {
		for _, d := range st.Details() {
			if ed, ok := d.(*gateway.ErrorDetail); ok {
				texts = append(texts, ed.GetMessage())
			}
		}
	}
	for _, t := range texts {
		if refusal, ok := wire.ParseRefusal(t); ok {
			return stale(refusal)
		}
	}
	for _, t := range texts {
		// Two endorsers answered differently: one of them has not committed the latest block
		// that the transaction reads yet.
		if strings.Contains(t, "ProposalResponsePayloads do not match") {
			return fmt.Errorf("%w: %w", errStale, err)
		}
	}
	return err
}

func (s *sdkClient) close() {
	for _, gw := range s.gateways {
		_ = gw.Close()
	}
	for _, c := range s.conns {
		_ = c.Close()
	}
}

// commitError is a transaction that committed as invalid, with the peer's validation code.
type commitError struct {
	txID, code string
}

func (e *commitError) Error() string {
	return fmt.Sprintf("transaction %s committed as %s", e.txID, e.code)
}

package integration

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/test/internal/story"
	"github.com/recv-ledger/recv/test/internal/testnet"
)

// One gRPC connection per organisation's peer, shared by that organisation's users, as a real
// client application would hold it.
var (
	connMu sync.Mutex
	conns  = map[string]*grpc.ClientConn{}
)

func peerConn(t *testing.T, mspID string) *grpc.ClientConn {
	t.Helper()
	connMu.Lock()
	defer connMu.Unlock()
	if c, ok := conns[mspID]; ok {
		return c
	}
	c, err := testnet.DialPeer(net, mspID)
	require.NoError(t, err)
	conns[mspID] = c
	return c
}

// actor is one enrolled user connected to its own organisation's peer.
type actor struct {
	account  string
	mspID    string
	gw       *client.Gateway
	contract *client.Contract
	network  *client.Network
}

// as connects the user MSPID/name from network.json (its certificate carries recv.role).
func as(t *testing.T, account string) *actor {
	t.Helper()
	mspID, _, _ := strings.Cut(account, "/")
	gw, err := testnet.Connect(net, account, peerConn(t, mspID),
		client.WithEvaluateTimeout(30*time.Second), client.WithEndorseTimeout(30*time.Second),
		client.WithSubmitTimeout(30*time.Second), client.WithCommitStatusTimeout(time.Minute))
	require.NoError(t, err)
	t.Cleanup(func() { _ = gw.Close() })
	nw := gw.GetNetwork(net.Channel)
	return &actor{account: account, mspID: mspID, gw: gw, network: nw, contract: nw.GetContract(net.Chaincode)}
}

// committed is a submitted transaction that the ledger accepted.
type committed struct {
	TxID   string
	Block  uint64
	Result wire.Event // what the transaction returned and emitted
}

// written is every receivable the suite's transactions wrote, for the peers to agree on.
var written sync.Map

// submit endorses, orders and waits for the commit of one transaction; it fails the test when
// any stage fails or the transaction is not VALID.
func (a *actor) submit(t *testing.T, tx string, args ...string) committed {
	t.Helper()
	c, err := a.trySubmit(tx, args...)
	require.NoError(t, err, "%s %s %v", a.account, tx, args)
	a.settle(t, c.Block)
	return c
}

// made runs a maker's transaction (Issue, Redeem, RedeemAll) as a and, when a's organisation
// requires two-person control, has its approver (story.Approver) confirm the instruction it
// recorded; it returns the transaction that committed the change.
func (a *actor) made(t *testing.T, tx string, args ...string) committed {
	t.Helper()
	c := a.submit(t, tx, args...)
	if c.Result.Instruction == nil || c.Result.Instruction.Status != wire.InstructionOpen {
		return c
	}
	return as(t, story.Approver).submit(t, "ConfirmInstruction", c.Result.Instruction.ID)
}

// settle waits until every organisation's peer has committed block: the commit status came from
// the submitter's own peer, and the next step of a story is often another organisation's, whose
// peer must see the new state before it endorses or answers.
func (a *actor) settle(t *testing.T, block uint64) {
	t.Helper()
	waitFor(t, fmt.Sprintf("every peer to commit block %d", block), 30*time.Second, func() error {
		for _, msp := range net.MSPIDs() {
			info, err := a.chainInfo(msp)
			if err != nil {
				return err
			}
			if info.Height <= block {
				return fmt.Errorf("%s is at height %d", msp, info.Height)
			}
		}
		return nil
	})
}

// trySubmit submits tx and waits for its commit; for an op with transient values (a financing
// decision's terms) the arguments after its Params are those values, sent as transient data with a
// fresh salt, as the gateway sends them. A transaction invalidated as MVCC_READ_CONFLICT changed
// nothing and is submitted afresh, up to 3 times, as the gateways do: every write reads the
// network's time beacon, so a tick committed while the transaction was in flight makes it stale
// (docs/security.md, "No back-dating").
func (a *actor) trySubmit(tx string, args ...string) (committed, error) {
	if hash, decided, err := a.decideFirst(tx, args); decided {
		if err != nil {
			return committed{}, err
		}
		if tx == "ApproveFinancing" {
			args = []string{args[0], hash, args[1]}
		} else {
			args = []string{args[0], hash}
		}
	}
	opts, err := proposalOptions(tx, args)
	if err != nil {
		return committed{}, err
	}
	var (
		result []byte
		st     *client.Status
	)
	for attempt := 1; ; attempt++ {
		var commit *client.Commit
		result, commit, err = a.contract.SubmitAsync(tx, opts...)
		if err != nil {
			return committed{}, describe(err)
		}
		if st, err = commit.Status(); err != nil {
			return committed{}, describe(err)
		}
		if st.Code != peer.TxValidationCode_MVCC_READ_CONFLICT || attempt == 3 {
			break
		}
	}
	if !st.Successful {
		return committed{}, fmt.Errorf("transaction %s committed as %s", st.TransactionID, st.Code)
	}
	var ev wire.Event
	if err := json.Unmarshal(result, &ev); err != nil {
		return committed{}, fmt.Errorf("result of %s is not the event payload: %w: %s", tx, err, result)
	}
	for _, it := range ev.Items {
		written.Store(it.ID, true)
	}
	return committed{TxID: st.TransactionID, Block: st.BlockNumber, Result: ev}, nil
}

// decideFirst: the suite asks for ApproveFinancing(id, withoutRecourse, rateBps) and
// RejectFinancing(id, reason) as a bank's officer asks the gateway; like the gateway
// (wire.Op.DecisionFirst) it records the decision first (DecideFinancing, the terms as transient
// data), waits until every peer committed it (each checks the recorded hash), and returns the
// hash the binding transaction carries. decided is false for any other call.
func (a *actor) decideFirst(tx string, args []string) (hash string, decided bool, err error) {
	var decideArgs []string
	switch {
	case tx == "ApproveFinancing" && len(args) == 3 && !isHex64(args[1]):
		decideArgs = []string{args[0], wire.DecisionApproved, args[2], ""}
	case tx == "RejectFinancing" && len(args) == 2 && !isHex64(args[1]):
		decideArgs = []string{args[0], wire.DecisionRejected, "", args[1]}
	default:
		return "", false, nil
	}
	c, err := a.trySubmit("DecideFinancing", decideArgs...)
	if err != nil {
		return "", true, err
	}
	if len(c.Result.Items) != 1 || c.Result.Items[0].TermsHash == "" {
		return "", true, fmt.Errorf("decision %s names no terms hash", c.TxID)
	}
	return c.Result.Items[0].TermsHash, true, a.committedEverywhere(c.Block)
}

// committedEverywhere waits up to 30 s until every organisation's peer has committed block.
func (a *actor) committedEverywhere(block uint64) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		behind := ""
		for _, msp := range net.MSPIDs() {
			if info, err := a.chainInfo(msp); err != nil || info.Height <= block {
				behind = msp
				break
			}
		}
		if behind == "" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s's peer has not committed block %d", behind, block)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func isHex64(s string) bool {
	_, err := hex.DecodeString(s)
	return len(s) == 64 && err == nil
}

func proposalOptions(tx string, args []string) ([]client.ProposalOption, error) {
	op, ok := wire.ByTx(tx)
	if !ok || len(op.Transient) == 0 || len(args) <= len(op.Params) {
		return []client.ProposalOption{client.WithArguments(args...)}, nil
	}
	salt, err := wire.NewSalt()
	if err != nil {
		return nil, err
	}
	transient := map[string][]byte{wire.SaltKey: []byte(salt)}
	for i, v := range args[len(op.Params):] {
		if i < len(op.Transient) {
			transient[op.Transient[i].Name] = []byte(v)
		}
	}
	return []client.ProposalOption{client.WithArguments(args[:len(op.Params)]...), client.WithTransient(transient)}, nil
}

// evaluate runs a query on the caller's own organisation's peer.
func (a *actor) evaluate(t *testing.T, out any, tx string, args ...string) {
	t.Helper()
	b, err := a.tryEvaluate(a.mspID, tx, args...)
	require.NoError(t, err, "%s %s %v", a.account, tx, args)
	require.NoError(t, json.Unmarshal(b, out), string(b))
}

// tryEvaluate runs a query on the peer of organisation onMSP.
func (a *actor) tryEvaluate(onMSP, tx string, args ...string) ([]byte, error) {
	b, err := a.contract.Evaluate(tx, client.WithArguments(args...), client.WithEndorsingOrganizations(onMSP))
	return b, describe(err)
}

// chainInfo is the height and current block hash of the channel on one organisation's peer.
func (a *actor) chainInfo(onMSP string) (*common.BlockchainInfo, error) {
	qscc := a.network.GetContract("qscc")
	b, err := qscc.Evaluate("GetChainInfo", client.WithArguments(net.Channel), client.WithEndorsingOrganizations(onMSP))
	if err != nil {
		return nil, describe(err)
	}
	info := &common.BlockchainInfo{}
	return info, proto.Unmarshal(b, info)
}

// describe turns an SDK error into one that carries the peers' messages, where the chaincode's
// "forbidden: ..." and friends travel.
func describe(err error) error {
	if err == nil {
		return nil
	}
	msgs := []string{err.Error()}
	if st, ok := status.FromError(err); ok {
		for _, d := range st.Details() {
			msgs = append(msgs, fmt.Sprint(d))
		}
	}
	var commitErr *client.CommitError
	if errors.As(err, &commitErr) {
		msgs = append(msgs, "validation code "+commitErr.Code.String())
	}
	return fmt.Errorf("%s: %w", strings.Join(msgs, "; "), err)
}

func (a *actor) get(t *testing.T, id string) wire.Receivable {
	t.Helper()
	var r wire.Receivable
	a.evaluate(t, &r, "Get", id)
	return r
}

// waitFor polls cond every 200 ms until it holds or the deadline passes.
func waitFor(t *testing.T, what string, within time.Duration, cond func() error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	var last error
	for {
		if last = cond(); last == nil {
			return
		}
		select {
		case <-ctx.Done():
			require.NoError(t, last, "waiting %s for %s", within, what)
			return
		case <-time.After(200 * time.Millisecond):
		}
	}
}

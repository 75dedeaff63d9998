package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"

	"github.com/recv-ledger/recv/gateway/network"
	"github.com/recv-ledger/recv/test/internal/testnet"
)

// sdkClient submits straight to each organisation's peer with the fabric-gateway SDK: one gRPC
// connection per peer, one Gateway per user, as a well-written client application would.
type sdkClient struct {
	conns     []*grpc.ClientConn
	contracts map[string]*client.Contract // by account
	gateways  []*client.Gateway
}

func newSDK(desc *network.Description) (*sdkClient, error) {
	s := &sdkClient{contracts: map[string]*client.Contract{}}
	for _, mspID := range desc.MSPIDs() {
		conn, err := testnet.DialPeer(desc, mspID)
		if err != nil {
			return nil, err
		}
		s.conns = append(s.conns, conn)
		for _, name := range desc.Orgs[mspID].UserNames() {
			gw, err := testnet.Connect(desc, mspID+"/"+name, conn)
			if err != nil {
				return nil, fmt.Errorf("%s/%s: %w", mspID, name, err)
			}
			s.gateways = append(s.gateways, gw)
			s.contracts[mspID+"/"+name] = gw.GetNetwork(desc.Channel).GetContract(desc.Chaincode)
		}
	}
	return s, nil
}

func (s *sdkClient) name() string { return "sdk" }

func (s *sdkClient) submit(ctx context.Context, account, tx string, args ...string) error {
	c, ok := s.contracts[account]
	if !ok {
		return fmt.Errorf("no user %s in network.json", account)
	}
	_, commit, err := c.SubmitAsyncWithContext(ctx, tx, client.WithArguments(args...))
	if err != nil {
		return classify(err)
	}
	st, err := commit.StatusWithContext(ctx)
	if err != nil {
		return err
	}
	if !st.Successful {
		return fmt.Errorf("transaction %s committed as %s", st.TransactionID, st.Code)
	}
	return nil
}

// classify marks the chaincode's not-found, conflict and forbidden refusals at endorsement as
// possibly stale reads: the next organisation's peer may not have the previous step's block yet.
func classify(err error) error {
	msg := err.Error()
	if st, ok := status.FromError(err); ok {
		for _, d := range st.Details() {
			msg += "; " + fmt.Sprint(d)
		}
	}
	if strings.Contains(msg, "not found: ") || strings.Contains(msg, "conflict: ") || strings.Contains(msg, "forbidden: ") {
		return fmt.Errorf("%w: %s", errStale, msg)
	}
	return fmt.Errorf("%s: %w", msg, err)
}

func (s *sdkClient) close() {
	for _, gw := range s.gateways {
		_ = gw.Close()
	}
	for _, c := range s.conns {
		_ = c.Close()
	}
}

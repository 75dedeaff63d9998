package docker_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/test/internal/testnet"
)

// catchUpTimeout bounds how long a restarted node may take to reach the others.
const catchUpTimeout = 90 * time.Second

// TestPeerRestart stops peer0.bank2 (a holder-side peer the endorsement policy can do without),
// keeps submitting through the other orgs' gateways, starts it again and checks that it comes back
// with its ledger (the named volume: without it the peer would not even know the channel) and
// catches up to the same block height, the same last block hash and the same world state.
func TestPeerRestart(t *testing.T) {
	before, err := peerChainInfo(t, "bank2")
	require.NoError(t, err)

	compose(t, "stop", "peer0.bank2")
	t.Cleanup(func() { _, _ = nw.Script("compose", "start", "peer0.bank2") }) // leave the network whole
	require.Equal(t, "exited", status(t)["peer0.bank2"].State)

	core, a := as(t, "CoreMSP/treasurer"), as(t, "SupplierMSP/supplier-a")
	var ids []string
	for i := 0; i < 3; i++ {
		id := uniqueID(t, "DP")
		core.Made(t, as(t, "CoreMSP/approver"), "issue", "", issueBody(t, id, "SupplierMSP/supplier-a", "1000.00", inDays(30)))
		a.Sees(t, id, wire.StatusPending)
		a.Submit(t, "accept", id, nil)
		ids = append(ids, id)
	}
	a.Submit(t, "split", ids[0], wire.SplitRequest{Parts: []string{"400", "600"}})
	ids = append(ids, ids[0]+".1", ids[0]+".2")
	ref := settledChain(t, "core", "supplier", "bank1", "auditor")
	require.Greater(t, ref.Height, before.Height, "the network went on without peer0.bank2")

	compose(t, "start", "peer0.bank2")
	var first, got chainInfo
	deadline := time.Now().Add(catchUpTimeout)
	for {
		got, err = peerChainInfo(t, "bank2")
		if err == nil && first.Height == 0 {
			first = got
		}
		if err == nil && got.Height >= ref.Height {
			break
		}
		require.True(t, time.Now().Before(deadline), "peer0.bank2 at %+v (err %v) after %s, the others at %d", got, err, catchUpTimeout, ref.Height)
		time.Sleep(300 * time.Millisecond)
	}
	require.GreaterOrEqual(t, first.Height, before.Height, "the restarted peer kept its ledger")

	// Every peer now holds the same chain: same height, same last block.
	require.Equal(t, ref, settledChain(t, "core", "supplier", "bank1", "bank2", "auditor"))
	// And the same state: the auditor reads what was written meanwhile from peer0.bank2 itself.
	onBank2, onCore := peerEnv(t, "auditor", "auditor", "bank2"), peerEnv(t, "auditor", "auditor", "core")
	for _, id := range ids {
		q := `{"Args":["Get","` + id + `"]}`
		want, err := nw.Peer(onCore, "chaincode", "query", "-C", "receivables", "-n", "receivables", "-c", q)
		require.NoError(t, err)
		have, err := nw.Peer(onBank2, "chaincode", "query", "-C", "receivables", "-n", "receivables", "-c", q)
		require.NoError(t, err)
		require.JSONEq(t, want, have, id)
	}
	var split wire.Receivable
	out, err := nw.Peer(onBank2, "chaincode", "query", "-C", "receivables", "-n", "receivables", "-c", `{"Args":["Get","`+ids[0]+`"]}`)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal([]byte(out), &split))
	require.Equal(t, wire.StatusSplit, split.Status)

	// Its gateway, which stayed up, serves again once its peer is back.
	waitReady(t, "Bank2MSP")
}

// TestOrdererRestart stops a Raft follower, keeps submitting (two of three orderers are a
// quorum), starts it again and checks that it comes back with its ledger and catches up.
func TestOrdererRestart(t *testing.T) {
	victim := raftFollower(t)
	before := heightOf(status(t)[victim].Height)
	require.NotZero(t, before)

	compose(t, "stop", victim)
	t.Cleanup(func() { _, _ = nw.Script("compose", "start", victim) })
	core, a := as(t, "CoreMSP/treasurer"), as(t, "SupplierMSP/supplier-a")
	for i := 0; i < 2; i++ {
		id := uniqueID(t, "DO")
		core.Made(t, as(t, "CoreMSP/approver"), "issue", "", issueBody(t, id, "SupplierMSP/supplier-a", "10.00", inDays(10)))
		a.Sees(t, id, wire.StatusPending)
		a.Submit(t, "accept", id, nil)
	}
	nodes := status(t)
	require.Equal(t, "exited", nodes[victim].State)
	want := uint64(0)
	for _, o := range []string{"orderer1", "orderer2", "orderer3"} {
		if o != victim {
			want = max(want, heightOf(nodes[o].Height))
		}
	}
	require.Greater(t, want, before)

	compose(t, "start", victim)
	deadline := time.Now().Add(catchUpTimeout)
	first := uint64(0)
	for {
		h := heightOf(status(t)[victim].Height)
		if first == 0 {
			first = h
		}
		if h >= want {
			break
		}
		require.True(t, time.Now().Before(deadline), "%s at height %d after %s, the others at %d", victim, h, catchUpTimeout, want)
		time.Sleep(500 * time.Millisecond)
	}
	require.True(t, first == 0 || first >= before, "%s kept its ledger: %d after restart, %d before", victim, first, before)
	// The channel still orders with all three.
	core.Made(t, as(t, "CoreMSP/approver"), "issue", "", issueBody(t, uniqueID(t, "DO"), "SupplierMSP/supplier-a", "10.00", inDays(10)))
}

// TestGatewayRestart restarts a gateway container: it comes back with its state (token hashes in
// its state folder), so the tokens the users hold still work.
func TestGatewayRestart(t *testing.T) {
	bank := as(t, "Bank1MSP/officer")
	compose(t, "restart", "gateway.bank1")
	waitReady(t, "Bank1MSP")
	r := bank.Do(t, http.MethodGet, "/v1/whoami", nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	require.Contains(t, string(r.Body), `"account":"Bank1MSP/officer"`)
}

// waitReady waits until the org's gateway answers /readyz.
func waitReady(t *testing.T, msp string) {
	t.Helper()
	_, org, err := nw.Desc.Org(msp)
	require.NoError(t, err)
	deadline := time.Now().Add(catchUpTimeout)
	for {
		if testnet.Ready(org.Gateway) == nil {
			return
		}
		require.True(t, time.Now().Before(deadline), "gateway of %s not ready after %s", msp, catchUpTimeout)
		time.Sleep(300 * time.Millisecond)
	}
}

// raftFollower names an orderer that is not the Raft leader, from the orderers' metrics (their
// operations endpoints, with the orderer organisation's operator's TLS client certificate).
func raftFollower(t *testing.T) string {
	t.Helper()
	var d struct {
		Orderers []struct {
			Name       string `json:"name"`
			Operations string `json:"operations"`
		} `json:"orderers"`
	}
	raw, err := os.ReadFile(filepath.Join(nw.Dir, "network.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &d))
	operator := filepath.Join(nw.Dir, "orgs", "orderer", "ops", "operator")
	ca := filepath.Join(nw.Dir, "orgs", "orderer", "ca", "ca-cert.pem")
	for i := len(d.Orderers) - 1; i >= 0; i-- {
		o := d.Orderers[i]
		leader, err := metric(ca, filepath.Join(operator, "cert.pem"), filepath.Join(operator, "key.pem"),
			"https://"+o.Operations+"/metrics", `consensus_etcdraft_is_leader{channel="receivables"}`)
		require.NoError(t, err)
		if leader == 0 {
			return o.Name
		}
	}
	t.Fatal("every orderer says it leads")
	return ""
}

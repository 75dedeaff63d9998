package bare_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/bare"
	"github.com/recv-ledger/recv/chaincode/memstub"
)

func shapeJSON(t *testing.T, s bare.TxShape) string {
	t.Helper()
	b, err := json.Marshal(s)
	require.NoError(t, err)
	return string(b)
}

func TestShape_ReadsAndWritesWhatTheShapeSays(t *testing.T) {
	cc, err := bare.NewChaincode()
	require.NoError(t, err)
	l := memstub.NewLedger()
	l.SetState("seed-1", []byte("v"))
	s := l.NewStub("tx1", time.Unix(0, 0), nil, "Shape", shapeJSON(t, bare.TxShape{
		Reads:        []string{"seed-1", "seed-2"},
		Writes:       []bare.Write{{Key: "w-1", Size: 700}, {Key: "w-2", Size: 2300}},
		Deletes:      []string{"seed-1"},
		Private:      []bare.PrivateWrite{{Collection: "_implicit_org_Bank1MSP", Key: "p-1", Size: 90}},
		PrivateReads: []bare.PrivateKey{{Collection: "_implicit_org_Bank1MSP", Key: "p-0"}},
		Policies:     []bare.KeyPolicy{{Key: "w-1", Orgs: []string{"CoreMSP"}}},
		Event:        120,
		Response:     400,
	}))
	resp := cc.Invoke(s)
	require.Equal(t, int32(shim.OK), resp.Status, resp.Message)
	require.Len(t, resp.Payload, 400)
	require.Len(t, s.Events(), 1)
	require.Equal(t, 2, s.Reads())
	w := s.Writes()
	require.Len(t, w, 3)
	require.Len(t, w["w-1"], 700)
	require.Contains(t, w, "seed-1")
	require.Nil(t, w["seed-1"], "deleted")
	require.Len(t, w["w-2"], 2300)
	p := s.PrivateWrites()
	require.Len(t, p, 1)
	require.Len(t, p["_implicit_org_Bank1MSP"]["p-1"], 90)
	require.Len(t, s.ValidationParameters(), 1)
	require.NotEmpty(t, s.ValidationParameters()["w-1"])
}

func TestShape_ValuesAreTheSameOnEveryEndorserAndDifferBetweenTransactions(t *testing.T) {
	cc, err := bare.NewChaincode()
	require.NoError(t, err)
	shape := shapeJSON(t, bare.TxShape{Writes: []bare.Write{{Key: "w-1", Size: 1000}}})
	run := func(tx string) []byte {
		s := memstub.NewLedger().NewStub(tx, time.Unix(0, 0), nil, "Shape", shape)
		resp := cc.Invoke(s)
		require.Equal(t, int32(shim.OK), resp.Status, resp.Message)
		return s.Writes()["w-1"]
	}
	require.Equal(t, run("tx1"), run("tx1"), "two endorsers of one transaction")
	require.NotEqual(t, run("tx1"), run("tx2"))
	require.Equal(t, bare.Value("tx1", "w-1", 1000), run("tx1"))
}

func TestShape_OutOfBoundsWritesNothing(t *testing.T) {
	cc, err := bare.NewChaincode()
	require.NoError(t, err)
	many := make([]string, bare.MaxKeys+1)
	for i := range many {
		many[i] = "k"
	}
	for name, shape := range map[string]string{
		"empty value":       shapeJSON(t, bare.TxShape{Writes: []bare.Write{{Key: "w-1", Size: 0}}}),
		"value too large":   shapeJSON(t, bare.TxShape{Writes: []bare.Write{{Key: "w-1", Size: bare.MaxSize + 1}}}),
		"too much in all":   shapeJSON(t, bare.TxShape{Writes: []bare.Write{{Key: "w-1", Size: bare.MaxSize}, {Key: "w-2", Size: 1}}}),
		"private too large": shapeJSON(t, bare.TxShape{Private: []bare.PrivateWrite{{Collection: "c", Key: "p", Size: bare.MaxSize + 1}}}),
		"too many reads":    shapeJSON(t, bare.TxShape{Reads: many, Writes: []bare.Write{{Key: "w-1", Size: 1}}}),
		"not a shape":       "[1,2",
		"negative answer":   shapeJSON(t, bare.TxShape{Writes: []bare.Write{{Key: "w-1", Size: 1}}, Response: -1}),
		"policy of no org":  shapeJSON(t, bare.TxShape{Writes: []bare.Write{{Key: "w-1", Size: 1}}, Policies: []bare.KeyPolicy{{Key: "w-1"}}}),
	} {
		t.Run(name, func(t *testing.T) {
			s := memstub.NewLedger().NewStub("tx1", time.Unix(0, 0), nil, "Shape", shape)
			resp := cc.Invoke(s)
			require.NotEqual(t, int32(shim.OK), resp.Status)
			require.True(t, strings.Contains(resp.Message, "invalid"), resp.Message)
			require.Empty(t, s.Writes())
		})
	}
}

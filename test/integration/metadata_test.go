package integration

import (
	"encoding/json"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// contractMetadata is the part of the contract API's metadata (GetMetadata) the test reads.
type contractMetadata struct {
	Contracts map[string]struct {
		Transactions []struct {
			Name       string `json:"name"`
			Parameters []struct {
				Name string `json:"name"`
			} `json:"parameters"`
		} `json:"transactions"`
	} `json:"contracts"`
}

// TestMetadata_NamesEveryParameter reads the contract metadata the way an operator or a block
// explorer does, with Fabric's peer CLI as an organisation's admin, and requires every transaction
// of the operation table (wire.Ops) in it with its parameters named as in the table, in order:
// none of the framework's param0, param1 placeholders.
func TestMetadata_NamesEveryParameter(t *testing.T) {
	env, err := nw.PeerEnv("core", "admin", "core")
	require.NoError(t, err)
	out, err := nw.Peer(env, "chaincode", "query", "-C", net.Channel, "-n", net.Chaincode,
		"-c", `{"Args":["org.hyperledger.fabric:GetMetadata"]}`)
	require.NoError(t, err)
	var md contractMetadata
	require.NoError(t, json.Unmarshal([]byte(out), &md), out)

	params := map[string][]string{}
	for name, c := range md.Contracts {
		if name == "org.hyperledger.fabric" {
			continue // the framework's own system contract
		}
		for _, tx := range c.Transactions {
			names := []string{}
			for _, p := range tx.Parameters {
				names = append(names, p.Name)
			}
			params[tx.Name] = names
		}
	}
	placeholder := regexp.MustCompile(`^param[0-9]+$`)
	for _, op := range wire.Ops {
		t.Run(op.Tx, func(t *testing.T) {
			got, ok := params[op.Tx]
			require.True(t, ok, "%s is not in the contract metadata", op.Tx)
			want := []string{}
			for _, p := range op.Params {
				want = append(want, p.Name)
			}
			assert.Equal(t, want, got, "the parameters of %s", op.Tx)
			for _, name := range got {
				assert.NotRegexp(t, placeholder, name, "%s names its parameters", op.Tx)
			}
		})
	}
}

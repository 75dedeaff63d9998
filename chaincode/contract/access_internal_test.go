package contract

import (
	"reflect"
	"slices"
	"testing"

	"github.com/hyperledger/fabric-contract-api-go/v2/metadata"
	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
)

func TestAccessTable_HasARowForEveryOpAndNoOther(t *testing.T) {
	for _, op := range wire.Ops {
		_, ok := accessTable[op.Tx]
		require.True(t, ok, "wire op %s: transaction %s has no row in the access table", op.Name, op.Tx)
	}
	for tx, roles := range accessTable {
		_, ok := wire.ByTx(tx)
		require.True(t, ok, "the access table has a row for %s, which is not in wire.Ops", tx)
		for _, r := range roles {
			require.Contains(t, []string{wire.RoleIssuer, wire.RoleApprover, wire.RoleSupplier, wire.RoleFinancier,
				wire.RoleAuditor, wire.RoleAdmin}, r, tx)
		}
	}
	require.Len(t, accessTable, len(wire.Ops))
}

func TestEvaluateTransactions_AreTheQueriesOfWireOps(t *testing.T) {
	evaluate := New().GetEvaluateTransactions()
	for _, op := range wire.Ops {
		require.Equal(t, !op.Submit, slices.Contains(evaluate, op.Tx), op.Tx)
	}
}

// reflected is the framework's metadata of the contract's transactions, before naming.
func reflected(t *testing.T) []metadata.TransactionMetadata {
	var txs []metadata.TransactionMetadata
	for _, op := range wire.Ops {
		tag := []string{"evaluate", "EVALUATE"}
		if op.Submit {
			tag = []string{"submit", "SUBMIT"}
		}
		tx := metadata.TransactionMetadata{Name: op.Tx, Tag: tag}
		for range op.Params {
			tx.Parameters = append(tx.Parameters, metadata.ParameterMetadata{Name: "param"})
		}
		txs = append(txs, tx)
	}
	require.NoError(t, nameParameters(txs))
	return txs
}

func TestNameParameters_RefusesAContractThatDisagreesWithWireOps(t *testing.T) {
	tests := []struct {
		name   string
		change func([]metadata.TransactionMetadata) []metadata.TransactionMetadata
		want   string
	}{
		{"a transaction not in wire.Ops", func(txs []metadata.TransactionMetadata) []metadata.TransactionMetadata {
			return append(txs, metadata.TransactionMetadata{Name: "Mint"})
		}, "transaction Mint has no row in wire.Ops"},
		{"an op without a transaction", func(txs []metadata.TransactionMetadata) []metadata.TransactionMetadata {
			return txs[1:]
		}, "wire.Ops names transaction Issue, the contract has none"},
		{"a parameter too many", func(txs []metadata.TransactionMetadata) []metadata.TransactionMetadata {
			txs[0].Parameters = append(txs[0].Parameters, metadata.ParameterMetadata{})
			return txs
		}, "transaction Issue takes 2 parameters, wire.Ops names 1"},
		{"a write marked evaluate", func(txs []metadata.TransactionMetadata) []metadata.TransactionMetadata {
			txs[0].Tag = []string{"EVALUATE"}
			return txs
		}, "transaction Issue: evaluate is true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.ErrorContains(t, nameParameters(tt.change(reflected(t))), tt.want)
		})
	}
}

func TestObjectSchema_RefusesATypeTheFrameworkCannotDescribe(t *testing.T) {
	type bad struct {
		C chan int `json:"c"`
	}
	_, err := objectSchema(reflect.TypeFor[bad](), &metadata.ComponentMetadata{})
	require.ErrorContains(t, err, "field c")

	type named struct {
		Plain  string
		hidden string
		Skip   string `json:"-"`
	}
	obj, err := objectSchema(reflect.TypeFor[named](), &metadata.ComponentMetadata{})
	require.NoError(t, err)
	require.Equal(t, []string{"Plain"}, obj.Required)
	require.Len(t, obj.Properties, 1)
	_ = named{hidden: ""}
}

func TestClassify_NamesTheRefusedParameter(t *testing.T) {
	tests := []struct{ fn, msg, want string }{
		{"ListByHolder", `error managing parameter param1. "x" is not an integer`, `invalid: pageSize "x" is not an integer`},
		{"receivables:Split", "error managing parameter param1. must be a JSON array of strings", "invalid: parts must be a JSON array of strings"},
		{"Accept", "error managing parameter param7. odd", "invalid: error managing parameter param7. odd"},
		{"Mint", "error managing parameter param0. odd", "invalid: error managing parameter param0. odd"},
		{"Accept", "Function Accept not found in contract x", "invalid: Function Accept not found in contract x"},
		{"Accept", "conflict: receivable R-1 is ACTIVE", "conflict: receivable R-1 is ACTIVE"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, classify(tt.fn, tt.msg), tt.msg)
	}
}

package contract_test

import (
	"encoding/json"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hyperledger/fabric-contract-api-go/v2/metadata"
	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/contract"
	"github.com/recv-ledger/recv/chaincode/wire"
)

// getMetadata asks the chaincode for its metadata as the peer CLI does, as any caller.
func getMetadata(t *testing.T) metadata.ContractChaincodeMetadata {
	h := newHarness(t)
	var md metadata.ContractChaincodeMetadata
	require.NoError(t, json.Unmarshal([]byte(h.ok(supA, "org.hyperledger.fabric:GetMetadata")), &md))
	return md
}

func TestMetadata_NamesEveryParameterAsWireOps(t *testing.T) {
	md := getMetadata(t)
	require.Equal(t, "recv receivables", md.Info.Title)
	c, ok := md.Contracts["receivables"]
	require.True(t, ok)
	require.True(t, c.Default)
	placeholder := regexp.MustCompile(`^param[0-9]+$`)
	txs := map[string]metadata.TransactionMetadata{}
	for _, tx := range c.Transactions {
		txs[tx.Name] = tx
		op, ok := wire.ByTx(tx.Name)
		require.True(t, ok, "contract transaction %s has no row in wire.Ops", tx.Name)
		var names []string
		for _, p := range tx.Parameters {
			require.NotRegexp(t, placeholder, p.Name, tx.Name)
			require.NotNil(t, p.Schema, "%s %s has no schema", tx.Name, p.Name)
			names = append(names, p.Name)
		}
		var want []string
		for _, p := range op.Params {
			want = append(want, p.Name)
		}
		require.Equal(t, want, names, "the parameters of %s", tx.Name)
		require.NotNil(t, tx.Returns.Schema, "%s describes its result", tx.Name)
	}
	for _, op := range wire.Ops {
		tx, ok := txs[op.Tx]
		require.True(t, ok, "wire op %s: the contract has no transaction %s", op.Name, op.Tx)
		if op.Submit {
			require.Contains(t, tx.Tag, "SUBMIT", op.Tx)
			require.Equal(t, "#/components/schemas/Event", tx.Returns.Schema.Ref.String(), "%s returns its event", op.Tx)
		} else {
			require.Contains(t, tx.Tag, "EVALUATE", op.Tx)
		}
	}
	require.Len(t, txs, len(wire.Ops))
}

func TestMetadata_DescribesBodiesAndResultsAsTheWireTypes(t *testing.T) {
	md := getMetadata(t)
	txs := map[string]metadata.TransactionMetadata{}
	for _, tx := range md.Contracts["receivables"].Transactions {
		txs[tx.Name] = tx
	}
	require.Equal(t, "#/components/schemas/IssueRequest", txs["Issue"].Parameters[0].Schema.Ref.String())
	require.Equal(t, "#/components/schemas/ProposalRequest", txs["CreateProposal"].Parameters[0].Schema.Ref.String())
	require.Equal(t, "#/components/schemas/Registry", txs["InitRegistry"].Parameters[0].Schema.Ref.String())
	require.Equal(t, "#/components/schemas/Receivable", txs["Get"].Returns.Schema.Ref.String())
	require.Equal(t, "#/components/schemas/Page", txs["ListByHolder"].Returns.Schema.Ref.String())
	require.Len(t, txs["DecideFinancing"].Parameters, 2, "the rate and the reason travel as transient data, not as arguments")
	require.Len(t, txs["ApproveFinancing"].Parameters, 3, "the approval binds the terms' hash; withoutRecourse is public")
	require.Equal(t, "#/components/schemas/Terms", txs["GetTerms"].Returns.Schema.Ref.String())
	require.Equal(t, "array", txs["Split"].Parameters[1].Schema.Type[0])

	schemas := md.Components.Schemas
	// A trace node is a receivable with its pieces, as encoding/json writes it.
	require.Contains(t, schemas["TraceNode"].Properties, "pieces")
	for name := range schemas["Receivable"].Properties {
		require.Contains(t, schemas["TraceNode"].Properties, name)
	}
	require.Empty(t, schemas["ConfigRequest"].Required, "every setting is optional")
	require.Contains(t, schemas["ConfigRequest"].Properties, "maxTermDays")
}

// TestMetadata_OptionalIsOmitempty requires every schema to mark a field required exactly when
// the wire type always writes it (no omitempty): the wire types carry `metadata:",optional"`.
func TestMetadata_OptionalIsOmitempty(t *testing.T) {
	md := getMetadata(t)
	types := map[string]reflect.Type{}
	var walk func(reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || types[t.Name()] != nil {
			return
		}
		types[t.Name()] = t
		for i := range t.NumField() {
			walk(t.Field(i).Type)
		}
	}
	ct := reflect.TypeOf(&contract.Contract{})
	for _, op := range wire.Ops {
		m, ok := ct.MethodByName(op.Tx)
		require.True(t, ok, op.Tx)
		for i := range m.Type.NumIn() {
			walk(m.Type.In(i))
		}
		walk(m.Type.Out(0))
		if op.Body != nil {
			walk(reflect.TypeOf(op.Body()))
		}
	}
	for name, schema := range md.Components.Schemas {
		typ, ok := types[name]
		require.True(t, ok, "schema %s is no type of the contract", name)
		var required []string
		for _, f := range jsonFields(typ) {
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			require.Contains(t, schema.Properties, name, "%s.%s", typ.Name(), f.Name)
			if !strings.Contains(opts, "omitempty") {
				required = append(required, name)
			}
		}
		slices.Sort(required)
		got := slices.Clone(schema.Required)
		slices.Sort(got)
		require.Equal(t, required, got, "the required fields of %s", name)
	}
}

// jsonFields lists the fields encoding/json writes for t, with those of structs it embeds.
func jsonFields(t reflect.Type) []reflect.StructField {
	var fields []reflect.StructField
	for i := range t.NumField() {
		f := t.Field(i)
		switch {
		case f.Anonymous:
			fields = append(fields, jsonFields(f.Type.Elem())...)
		case f.IsExported():
			fields = append(fields, f)
		}
	}
	return fields
}

package contract

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/go-openapi/spec"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/hyperledger/fabric-contract-api-go/v2/metadata"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// The contract framework reflects the metadata of each transaction (parameter and return schemas,
// submit or evaluate) but cannot see parameter names, so it calls them param0, param1, ... The only
// other source it knows is a META-INF/metadata.json beside the executable, a hand-kept second copy
// that would need deploying with the binary. Instead, typedMetadata takes the framework's reflected
// metadata once at start-up and names the parameters from wire.Ops, checking on the way that the
// contract's transactions and wire.Ops agree; Chaincode.Invoke serves the result.

// embedding lists the wire types that embed a struct by pointer: the framework leaves such fields
// out of the schema, although encoding/json writes them inline.
var embedding = []reflect.Type{reflect.TypeFor[wire.TraceNode]()}

// typedMetadata returns the framework's metadata of cc with the parameters named as in wire.Ops.
func typedMetadata(cc *contractapi.ContractChaincode) ([]byte, error) {
	resp := cc.Invoke(systemStub{})
	if resp.Status != shim.OK {
		return nil, fmt.Errorf("reading the reflected metadata: %s", resp.Message)
	}
	var md metadata.ContractChaincodeMetadata
	if err := json.Unmarshal(resp.Payload, &md); err != nil {
		return nil, fmt.Errorf("decoding the reflected metadata: %w", err)
	}
	md.Info = &info
	c, ok := md.Contracts[contractName]
	if !ok {
		return nil, fmt.Errorf("the metadata has no contract %s", contractName)
	}
	if err := nameParameters(c.Transactions); err != nil {
		return nil, err
	}
	if err := describeBodies(c.Transactions, &md.Components); err != nil {
		return nil, err
	}
	for _, t := range embedding {
		inline(md.Components.Schemas, t)
	}
	return json.Marshal(md)
}

// nameParameters names every transaction's parameters from its wire.Ops row, and fails unless the
// transactions are exactly the ops' and each is marked submit or evaluate as its op says.
func nameParameters(txs []metadata.TransactionMetadata) error {
	seen := map[string]bool{}
	for i := range txs {
		tx := &txs[i]
		op, ok := wire.ByTx(tx.Name)
		if !ok {
			return fmt.Errorf("transaction %s has no row in wire.Ops", tx.Name)
		}
		if len(tx.Parameters) != len(op.Params) {
			return fmt.Errorf("transaction %s takes %d parameters, wire.Ops names %d", tx.Name, len(tx.Parameters), len(op.Params))
		}
		for j := range tx.Parameters {
			tx.Parameters[j].Name = op.Params[j].Name
		}
		if evaluate := slices.Contains(tx.Tag, "EVALUATE"); evaluate == op.Submit {
			return fmt.Errorf("transaction %s: evaluate is %t, but wire.Ops says submit is %t", tx.Name, evaluate, op.Submit)
		}
		seen[tx.Name] = true
	}
	for _, op := range wire.Ops {
		if !seen[op.Tx] {
			return fmt.Errorf("wire.Ops names transaction %s, the contract has none", op.Tx)
		}
	}
	return nil
}

// describeBodies gives every whole-body parameter the schema of its op's body type, described by
// its JSON fields, which the framework's reflection does not always do (embedded pointers, pointer
// fields).
func describeBodies(txs []metadata.TransactionMetadata, components *metadata.ComponentMetadata) error {
	if components.Schemas == nil {
		components.Schemas = map[string]metadata.ObjectMetadata{}
	}
	for i := range txs {
		op, _ := wire.ByTx(txs[i].Name)
		for j, p := range op.Params {
			if p.From != wire.FromWholeBody || op.Body == nil {
				continue
			}
			t := reflect.TypeOf(op.Body()).Elem()
			if _, ok := components.Schemas[t.Name()]; !ok {
				obj, err := objectSchema(t, components)
				if err != nil {
					return fmt.Errorf("describing the %s of %s: %w", p.Name, op.Tx, err)
				}
				components.Schemas[t.Name()] = obj
			}
			txs[i].Parameters[j].Schema = spec.RefSchema("#/components/schemas/" + t.Name())
		}
	}
	return nil
}

// objectSchema describes struct t by its JSON field names; a pointer to a basic type is that type,
// optional like every omitempty field.
func objectSchema(t reflect.Type, components *metadata.ComponentMetadata) (metadata.ObjectMetadata, error) {
	obj := metadata.ObjectMetadata{ID: t.Name(), Properties: map[string]spec.Schema{}, Required: []string{}}
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		ft := f.Type
		if ft.Kind() == reflect.Pointer && ft.Elem().Kind() != reflect.Struct {
			ft = ft.Elem()
		}
		s, err := metadata.GetSchema(ft, components)
		if err != nil {
			return metadata.ObjectMetadata{}, fmt.Errorf("field %s: %w", name, err)
		}
		obj.Properties[name] = *s
		if !strings.Contains(opts, "omitempty") {
			obj.Required = append(obj.Required, name)
		}
	}
	return obj, nil
}

// inline adds to t's schema the properties of the structs t embeds by pointer.
func inline(schemas map[string]metadata.ObjectMetadata, t reflect.Type) {
	outer, ok := schemas[t.Name()]
	if !ok {
		return
	}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.Anonymous || f.Type.Kind() != reflect.Pointer {
			continue
		}
		inner, ok := schemas[f.Type.Elem().Name()]
		if !ok {
			continue
		}
		for name, s := range inner.Properties {
			outer.Properties[name] = s
		}
		outer.Required = append(outer.Required, inner.Required...)
		slices.Sort(outer.Required)
	}
	schemas[t.Name()] = outer
}

// systemStub is just enough of a stub for the framework to answer its own GetMetadata, which
// reads nothing from the ledger.
type systemStub struct{ shim.ChaincodeStubInterface }

// GetFunctionAndParameters names the system contract's GetMetadata.
func (systemStub) GetFunctionAndParameters() (string, []string) {
	return contractapi.SystemContractName + ":GetMetadata", nil
}

// GetCreator reports that there is no caller; GetMetadata needs none.
func (systemStub) GetCreator() ([]byte, error) { return nil, errors.New("no caller at start-up") }

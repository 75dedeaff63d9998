package contract

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"

	"github.com/hyperledger/fabric-contract-api-go/v2/metadata"
	"github.com/hyperledger/fabric-contract-api-go/v2/serializer"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// argSerializer turns the transaction's string arguments into the typed parameters and the results
// into JSON. Unlike the framework's JSON serializer it does not validate values against the JSON
// schemas of the metadata: JSON objects are decoded strictly instead (unknown fields and trailing
// data are refused), and the rules check every value. This keeps the metadata typed without
// paying for a second validation on every call (docs/design.md section 4).
type argSerializer struct{}

var _ serializer.TransactionSerializer = argSerializer{}

// FromString converts one argument to the parameter's type. Its errors read after the parameter's
// name, which Chaincode.Invoke puts before them.
func (argSerializer) FromString(arg string, t reflect.Type, _ *metadata.ParameterMetadata, _ *metadata.ComponentMetadata) (reflect.Value, error) {
	switch t.Kind() {
	case reflect.String:
		return reflect.ValueOf(arg).Convert(t), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(arg, 10, t.Bits())
		if errors.Is(err, strconv.ErrRange) {
			return reflect.Value{}, fmt.Errorf("%.30q is out of range", arg)
		} else if err != nil {
			return reflect.Value{}, fmt.Errorf("%.30q is not an integer", arg)
		}
		v := reflect.New(t).Elem()
		v.SetInt(n)
		return v, nil
	case reflect.Struct, reflect.Pointer, reflect.Slice, reflect.Map:
		v := reflect.New(t)
		if err := decodeStrict(arg, v.Interface(), t); err != nil {
			return reflect.Value{}, err
		}
		return v.Elem(), nil
	}
	return (&serializer.JSONSerializer{}).FromString(arg, t, nil, nil)
}

// ToString encodes a result: JSON for structured values.
func (argSerializer) ToString(v reflect.Value, t reflect.Type, _ *metadata.ReturnMetadata, _ *metadata.ComponentMetadata) (string, error) {
	return (&serializer.JSONSerializer{}).ToString(v, t, nil, nil)
}

// decodeStrict decodes exactly one JSON value of type t into v.
func decodeStrict(arg string, v any, t reflect.Type) error {
	dec := json.NewDecoder(strings.NewReader(arg))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &typ) && typ.Field != "":
			return fmt.Errorf("field %s must be a JSON %s, not %s", typ.Field, jsonKind(typ.Type), typ.Value)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return errors.New("has unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field "))
		}
		return fmt.Errorf("must be a JSON %s", jsonKind(t))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("has data after its JSON value")
	}
	// The same rule as the gateway's (wire.DecodeStrict), so a caller of the peer directly gets it too.
	if field := wire.DuplicateKey([]byte(arg)); field != "" {
		return fmt.Errorf("gives field %q twice", field)
	}
	return nil
}

// jsonKind names a Go type as a JSON reader knows it: "object", "array of strings", "number".
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Pointer:
		return jsonKind(t.Elem())
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array of " + jsonKind(t.Elem()) + "s"
	case reflect.Map:
		return "object of " + jsonKind(t.Elem()) + "s"
	}
	return "object"
}

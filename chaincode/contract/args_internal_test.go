package contract

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
)

func TestArgSerializer_FromString(t *testing.T) {
	tests := []struct {
		arg  string
		typ  reflect.Type
		want any
		err  string
	}{
		{"R-1", reflect.TypeFor[string](), "R-1", ""},
		{"PENDING", reflect.TypeFor[wire.Status](), wire.StatusPending, ""},
		{"450", reflect.TypeFor[int64](), int64(450), ""},
		{"-3", reflect.TypeFor[int32](), int32(-3), ""},
		{"4.5", reflect.TypeFor[int64](), nil, `"4.5" is not an integer`},
		{"", reflect.TypeFor[int32](), nil, `"" is not an integer`},
		{"2147483648", reflect.TypeFor[int32](), nil, `"2147483648" is out of range`},
		{`["1","2"]`, reflect.TypeFor[[]string](), []string{"1", "2"}, ""},
		{`[1,2]`, reflect.TypeFor[[]string](), nil, "must be a JSON array of strings"},
		{`{"maxTermDays":90}`, reflect.TypeFor[map[string]int](), map[string]int{"maxTermDays": 90}, ""},
		{`{"maxTermDays":"90"}`, reflect.TypeFor[map[string]int](), nil, "must be a JSON object of numbers"},
		{`{"reason":"x"}`, reflect.TypeFor[wire.ReasonRequest](), wire.ReasonRequest{Reason: "x"}, ""},
		{`{"reason":"x"}`, reflect.TypeFor[*wire.ReasonRequest](), &wire.ReasonRequest{Reason: "x"}, ""},
		{`{"reason":1}`, reflect.TypeFor[wire.ReasonRequest](), nil, "field reason must be a JSON string, not number"},
		{`{"colour":"red"}`, reflect.TypeFor[wire.ReasonRequest](), nil, `has unknown field "colour"`},
		{`{} {}`, reflect.TypeFor[wire.ReasonRequest](), nil, "has data after its JSON value"},
		{`{"reason":"a","reason":"b"}`, reflect.TypeFor[wire.ReasonRequest](), nil, `gives field "reason" twice`},
		{`{"reason":`, reflect.TypeFor[wire.ReasonRequest](), nil, "must be a JSON object"},
		{"true", reflect.TypeFor[bool](), true, ""},
		{"1.5", reflect.TypeFor[float64](), 1.5, ""},
	}
	for _, tt := range tests {
		t.Run(tt.typ.String()+" "+tt.arg, func(t *testing.T) {
			v, err := argSerializer{}.FromString(tt.arg, tt.typ, nil, nil)
			if tt.err != "" {
				require.EqualError(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, v.Interface())
		})
	}
}

func TestArgSerializer_ToStringIsPlainJSON(t *testing.T) {
	ev := &wire.Event{TxID: "t", Op: "Accept", Items: []wire.EventItem{}}
	s, err := argSerializer{}.ToString(reflect.ValueOf(ev), reflect.TypeOf(ev), nil, nil)
	require.NoError(t, err)
	require.Equal(t, `{"txId":"t","op":"Accept","items":[]}`, s)
	var none *wire.Event
	s, err = argSerializer{}.ToString(reflect.ValueOf(none), reflect.TypeOf(none), nil, nil)
	require.NoError(t, err)
	require.Empty(t, s)
}

func TestJSONKind(t *testing.T) {
	require.Equal(t, "array of objects", jsonKind(reflect.TypeFor[[]*wire.Receivable]()))
	require.Equal(t, "boolean", jsonKind(reflect.TypeFor[bool]()))
	require.Equal(t, "number", jsonKind(reflect.TypeFor[*uint8]()))
	require.Equal(t, "object of numbers", jsonKind(reflect.TypeFor[map[string]int]()))
}

package wire

import (
	"math"
	"math/big"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var amountForm = regexp.MustCompile(`^[0-9]+(\.[0-9]{1,2})?$`)

// FuzzParseAmount checks ParseAmount against an exact big.Rat reading of the same text: it accepts
// exactly the positive decimals with at most two places that fit in int64 fen, and formats back.
func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"1", "0.01", "1250000.50", "0", "-1", "1.005", "1e3", "92233720368547758.07",
		"92233720368547758.08", ".5", "5.", "1..2", "", " 1", "00000000000000000000001"} {
		f.Add(s)
	}
	maxFen := big.NewRat(1<<63-1, 100)
	f.Fuzz(func(t *testing.T, s string) {
		fen, err := ParseAmount(s)
		want := amountForm.MatchString(s) && len(s) <= maxAmountLen
		var ref *big.Rat
		if want {
			ref, _ = new(big.Rat).SetString(s)
			want = ref.Sign() > 0 && ref.Cmp(maxFen) <= 0
		}
		if !want {
			require.Error(t, err, "%q", s)
			require.Equal(t, KindInvalid, KindOf(err))
			return
		}
		require.NoError(t, err, "%q", s)
		require.Zero(t, new(big.Rat).Mul(ref, big.NewRat(100, 1)).Cmp(new(big.Rat).SetInt64(fen)), "%q -> %d", s, fen)
		back, err := ParseAmount(FormatAmount(fen))
		require.NoError(t, err)
		require.Equal(t, fen, back)
	})
}

func TestParseAmount_AcceptsAtMostTwoDecimals(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"1", 100}, {"1.5", 150}, {"1.50", 150}, {"0.01", 1}, {"1250000.50", 125000050},
		{"007", 700}, {"92233720368547758.07", math.MaxInt64},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseAmount(tt.in)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestParseAmount_RefusesEverythingElse(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "invalid: amount is empty"},
		{"0", "must be greater than zero"},
		{"0.00", "must be greater than zero"},
		{"-1", "is not a decimal number"},
		{"+1", "is not a decimal number"},
		{"1.005", "has more than two decimals"},
		{"1.", "ends with a point"},
		{".5", "is not a decimal number"},
		{"1.2.3", "is not a decimal number"},
		{"1e3", "is not a decimal number"},
		{" 1", "is not a decimal number"},
		{"1,000", "is not a decimal number"},
		{"NaN", "is not a decimal number"},
		{"92233720368547758.08", "is too large"},
		{"92233720368547759", "is too large"},
		{"99999999999999999999", "is too large"},
		{strings.Repeat("1", 25), "is too long"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := ParseAmount(tt.in)
			require.ErrorIs(t, err, ErrInvalid)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestFormatAmount_AlwaysTwoDecimals(t *testing.T) {
	require.Equal(t, "0.00", FormatAmount(0))
	require.Equal(t, "0.05", FormatAmount(5))
	require.Equal(t, "600000.00", FormatAmount(60000000))
	require.Equal(t, "92233720368547758.07", FormatAmount(math.MaxInt64))
	require.Equal(t, "-1.50", FormatAmount(-150))
	require.Equal(t, "-92233720368547758.08", FormatAmount(math.MinInt64))
}

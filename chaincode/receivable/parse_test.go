package receivable

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
)

func TestParseDate_OnlyValidCalendarDates(t *testing.T) {
	d, err := ParseDate("2028-02-29")
	require.NoError(t, err)
	require.Equal(t, time.Date(2028, 2, 29, 0, 0, 0, 0, time.UTC), d)
	for _, in := range []string{"", "2027-02-29", "2027-2-28", "2027/02/28", "27-02-28", "2027-13-01", "2027-00-10", "1999-12-31", "2027-02-28T00:00:00Z", "２０２７-02-28"} {
		t.Run(in, func(t *testing.T) {
			_, err := ParseDate(in)
			require.ErrorIs(t, err, wire.ErrInvalid)
		})
	}
}

func TestDaysBetween_CountsCalendarDaysInUTC(t *testing.T) {
	a := time.Date(2026, 11, 22, 23, 59, 0, 0, time.UTC)
	require.Equal(t, 129, DaysBetween(a, time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC)))
	require.Equal(t, 0, DaysBetween(a, time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)))
	require.Equal(t, -1, DaysBetween(a, time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)))
	shanghai := time.FixedZone("CST", 8*3600)
	require.Equal(t, 1, DaysBetween(time.Date(2026, 11, 23, 7, 0, 0, 0, shanghai), time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)))
}

func TestDiscount_RoundsHalfUpToTheFen(t *testing.T) {
	tests := []struct {
		amount, rate, days, want int64
	}{
		{125000000, 450, 129, 2015625}, // exact
		{100, 1, 18000, 1},             // 0.5 fen rounds up
		{100, 1, 17999, 0},             // 0.49997 rounds down
		{1000000, 3600, 1, 1000},       // 36% for one day
		{math.MaxInt64, 3600, 365, 0},  // computed below without overflow
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.amount, "x", tt.rate, "x", tt.days), func(t *testing.T) {
			want := tt.want
			if tt.amount == math.MaxInt64 {
				num := new(big.Rat).SetFrac(new(big.Int).Mul(new(big.Int).Mul(big.NewInt(tt.amount), big.NewInt(tt.rate)), big.NewInt(tt.days)), big.NewInt(3600000))
				num.Add(num, big.NewRat(1, 2))
				want = new(big.Int).Quo(num.Num(), num.Denom()).Int64()
			}
			require.Equal(t, want, Discount(tt.amount, tt.rate, tt.days))
		})
	}
}

func TestValidateID_RootsAndDerivedPieces(t *testing.T) {
	for _, ok := range []string{"R-1", "R_2026-0001", "R-1.1", "R-1.100.2", strings.Repeat("a", 64)} {
		require.NoError(t, ValidateID("id", ok), ok)
	}
	for _, bad := range []string{"", ".1", "R-1.", "R-1..2", "R-1.0", "R-1.01", "R-1.1000", "R 1", "R/1", "R-1.a", strings.Repeat("a", 65)} {
		require.ErrorIs(t, ValidateID("id", bad), wire.ErrInvalid, bad)
	}
}

func TestValidateAccount_MSPSlashEnrollmentID(t *testing.T) {
	for _, ok := range []string{"SupplierMSP/supplier-a", "Org1.MSP/user@example.com"} {
		require.NoError(t, ValidateAccount("to", ok), ok)
	}
	for _, bad := range []string{"", "SupplierMSP", "/a", "SupplierMSP/", "A/b/c", "A B/c", "A/b c", "A/b\x00", "A/\xff"} {
		require.ErrorIs(t, ValidateAccount("to", bad), wire.ErrInvalid, bad)
	}
	require.Equal(t, "SupplierMSP", wire.MSPOf("SupplierMSP/x"))
}

func TestConfig_BoundsAndPartialUpdates(t *testing.T) {
	cfg, err := ApplyConfig(DefaultConfig(), wire.ConfigRequest{ClockSkewSeconds: 60})
	require.NoError(t, err)
	require.Equal(t, wire.Config{MaxTermDays: 183, ClockSkewSeconds: 60, ProposalTTLHours: 168, InstructionTTLHours: 24, GraceDays: 3}, cfg)
	_, err = ApplyConfig(DefaultConfig(), wire.ConfigRequest{})
	require.ErrorIs(t, err, wire.ErrInvalid, "a change that names no setting")
	for _, bad := range []wire.ConfigRequest{{MaxTermDays: 366}, {MaxTermDays: -1}, {ClockSkewSeconds: 3601}, {ProposalTTLHours: 721},
		{InstructionTTLHours: 721}, {InstructionTTLHours: -1}, {GraceDays: 31}, {GraceDays: -1}} {
		_, err = ApplyConfig(DefaultConfig(), bad)
		require.ErrorIs(t, err, wire.ErrInvalid, bad)
	}
}

func TestErrors_KindIsTheStablePrefix(t *testing.T) {
	err := Conflictf("receivable %s already exists", "R-1")
	require.Equal(t, "conflict: receivable R-1 already exists", err.Error())
	require.ErrorIs(t, err, wire.ErrConflict)
	require.NotErrorIs(t, err, wire.ErrInvalid)
	require.Equal(t, wire.KindConflict, wire.KindOf(fmt.Errorf("wrapped: %w", err)))
	require.Equal(t, wire.Kind(""), wire.KindOf(errors.New("plain")))
	require.Equal(t, "not_found: x", NotFoundf("x").Error())
	var e *wire.Error
	require.ErrorAs(t, NotFoundf("receivable %s", "R-9"), &e, "domain errors are the wire's")
	require.Equal(t, &wire.Error{Kind: wire.KindNotFound, Message: "receivable R-9"}, e)
	require.ErrorIs(t, Invalidf("x"), wire.ErrInvalid)
	require.ErrorIs(t, within("parts[0]", Invalidf("x")), wire.ErrInvalid)
	require.Equal(t, "forbidden: x", Forbiddenf("x").Error())
	require.Equal(t, "invoices[0]: plain", within("invoices[0]", errors.New("plain")).Error())
}

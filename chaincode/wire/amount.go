package wire

import (
	"fmt"
	"math"
)

// Money on the wire is a decimal yuan amount with two decimals ("1250000.50"); the ledger keeps
// integer fen (分). These two functions are the one way between them, for the chaincode, the
// gateway, the console and the audit alike.

// maxAmountLen bounds the textual form; MaxInt64 fen has 17 yuan digits.
const maxAmountLen = 24

// ParseAmount parses a positive decimal yuan amount with at most two decimals ("1250000.50") into
// fen. Zero, signs, spaces, exponents, more than two decimals and values above MaxInt64 fen are refused.
func ParseAmount(s string) (int64, error) {
	if s == "" {
		return 0, Errorf(KindInvalid, "amount is empty")
	}
	if len(s) > maxAmountLen {
		return 0, Errorf(KindInvalid, "amount %.30q is too long", s)
	}
	var fen int64
	decimals := -1 // -1: no point seen yet
	digits := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.':
			if decimals >= 0 || digits == 0 {
				return 0, Errorf(KindInvalid, "amount %q is not a decimal number", s)
			}
			decimals = 0
		case c >= '0' && c <= '9':
			if decimals >= 0 {
				if decimals == 2 {
					return 0, Errorf(KindInvalid, "amount %q has more than two decimals", s)
				}
				decimals++
			}
			digits++
			if fen > (math.MaxInt64-int64(c-'0'))/10 {
				return 0, Errorf(KindInvalid, "amount %q is too large", s)
			}
			fen = fen*10 + int64(c-'0')
		default:
			return 0, Errorf(KindInvalid, "amount %q is not a decimal number", s)
		}
	}
	if decimals == 0 {
		return 0, Errorf(KindInvalid, "amount %q ends with a point", s)
	}
	for d := max(decimals, 0); d < 2; d++ {
		if fen > math.MaxInt64/10 {
			return 0, Errorf(KindInvalid, "amount %q is too large", s)
		}
		fen *= 10
	}
	if fen == 0 {
		return 0, Errorf(KindInvalid, "amount %q must be greater than zero", s)
	}
	return fen, nil
}

// FormatAmount renders fen as a yuan amount with exactly two decimals ("600000.00").
func FormatAmount(fen int64) string {
	sign := ""
	u := uint64(fen)
	if fen < 0 {
		sign = "-"
		u = uint64(-(fen + 1)) + 1
	}
	return fmt.Sprintf("%s%d.%02d", sign, u/100, u%100)
}

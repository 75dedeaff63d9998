package receivable

import (
	"math"
)

// addFen adds two non-negative amounts, refusing overflow.
func addFen(a, b int64) (int64, bool) {
	if b > math.MaxInt64-a {
		return 0, false
	}
	return a + b, true
}

package fabric

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAfter_ReadsTheEventIDThatEventIDWrites(t *testing.T) {
	pos, err := After(EventID(12, "3f2a"))
	require.NoError(t, err)
	require.Equal(t, Position{StartBlock: 12, AfterTx: "3f2a"}, pos)
	for _, bad := range []string{"", "12", "12:", ":3f2a", "x:3f2a", "-1:3f2a"} {
		_, err := After(bad)
		require.Error(t, err, bad)
	}
}

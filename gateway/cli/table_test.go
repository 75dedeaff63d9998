package cli

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// A column after a Chinese name starts at the same terminal column on every line: a Chinese
// character is two columns wide (tabwriter counted one).
func TestTable_AlignsByTerminalWidth(t *testing.T) {
	var out bytes.Buffer
	tb := newTable(&out)
	fmt.Fprintln(tb, "NAME\tKIND\tNOTE")
	fmt.Fprintln(tb, "中国工商银行\tbank\tx")
	fmt.Fprintln(tb, "Example Core Co.\tcore\ty")
	fmt.Fprintln(tb, "上海供应链（一级）\tsupplier\tz")
	require.NoError(t, tb.Flush())
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	require.Len(t, lines, 4)
	var at []int
	for _, l := range lines {
		i := strings.Index(l, "  ")
		for i < len(l) && l[i] == ' ' {
			i++
		}
		at = append(at, displayWidth(l[:i]))
	}
	require.Equal(t, []int{20, 20, 20, 20}, at, "the second column starts after the widest name (18 columns) and two spaces:\n%s", out.String())
	require.Equal(t, "NAME                KIND      NOTE", lines[0])
}

// Like tabwriter, a column spans only the consecutive lines that have a cell in it, and the text
// after a line's last tab is not aligned.
func TestTable_ColumnsSpanConsecutiveLines(t *testing.T) {
	var out bytes.Buffer
	tb := newTable(&out)
	fmt.Fprint(tb, "a:\t1\nlonger key:\t2\n\nplain line\nk:\tv\n")
	require.NoError(t, tb.Flush())
	require.Equal(t, "a:           1\nlonger key:  2\n\nplain line\nk:  v\n", out.String())
}

func TestDisplayWidth(t *testing.T) {
	require.Equal(t, 4, displayWidth("银行"))
	require.Equal(t, 5, displayWidth("Bank1"))
	require.Equal(t, 2, displayWidth("（"), "a fullwidth parenthesis")
	require.Equal(t, 1, displayWidth("e\u0301"), "a combining accent takes no column")
}

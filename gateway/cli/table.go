package cli

import (
	"bytes"
	"io"
	"strings"
	"unicode"

	"golang.org/x/text/width"
)

// table aligns tab-separated cells in columns as text/tabwriter does (a column spans the
// consecutive lines that have a cell in it; the text after a line's last tab is not a cell;
// two spaces between columns), but measures each cell by its width on a terminal: a Chinese
// character takes two columns, a combining mark none. tabwriter counts runes, so a column after a
// Chinese company name went out of line.
type table struct {
	out io.Writer
	buf bytes.Buffer
}

func newTable(out io.Writer) *table { return &table{out: out} }

func (t *table) Write(p []byte) (int, error) { return t.buf.Write(p) }

// Flush writes the aligned table and empties the buffer.
func (t *table) Flush() error {
	text := t.buf.String()
	t.buf.Reset()
	if text == "" {
		return nil
	}
	trailingNewline := strings.HasSuffix(text, "\n")
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	cells := make([][]string, len(lines))
	for i, l := range lines {
		cells[i] = strings.Split(l, "\t")
	}
	// widths[i][c]: the width line i's cell c is padded to.
	widths := make([][]int, len(lines))
	for i := range cells {
		widths[i] = make([]int, len(cells[i])-1)
	}
	for c := 0; ; c++ {
		found := false
		for i := 0; i < len(cells); {
			if len(cells[i])-1 <= c {
				i++
				continue
			}
			found = true
			j, w := i, 0
			for ; j < len(cells) && len(cells[j])-1 > c; j++ {
				w = max(w, displayWidth(cells[j][c]))
			}
			for k := i; k < j; k++ {
				widths[k][c] = w
			}
			i = j
		}
		if !found {
			break
		}
	}
	var b strings.Builder
	for i, row := range cells {
		for c, cell := range row {
			b.WriteString(cell)
			if c < len(row)-1 {
				b.WriteString(strings.Repeat(" ", widths[i][c]-displayWidth(cell)+2))
			}
		}
		if i < len(cells)-1 || trailingNewline {
			b.WriteByte('\n')
		}
	}
	_, err := io.WriteString(t.out, b.String())
	return err
}

// displayWidth is how many terminal columns s takes.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r) || r == '\u200b':
		case width.LookupRune(r).Kind() == width.EastAsianWide || width.LookupRune(r).Kind() == width.EastAsianFullwidth:
			n += 2
		default:
			n++
		}
	}
	return n
}

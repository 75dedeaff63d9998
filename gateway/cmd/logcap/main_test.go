package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func lines(n int, width int) string {
	var b strings.Builder
	for i := range n {
		line := strings.Repeat(string(rune('a'+i%26)), width-1)
		b.WriteString(line + "\n")
	}
	return b.String()
}

func TestRotator_KeepsTheLogBoundedAndRotatesBetweenLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "peer0.core.log")
	w := &rotator{path: path, maxSize: 1000, keep: 2}
	// 100 lines of 100 bytes: 10,000 bytes through a 1,000-byte file and two old ones.
	require.NoError(t, w.copy(strings.NewReader(lines(100, 100))))

	total := 0
	for _, name := range []string{path, path + ".1", path + ".2"} {
		b, err := os.ReadFile(name)
		require.NoError(t, err, name)
		require.LessOrEqual(t, len(b), 1000, "%s is at most -max-size", name)
		require.True(t, strings.HasSuffix(string(b), "\n"), "%s ends between two lines", name)
		for _, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
			require.Len(t, l, 99, "no line is cut at a rotation")
		}
		total += len(b)
	}
	require.NoFileExists(t, path+".3", "only -keep old files")
	require.Equal(t, 3000, total)
	last, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, lines(100, 100)[9000:], string(last), "the newest lines are in the file itself")
}

func TestRotator_ALongLineIsNeverSplitAcrossFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "orderer1.log")
	w := &rotator{path: path, maxSize: 10, keep: 3}
	long := strings.Repeat("x", 200<<10) // longer than the reader's buffer
	require.NoError(t, w.copy(strings.NewReader("first\n"+long+"\nafter\n")))
	b, err := os.ReadFile(path + ".1")
	require.NoError(t, err)
	require.True(t, string(b) == "first\n"+long+"\n", "the long line is whole in one file (%d bytes)", len(b))
	b, err = os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "after\n", string(b))
}

func TestRotator_GoesOnReadingWhenTheFileCannotBeWritten(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "logs")
	path := filepath.Join(dir, "gateway.log")
	w := &rotator{path: path, maxSize: 1 << 20, keep: 1}
	// The folder is missing: the lines are read (the writer never blocks) and counted.
	w.write([]byte("lost 1\n"))
	w.write([]byte("lost 2\n"))
	require.Equal(t, 2, w.dropped)
	require.NoError(t, os.MkdirAll(dir, 0o700))
	require.NoError(t, w.copy(strings.NewReader("kept\n")))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "logcap: 2 line(s) could not be written to "+path+" and were dropped\nkept\n", string(b))
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"1048576": 1 << 20, "512KiB": 512 << 10, "20MiB": 20 << 20, "1GiB": 1 << 30} {
		got, err := parseSize(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, bad := range []string{"", "0", "-5MiB", "20MB", "x", "99999999999GiB"} {
		_, err := parseSize(bad)
		require.Error(t, err, bad)
		require.Contains(t, err.Error(), "bad size")
	}
}

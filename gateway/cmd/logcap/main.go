// Command logcap keeps a process's log bounded: it copies its standard input to FILE and, when
// FILE has grown past -max-size, moves it to FILE.1 (FILE.1 to FILE.2, and so on, the oldest past
// -keep removed) and goes on in a new FILE, always between two lines. The native network's nodes
// and gateways write their logs through it (scripts/lib/net-native.sh spawn, scripts/gateways.sh).
//
//	node 2>&1 | logcap -max-size 20MiB -keep 4 logs/peer0.core.log
//
// It never stops reading before its input ends, whatever happens to FILE (a full disk, a removed
// folder): a reader that stopped would make the node's next write fail with a broken pipe. Lines
// it cannot write are counted and the count is written once FILE can be written again.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
)

func main() {
	maxSize := flag.String("max-size", "20MiB", "size past which the file is rotated (bytes, or with KiB, MiB, GiB)")
	keep := flag.Int("keep", 4, "rotated files kept beside the file (FILE.1 ... FILE.N)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: logcap [-max-size SIZE] [-keep N] FILE\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	size, err := parseSize(*maxSize)
	if err != nil || flag.NArg() != 1 || *keep < 1 {
		if err != nil {
			fmt.Fprintln(os.Stderr, "logcap:", err)
		}
		flag.Usage()
		os.Exit(2)
	}
	// The node's own signals are not logcap's: it ends when the node's output ends.
	signal.Ignore(syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	w := &rotator{path: flag.Arg(0), maxSize: size, keep: *keep}
	if err := w.copy(os.Stdin); err != nil {
		fmt.Fprintln(os.Stderr, "logcap:", err)
		os.Exit(1)
	}
}

// parseSize reads "1048576", "512KiB", "20MiB" or "1GiB".
func parseSize(s string) (int64, error) {
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSuffix(s, u.suffix), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("bad size %q: a positive number of bytes, KiB, MiB or GiB", s)
	}
	return n * mult, nil
}

// rotator writes lines to path, rotating it past maxSize and keeping keep old files.
type rotator struct {
	path    string
	maxSize int64
	keep    int

	f       *os.File
	size    int64
	dropped int // lines that could not be written since the last successful write
}

// copy writes every line of r, rotating between lines; it returns only when r ends (nil) or
// cannot be read.
func (w *rotator) copy(r io.Reader) error {
	br := bufio.NewReaderSize(r, 64<<10)
	defer w.close()
	midLine := false
	for {
		chunk, err := br.ReadSlice('\n')
		if len(chunk) > 0 {
			if !midLine && w.size >= w.maxSize {
				w.rotate()
			}
			w.write(chunk)
			midLine = chunk[len(chunk)-1] != '\n'
		}
		switch {
		case err == nil, errors.Is(err, bufio.ErrBufferFull):
		case errors.Is(err, io.EOF):
			return nil
		default:
			return err
		}
	}
}

// write appends b, opening the file when needed; a failure drops b and counts it.
func (w *rotator) write(b []byte) {
	if w.f == nil && !w.open() {
		w.dropped++
		return
	}
	if w.dropped > 0 {
		note := fmt.Sprintf("logcap: %d line(s) could not be written to %s and were dropped\n", w.dropped, w.path)
		if n, err := w.f.WriteString(note); err == nil {
			w.size += int64(n)
			w.dropped = 0
		}
	}
	n, err := w.f.Write(b)
	w.size += int64(n)
	if err != nil {
		w.dropped++
		w.close() // opened again at the next line: the folder may be back, the disk freed
	}
}

func (w *rotator) open() bool {
	f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return false
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return false
	}
	w.f, w.size = f, st.Size()
	return true
}

func (w *rotator) close() {
	if w.f != nil {
		w.f.Close()
		w.f = nil
	}
}

// rotate moves path to path.1 (path.N-1 to path.N, the oldest removed) and starts a new path.
func (w *rotator) rotate() {
	w.close()
	os.Remove(w.path + "." + strconv.Itoa(w.keep))
	for i := w.keep - 1; i >= 1; i-- {
		os.Rename(w.path+"."+strconv.Itoa(i), w.path+"."+strconv.Itoa(i+1))
	}
	os.Rename(w.path, w.path+".1")
	w.size = 0
}

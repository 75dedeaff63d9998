package fault

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/client"
	"github.com/recv-ledger/recv/test/internal/gwtest"
	"github.com/recv-ledger/recv/test/internal/story"
)

// diskSize is the size of the filesystem under the gateway's state folder: room for its files at
// start (wallet, tokens, an empty idempotency store) and little more.
const diskSize = "2m"

// TestGatewayStateDisk_Full runs a second gateway of the core enterprise whose state folder is a
// small tmpfs, fills that filesystem and requires: a keyed write is refused 503 with kind
// unavailable and submits nothing; once space returns the same key runs the write once; the
// records from before the full disk still replay, across a restart too, and the store's file
// passes bbolt's consistency check.
func TestGatewayStateDisk_Full(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root (CAP_SYS_ADMIN); this process runs as uid " + strconv.Itoa(os.Geteuid()))
	}
	state := filepath.Join(t.TempDir(), "state")
	require.NoError(t, os.Mkdir(state, 0o700))
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+diskSize+",mode=0700", "tmpfs", state).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a %s tmpfs here (%v: %s): no full disk to test", diskSize, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", state).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", state, err, out)
		}
	})

	gw := startGateway(t, state)
	c := gw.client(t)
	ctx := context.Background()

	// Before: a keyed refusal is remembered and replayed.
	missing := []string{gwtest.UniqueID(t, "DM")}
	before := keyed(t, c, "before", "accept", missing, nil)
	require.Equal(t, http.StatusNotFound, before.Status)
	require.Equal(t, "true", keyed(t, c, "before", "accept", missing, nil).Header.Get("Idempotent-Replayed"))

	// The disk fills up. The store may still place a few records in free pages of its file;
	// keyed requests that change nothing run until one finds no room.
	filler := fill(t, state)
	full := false
	for i := 0; i < 500 && !full; i++ {
		r := keyed(t, c, fmt.Sprintf("fill-%d", i), "accept", []string{gwtest.UniqueID(t, "DM")}, nil)
		full = r.Status == http.StatusServiceUnavailable
		if !full {
			require.Equal(t, http.StatusNotFound, r.Status, "%s", r.Body)
		}
	}
	require.True(t, full, "the full disk was never noticed")

	// A write on the full disk: 503 unavailable. Either the key could not be recorded (nothing
	// was submitted) or the answer could not be (the write committed; the gateway keeps the
	// answer in memory for the retry): both say so, and neither applies the write twice.
	id := gwtest.UniqueID(t, "DF")
	issue := gwtest.IssueBody(t, id, story.Tier1, "100.00", gwtest.InDays(30))
	r := keyed(t, c, "issue", "issue", nil, issue)
	require.Equal(t, http.StatusServiceUnavailable, r.Status, "%s", r.Body)
	p := r.Problem()
	require.Equal(t, wire.KindUnavailable, p.Kind)
	require.Contains(t, p.Detail, "no space left on device")
	submitted := strings.Contains(p.Detail, "was answered")
	if !submitted {
		require.Contains(t, p.Detail, "nothing was submitted")
		_, err := c.Get(ctx, id)
		require.ErrorIs(t, err, wire.ErrNotFound, "the refused write was not submitted")
	}
	t.Logf("on the full disk: %s", p.Detail)

	// Space returns: the same key gives the write's one answer.
	require.NoError(t, os.Remove(filler))
	r = keyed(t, c, "issue", "issue", nil, issue)
	require.True(t, r.OK(), "%d %s", r.Status, r.Body)
	require.Equal(t, submitted, r.Header.Get("Idempotent-Replayed") == "true")
	var first wire.SubmitResponse
	require.NoError(t, r.Decode(&first))
	if in, err := client.InstructionOf(&first); err == nil && in != nil {
		// Two-person control: the treasurer's issue is a request; the approver confirms it once.
		gwtest.As(t, nw.Dir, story.Approver).Submit(t, "confirm", in.ID, nil)
	}
	again := keyed(t, c, "issue", "issue", nil, issue)
	require.Equal(t, "true", again.Header.Get("Idempotent-Replayed"))
	var replayed wire.SubmitResponse
	require.NoError(t, again.Decode(&replayed))
	require.Equal(t, first.TransactionID, replayed.TransactionID)
	var history []wire.HistoryEntry
	require.NoError(t, c.Call(ctx, "history", []string{id}, nil, nil, &history))
	require.Len(t, history, 1, "issued once")

	// The records survive a restart, and the file is consistent.
	gw.stop(t)
	checkBolt(t, filepath.Join(state, "idempotency.db"))
	gw = startGateway(t, state)
	c = gw.client(t)
	require.Equal(t, "true", keyed(t, c, "before", "accept", missing, nil).Header.Get("Idempotent-Replayed"))
	again = keyed(t, c, "issue", "issue", nil, issue)
	require.Equal(t, "true", again.Header.Get("Idempotent-Replayed"))
	require.NoError(t, again.Decode(&replayed))
	require.Equal(t, first.TransactionID, replayed.TransactionID)
}

// gateway is a `recv serve` of the core enterprise that the test started, on the core
// enterprise's gateway port plus 50.
type gateway struct {
	cmd   *exec.Cmd
	url   string
	state string
	done  chan error
}

func startGateway(t *testing.T, state string) *gateway {
	require.NotEmpty(t, nw.RecvBin)
	_, org, err := nw.Desc.Org("CoreMSP")
	require.NoError(t, err)
	host, port, err := net.SplitHostPort(org.Gateway.Address)
	require.NoError(t, err)
	p, err := strconv.Atoi(port)
	require.NoError(t, err)
	addr := net.JoinHostPort(host, strconv.Itoa(p+50))
	logf, err := os.OpenFile(filepath.Join(filepath.Dir(state), "gateway.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	require.NoError(t, err)
	defer logf.Close()
	cmd := exec.Command(nw.RecvBin, "serve", "--network", filepath.Join(nw.Dir, "network.json"), "--org", "CoreMSP",
		"--listen", addr, "--state-dir", state)
	cmd.Stdout, cmd.Stderr = logf, logf
	require.NoError(t, cmd.Start())
	g := &gateway{cmd: cmd, url: "http://" + addr, state: state, done: make(chan error, 1)}
	go func() { g.done <- cmd.Wait() }()
	t.Cleanup(func() { g.stop(t) })
	deadline := time.Now().Add(time.Minute)
	for {
		resp, err := http.Get(g.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return g
			}
		}
		select {
		case err := <-g.done:
			g.done <- err
			log, _ := os.ReadFile(logf.Name())
			t.Fatalf("the gateway exited: %v\n%s", err, log)
		case <-time.After(200 * time.Millisecond):
		}
		require.True(t, time.Now().Before(deadline), "the gateway on %s is not ready after a minute", addr)
	}
}

func (g *gateway) client(t *testing.T) *client.Client {
	token, err := client.ReadToken(filepath.Join(g.state, "tokens", "treasurer.token"))
	require.NoError(t, err)
	c, err := client.New(g.url, token)
	require.NoError(t, err)
	return c
}

// stop ends the gateway gracefully (SIGTERM; SIGKILL after 30 s), once.
func (g *gateway) stop(t *testing.T) {
	if g.cmd.ProcessState != nil {
		return
	}
	_ = g.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-g.done:
	case <-time.After(30 * time.Second):
		_ = g.cmd.Process.Kill()
		<-g.done
		t.Error("the gateway did not stop within 30 s of SIGTERM")
	}
}

// keyed sends the write op with Idempotency-Key key (pathValues and body as for client.Call)
// and returns the answer whatever it is.
func keyed(t *testing.T, c *client.Client, key, opName string, pathValues []string, body any) *client.Response {
	t.Helper()
	op, ok := wire.Lookup(opName)
	require.True(t, ok, opName)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := c.Do(ctx, op.Method, op.URL(pathValues, nil), body, http.Header{"Idempotency-Key": {key}})
	require.NoError(t, err)
	return r
}

// fill writes a file into dir until the filesystem is full and returns its path.
func fill(t *testing.T, dir string) string {
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	block := make([]byte, 4096)
	for {
		if _, err := f.Write(block); err != nil {
			require.True(t, errors.Is(err, syscall.ENOSPC), "filling %s: %v", dir, err)
			return path
		}
	}
}

// checkBolt opens the store's file on its own and runs bbolt's consistency check.
func checkBolt(t *testing.T, path string) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	require.NoError(t, err)
	defer db.Close()
	var problems []error
	require.NoError(t, db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			problems = append(problems, err)
		}
		return nil
	}))
	require.Empty(t, problems, "bbolt check of %s", path)
}

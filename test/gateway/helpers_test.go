package gateway_test

import (
	"testing"

	"github.com/recv-ledger/recv/test/internal/gwtest"
)

// The REST client and the CLI runner are shared with the other suites.
type client = gwtest.Client

func as(t *testing.T, account string) *client { return gwtest.As(t, nw.Dir, account) }

var (
	randomHex = gwtest.RandomHex
	uniqueID  = gwtest.UniqueID
	issueBody = gwtest.IssueBody
	inDays    = gwtest.InDays
)

// recv runs the CLI binary with RECV_NET_DIR set and returns its exit code and output.
func recv(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return gwtest.CLI{Bin: nw.RecvBin, NetDir: nw.Dir}.Run(t, args...)
}

// mustRecv runs the CLI and requires exit code 0; with -o json it decodes stdout into out.
func mustRecv(t *testing.T, out any, args ...string) string {
	t.Helper()
	return gwtest.CLI{Bin: nw.RecvBin, NetDir: nw.Dir}.Must(t, out, args...)
}

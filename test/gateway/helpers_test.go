package gateway_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/gateway/network"
	"github.com/recv-ledger/recv/test/internal/restclient"
)

func desc(t *testing.T) *network.Description {
	t.Helper()
	d, err := network.Load(filepath.Join(netDir, "network.json"))
	require.NoError(t, err)
	return d
}

// The REST client, the JSON shapes and the CLI runner are shared with the other suites.
type (
	client     = restclient.Client
	response   = restclient.Response
	committed  = restclient.Committed
	receivable = restclient.Receivable
)

func as(t *testing.T, account string) *client { return restclient.As(t, netDir, account) }

var (
	randomHex = restclient.RandomHex
	uniqueID  = restclient.UniqueID
	issueBody = restclient.IssueBody
	today     = restclient.Today
	inDays    = restclient.InDays
)

// recv runs the CLI binary with RECV_NET_DIR set and returns its exit code and output.
func recv(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return restclient.CLI{Bin: recvBin, NetDir: netDir}.Run(t, args...)
}

// mustRecv runs the CLI and requires exit code 0; with -o json it decodes stdout into out.
func mustRecv(t *testing.T, out any, args ...string) string {
	t.Helper()
	return restclient.CLI{Bin: recvBin, NetDir: netDir}.Must(t, out, args...)
}

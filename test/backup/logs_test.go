package backup

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The nodes' logs are rotated past RECV_LOG_MAX_SIZE with RECV_LOG_KEEP old files (bin/logcap);
// after the backup suite's restores every peer has rotated at least once.
func TestLogs_EveryNodesLogIsBounded(t *testing.T) {
	if nw.Reused {
		t.Skip("a network the environment names keeps its own log settings")
	}
	logs := filepath.Join(nw.Dir, "logs")
	nodes, err := nw.Nodes()
	require.NoError(t, err)
	rotated := 0
	for _, node := range nodes {
		base := filepath.Join(logs, node+".log")
		files, err := filepath.Glob(base + "*")
		require.NoError(t, err)
		require.NotEmpty(t, files, "%s has a log", node)
		for _, f := range files {
			suffix := strings.TrimPrefix(f, base)
			if suffix != "" {
				n, err := strconv.Atoi(strings.TrimPrefix(suffix, "."))
				require.NoError(t, err, "%s: only NAME.log and NAME.log.N", f)
				require.LessOrEqual(t, n, logKeep, "%s: at most %d old files", f, logKeep)
				rotated++
			}
			info, err := os.Stat(f)
			require.NoError(t, err)
			// A file is rotated before the line that would pass the size: one line over at most.
			require.Less(t, info.Size(), int64(logMaxSize+16<<10), "%s is bounded", f)
		}
	}
	require.Positive(t, rotated, "the peers' logs rotated during the suite")
}

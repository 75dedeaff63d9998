package security

import (
	"testing"

	"github.com/recv-ledger/recv/test/internal/securitycheck"
)

// TestCollusion_AWriteWithoutThePartiesItAffectsIsRefusedAtCommit (issue 23): writes forged by
// organisations whose chaincode servers run changed code are refused at commit unless the parties
// they affect endorse them, and the audit names those that committed (securitycheck.Collusion).
func TestCollusion_AWriteWithoutThePartiesItAffectsIsRefusedAtCommit(t *testing.T) {
	securitycheck.Collusion(t, nw)
}

package security

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/test/internal/securitycheck"
)

// A supplier's user, admin and operator cannot read a bank's peer's metrics or change its log
// level; the bank's own operator can, and /healthz needs no certificate at all.
func TestOperations_OnlyTheNodesOwnOrganisation(t *testing.T) { securitycheck.PeerOperations(t, nw) }

// A bank's own users (an officer, its admin), whose certificates the bank's CA issued, can neither
// change their own peer's log level nor read its metrics; the bank's operator reads /logspec.
func TestOperations_OnlyTheOrganisationsOperator(t *testing.T) {
	securitycheck.PeerOperationsOnlyTheOperator(t, nw)
}

// An orderer's operations endpoint serves /metrics to the orderer organisation's operator only: a
// bank's admin and operator, and the orderer organisation's own admin, are refused.
func TestOperations_OrdererOnlyTheOrdererOrganisation(t *testing.T) {
	securitycheck.OrdererOperations(t, nw)
}

// Every CA's operations endpoint answers plain HTTP with a refusal and serves /healthz over TLS
// (with the key pair in the CA's ops-tls/).
func TestCAOperations_TLSOnly(t *testing.T) { securitycheck.CAOperationsTLSOnly(t, nw) }

// Nothing under the state folder (keys, CA databases, ledgers, logs, tokens, configuration) is
// readable, writable or searchable by group or others.
func TestStateFolder_OwnerOnly(t *testing.T) {
	var open []string
	n := 0
	err := filepath.WalkDir(nw.Dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) { // a file a node removed meanwhile
				return nil
			}
			return err
		}
		if d.Type()&os.ModeSymlink != 0 {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		n++
		if perm := info.Mode().Perm(); perm&0o077 != 0 {
			open = append(open, fmt.Sprintf("%v %s", perm, path))
		}
		return nil
	})
	require.NoError(t, err)
	require.Greater(t, n, 100, "too few files under %s for a running network", nw.Dir)
	if len(open) > 20 {
		open = append(open[:20], fmt.Sprintf("... and %d more", len(open)-20))
	}
	require.Empty(t, open, "group- or other-accessible under %s (%d entries checked)", nw.Dir, n)
}

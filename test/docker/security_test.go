package docker_test

import (
	"testing"

	"github.com/recv-ledger/recv/test/internal/securitycheck"
)

// The security checks of test/security that hold on a compose network too, with the same code
// (test/internal/securitycheck) against the containers' published listeners. Not here: the state
// folder's modes and a chaincode server killed and restarted (native processes), the vetoes,
// growth and back-dating suites (they prove the channel's policies and the chaincode, which are
// the same in both kinds). The CAs' operations endpoints are not published by the compose
// network: TestSecurity_CAOperationsTLSOnly says so as a skip.

func TestSecurity_MutualTLS(t *testing.T) { securitycheck.MutualTLS(t, nw) }

func TestSecurity_PeerOperationsOnlyItsOwnOrganisation(t *testing.T) {
	securitycheck.PeerOperations(t, nw)
}

func TestSecurity_OrdererOperationsOnlyTheOrdererOrganisation(t *testing.T) {
	securitycheck.OrdererOperations(t, nw)
}

func TestSecurity_CAOperationsTLSOnly(t *testing.T) { securitycheck.CAOperationsTLSOnly(t, nw) }

func TestSecurity_ChaincodeServersServeOnlyTheirOwnOrganisation(t *testing.T) {
	securitycheck.ChaincodeServers(t, nw)
}

func TestSecurity_EnrollmentSecretsAreOneTime(t *testing.T) {
	securitycheck.EnrollmentSecretsAreOneTime(t, nw)
}

func TestSecurity_ABankUserEnrollsWithItsOwnKeyAndSignsOffline(t *testing.T) {
	securitycheck.ABankUserEnrollsWithItsOwnKeyAndSignsOffline(t, nw)
}

func TestSecurity_RevokedCertificateRefusedByEveryPeer(t *testing.T) {
	securitycheck.Revocation(t, nw)
}

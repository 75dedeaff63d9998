package docker_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/test/internal/securitycheck"
	"github.com/recv-ledger/recv/test/internal/testnet"
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

func TestSecurity_PeerOperationsOnlyTheOrganisationsOperator(t *testing.T) {
	securitycheck.PeerOperationsOnlyTheOperator(t, nw)
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

// TestSecurity_CollusionRefusedAtCommitAndNamedByTheAudit: the endorsement rules on the compose
// network, by the same check as the native network's (securitycheck.Collusion): writes forged by
// colluding organisations' peers without the parties they affect are ENDORSEMENT_POLICY_FAILURE,
// and recv audit names the forged writes the parties signed.
func TestSecurity_CollusionRefusedAtCommitAndNamedByTheAudit(t *testing.T) {
	securitycheck.Collusion(t, nw)
}

// TestSecurity_GatewaysServeHTTPSOnly: every compose gateway listens beyond loopback (on its
// container's interface), so it serves HTTPS only, with a certificate its own organisation's CA
// issued for its TLS name and this host's published address: plain HTTP is refused, a client that
// trusts another organisation's CA fails the handshake, and one that trusts the gateway's own
// organisation's CA (network.json's gateway tlsCACert) is served.
func TestSecurity_GatewaysServeHTTPSOnly(t *testing.T) {
	ids := nw.Desc.MSPIDs()
	for i, msp := range ids {
		gw := nw.Desc.Orgs[msp].Gateway
		require.NotEmpty(t, gw.TLSCACert, "network.json names no TLS CA of %s's gateway: it serves plain HTTP", msp)
		require.True(t, strings.HasPrefix(gw.URL(), "https://"), gw.URL())

		resp, err := (&http.Client{Timeout: 10 * time.Second}).Get("http://" + gw.Address + "/readyz")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			require.Equal(t, http.StatusBadRequest, resp.StatusCode, "%s's gateway served plain HTTP: %s", msp, body)
			require.Contains(t, string(body), "HTTPS")
		}

		other := nw.Desc.Orgs[ids[(i+1)%len(ids)]].Gateway
		cfg, err := other.TLSConfig()
		require.NoError(t, err)
		_, err = (&http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}).Get(gw.URL() + "/readyz")
		require.Error(t, err, "%s's gateway's certificate verified against another organisation's CA", msp)

		cfg, err = gw.TLSConfig()
		require.NoError(t, err)
		cfg.ServerName = "gateway." + nw.Desc.Orgs[msp].Name + ".recv.local" // the name other containers use
		resp, err = (&http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}).Get(gw.URL() + "/readyz")
		require.NoError(t, err, "%s's gateway over HTTPS", msp)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.NoError(t, testnet.Ready(gw), "%s's gateway at its published address", msp)
	}
}

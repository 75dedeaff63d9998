package security

import (
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/test/internal/securitycheck"
	"github.com/recv-ledger/recv/test/internal/testnet"
)

// Each organisation's peer dials its own chaincode server, whose TLS pair its own CA issued, and
// that server serves one client certificate only, its peer's chaincode client certificate (the one
// in the organisation's connection.json): another certificate of its own organisation's CA (the
// peer's own TLS pair, the organisation admin's), another organisation's peer's certificate (or
// admin's), a stranger's and none are refused at the TLS handshake.
func TestChaincodeServers_OnePerOrganisationServingOnlyItsOwnOrganisation(t *testing.T) {
	securitycheck.ChaincodeServers(t, nw)
}

// query runs GetOrg on the peer of org as org's admin with the peer CLI: an endorsement of the
// chaincode by that peer alone, computed by that organisation's chaincode server.
func query(t *testing.T, org string) (string, error) {
	t.Helper()
	env, err := nw.PeerEnv(org, "admin", org)
	require.NoError(t, err)
	return nw.Peer(env, "chaincode", "query", "-C", nw.Desc.Channel, "-n", nw.Desc.Chaincode, "-c", `{"Args":["GetOrg","CoreMSP"]}`)
}

// One organisation's chaincode server down: its peer's endorsements fail (and say why), the other
// organisations' peers endorse, and a write endorsed by the core enterprise and another bank
// commits. Started again, the server endorses for its peer again.
func TestChaincodeServers_OneDownLeavesTheOthersEndorsing(t *testing.T) {
	out, err := nw.Script("kill", "chaincode.bank2", "TERM")
	require.NoError(t, err, "%s", out)
	restarted := false
	t.Cleanup(func() {
		if !restarted {
			_, _ = nw.Script("start", "chaincode.bank2")
		}
	})

	_, err = query(t, "bank2")
	require.Error(t, err, "Bank2MSP's peer endorsed without its chaincode server")
	t.Logf("Bank2MSP's peer without its chaincode server: %v", err)
	require.Regexp(t, `(?i)chaincode|connect|unavailable`, err.Error())
	for _, org := range []string{"core", "supplier", "bank1", "auditor"} {
		out, err := query(t, org)
		require.NoError(t, err, "%s's peer no longer endorses while Bank2MSP's server is down", org)
		require.Contains(t, out, "CoreMSP")
	}

	conn, err := testnet.DialPeer(nw.Desc, "Bank1MSP")
	require.NoError(t, err)
	defer conn.Close()
	gw, err := testnet.Connect(nw.Desc, "Bank1MSP/admin", conn)
	require.NoError(t, err)
	defer gw.Close()
	contract := gw.GetNetwork(nw.Desc.Channel).GetContract(nw.Desc.Chaincode)
	on := client.WithEndorsingOrganizations("CoreMSP", "Bank1MSP")
	_, err = contract.Submit("FreezeAccount", client.WithArguments("Bank1MSP/officer", "security test: Bank2MSP's chaincode server is down"), on)
	require.NoError(t, err, "a write endorsed by CoreMSP and Bank1MSP while Bank2MSP's server is down")
	// The freeze committed on Bank1MSP's peer (the submit's); CoreMSP's may be a block behind, and
	// endorsements that differ are not enough: try again once it has caught up.
	for attempt := 0; ; attempt++ {
		_, err = contract.Submit("UnfreezeAccount", client.WithArguments("Bank1MSP/officer"), on)
		if err == nil || attempt == 4 || !strings.Contains(err.Error(), "enough transaction endorsements") {
			break
		}
		time.Sleep(time.Second)
	}
	require.NoError(t, err)

	out, err = nw.Script("start", "chaincode.bank2")
	require.NoError(t, err, "%s", out)
	restarted = true
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, err = query(t, "bank2")
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}
	require.NoError(t, err, "Bank2MSP's peer does not endorse again after its chaincode server restarted")
}

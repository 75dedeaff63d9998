package securitycheck

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/ca"
	"github.com/recv-ledger/recv/test/internal/gwtest"
	"github.com/recv-ledger/recv/test/internal/testnet"
)

// Issue 17, point 4 (docs/security.md, "Identities"): an enrollment secret enrolls once, and none
// stays in a file once used; a user may keep its key to itself; a revoked certificate is refused.

// registrar is the CA client of mspID's organisation with its registrar's credentials.
func registrar(t *testing.T, nw *testnet.Network, mspID string) (*ca.Client, ca.Registrar) {
	t.Helper()
	org, ok := nw.Desc.Orgs[mspID]
	require.True(t, ok, "no %s in network.json", mspID)
	c, err := ca.New(org.CA.URL, org.CA.Name, org.CA.TLSCACert)
	require.NoError(t, err)
	cert, err := os.ReadFile(org.CA.AdminCert)
	require.NoError(t, err)
	key, err := os.ReadFile(org.CA.AdminKey)
	require.NoError(t, err)
	return c, ca.Registrar{CertPEM: cert, KeyPEM: key}
}

// requireSpent: the CA refused an enrollment (it answers only "Authentication failure") and its
// log (the network script's `logs ca.supplier`: the native log file or the container's) says why:
// the identity's one enrollment is used.
func requireSpent(t *testing.T, nw *testnet.Network, err error, name string) {
	t.Helper()
	require.Error(t, err, "a second enrollment of %s with the same secret", name)
	require.Contains(t, err.Error(), "401")
	log, lerr := nw.Script("logs", "ca.supplier")
	require.NoError(t, lerr, "%s", log)
	require.Regexp(t, "identity "+name+" has already enrolled 1 times, it has reached its maximum enrollment", string(log))
}

func timeout(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// EnrollmentSecretsAreOneTime: a secret the registrar chose enrolls once at the CA (its default,
// maxenrollments 1) and a second enrollment with it is refused; the same for a user added through
// the gateway, whose secret the gateway used; and the state folder keeps no secret of the
// identities the network enrolled at its start (no secrets files, no password in a CA's config).
func EnrollmentSecretsAreOneTime(t *testing.T, nw *testnet.Network) {
	c, reg := registrar(t, nw, "SupplierMSP")
	name := strings.ToLower(gwtest.UniqueID(t, "once"))
	secret, err := c.Register(timeout(t), reg, ca.Registration{Name: name, Type: "client", Secret: "s3cret-" + name})
	require.NoError(t, err)
	_, _, err = c.Enroll(timeout(t), name, secret)
	require.NoError(t, err, "the first enrollment")
	_, _, err = c.Enroll(timeout(t), name, secret)
	requireSpent(t, nw, err, name)

	// Through the gateway: the admin chooses the secret, the gateway enrolls with it; nobody can
	// enroll with it again.
	viaGateway := strings.ToLower(gwtest.UniqueID(t, "gw-once"))
	admin := gwtest.As(t, nw.Dir, "SupplierMSP/admin")
	r := admin.Do(t, "POST", "/v1/admin/users", map[string]string{"name": viaGateway, "role": "supplier", "secret": "chosen-" + viaGateway})
	require.Equal(t, 201, r.Status, "%s", r.Body)
	_, _, err = c.Enroll(timeout(t), viaGateway, "chosen-"+viaGateway)
	requireSpent(t, nw, err, viaGateway)

	// The cap is the CA's: a registrar cannot register a reusable secret either.
	_, err = c.Register(timeout(t), reg, ca.Registration{Name: name + "-many", Type: "client", MaxEnrollments: 5})
	require.Error(t, err, "a registration with 5 enrollments")
	require.Contains(t, err.Error(), "exceeds maximum allowable enrollments")

	secrets, err := filepath.Glob(filepath.Join(nw.Dir, "secrets", "ca.*"))
	require.NoError(t, err)
	require.Empty(t, secrets, "enrollment secrets left in files")
	configs, err := filepath.Glob(filepath.Join(nw.Dir, "orgs", "*", "ca", "fabric-ca-server-config.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, configs)
	for _, f := range configs {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		require.NotContains(t, string(b), "pass:", "%s keeps a password", f)
	}
}

// ABankUserEnrollsWithItsOwnKeyAndSignsOffline: a bank's admin registers a user whose key is made
// on the user's side (recv user register --key-out): the gateway gets a CSR and keeps only the
// certificate. The gateway cannot act for the user, the user approves a financing by signing
// offline. It needs the recv CLI (testnet.Config.RecvCLI).
func ABankUserEnrollsWithItsOwnKeyAndSignsOffline(t *testing.T, nw *testnet.Network) {
	require.NotEmpty(t, nw.RecvBin, "the suite builds no recv CLI (testnet.Config.RecvCLI)")
	dir := t.TempDir()
	cli := gwtest.CLI{Bin: nw.RecvBin, NetDir: nw.Dir}
	name := strings.ToLower(gwtest.UniqueID(t, "officer-own-key"))
	key, token := filepath.Join(dir, "key.pem"), filepath.Join(dir, "token")
	cli.Must(t, nil, "--as", "Bank1MSP/admin", "user", "register", name, "--role", "financier", "--key-out", key, "--token-out", token)
	_, err := os.Stat(filepath.Join(dir, "cert.pem"))
	require.NoError(t, err, "the certificate is written beside the key")
	_, err = os.Stat(filepath.Join(nw.Dir, "gateways", "bank1", "wallet", name, "key.pem"))
	require.ErrorIs(t, err, os.ErrNotExist, "the gateway holds no key of the user")

	core, supplier := gwtest.As(t, nw.Dir, "CoreMSP/treasurer"), gwtest.As(t, nw.Dir, "SupplierMSP/supplier-a")
	id := gwtest.UniqueID(t, "OK")
	core.Made(t, gwtest.As(t, nw.Dir, "CoreMSP/approver"), "issue", "", gwtest.IssueBody(t, id, "SupplierMSP/supplier-a", "5000.00", gwtest.InDays(60)))
	supplier.Sees(t, id, wire.StatusPending)
	supplier.Submit(t, "accept", id, nil)
	supplier.Submit(t, "request-financing", id, wire.FinancingRequest{Bank: "Bank1MSP"})
	supplier.Sees(t, id, wire.StatusFinancing)

	bank1 := nw.Desc.Orgs["Bank1MSP"].Gateway
	gw := []string{"--gateway", bank1.URL(), "--token-file", token}
	if bank1.TLSCACert != "" {
		gw = append(gw, "--gateway-ca", bank1.TLSCACert)
	}
	code, _, stderr := cli.Run(t, append(gw, "finance", "approve", id, "--rate-bps", "400")...)
	require.NotEqual(t, 0, code, "the gateway signed for a user whose key it does not have")
	require.Contains(t, stderr, "signs offline only")
	cli.Must(t, nil, append(gw, "finance", "approve", id, "--rate-bps", "400", "--sign-with", key)...)
	financed := supplier.Eventually(t, id, func(r wire.Receivable) bool { return r.Financed() })
	require.Equal(t, "Bank1MSP/"+name, financed.Holder)
}

// Revocation: a supplier's user, enrolled at its CA, is served by every peer; its organisation's
// admin revokes it (the network script's revoke-user: recv user revoke at the CA, the CRL into
// SupplierMSP's channel MSP by an update SupplierMSP's admin signs) and then every peer refuses
// it, while another user of the organisation is still served.
func Revocation(t *testing.T, nw *testnet.Network) {
	c, reg := registrar(t, nw, "SupplierMSP")
	name := strings.ToLower(gwtest.UniqueID(t, "leaver"))
	secret, err := c.Register(timeout(t), reg, ca.Registration{Name: name, Type: "client"})
	require.NoError(t, err)
	certPEM, keyPEM, err := c.Enroll(timeout(t), name, secret)
	require.NoError(t, err)
	peers := nw.Desc.MSPIDs()
	for _, msp := range peers {
		_, err := metadataAs(t, nw, msp, "SupplierMSP", certPEM, keyPEM)
		require.NoError(t, err, "peer of %s serves %s before the revocation", msp, name)
	}

	out, err := nw.Script("revoke-user", "supplier", name, "keycompromise")
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "signed by the admins of supplier")

	stayer := nw.Desc.Orgs["SupplierMSP"].Users["supplier-b"]
	stayerCert, err := os.ReadFile(stayer.Cert)
	require.NoError(t, err)
	stayerKey, err := os.ReadFile(stayer.Key)
	require.NoError(t, err)
	for _, msp := range peers {
		_, err := metadataAs(t, nw, msp, "SupplierMSP", certPEM, keyPEM)
		require.Error(t, err, "peer of %s still serves the revoked %s", msp, name)
		t.Logf("peer of %s: %v", msp, err)
		_, err = metadataAs(t, nw, msp, "SupplierMSP", stayerCert, stayerKey)
		require.NoError(t, err, "peer of %s refuses supplier-b, who was not revoked", msp)
	}
}

// metadataAs evaluates the chaincode's metadata (no account needed) on the peer of peerMSP through
// its Gateway service, signed by the given certificate and key of mspID.
func metadataAs(t *testing.T, nw *testnet.Network, peerMSP, mspID string, certPEM, keyPEM []byte) ([]byte, error) {
	t.Helper()
	conn, err := testnet.DialPeer(nw.Desc, peerMSP)
	require.NoError(t, err)
	defer conn.Close()
	cert, err := identity.CertificateFromPEM(certPEM)
	require.NoError(t, err)
	id, err := identity.NewX509Identity(mspID, cert)
	require.NoError(t, err)
	key, err := identity.PrivateKeyFromPEM(keyPEM)
	require.NoError(t, err)
	sign, err := identity.NewPrivateKeySign(key)
	require.NoError(t, err)
	gw, err := client.Connect(id, client.WithSign(sign), client.WithClientConnection(conn), client.WithEvaluateTimeout(30*time.Second))
	require.NoError(t, err)
	defer gw.Close()
	return gw.GetNetwork(nw.Desc.Channel).GetContract(nw.Desc.Chaincode).EvaluateTransaction("org.hyperledger.fabric:GetMetadata")
}

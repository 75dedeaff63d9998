package backup

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	neturl "net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/test/internal/gwtest"
	"github.com/recv-ledger/recv/test/internal/story"
)

// reconcileBound bounds the wait for a restored peer's private data from before its snapshot:
// reconciliation runs every 5 s (core.yaml); restore-peer itself bounds the catch-up.
const reconcileBound = 2 * time.Minute

// script runs scripts/network.sh with the network's settings and requires it to succeed.
func script(t *testing.T, args ...string) string {
	t.Helper()
	out, err := nw.Script(args...)
	require.NoError(t, err, "network.sh %v:\n%s", args, out)
	return string(out)
}

// financed has bank1's officer approve a financing of a new receivable (requested by the
// supplier): its terms are private to the supplier, Bank1 and the auditor.
func financed(t *testing.T, prefix string) string {
	t.Helper()
	id := gwtest.RequestedAt(t, nw.Dir, prefix, "1234.56", 30, story.Bank1MSP)
	gwtest.As(t, nw.Dir, story.Bank1).Submit(t, "approve-financing", id, wire.ApproveRequest{RateBps: 380})
	return id
}

// termsOn waits until the peer of org (short name), asked directly with Fabric's peer CLI as its
// user, answers id's private terms (GetTerms, by the public hash), and returns how long that took.
func termsOn(t *testing.T, org, user, id string, bound time.Duration) time.Duration {
	t.Helper()
	r := gwtest.As(t, nw.Dir, story.Treasurer).Eventually(t, id, func(r wire.Receivable) bool {
		return r.Financing != nil && r.Financing.TermsHash != ""
	})
	msp := map[string]string{"supplier": "SupplierMSP", "bank1": story.Bank1MSP}[org]
	env, err := nw.PeerEnv(org, user, msp)
	require.NoError(t, err)
	args := fmt.Sprintf(`{"Args":["GetTerms",%q,%q]}`, id, r.Financing.TermsHash)
	start := time.Now()
	var last error
	for time.Since(start) < bound {
		out, err := nw.Peer(env, "chaincode", "query", "-C", nw.Desc.Channel, "-n", nw.Desc.Chaincode, "-c", args)
		if err == nil {
			var terms wire.Terms
			require.NoError(t, json.Unmarshal([]byte(out), &terms), out)
			require.Equal(t, int64(380), terms.RateBps, "the terms Bank1 approved")
			return time.Since(start)
		}
		last = err
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatalf("peer0.%s has no terms for %s after %s (last error: %v)", org, id, bound, last)
	return 0
}

// restorePeer runs restore-peer and returns its duration and the height it reports.
func restorePeer(t *testing.T, args ...string) (time.Duration, int) {
	t.Helper()
	start := time.Now()
	out := script(t, append([]string{"restore-peer"}, args...)...)
	took := time.Since(start)
	m := regexp.MustCompile(`at height (\d+)`).FindStringSubmatch(out)
	require.NotNil(t, m, "restore-peer reports the height:\n%s", out)
	h, err := strconv.Atoi(m[1])
	require.NoError(t, err)
	orderer, err := nw.Height("orderer1")
	require.NoError(t, err)
	require.GreaterOrEqual(t, uint64(h), orderer-1, "the restored peer caught up with the orderers")
	return took, h
}

// lose stops the org's peer and deletes its whole folder: ledger, MSP, TLS pair, config.
func lose(t *testing.T, org string) {
	t.Helper()
	script(t, "stop", "peer0."+org)
	require.NoError(t, os.RemoveAll(filepath.Join(nw.Dir, "orgs", org, "peer0")))
}

// tidy removes the ledger folders restore-peer kept aside.
func tidy(t *testing.T, org string) {
	matches, err := filepath.Glob(filepath.Join(nw.Dir, "orgs", org, "peer0", "data.replaced.*"))
	require.NoError(t, err)
	for _, m := range matches {
		require.NoError(t, os.RemoveAll(m))
	}
}

func TestBackup_PeersAndACAComeBackFromTheirOrganisationsBackups(t *testing.T) {
	backups := t.TempDir()
	supplierBackup, bankBackup := filepath.Join(backups, "supplier"), filepath.Join(backups, "bank1")

	// Before the backups: a financing whose terms only the parties' peers hold, and an identity
	// registered at Bank1's CA (the restored CA must know it).
	before := financed(t, "BK")
	probe := "probe-" + strings.ToLower(gwtest.RandomHex(t)[:8])
	ca := caClient(t)
	ca.run(t, "register", "--id.name", probe, "--id.secret", "probe-secret-1", "--id.type", "client",
		"--id.attrs", "recv.role=financier:ecert")

	for _, b := range []struct{ org, dir string }{{"supplier", supplierBackup}, {"bank1", bankBackup}} {
		out := script(t, "backup", b.org, b.dir)
		t.Logf("%s", lastLine(out))
		for _, f := range []string{"backup.env", "SHA256SUMS", "org.tar", "ca/fabric-ca-server.db", "ca/ca-cert.pem",
			"snapshot/_snapshot_signable_metadata.json"} {
			require.FileExists(t, filepath.Join(b.dir, f))
		}
		keys, err := filepath.Glob(filepath.Join(b.dir, "ca", "msp", "keystore", "*"))
		require.NoError(t, err)
		require.NotEmpty(t, keys, "the CA's signing key is in the backup")
		info, err := os.Stat(b.dir)
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o700), info.Mode().Perm(), "a backup holds keys: owner-only")
	}

	// After the backups: a financing the snapshots do not have.
	after := financed(t, "BK")

	// The supplier's peer is lost and comes back from its snapshot: the terms from after the
	// snapshot with the blocks, those from before by reconciliation; it endorses again.
	lose(t, "supplier")
	fromSnapshot, height := restorePeer(t, "supplier", supplierBackup)
	require.FileExists(t, filepath.Join(nw.Dir, "orgs", "supplier", "peer0", "tls", "key.pem"), "the peer's TLS pair came back from the backup")
	reconciled := termsOn(t, "supplier", "supplier-a", before, reconcileBound)
	termsOn(t, "supplier", "supplier-a", after, reconcileBound)
	financed(t, "BK")
	// The same peer from the genesis block, for comparison.
	fromGenesis, genesisHeight := restorePeer(t, "supplier", "--genesis")
	termsOn(t, "supplier", "supplier-a", before, reconcileBound)
	tidy(t, "supplier")
	t.Logf("peer0.supplier restored from the snapshot in %s (height %d; the terms from before the snapshot reconciled %s later), from the genesis block in %s (height %d)",
		fromSnapshot.Round(100*time.Millisecond), height, reconciled.Round(100*time.Millisecond),
		fromGenesis.Round(100*time.Millisecond), genesisHeight)

	// Bank1 is in no collection of the other bank's: Fabric 2.5.0 would crash joining it from a
	// snapshot, so restore-peer refuses before it changes anything.
	heightBefore, err := nw.Height("peer0.bank1")
	require.NoError(t, err)
	out, err := nw.Script("restore-peer", "bank1", bankBackup)
	require.Error(t, err, "restore-peer bank1 from a snapshot is refused:\n%s", out)
	require.Contains(t, string(out), "cannot join from a snapshot")
	require.Contains(t, string(out), "Fabric 2.5.2")
	heightAfter, err := nw.Height("peer0.bank1")
	require.NoError(t, err, "peer0.bank1 still runs")
	require.GreaterOrEqual(t, heightAfter, heightBefore)
	// Its peer is lost and comes back from the genesis block, its identities from its backup.
	lose(t, "bank1")
	took, h := restorePeer(t, "bank1", bankBackup, "--genesis")
	termsOn(t, "bank1", "officer", before, reconcileBound)
	termsOn(t, "bank1", "officer", after, reconcileBound)
	financed(t, "BK")
	tidy(t, "bank1")
	t.Logf("peer0.bank1 restored from the genesis block with its backup's identities in %s (height %d)", took.Round(100*time.Millisecond), h)

	// Bank1's CA's home is lost (its root and signing key, its database).
	org := filepath.Join(nw.Dir, "orgs", "bank1")
	script(t, "stop", "ca.bank1")
	require.NoError(t, os.RemoveAll(filepath.Join(org, "ca")))
	start := time.Now()
	t.Logf("%s (%s)", lastLine(script(t, "restore-ca", "bank1", bankBackup)), time.Since(start).Round(100*time.Millisecond))

	// Its own TLS pair is renewed (it issues itself a new one as it restarts); its clients, which
	// trust its root, go on as before.
	tlsBefore := caServed(t, ca.url, ca.tlsCert)
	t.Logf("%s", lastLine(script(t, "renew", "ca.bank1")))
	tlsAfter := caServed(t, ca.url, ca.tlsCert)
	require.NotEqual(t, tlsBefore.SerialNumber, tlsAfter.SerialNumber, "ca.bank1 presents a new TLS certificate")
	require.NotEqual(t, tlsBefore.RawSubjectPublicKeyInfo, tlsAfter.RawSubjectPublicKeyInfo, "for a new key")

	// It issues: a new identity enrolls with a certificate of the org's own root.
	fresh := "fresh-" + strings.ToLower(gwtest.RandomHex(t)[:8])
	ca.run(t, "register", "--id.name", fresh, "--id.secret", "fresh-secret-1", "--id.type", "client",
		"--id.attrs", "recv.role=financier:ecert")
	msp := filepath.Join(t.TempDir(), "msp")
	ca.enroll(t, fresh, "fresh-secret-1", msp)
	requireIssuedBy(t, filepath.Join(msp, "signcerts", "cert.pem"), filepath.Join(org, "msp", "cacerts", "ca.pem"))
	// It revokes an identity it knew before the loss, and its CRL lists the certificate.
	probeMSP := filepath.Join(t.TempDir(), "probe")
	ca.enroll(t, probe, "probe-secret-1", probeMSP)
	ca.run(t, "revoke", "--revoke.name", probe, "--revoke.reason", "superseded", "--gencrl")
	crl, err := os.ReadFile(filepath.Join(ca.registrar, "crls", "crl.pem"))
	require.NoError(t, err)
	block, _ := pem.Decode(crl)
	require.NotNil(t, block, "a CRL in PEM")
	list, err := x509.ParseRevocationList(block.Bytes)
	require.NoError(t, err)
	serial := certSerial(t, filepath.Join(probeMSP, "signcerts", "cert.pem"))
	found := false
	for _, e := range list.RevokedCertificateEntries {
		found = found || e.SerialNumber.Cmp(serial) == 0
	}
	require.True(t, found, "the restored CA's CRL lists %s's certificate", probe)
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	return s[strings.LastIndex(s, "\n")+1:]
}

// ca is fabric-ca-client as the org's registrar against its CA, in a home of the test's own.
type ca struct {
	home, url, tlsCert, registrar string
}

// caClient is Bank1's registrar, from a copy of its MSP (a CRL the client fetches is written
// there, not into the state folder).
func caClient(t *testing.T) ca {
	o, ok := nw.Desc.Orgs[story.Bank1MSP]
	require.True(t, ok, "%s in network.json", story.Bank1MSP)
	c := ca{home: t.TempDir(), url: o.CA.URL, tlsCert: o.CA.TLSCACert}
	c.registrar = filepath.Join(c.home, "registrar")
	require.NoError(t, os.CopyFS(c.registrar, os.DirFS(filepath.Join(nw.Dir, "orgs", "bank1", "registrar", "msp"))))
	return c
}

func (c ca) command(args ...string) *exec.Cmd {
	args = append(args, "--home", c.home, "--tls.certfiles", c.tlsCert)
	return exec.Command(filepath.Join(nw.Root, "bin", "fabric-ca-client"), args...)
}

// run is a registrar's command (register, revoke) against the CA.
func (c ca) run(t *testing.T, args ...string) {
	t.Helper()
	out, err := c.command(append(args, "-u", c.url, "--mspdir", c.registrar)...).CombinedOutput()
	require.NoError(t, err, "fabric-ca-client %v:\n%s", args, out)
}

func (c ca) enroll(t *testing.T, name, secret, msp string) {
	t.Helper()
	u := strings.Replace(c.url, "://", fmt.Sprintf("://%s:%s@", name, secret), 1)
	out, err := c.command("enroll", "-u", u, "--mspdir", msp).CombinedOutput()
	require.NoError(t, err, "fabric-ca-client enroll %s:\n%s", name, out)
}

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	block, _ := pem.Decode(raw)
	require.NotNil(t, block, "%s: no PEM", path)
	cert, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	return cert
}

func certSerial(t *testing.T, path string) *big.Int { return readCert(t, path).SerialNumber }

// requireIssuedBy: the certificate at path chains to the root at rootPath.
func requireIssuedBy(t *testing.T, path, rootPath string) {
	t.Helper()
	roots := x509.NewCertPool()
	roots.AddCert(readCert(t, rootPath))
	_, err := readCert(t, path).Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	require.NoError(t, err, "%s is issued by the organisation's root", path)
}

// caServed is the TLS certificate the CA at url presents, verified against its root.
func caServed(t *testing.T, url, rootPath string) *x509.Certificate {
	t.Helper()
	roots := x509.NewCertPool()
	roots.AddCert(readCert(t, rootPath))
	u, err := neturl.Parse(url)
	require.NoError(t, err)
	conn, err := tls.Dial("tcp", u.Host, &tls.Config{RootCAs: roots, ServerName: u.Hostname(), MinVersion: tls.VersionTLS12})
	require.NoError(t, err, "a TLS handshake with %s, trusting its root", url)
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0]
}

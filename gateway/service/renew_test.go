package service

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/ca"
	"github.com/recv-ledger/recv/gateway/fabric"
)

// fakeCA answers Fabric CA's reenroll as the server does: the request must carry a token signed
// by the key of the certificate in it, and the answer is a certificate of the CSR's key for its
// common name, signed by the CA's own key, with a new serial. refuse, when set, is its answer.
type fakeCA struct {
	key    *ecdsa.PrivateKey
	root   *x509.Certificate
	mu     sync.Mutex
	signed [][]byte // the certificates (PEM) whose tokens authorised each reenrollment
	refuse string
}

func newFakeCA(t *testing.T) (*fakeCA, *ca.Client) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ca.core"}, IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	root, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	f := &fakeCA{key: key, root: root}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	return f, &ca.Client{URL: srv.URL, CAName: "ca.core", HTTP: srv.Client()}
}

func (f *fakeCA) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	fail := func(code int, msg string) {
		w.WriteHeader(code)
		_, _ = w.Write([]byte(`{"success":false,"errors":[{"code":` + map[int]string{400: "0", 401: "71"}[code] + `,"message":"` + msg + `"}]}`))
	}
	if f.refuse != "" {
		fail(http.StatusUnauthorized, f.refuse)
		return
	}
	if r.URL.Path != "/api/v1/reenroll" {
		fail(http.StatusBadRequest, "not reenroll")
		return
	}
	b64cert, b64sig, _ := strings.Cut(r.Header.Get("Authorization"), ".")
	certPEM, _ := base64.StdEncoding.DecodeString(b64cert)
	sig, _ := base64.StdEncoding.DecodeString(b64sig)
	caller, err := identity.CertificateFromPEM(certPEM)
	if err != nil {
		fail(http.StatusUnauthorized, "no certificate")
		return
	}
	digest := sha256.Sum256([]byte(r.Method + "." + base64.StdEncoding.EncodeToString([]byte(r.URL.RequestURI())) + "." +
		base64.StdEncoding.EncodeToString(body) + "." + b64cert))
	if !ecdsa.VerifyASN1(caller.PublicKey.(*ecdsa.PublicKey), digest[:], sig) {
		fail(http.StatusUnauthorized, "Authentication failure")
		return
	}
	var req struct {
		CSR string `json:"certificate_request"`
	}
	_ = json.Unmarshal(body, &req)
	block, _ := pem.Decode([]byte(req.CSR))
	csr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil || csr.CheckSignature() != nil || csr.Subject.CommonName != caller.Subject.CommonName {
		fail(http.StatusBadRequest, "bad CSR")
		return
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: csr.Subject, NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(2 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, f.root, csr.PublicKey, f.key)
	if err != nil {
		fail(http.StatusBadRequest, err.Error())
		return
	}
	f.mu.Lock()
	f.signed = append(f.signed, certPEM)
	f.mu.Unlock()
	out := base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	_, _ = w.Write([]byte(`{"success":true,"result":{"Cert":"` + out + `"}}`))
}

// networkUser writes a user's pair where network.json names it and loads it into w, as Run does.
func networkUser(t *testing.T, w *wallet, name, role string) (certPath, keyPath string) {
	t.Helper()
	d := filepath.Join(t.TempDir(), "users", name)
	require.NoError(t, os.MkdirAll(d, 0o700))
	certPEM, keyPEM := userPEM(t, name)
	certPath, keyPath = filepath.Join(d, "cert.pem"), filepath.Join(d, "key.pem")
	require.NoError(t, os.WriteFile(certPath, certPEM, 0o600))
	require.NoError(t, os.WriteFile(keyPath, keyPEM, 0o600))
	require.NoError(t, w.load(name, role, certPath, keyPath))
	return certPath, keyPath
}

// byCertificate is the identity a mutual-TLS caller presenting certPEM authenticates as.
func byCertificate(t *testing.T, w *wallet, certPEM []byte) (string, bool) {
	t.Helper()
	cert, err := identity.CertificateFromPEM(certPEM)
	require.NoError(t, err)
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{cert}}
	return w.auth.Identify(r)
}

// TestRenewUser_ANewKeyInUseAtOnceAndAfterARestart: a user of network.json is reenrolled with a
// token of its current pair for a new key; the gateway signs for it with the new pair, its
// certificate binding follows and its token keeps working; the pair is kept in the wallet folder
// (owner-only, the previous key not kept), network.json's files are untouched, and a restart
// loads the new pair in place of network.json's.
func TestRenewUser_ANewKeyInUseAtOnceAndAfterARestart(t *testing.T) {
	dir := t.TempDir()
	w := testWallet(t, dir)
	certPath, keyPath := networkUser(t, w, "clerk", wire.RoleSupplier)
	oldCert, _ := os.ReadFile(certPath)
	oldKey, _ := os.ReadFile(keyPath)
	token, err := w.auth.Tokens.Mint("clerk")
	require.NoError(t, err)
	fca, client := newFakeCA(t)
	a := &userAdmin{ca: client, wallet: w}

	res, err := a.RenewUser(context.Background(), "clerk")
	require.NoError(t, err)

	require.Equal(t, [][]byte{oldCert}, fca.signed, "the reenrollment is authorised by the current certificate's key")
	id, ok := w.fabric.Identity("clerk")
	require.True(t, ok)
	newCert := id.ID.Credentials()
	require.Equal(t, string(newCert), res.Certificate)
	require.Equal(t, wire.RoleSupplier, id.Role)
	cert, err := identity.CertificateFromPEM(newCert)
	require.NoError(t, err)
	prev, err := identity.CertificateFromPEM(oldCert)
	require.NoError(t, err)
	require.Equal(t, hex.EncodeToString(cert.SerialNumber.Bytes()), res.Serial)
	require.Equal(t, hex.EncodeToString(prev.SerialNumber.Bytes()), res.PreviousSerial)
	require.Equal(t, cert.NotAfter.UTC(), res.NotAfter)
	require.False(t, prev.PublicKey.(*ecdsa.PublicKey).Equal(cert.PublicKey), "a new key")
	digest := sha256.Sum256([]byte("a proposal"))
	sig, err := id.Sign(digest[:])
	require.NoError(t, err)
	require.True(t, ecdsa.VerifyASN1(cert.PublicKey.(*ecdsa.PublicKey), digest[:], sig), "the gateway signs with the new key")

	_, ok = byCertificate(t, w, oldCert)
	require.False(t, ok, "the previous certificate no longer authenticates")
	who, ok := byCertificate(t, w, newCert)
	require.True(t, ok)
	require.Equal(t, "clerk", who)
	who, ok = w.auth.Tokens.Lookup(token)
	require.True(t, ok, "the token is unchanged")
	require.Equal(t, "clerk", who)

	saved := filepath.Join(dir, "clerk")
	for file, want := range map[string]string{"cert.pem": string(newCert), "role": "supplier\n"} {
		got, err := os.ReadFile(filepath.Join(saved, file))
		require.NoError(t, err)
		require.Equal(t, want, string(got), file)
	}
	info, err := os.Stat(filepath.Join(saved, "key.pem"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	entries, err := os.ReadDir(saved)
	require.NoError(t, err)
	require.Len(t, entries, 3, "cert.pem, key.pem and role; nothing half-written, no previous key")
	stillCert, _ := os.ReadFile(certPath)
	stillKey, _ := os.ReadFile(keyPath)
	require.Equal(t, oldCert, stillCert, "network.json's files are not written")
	require.Equal(t, oldKey, stillKey)

	// A restart: network.json's pair first, then the wallet folder's in its place.
	restarted := testWallet(t, dir)
	require.NoError(t, restarted.load("clerk", wire.RoleSupplier, certPath, keyPath))
	require.NoError(t, restarted.loadSaved())
	id, ok = restarted.fabric.Identity("clerk")
	require.True(t, ok)
	require.Equal(t, newCert, id.ID.Credentials())
	require.NotNil(t, id.Sign)
	_, ok = byCertificate(t, restarted, oldCert)
	require.False(t, ok)

	// Renewed again: the pair in the wallet folder is replaced, signed for by the renewed key.
	again, err := a.RenewUser(context.Background(), "clerk")
	require.NoError(t, err)
	require.Equal(t, res.Serial, again.PreviousSerial)
	require.Equal(t, newCert, fca.signed[1])
}

// TestRenewUser_RefusalsChangeNothing: a user whose key the gateway does not hold, a user not in
// the wallet and a CA refusal leave the identity, its binding and the wallet folder as they were;
// the first two never reach the CA.
func TestRenewUser_RefusalsChangeNothing(t *testing.T) {
	tests := []struct {
		name, user string
		caRefuses  bool
		kind       wire.Kind
	}{
		{name: "its own key", user: "own-key", kind: wire.KindConflict},
		{name: "not in the wallet", user: "nobody", kind: wire.KindNotFound},
		{name: "revoked at the CA", user: "clerk", caRefuses: true, kind: wire.KindForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			w := testWallet(t, dir)
			networkUser(t, w, "clerk", wire.RoleSupplier)
			ownCert, _ := userPEM(t, "own-key")
			own, err := fabric.NewIdentity("CoreMSP", "own-key", wire.RoleSupplier, ownCert, nil)
			require.NoError(t, err)
			require.NoError(t, w.save("own-key", wire.RoleSupplier, ownCert, nil))
			require.NoError(t, w.add(own))
			fca, client := newFakeCA(t)
			if tt.caRefuses {
				fca.refuse = "Certificate has been revoked"
			}
			before := map[string][]byte{}
			for _, n := range []string{"clerk", "own-key"} {
				id, _ := w.fabric.Identity(n)
				before[n] = id.ID.Credentials()
			}

			_, err = (&userAdmin{ca: client, wallet: w}).RenewUser(context.Background(), tt.user)
			var fe *fabric.Error
			require.ErrorAs(t, err, &fe)
			require.Equal(t, tt.kind, fe.Kind, err.Error())
			require.Empty(t, fca.signed)
			for n, cert := range before {
				id, _ := w.fabric.Identity(n)
				require.Equal(t, cert, id.ID.Credentials(), n)
				who, ok := byCertificate(t, w, cert)
				require.True(t, ok, n)
				require.Equal(t, n, who)
			}
			_, err = os.Stat(filepath.Join(dir, "clerk"))
			require.ErrorIs(t, err, os.ErrNotExist, "nothing saved")
			got, _ := os.ReadFile(filepath.Join(dir, "own-key", "cert.pem"))
			require.Equal(t, ownCert, got)
		})
	}
}

// TestWallet_ARenewalCutShortByACrashLeavesAPairThatMatches: a restart after a crash in the
// middle of replace loads the previous pair when the new one was not in place yet, and the new
// pair when its key was; the first renewal of a user of network.json cut short leaves no entry.
func TestWallet_ARenewalCutShortByACrashLeavesAPairThatMatches(t *testing.T) {
	tests := []struct {
		name      string
		files     func(oldCert, oldKey, newCert, newKey []byte) map[string][]byte
		loadsNew  bool
		loadsNone bool
	}{
		{"both new files written, none in place", func(oc, ok, nc, nk []byte) map[string][]byte {
			return map[string][]byte{"cert.pem": oc, "key.pem": ok, "cert.pem.new": nc, "key.pem.new": nk}
		}, false, false},
		{"the new key half-written", func(oc, ok, nc, nk []byte) map[string][]byte {
			return map[string][]byte{"cert.pem": oc, "key.pem": ok, "key.pem.new": nk[:10]}
		}, false, false},
		{"the key in place, not the certificate", func(oc, ok, nc, nk []byte) map[string][]byte {
			return map[string][]byte{"cert.pem": oc, "key.pem": nk, "cert.pem.new": nc}
		}, true, false},
		{"a first renewal with its role only", func(oc, ok, nc, nk []byte) map[string][]byte {
			return map[string][]byte{"key.pem.new": nk}
		}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			oc, ok := userPEM(t, "clerk")
			nc, nk := userPEM(t, "clerk")
			d := filepath.Join(dir, "clerk")
			require.NoError(t, os.MkdirAll(d, 0o700))
			files := tt.files(oc, ok, nc, nk)
			files["role"] = []byte("supplier\n")
			for f, data := range files {
				require.NoError(t, os.WriteFile(filepath.Join(d, f), data, 0o600))
			}
			w := testWallet(t, dir)
			require.NoError(t, w.loadSaved())
			if tt.loadsNone {
				require.Empty(t, w.fabric.Names())
				_, err := os.Stat(d)
				require.ErrorIs(t, err, os.ErrNotExist)
				return
			}
			id, found := w.fabric.Identity("clerk")
			require.True(t, found)
			want := oc
			if tt.loadsNew {
				want = nc
			}
			require.Equal(t, want, id.ID.Credentials())
			entries, err := os.ReadDir(d)
			require.NoError(t, err)
			require.Len(t, entries, 3, "no *.new left")
		})
	}
}

// TestRenewUser_ARevokedUserStaysOut: a user renewed and then revoked (Forget) authenticates with
// neither certificate nor its token, and a renewal after that finds no user.
func TestRenewUser_ARevokedUserStaysOut(t *testing.T) {
	dir := t.TempDir()
	w := testWallet(t, dir)
	certPath, _ := networkUser(t, w, "clerk", wire.RoleSupplier)
	oldCert, _ := os.ReadFile(certPath)
	token, err := w.auth.Tokens.Mint("clerk")
	require.NoError(t, err)
	_, client := newFakeCA(t)
	a := &userAdmin{ca: client, wallet: w}
	res, err := a.RenewUser(context.Background(), "clerk")
	require.NoError(t, err)

	removed, err := a.Forget("clerk")
	require.NoError(t, err)
	require.True(t, removed)
	for _, cert := range [][]byte{oldCert, []byte(res.Certificate)} {
		_, ok := byCertificate(t, w, cert)
		require.False(t, ok)
	}
	_, ok := w.auth.Tokens.Lookup(token)
	require.False(t, ok)
	_, err = a.RenewUser(context.Background(), "clerk")
	var fe *fabric.Error
	require.ErrorAs(t, err, &fe)
	require.Equal(t, wire.KindNotFound, fe.Kind)
	_, err = os.Stat(filepath.Join(dir, "clerk"))
	require.ErrorIs(t, err, os.ErrNotExist, "its renewed pair is gone with it")
}

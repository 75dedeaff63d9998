// Package fabrictest makes identities for the gateway's tests.
package fabrictest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"testing"
	"time"

	"github.com/recv-ledger/recv/gateway/fabric"
)

// Identity makes an identity of mspID with a self-signed certificate and no signer.
func Identity(t testing.TB, mspID, name, role string) *fabric.Identity {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	id, err := fabric.NewIdentity(mspID, name, role, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

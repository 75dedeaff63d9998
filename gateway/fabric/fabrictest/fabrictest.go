// Package fabrictest makes identities for the gateway's tests.
package fabrictest

import (
	"testing"

	"github.com/recv-ledger/recv/gateway/certtest"
	"github.com/recv-ledger/recv/gateway/fabric"
)

// Identity makes an identity of mspID with a self-signed certificate and no signer.
func Identity(t testing.TB, mspID, name, role string) *fabric.Identity {
	t.Helper()
	id, err := fabric.NewIdentity(mspID, name, role, certtest.New(t, name).CertPEM, nil)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

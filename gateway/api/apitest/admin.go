package apitest

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"math/big"
	"sync"
	"time"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/fabric"
)

// Admin stands in for the CA user administration and the wallet folder: it records the users it
// was asked to add and, unless Err, puts each in the test ledger's wallet (Start links them) with a
// certificate of a new key, or of its CSR's key (then without a signer, as the gateway keeps no
// key of such a user), and answers with its CoreMSP account. Forget takes a user out of the
// wallet; RevokeUser answers with one serial and a CRL, or RevokeErr (else Err); RenewUser puts a
// certificate of a new key in place of the user's.
type Admin struct {
	mu         sync.Mutex
	Added      []wire.NewUser
	Revoked    []string
	Forgotten  []string
	Renewed    []string
	Err        error
	RevokeErr  error
	ledger     *Ledger
	registered map[string]string // name -> role, the users this admin added
}

// AddUser implements api.UserAdmin.
func (a *Admin) AddUser(_ context.Context, u wire.NewUser) (*wire.NewUserResult, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.Added = append(a.Added, u)
	if a.Err != nil {
		return nil, a.Err
	}
	id, err := newIdentity(u)
	if err != nil {
		return nil, err
	}
	if a.ledger != nil {
		a.ledger.addIdentity(id)
	}
	if a.registered == nil {
		a.registered = map[string]string{}
	}
	a.registered[u.Name] = u.Role
	res := &wire.NewUserResult{Name: u.Name, Account: "CoreMSP/" + u.Name, Role: u.Role}
	if u.CSR != "" {
		res.Certificate = string(id.ID.Credentials())
	}
	return res, nil
}

// Registered implements api.UserAdmin: the users AddUser added and Forget did not remove.
func (a *Admin) Registered(name string) (string, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	role, ok := a.registered[name]
	return role, ok
}

// Forget implements api.UserAdmin: the user leaves the ledger's wallet.
func (a *Admin) Forget(name string) (bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.Forgotten = append(a.Forgotten, name)
	delete(a.registered, name)
	if a.ledger == nil {
		return false, nil
	}
	return a.ledger.removeIdentity(name), nil
}

// Users returns a copy of the users added so far.
func (a *Admin) Users() []wire.NewUser {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]wire.NewUser(nil), a.Added...)
}

// RevokeUser implements api.UserAdmin: it records the name and answers with one serial and a CRL.
func (a *Admin) RevokeUser(_ context.Context, name, _ string) (*wire.RevokeUserResult, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.RevokeErr != nil {
		return nil, a.RevokeErr
	}
	if a.Err != nil {
		return nil, a.Err
	}
	a.Revoked = append(a.Revoked, name)
	return &wire.RevokeUserResult{Name: name, Account: "CoreMSP/" + name, Serials: []string{"0a1b"}, CRL: "-----BEGIN X509 CRL-----\n"}, nil
}

// RenewUser implements api.UserAdmin: it records the name and, unless Err, puts in the ledger's
// wallet an identity of the same user with a certificate of a new key (a new serial) and answers
// with both certificates' serials.
func (a *Admin) RenewUser(_ context.Context, name string) (*wire.RenewedUser, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.Renewed = append(a.Renewed, name)
	if a.Err != nil {
		return nil, a.Err
	}
	if a.ledger == nil {
		return nil, errors.New("apitest: no ledger")
	}
	prev, ok := a.ledger.Identity(name)
	if !ok {
		return nil, errors.New("apitest: no user " + name)
	}
	id, err := newIdentity(wire.NewUser{Name: name, Role: prev.Role})
	if err != nil {
		return nil, err
	}
	a.ledger.addIdentity(id)
	p, c := certOf(prev), certOf(id)
	return &wire.RenewedUser{Name: name, Account: id.Account(), Certificate: string(id.ID.Credentials()),
		Serial: hex.EncodeToString(c.SerialNumber.Bytes()), NotBefore: c.NotBefore.UTC(), NotAfter: c.NotAfter.UTC(),
		PreviousSerial: hex.EncodeToString(p.SerialNumber.Bytes()), PreviousNotAfter: p.NotAfter.UTC()}, nil
}

func certOf(id *fabric.Identity) *x509.Certificate {
	block, _ := pem.Decode(id.ID.Credentials())
	cert, _ := x509.ParseCertificate(block.Bytes)
	return cert
}

// newIdentity is a CoreMSP identity of u with a self-signed certificate: of its CSR's key and
// without a signer, or of a new key with a signer.
func newIdentity(u wire.NewUser) (*fabric.Identity, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	var pub crypto.PublicKey = &key.PublicKey
	if u.CSR != "" {
		block, _ := pem.Decode([]byte(u.CSR))
		if block == nil {
			return nil, errors.New("apitest: the CSR is not PEM")
		}
		csr, err := x509.ParseCertificateRequest(block.Bytes)
		if err != nil {
			return nil, err
		}
		pub = csr.PublicKey
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: u.Name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, key)
	if err != nil {
		return nil, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	var keyPEM []byte
	if u.CSR == "" {
		keyDER, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return nil, err
		}
		keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	}
	return fabric.NewIdentity("CoreMSP", u.Name, u.Role, certPEM, keyPEM)
}

package apitest

import (
	"context"
	"sync"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// Admin stands in for the CA user administration: it records the users it was asked to add and
// answers each with its CoreMSP account and the token "recv_new", or with Err.
type Admin struct {
	mu      sync.Mutex
	Added   []wire.NewUser
	Revoked []string
	Err     error
}

// AddUser implements api.UserAdmin.
func (a *Admin) AddUser(_ context.Context, u wire.NewUser) (*wire.NewUserResult, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.Added = append(a.Added, u)
	if a.Err != nil {
		return nil, a.Err
	}
	return &wire.NewUserResult{Name: u.Name, Account: "CoreMSP/" + u.Name, Role: u.Role, Token: "recv_new"}, nil
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
	if a.Err != nil {
		return nil, a.Err
	}
	a.Revoked = append(a.Revoked, name)
	return &wire.RevokeUserResult{Name: name, Account: "CoreMSP/" + name, Serials: []string{"0a1b"}, CRL: "-----BEGIN X509 CRL-----\n"}, nil
}

package service

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/hyperledger/fabric-gateway/pkg/identity"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/auth"
	"github.com/recv-ledger/recv/gateway/ca"
	"github.com/recv-ledger/recv/gateway/fabric"
	"github.com/recv-ledger/recv/gateway/network"
	"github.com/recv-ledger/recv/gateway/statefile"
)

// wallet adds identities to the Fabric client and the authenticator, and keeps users added at
// run time in dir (files 0600) so they come back after a restart. The users revoked through the
// gateway are listed in dir/revoked.list, so that one the gateway was started with (network.json)
// does not come back either.
type wallet struct {
	dir    string
	mspID  string
	fabric *fabric.Client
	auth   *auth.Authenticator
}

func (w *wallet) load(name, role, certPath, keyPath string) error {
	id, err := fabric.LoadIdentity(w.mspID, name, role, certPath, keyPath)
	if err != nil {
		return err
	}
	return w.add(id)
}

func (w *wallet) add(id *fabric.Identity) error {
	if err := w.fabric.AddIdentity(id); err != nil {
		return err
	}
	cert, err := identity.CertificateFromPEM(id.ID.Credentials())
	if err != nil {
		return err
	}
	w.auth.AddCertificate(id.Name, cert)
	return nil
}

// loadSaved loads the users saved by save and replace: dir/<name>/{cert.pem,key.pem,role},
// after finishing a replacement a crash interrupted (finishReplace).
func (w *wallet) loadSaved() error {
	entries, err := os.ReadDir(w.dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	gone, err := w.revoked()
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.IsDir() || gone[e.Name()] {
			continue
		}
		d := filepath.Join(w.dir, e.Name())
		if ok, err := finishReplace(d); err != nil || !ok {
			if err != nil {
				return err
			}
			continue
		}
		role, err := os.ReadFile(filepath.Join(d, "role"))
		if err != nil {
			return err
		}
		// No key.pem: a user enrolled with its own CSR, who signs offline.
		key := filepath.Join(d, "key.pem")
		if _, err := os.Stat(key); errors.Is(err, os.ErrNotExist) {
			key = ""
		}
		if err := w.load(e.Name(), strings.TrimSpace(string(role)), filepath.Join(d, "cert.pem"), key); err != nil {
			return err
		}
	}
	return nil
}

// revokedFile lists the users revoked through the gateway, one name a line.
const revokedFile = "revoked.list" // a dot: never a user name

// revoked returns the users revoked through the gateway.
func (w *wallet) revoked() (map[string]bool, error) {
	raw, err := os.ReadFile(filepath.Join(w.dir, revokedFile))
	if errors.Is(err, os.ErrNotExist) {
		return map[string]bool{}, nil
	}
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, n := range strings.Fields(string(raw)) {
		out[n] = true
	}
	return out, nil
}

// registered returns the role of a user saved in the wallet folder (added at run time).
func (w *wallet) registered(name string) (string, bool) {
	if !safeName(name) {
		return "", false
	}
	role, err := os.ReadFile(filepath.Join(w.dir, name, "role"))
	if err != nil {
		return "", false
	}
	return strings.TrimSpace(string(role)), true
}

// forget takes a user out of the wallet. A user that is there is listed as revoked first (so that
// nothing brings it back at a restart, even if what follows fails), then leaves the Fabric client
// and the authenticator (its tokens and certificate binding) and loses its saved certificate and
// key. A name that is not there is not listed: a mistyped name must not keep a later user of that
// name out.
func (w *wallet) forget(name string) (bool, error) {
	if !safeName(name) {
		return false, errors.New("not a user name: " + name)
	}
	d := filepath.Join(w.dir, name)
	_, inClient := w.fabric.Identity(name)
	_, err := os.Stat(d)
	saved := err == nil
	if !inClient && !saved {
		return false, nil
	}
	gone, err := w.revoked()
	if err != nil {
		return false, err
	}
	if !gone[name] {
		if err := os.MkdirAll(w.dir, 0o700); err != nil {
			return false, err
		}
		f, err := os.OpenFile(filepath.Join(w.dir, revokedFile), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if err != nil {
			return false, err
		}
		_, werr := f.WriteString(name + "\n")
		if err := errors.Join(werr, f.Sync(), f.Close()); err != nil {
			return false, err
		}
	}
	w.fabric.RemoveIdentity(name)
	// The API unbinds the user first (auth.Forget); a renewal that finished in between bound its
	// new certificate again.
	if _, err := w.auth.Forget(name); err != nil {
		return true, err
	}
	if saved {
		if err := os.RemoveAll(d); err != nil {
			return true, err
		}
	}
	return true, nil
}

// safeName: a user name that is one plain path element.
func safeName(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.ContainsAny(name, `/\`)
}

func (w *wallet) save(name, role string, certPEM, keyPEM []byte) error {
	d := filepath.Join(w.dir, name)
	if err := os.MkdirAll(d, 0o700); err != nil {
		return err
	}
	for file, data := range map[string][]byte{"cert.pem": certPEM, "key.pem": keyPEM, "role": []byte(role + "\n")} {
		if data == nil {
			continue // no key: the user signs offline
		}
		if err := os.WriteFile(filepath.Join(d, file), data, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// replace keeps a user's renewed pair in dir/<name>/ in place of the one there (a user of
// network.json gets its entry here, which loadSaved puts in place of network.json's pair at every
// start). The previous key is not kept. Both files are written beside their places first
// (*.new, synced), then the key is renamed into place, then the certificate: a crash leaves
// either the previous pair or the new key with cert.pem.new, which finishReplace completes.
func (w *wallet) replace(name, role string, certPEM, keyPEM []byte) error {
	if !safeName(name) {
		return errors.New("not a user name: " + name)
	}
	d := filepath.Join(w.dir, name)
	if err := statefile.Write(filepath.Join(d, "role"), []byte(role+"\n")); err != nil {
		return err
	}
	key, cert := filepath.Join(d, "key.pem"), filepath.Join(d, "cert.pem")
	if err := writeSynced(key+".new", keyPEM); err != nil {
		return err
	}
	if err := writeSynced(cert+".new", certPEM); err != nil {
		return errors.Join(err, os.Remove(key+".new"))
	}
	if err := os.Rename(key+".new", key); err != nil {
		return errors.Join(err, os.Remove(key+".new"), os.Remove(cert+".new"))
	}
	if err := os.Rename(cert+".new", cert); err != nil {
		return err
	}
	return syncDir(d)
}

// finishReplace completes or undoes a replacement of d's pair that a crash interrupted: with
// both new files there nothing was put in place (the previous pair stays); with cert.pem.new
// alone the new key is in place and its certificate follows. An entry left without a certificate
// (the first renewal of a user of network.json, cut short before its pair was in place) is
// removed: the user keeps network.json's pair. It reports whether d holds a user.
func finishReplace(d string) (bool, error) {
	key, cert := filepath.Join(d, "key.pem.new"), filepath.Join(d, "cert.pem.new")
	_, kerr := os.Stat(key)
	_, cerr := os.Stat(cert)
	var err error
	switch {
	case cerr == nil && kerr != nil:
		err = os.Rename(cert, filepath.Join(d, "cert.pem"))
	case kerr == nil:
		err = errors.Join(os.Remove(key), ignoreMissing(os.Remove(cert)))
	}
	if err != nil {
		return false, err
	}
	if _, err := os.Stat(filepath.Join(d, "cert.pem")); errors.Is(err, os.ErrNotExist) {
		return false, os.RemoveAll(d)
	}
	return true, nil
}

func ignoreMissing(err error) error {
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// writeSynced writes data to a new file at path (0600) and syncs it.
func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	return errors.Join(err, f.Close())
}

// syncDir makes the renames in dir durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(f.Sync(), f.Close())
}

// userAdmin registers, enrolls and renews users with the org's CA (as its registrar, or as the
// user for a renewal).
type userAdmin struct {
	ca        *ca.Client
	registrar ca.Registrar
	wallet    *wallet
	// mu orders the changes of an existing user's wallet entry: a renewal and a removal of the
	// same user never interleave (a renewal must not bring back a user being revoked).
	mu sync.Mutex
}

func newUserAdmin(org network.Org, w *wallet) (*userAdmin, error) {
	client, err := ca.New(org.CA.URL, org.CA.Name, org.CA.TLSCACert)
	if err != nil {
		return nil, err
	}
	cert, err := os.ReadFile(org.CA.AdminCert)
	if err != nil {
		return nil, err
	}
	key, err := os.ReadFile(org.CA.AdminKey)
	if err != nil {
		return nil, err
	}
	return &userAdmin{ca: client, registrar: ca.Registrar{CertPEM: cert, KeyPEM: key}, wallet: w}, nil
}

func (a *userAdmin) AddUser(ctx context.Context, req wire.NewUser) (*wire.NewUserResult, error) {
	// One enrollment per secret (the CAs' maxenrollments is 1 too): the secret is spent here.
	secret, err := a.ca.Register(ctx, a.registrar, ca.Registration{
		Name: req.Name, Secret: req.Secret, MaxEnrollments: 1,
		Attributes: []ca.Attribute{{Name: "recv.role", Value: req.Role, ECert: true}},
	})
	if err != nil {
		return nil, caError(err)
	}
	var certPEM, keyPEM []byte
	if req.CSR != "" {
		// The user's own key made the request: the gateway keeps only the certificate.
		certPEM, err = a.ca.EnrollCSR(ctx, req.Name, secret, []byte(req.CSR))
	} else {
		certPEM, keyPEM, err = a.ca.Enroll(ctx, req.Name, secret)
	}
	if err != nil {
		return nil, caError(err)
	}
	id, err := fabric.NewIdentity(a.wallet.mspID, req.Name, req.Role, certPEM, keyPEM)
	if err != nil {
		return nil, err
	}
	if err := a.wallet.save(req.Name, req.Role, certPEM, keyPEM); err != nil {
		return nil, err
	}
	if err := a.wallet.add(id); err != nil {
		return nil, err
	}
	// No token yet: the API issues it once the account is open.
	res := &wire.NewUserResult{Name: req.Name, Account: id.Account(), Role: req.Role}
	if req.CSR != "" {
		res.Certificate = string(certPEM)
	}
	return res, nil
}

// Registered implements api.UserAdmin: a user this gateway registered is saved in its wallet
// folder.
func (a *userAdmin) Registered(name string) (string, bool) { return a.wallet.registered(name) }

// Forget implements api.UserAdmin.
func (a *userAdmin) Forget(name string) (bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.wallet.forget(name)
}

// RenewUser implements api.UserAdmin: the CA reenrolls the user with its current enrollment (the
// gateway signs the request with the user's key) for a new key made here; the new pair is kept in
// the wallet folder, then put in place of the user's identity in the Fabric client (calls in
// flight finish with the previous one, fabric.Client.AddIdentity) and of its certificate binding.
// Its token is bound to its name and keeps working. Should the wallet folder fail, nothing is
// swapped: the gateway goes on signing with the previous certificate, which stays valid.
func (a *userAdmin) RenewUser(ctx context.Context, name string) (*wire.RenewedUser, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	cur, ok := a.wallet.fabric.Identity(name)
	if !ok {
		return nil, &fabric.Error{Kind: wire.KindNotFound, Stage: "admin", Message: "not_found: no user " + name + " in this gateway's wallet"}
	}
	if cur.Sign == nil {
		return nil, &fabric.Error{Kind: wire.KindConflict, Stage: "admin", Message: "conflict: " + cur.Account() + " signs with its own key, which this gateway does not hold"}
	}
	certPEM, keyPEM, err := a.ca.Reenroll(ctx, ca.Enrolled{CertPEM: cur.ID.Credentials(), Sign: cur.Sign}, name)
	if err != nil {
		return nil, caError(err)
	}
	renewed, err := fabric.NewIdentity(a.wallet.mspID, name, cur.Role, certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("the CA's renewed certificate of %s: %w", name, err)
	}
	if err := a.wallet.replace(name, cur.Role, certPEM, keyPEM); err != nil {
		return nil, fmt.Errorf("the CA renewed the certificate of %s but the wallet folder could not keep it (%w); the gateway still signs with the previous one: renew again", name, err)
	}
	if err := a.wallet.add(renewed); err != nil {
		return nil, fmt.Errorf("the renewed certificate of %s is in the wallet folder but not in use until the gateway restarts: %w", name, err)
	}
	return renewedUser(cur, renewed)
}

// renewedUser describes a renewal: the new certificate and the one it replaced.
func renewedUser(prev, cur *fabric.Identity) (*wire.RenewedUser, error) {
	p, err := identity.CertificateFromPEM(prev.ID.Credentials())
	if err != nil {
		return nil, err
	}
	c, err := identity.CertificateFromPEM(cur.ID.Credentials())
	if err != nil {
		return nil, err
	}
	return &wire.RenewedUser{
		Name: cur.Name, Account: cur.Account(), Certificate: string(cur.ID.Credentials()),
		Serial: hex.EncodeToString(c.SerialNumber.Bytes()), NotBefore: c.NotBefore.UTC(), NotAfter: c.NotAfter.UTC(),
		PreviousSerial: hex.EncodeToString(p.SerialNumber.Bytes()), PreviousNotAfter: p.NotAfter.UTC(),
	}, nil
}

// RevokeUser revokes the user's certificates at the organisation's CA and returns the CA's new
// CRL; the API has taken the user out of the gateway before (Forget). What stops the certificate
// elsewhere is the channel, once the CRL is in the organisation's MSP.
func (a *userAdmin) RevokeUser(ctx context.Context, name, reason string) (*wire.RevokeUserResult, error) {
	rev, err := a.ca.Revoke(ctx, a.registrar, name, reason)
	if err != nil {
		return nil, caError(err)
	}
	serials := rev.Serials
	if serials == nil {
		serials = []string{}
	}
	return &wire.RevokeUserResult{Name: name, Account: wire.AccountID(a.wallet.mspID, name), Serials: serials, CRL: string(rev.CRL)}, nil
}

// caError maps a CA refusal: an identity that already exists is a conflict, other refusals are
// invalid requests; transport failures stay internal.
func caError(err error) error {
	var ce *ca.Error
	if !errors.As(err, &ce) {
		return err
	}
	kind := wire.KindInvalid
	if strings.Contains(ce.Message, "already registered") {
		kind = wire.KindConflict
	} else if ce.Status == http.StatusUnauthorized || ce.Status == http.StatusForbidden {
		kind = wire.KindForbidden
	}
	return &fabric.Error{Kind: kind, Stage: "ca", Message: (&wire.Error{Kind: kind, Message: ce.Message}).Error(), Err: err}
}

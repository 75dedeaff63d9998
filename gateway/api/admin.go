package api

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"strings"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/fabric"
)

// The transactions of user registration, named by the operation table.
var (
	getOrgOp      = mustOp("get-org")
	getAccountOp  = mustOp("get-account")
	openAccountOp = mustOp("open-account")
)

func mustOp(name string) *wire.Op {
	op, ok := wire.Lookup(name)
	if !ok {
		panic("api: no operation " + name + " in the wire contract")
	}
	return op
}

// addUser registers a user of the gateway's organisation and opens its account on the ledger,
// as the calling admin, and only then issues its token. Everything that can refuse without writing
// runs first (the role against the organisation's kind in the registry, an account that already
// exists), so that a refusal leaves the CA, the wallet and the ledger as they were. A registration
// that stopped after the CA step (the account could not be opened) is finished by the same request
// again: see resumeUser.
func (s *Server) addUser(w http.ResponseWriter, r *http.Request) {
	admin, req, err := s.newUserRequest(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ctx, cancel := s.withTimeout(r)
	defer cancel()
	var res *wire.NewUserResult
	if req.Browser {
		res, err = s.addBrowserUser(ctx, admin, req)
	} else {
		res, err = s.register(ctx, admin, req)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, res)
}

// register is a registration's work once its request is read: the CA, the wallet, the account,
// then the token; or resumeUser for a user already in the wallet.
func (s *Server) register(ctx context.Context, admin *fabric.Identity, req wire.NewUser) (*wire.NewUserResult, error) {
	if _, inWallet := s.ledger.Identity(req.Name); inWallet {
		return s.resumeUser(ctx, admin, req)
	}
	if err := s.checkNewAccount(ctx, admin, req); err != nil {
		return nil, err
	}
	res, err := s.cfg.Admin.AddUser(ctx, req)
	if err != nil {
		return nil, err
	}
	if err := s.openAccount(ctx, admin, req); err != nil {
		s.log.Warn("user added without its account", "name", req.Name, "role", req.Role, "by", admin.Name, "err", err)
		return nil, accountNotOpened(req, err)
	}
	return s.issueFirstToken(admin, res)
}

// resumeUser finishes a registration that stopped after the CA step. The user is in the wallet
// folder, so this gateway registered and enrolled it: the CA is not asked again (its one-time
// secret is spent). With the same role (and, for a user with its own key, a CSR of the same key),
// the account is opened when it is not on the ledger yet, and the token is issued. A user whose
// account is open and who has a token is registered already: nothing is changed.
func (s *Server) resumeUser(ctx context.Context, admin *fabric.Identity, req wire.NewUser) (*wire.NewUserResult, error) {
	role, ours := s.cfg.Admin.Registered(req.Name)
	if !ours {
		return nil, &Failure{Kind: wire.KindConflict, Stage: "admin", Message: "conflict: user " + req.Name + " is already in the wallet"}
	}
	if role != req.Role {
		return nil, wire.Errorf(wire.KindConflict, "user %s was registered with role %s; finish its registration with --role %s", req.Name, role, role)
	}
	id, _ := s.ledger.Identity(req.Name)
	if req.CSR != "" {
		if err := sameKey(req.CSR, id); err != nil {
			return nil, err
		}
	}
	if err := s.checkRole(ctx, admin, req.Role); err != nil {
		return nil, err
	}
	account, err := s.existingAccount(ctx, admin, req.Name)
	if err != nil {
		return nil, err
	}
	switch {
	case account == nil:
		if err := s.openAccount(ctx, admin, req); err != nil {
			s.log.Warn("user still without its account", "name", req.Name, "role", req.Role, "by", admin.Name, "err", err)
			return nil, accountNotOpened(req, err)
		}
	case account.Status == wire.AccountOpen && account.Role == req.Role && !s.cfg.Auth.Tokens.Has(req.Name):
		// The account committed after the first answer (pending), or was opened by hand.
	default:
		return nil, wire.Errorf(wire.KindConflict, "user %s is registered and its account %s is on the ledger (%s, role %s): nothing to finish; a new token: recv user token %s",
			req.Name, account.ID, account.Status, account.Role, req.Name)
	}
	res := &wire.NewUserResult{Name: req.Name, Account: id.Account(), Role: role, Resumed: true}
	if id.Sign == nil {
		res.Certificate = string(id.ID.Credentials())
	}
	return s.issueFirstToken(admin, res)
}

// issueFirstToken issues the token of a user whose account is open; the answer shows it this
// once.
func (s *Server) issueFirstToken(admin *fabric.Identity, res *wire.NewUserResult) (*wire.NewUserResult, error) {
	token, err := s.cfg.Auth.Tokens.Reissue(res.Name)
	if err != nil {
		return nil, &Failure{Kind: wire.KindInternal, Stage: "admin", Err: err,
			Message: fmt.Sprintf("user %s is registered and its account %s is open, but no token could be issued (%v); issue one with: recv user token %s", res.Name, res.Account, err, res.Name)}
	}
	res.Token = token
	s.log.Info("user added", "name", res.Name, "role", res.Role, "by", admin.Name, "resumed", res.Resumed)
	return res, nil
}

// errNoAdmin answers a user administration asked of a gateway that has none.
var errNoAdmin = &Failure{Kind: wire.KindNotFound, Stage: "admin", Message: "not_found: user administration is not enabled on this gateway"}

// adminCaller is the calling identity when it is an admin of the organisation.
func (s *Server) adminCaller(r *http.Request, what string) (*fabric.Identity, error) {
	admin, ok := s.ledger.Identity(caller(r))
	if !ok || admin.Role != wire.RoleAdmin {
		return nil, &Failure{Kind: wire.KindForbidden, Stage: "admin", Message: "forbidden: only an identity with role admin may " + what}
	}
	return admin, nil
}

// adminOnUser is the calling admin (adminCaller) and the user the request's path names.
func (s *Server) adminOnUser(r *http.Request, what string) (*fabric.Identity, string, error) {
	admin, err := s.adminCaller(r, what)
	if err != nil {
		return nil, "", err
	}
	name := r.PathValue("name")
	if !validUserName(name) {
		return nil, "", badRequest("name ([A-Za-z0-9_-]{1,64}) is required")
	}
	return admin, name, nil
}

// newUserRequest reads a registration and checks what needs no ledger: administration is on, the
// caller is an admin, the name and role are well formed, a CSR is the user's own.
func (s *Server) newUserRequest(r *http.Request) (*fabric.Identity, wire.NewUser, error) {
	var req wire.NewUser
	if s.cfg.Admin == nil {
		return nil, req, errNoAdmin
	}
	admin, err := s.adminCaller(r, "add users")
	if err != nil {
		return nil, req, err
	}
	body, err := readBody(r)
	if err != nil {
		return nil, req, err
	}
	if err := wire.DecodeStrict(body, &req); err != nil {
		return nil, req, err
	}
	if !validUserName(req.Name) || req.Role == "" {
		return nil, req, badRequest("name ([A-Za-z0-9_-]{1,64}) and role are required")
	}
	if req.Browser && (req.CSR != "" || req.Secret != "") {
		return nil, req, badRequest("browser: the user's browser makes its key and request at enrollment; give neither csr nor secret")
	}
	if req.CSR != "" {
		if err := checkCSR(req.CSR, req.Name); err != nil {
			return nil, req, err
		}
	}
	return admin, req, nil
}

// checkCSR: a PEM certificate signing request for name, signed by the key it carries.
func checkCSR(csrPEM, name string) error {
	block, _ := pem.Decode([]byte(csrPEM))
	if block == nil || block.Type != "CERTIFICATE REQUEST" {
		return badRequest("csr: not a PEM CERTIFICATE REQUEST")
	}
	csr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		return badRequest("csr: " + err.Error())
	}
	if err := csr.CheckSignature(); err != nil {
		return badRequest("csr: its signature does not verify: " + err.Error())
	}
	if _, ok := csr.PublicKey.(*ecdsa.PublicKey); !ok {
		return badRequest("csr: its key is not an ECDSA key (Fabric signs with ECDSA)")
	}
	if csr.Subject.CommonName != name {
		return badRequest(fmt.Sprintf("csr: its common name %q is not the user's name %q", csr.Subject.CommonName, name))
	}
	return nil
}

// sameKey: a resumed registration with a CSR must come from the key the user was enrolled with.
func sameKey(csrPEM string, id *fabric.Identity) error {
	block, _ := pem.Decode([]byte(csrPEM))
	csr, err := x509.ParseCertificateRequest(block.Bytes) // checkCSR parsed it already
	if err != nil {
		return badRequest("csr: " + err.Error())
	}
	certBlock, _ := pem.Decode(id.ID.Credentials())
	if certBlock == nil {
		return &Failure{Kind: wire.KindInternal, Stage: "admin", Message: "the wallet's certificate of " + id.Name + " is not PEM"}
	}
	cert, err := x509.ParseCertificate(certBlock.Bytes)
	if err != nil {
		return &Failure{Kind: wire.KindInternal, Stage: "admin", Message: "the wallet's certificate of " + id.Name + ": " + err.Error()}
	}
	pub, ok := cert.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(csr.PublicKey) {
		return wire.Errorf(wire.KindConflict, "user %s was enrolled with another key than this CSR's; finish its registration with the key made the first time (the same --key-out file)", id.Name)
	}
	return nil
}

// revokeUser takes a user of the gateway's organisation out (role admin): first at the gateway,
// at once (its tokens, its certificate binding and its wallet entry, with the key the gateway held
// for it), then at the CA, which revokes its certificates; the answer carries the CA's new CRL,
// which an update of the channel configuration puts into the organisation's MSP.
func (s *Server) revokeUser(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Admin == nil {
		s.writeError(w, r, errNoAdmin)
		return
	}
	admin, name, err := s.adminOnUser(r, "revoke users")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req wire.RevokeUser
	body, err := readBody(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if len(body) > 0 {
		if err := wire.DecodeStrict(body, &req); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	if name == s.cfg.ServiceIdentity {
		s.writeError(w, r, wire.Errorf(wire.KindConflict, "%s is the identity this gateway signs its own checks with (--service-user); restart the gateway with another before revoking it", name))
		return
	}
	// A browser registration not enrolled yet exists only here: its code stops working, and the
	// CA, which never heard of the user, is not asked.
	pending, err := s.enrollments.cancel(name)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	removed, err := s.forgetUser(name)
	if err == nil && pending && !removed {
		s.log.Info("browser registration cancelled before its enrollment", "name", name, "by", admin.Name)
		writeJSON(w, http.StatusOK, &wire.RevokeUserResult{Name: name, Account: wire.AccountID(mspOf(admin), name), Serials: []string{}, RemovedFromGateway: true})
		return
	}
	removed = removed || pending
	if err != nil {
		s.writeError(w, r, &Failure{Kind: wire.KindInternal, Stage: "admin", Err: err,
			Message: fmt.Sprintf("user %s could not be removed from this gateway (%v); nothing was asked of the CA: run recv user revoke %s again", name, err, name)})
		return
	}
	ctx, cancel := s.withTimeout(r)
	defer cancel()
	res, err := s.cfg.Admin.RevokeUser(ctx, name, req.Reason)
	if err != nil {
		f := kindOf(err)
		s.log.Warn("user removed from the gateway, not revoked at the CA", "name", name, "by", admin.Name, "err", err)
		s.writeError(w, r, &Failure{Kind: f.Kind, Stage: f.Stage, Err: err,
			Message: fmt.Sprintf("%s: user %s no longer authenticates at this gateway (its tokens and wallet entry are removed), but the CA did not revoke it (%s); run recv user revoke %s again",
				f.Kind, name, f.Message, name)})
		return
	}
	res.RemovedFromGateway = removed
	s.log.Info("user revoked", "name", name, "serials", res.Serials, "removedFromGateway", removed, "by", admin.Name)
	writeJSON(w, http.StatusOK, res)
}

// forgetUser removes a user from the gateway: its tokens and certificate binding (it stops
// authenticating at once), then its wallet entry.
func (s *Server) forgetUser(name string) (bool, error) {
	authRemoved, err := s.cfg.Auth.Forget(name)
	if err != nil {
		return false, err
	}
	walletRemoved, err := s.cfg.Admin.Forget(name)
	return authRemoved || walletRemoved, err
}

// userToken issues a new bearer token to a user of the wallet (role admin) and answers it, shown
// this once; the user's previous token stops working at once. It needs no CA.
func (s *Server) userToken(w http.ResponseWriter, r *http.Request) {
	admin, name, err := s.adminOnUser(r, "issue tokens")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	id, ok := s.ledger.Identity(name)
	if !ok {
		s.writeError(w, r, &Failure{Kind: wire.KindNotFound, Stage: "admin", Message: "not_found: no user " + name + " in this gateway's wallet"})
		return
	}
	token, err := s.cfg.Auth.Tokens.Reissue(name)
	if err != nil {
		s.writeError(w, r, &Failure{Kind: wire.KindInternal, Stage: "admin", Err: err, Message: "the new token could not be issued or kept (the old one may already be refused): " + err.Error() + "; ask again for a new token"})
		return
	}
	s.log.Info("token reissued", "name", name, "by", admin.Name)
	writeJSON(w, http.StatusOK, wire.UserToken{Name: name, Account: id.Account(), Token: token})
}

// checkNewAccount refuses a role the organisation's kind does not allow (read from the registry
// on the ledger, as the chaincode will check it) and an account that is already on the ledger.
func (s *Server) checkNewAccount(ctx context.Context, admin *fabric.Identity, req wire.NewUser) error {
	if err := s.checkRole(ctx, admin, req.Role); err != nil {
		return err
	}
	existing, err := s.existingAccount(ctx, admin, req.Name)
	if err != nil || existing == nil {
		return err
	}
	return wire.Errorf(wire.KindConflict, "account %s is already on the ledger (%s); choose another name", existing.ID, existing.Status)
}

// checkRole refuses a role the organisation's kind in the registry does not allow.
func (s *Server) checkRole(ctx context.Context, admin *fabric.Identity, role string) error {
	msp := mspOf(admin)
	raw, err := s.ledger.Evaluate(ctx, admin.Name, getOrgOp.Tx, msp)
	if err != nil {
		return err
	}
	var org wire.Org
	if err := json.Unmarshal(raw, &org); err != nil || org.Kind == "" {
		return &Failure{Kind: wire.KindInternal, Stage: "admin", Message: "the registry's answer for " + msp + " names no kind"}
	}
	if !org.Kind.Allows(role) {
		return wire.Errorf(wire.KindInvalid, "role %q is not allowed in %s, a %s organisation (allowed: %s)",
			role, msp, org.Kind, strings.Join(wire.KindRoles[org.Kind], ", "))
	}
	return nil
}

// existingAccount reads the account of user in the admin's organisation: nil when it is not on
// the ledger.
func (s *Server) existingAccount(ctx context.Context, admin *fabric.Identity, user string) (*wire.Account, error) {
	account := wire.AccountID(mspOf(admin), user)
	raw, err := s.ledger.Evaluate(ctx, admin.Name, getAccountOp.Tx, account)
	if err != nil {
		if kindOf(err).Kind == wire.KindNotFound {
			return nil, nil
		}
		return nil, err
	}
	existing := wire.Account{ID: account}
	_ = json.Unmarshal(raw, &existing)
	if existing.ID == "" {
		existing.ID = account
	}
	return &existing, nil
}

// openAccount submits OpenAccount for the new user as the calling admin, with the same arguments
// as POST /v1/accounts would.
func (s *Server) openAccount(ctx context.Context, admin *fabric.Identity, req wire.NewUser) error {
	body, err := json.Marshal(wire.AccountRequest{User: req.Name, Role: req.Role})
	if err != nil {
		return err
	}
	args, err := openAccountOp.Args(wire.Request{Body: body})
	if err != nil {
		return err
	}
	_, err = s.ledger.Submit(ctx, admin.Name, openAccountOp.Tx, args, nil, nil)
	return err
}

// accountNotOpened says what a failed OpenAccount left behind (the CA identity and the wallet
// entry, no account, no token), and how to finish: the same registration again.
func accountNotOpened(req wire.NewUser, err error) error {
	again := "recv user register " + req.Name + " --role " + req.Role
	if req.Browser {
		again = "the same enrollment in the web console, from the same browser"
	} else if req.CSR != "" {
		again += " --key-out <the same key file>"
	}
	if fe, ok := fabric.Pending(err); ok {
		// Still the ledger's pending outcome, reworded: writeError answers it 202.
		return &fabric.Error{Kind: fe.Kind, Stage: fe.Stage, TransactionID: fe.TransactionID, Err: err,
			Message: fmt.Sprintf("user %s is registered with the CA and in the gateway's wallet; its account was sent to the ledger and may still open (%s), and no token is issued yet; to finish, run the same registration again (%s): it opens the account if transaction %s did not, and issues the token, without the CA",
				req.Name, fe.Message, again, fe.TransactionID)}
	}
	f := kindOf(err)
	return &Failure{
		Kind: f.Kind, Stage: f.Stage, TransactionID: f.TransactionID, ValidationCode: f.ValidationCode, Err: err,
		Message: fmt.Sprintf("%s: user %s is registered with the CA and in the gateway's wallet, but its account was not opened on the ledger (%s) and no token is issued; to finish, run the same registration again (%s): it opens the account and issues the token, without the CA",
			f.Kind, req.Name, f.Message, again),
	}
}

// mspOf is the organisation of a wallet identity.
func mspOf(id *fabric.Identity) string {
	if id.ID == nil {
		return ""
	}
	return id.ID.MspID()
}

func validUserName(n string) bool {
	if n == "" || len(n) > 64 {
		return false
	}
	for _, c := range n {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

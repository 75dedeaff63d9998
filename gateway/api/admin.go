package api

import (
	"context"
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
// as the calling admin. Everything that can refuse without writing runs first (the role against
// the organisation's kind in the registry, an account that already exists), so that a refusal
// leaves the CA, the wallet and the ledger as they were.
func (s *Server) addUser(w http.ResponseWriter, r *http.Request) {
	admin, req, err := s.newUserRequest(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ctx, cancel := s.withTimeout(r)
	defer cancel()
	if err := s.checkNewAccount(ctx, admin, req); err != nil {
		s.writeError(w, r, err)
		return
	}
	res, err := s.cfg.Admin.AddUser(ctx, req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.openAccount(ctx, admin, req); err != nil {
		s.log.Warn("user added without its account", "name", req.Name, "role", req.Role, "by", admin.Name, "err", err)
		s.writeError(w, r, accountNotOpened(req, err))
		return
	}
	s.log.Info("user added", "name", res.Name, "role", res.Role, "by", admin.Name)
	writeJSON(w, http.StatusCreated, res)
}

// newUserRequest reads a registration and checks what needs no ledger: administration is on, the
// caller is an admin, the name and role are well formed and the name is not in the wallet.
func (s *Server) newUserRequest(r *http.Request) (*fabric.Identity, wire.NewUser, error) {
	var req wire.NewUser
	if s.cfg.Admin == nil {
		return nil, req, &fabric.Error{Kind: wire.KindNotFound, Stage: "admin", Message: "not_found: user administration is not enabled on this gateway"}
	}
	admin, ok := s.ledger.Identity(caller(r))
	if !ok || admin.Role != wire.RoleAdmin {
		return nil, req, &fabric.Error{Kind: wire.KindForbidden, Stage: "admin", Message: "forbidden: only an identity with role admin may add users"}
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
	if _, exists := s.ledger.Identity(req.Name); exists {
		return nil, req, &fabric.Error{Kind: wire.KindConflict, Stage: "admin", Message: "conflict: user " + req.Name + " is already in the wallet"}
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
	if csr.Subject.CommonName != name {
		return badRequest(fmt.Sprintf("csr: its common name %q is not the user's name %q", csr.Subject.CommonName, name))
	}
	return nil
}

// revokeUser revokes a user of the gateway's organisation at its CA (role admin) and answers with
// the CA's new CRL, which an update of the channel configuration puts into the organisation's MSP.
func (s *Server) revokeUser(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Admin == nil {
		s.writeError(w, r, &fabric.Error{Kind: wire.KindNotFound, Stage: "admin", Message: "not_found: user administration is not enabled on this gateway"})
		return
	}
	admin, ok := s.ledger.Identity(caller(r))
	if !ok || admin.Role != wire.RoleAdmin {
		s.writeError(w, r, &fabric.Error{Kind: wire.KindForbidden, Stage: "admin", Message: "forbidden: only an identity with role admin may revoke users"})
		return
	}
	name := r.PathValue("name")
	if !validUserName(name) {
		s.writeError(w, r, badRequest("name ([A-Za-z0-9_-]{1,64}) is required"))
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
	ctx, cancel := s.withTimeout(r)
	defer cancel()
	res, err := s.cfg.Admin.RevokeUser(ctx, name, req.Reason)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.log.Info("user revoked", "name", name, "serials", res.Serials, "by", admin.Name)
	writeJSON(w, http.StatusOK, res)
}

// checkNewAccount refuses a role the organisation's kind does not allow (read from the registry
// on the ledger, as the chaincode will check it) and an account that is already on the ledger.
func (s *Server) checkNewAccount(ctx context.Context, admin *fabric.Identity, req wire.NewUser) error {
	msp := mspOf(admin)
	raw, err := s.ledger.Evaluate(ctx, admin.Name, getOrgOp.Tx, msp)
	if err != nil {
		return err
	}
	var org wire.Org
	if err := json.Unmarshal(raw, &org); err != nil || org.Kind == "" {
		return &fabric.Error{Kind: wire.KindInternal, Stage: "admin", Message: "the registry's answer for " + msp + " names no kind"}
	}
	if !org.Kind.Allows(req.Role) {
		return wire.Errorf(wire.KindInvalid, "role %q is not allowed in %s, a %s organisation (allowed: %s)",
			req.Role, msp, org.Kind, strings.Join(wire.KindRoles[org.Kind], ", "))
	}
	account := msp + "/" + req.Name
	raw, err = s.ledger.Evaluate(ctx, admin.Name, getAccountOp.Tx, account)
	if err != nil {
		if kindOf(err).Kind == wire.KindNotFound {
			return nil
		}
		return err
	}
	var existing wire.Account
	_ = json.Unmarshal(raw, &existing)
	return wire.Errorf(wire.KindConflict, "account %s is already on the ledger (%s); choose another name", account, existing.Status)
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

// accountNotOpened says what a failed OpenAccount left behind, and how to finish.
func accountNotOpened(req wire.NewUser, err error) error {
	if fe, ok := fabric.Pending(err); ok {
		return &fabric.Error{Kind: fe.Kind, Stage: fe.Stage, TransactionID: fe.TransactionID, Err: err,
			Message: fmt.Sprintf("user %s is registered with the CA and in the gateway's wallet; its account was sent to the ledger and may still open (%s); should transaction %s end invalid, open it with: recv account open %s --role %s",
				req.Name, fe.Message, fe.TransactionID, req.Name, req.Role)}
	}
	fe := kindOf(err)
	return &fabric.Error{
		Kind: fe.Kind, Stage: fe.Stage, TransactionID: fe.TransactionID, ValidationCode: fe.ValidationCode, Err: err,
		Message: fmt.Sprintf("%s: user %s is registered with the CA and in the gateway's wallet, but its account was not opened on the ledger (%s); open it with: recv account open %s --role %s",
			fe.Kind, req.Name, fe.Message, req.Name, req.Role),
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

package api

import (
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"net/http"
	"sort"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// walletNames lists the wallet's users by name (fabric.Client implements it).
type walletNames interface {
	Names() []string
}

// listUsers answers the users of the gateway's wallet with their certificates' expiry (role
// admin), the first to expire first: what to renew, and who renews it.
func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	if _, err := s.adminCaller(r, "list the wallet's users"); err != nil {
		s.writeError(w, r, err)
		return
	}
	wallet, ok := s.ledger.(walletNames)
	if !ok {
		s.writeError(w, r, &Failure{Kind: wire.KindNotFound, Stage: "admin", Message: "not_found: this gateway lists no wallet"})
		return
	}
	out := wire.WalletUsers{Users: []wire.WalletUser{}}
	for _, name := range wallet.Names() {
		id, ok := s.ledger.Identity(name)
		if !ok {
			continue // removed meanwhile
		}
		u := wire.WalletUser{Name: name, Account: id.Account(), Role: id.Role, KeyHeldByGateway: id.Sign != nil}
		if block, _ := pem.Decode(id.ID.Credentials()); block != nil {
			if cert, err := x509.ParseCertificate(block.Bytes); err == nil {
				u.Serial, u.NotAfter = hex.EncodeToString(cert.SerialNumber.Bytes()), cert.NotAfter.UTC()
			}
		}
		out.Users = append(out.Users, u)
	}
	sort.SliceStable(out.Users, func(i, j int) bool { return out.Users[i].NotAfter.Before(out.Users[j].NotAfter) })
	writeJSON(w, http.StatusOK, out)
}

// renewUser renews the enrollment certificate of a user of the gateway's organisation whose key
// the gateway holds (role admin), without a restart: the CA reenrolls it for a new key made here,
// and the gateway signs for the user with the new pair from the next call on. A user whose key is
// held elsewhere (it signs with --sign-with, or in its browser) is refused before the CA is asked:
// the gateway cannot sign its reenrollment, and must never hold its new key.
func (s *Server) renewUser(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Admin == nil {
		s.writeError(w, r, &Failure{Kind: wire.KindNotFound, Stage: "admin", Message: "not_found: user administration is not enabled on this gateway"})
		return
	}
	admin, err := s.adminCaller(r, "renew users' certificates")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	name := r.PathValue("name")
	if !validUserName(name) {
		s.writeError(w, r, badRequest("name ([A-Za-z0-9_-]{1,64}) is required"))
		return
	}
	body, err := readBody(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if len(body) > 0 {
		var none struct{}
		if err := wire.DecodeStrict(body, &none); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	if err := renewable(s.ledger, name); err != nil {
		s.writeError(w, r, err)
		return
	}
	ctx, cancel := s.withTimeout(r)
	defer cancel()
	res, err := s.cfg.Admin.RenewUser(ctx, name)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.log.Info("user's certificate renewed", "name", name, "serial", res.Serial, "notAfter", res.NotAfter,
		"previousSerial", res.PreviousSerial, "by", admin.Name)
	writeJSON(w, http.StatusOK, res)
}

// renewable refuses what the gateway cannot renew: a user not in its wallet (404) and a user
// whose key it does not hold (409).
func renewable(ledger Ledger, name string) error {
	id, ok := ledger.Identity(name)
	if !ok {
		return &Failure{Kind: wire.KindNotFound, Stage: "admin", Message: "not_found: no user " + name + " in this gateway's wallet"}
	}
	if id.Sign == nil {
		return &Failure{Kind: wire.KindConflict, Stage: "admin", Message: fmt.Sprintf(
			"conflict: %s signs with its own key (recv --sign-with, or its browser's), which this gateway does not hold: "+
				"the gateway can neither sign its reenrollment nor keep its new key; the user renews its certificate itself "+
				"(docs/operations.md, \"A user's enrollment certificate\")", id.Account())}
	}
	return nil
}

package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/auth"
	"github.com/recv-ledger/recv/gateway/fabric"
	"github.com/recv-ledger/recv/gateway/statefile"
)

// DefaultEnrollmentTTL is how long a browser enrollment code can be used.
const DefaultEnrollmentTTL = 24 * time.Hour

// enrollRoute is the route failed enrollments are logged and counted under.
const enrollRoute = "POST /v1/enroll"

// enrollment is a registration waiting for its user's browser: who, with which role, registered
// by which admin (whose identity opens the account), the SHA-256 of the one-time code, and until
// when it may be used.
type enrollment struct {
	Name    string    `json:"name"`
	Role    string    `json:"role"`
	Admin   string    `json:"admin"`
	SHA256  string    `json:"sha256"`
	Expires time.Time `json:"expires"`
}

// Enrollments keeps the waiting registrations, persisted (0600) so that a restart keeps them; no
// code is ever stored, only its hash. A code is spent by the enrollment that succeeds; one that
// fails (a bad request, the ledger down) leaves it usable until it expires, so the same browser
// can finish. An enrollment in progress holds its name, so one code enrolls at most once.
type Enrollments struct {
	path string
	ttl  time.Duration
	now  func() time.Time

	mu     sync.Mutex
	byName map[string]enrollment
	busy   map[string]bool
}

// OpenEnrollments loads the registrations kept at path (none yet: empty; "": in memory only);
// a code can be used for ttl (0: DefaultEnrollmentTTL).
func OpenEnrollments(path string, ttl time.Duration) (*Enrollments, error) {
	if ttl <= 0 {
		ttl = DefaultEnrollmentTTL
	}
	e := &Enrollments{path: path, ttl: ttl, now: time.Now, byName: map[string]enrollment{}, busy: map[string]bool{}}
	if path == "" {
		return e, nil
	}
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return e, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read enrollment codes: %w", err)
	}
	var list []enrollment
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("parse enrollment codes %s: %w", path, err)
	}
	for _, en := range list {
		e.byName[en.Name] = en
	}
	return e, nil
}

func hashCode(code string) string {
	sum := sha256.Sum256([]byte(code))
	return hex.EncodeToString(sum[:])
}

// add records a registration and returns its new code, which replaces any earlier code of name.
func (e *Enrollments) add(name, role, admin string) (string, time.Time, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", time.Time{}, err
	}
	code := "enroll_" + base64.RawURLEncoding.EncodeToString(b)
	en := enrollment{Name: name, Role: role, Admin: admin, SHA256: hashCode(code), Expires: e.now().Add(e.ttl).UTC().Truncate(time.Second)}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.busy[name] {
		return "", time.Time{}, wire.Errorf(wire.KindConflict, "user %s is enrolling right now; try again in a minute", name)
	}
	old, had := e.byName[name]
	e.byName[name] = en
	if err := e.saveLocked(); err != nil {
		if had {
			e.byName[name] = old
		} else {
			delete(e.byName, name)
		}
		return "", time.Time{}, err
	}
	return code, en.Expires, nil
}

// errBadCode is every refusal of a code: unknown name, wrong code, expired, in use. One message,
// so that an answer tells a guesser nothing.
var errBadCode = errors.New("no enrollment waits under this name and code (wrong, used or expired: ask your admin for a new one)")

// claim holds the registration of name for one enrollment when code is its code and has not
// expired; release or spend ends the hold.
func (e *Enrollments) claim(name, code string) (enrollment, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	en, ok := e.byName[name]
	if !ok || e.busy[name] || subtle.ConstantTimeCompare([]byte(en.SHA256), []byte(hashCode(code))) != 1 {
		return enrollment{}, errBadCode
	}
	if !e.now().Before(en.Expires) {
		return enrollment{}, errBadCode
	}
	e.busy[name] = true
	return en, nil
}

// release ends a hold without spending the code.
func (e *Enrollments) release(name string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.busy, name)
}

// spend ends a hold and removes the registration: its code is used.
func (e *Enrollments) spend(name string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.busy, name)
	delete(e.byName, name)
	return e.saveLocked()
}

// cancel removes name's waiting registration, so that its code enrolls nobody (a revocation
// before the user enrolled). One being enrolled right now is a conflict: revoke again after it.
func (e *Enrollments) cancel(name string) (bool, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.busy[name] {
		return false, wire.Errorf(wire.KindConflict, "user %s is enrolling right now; revoke it again in a minute", name)
	}
	en, ok := e.byName[name]
	if !ok {
		return false, nil
	}
	delete(e.byName, name)
	if err := e.saveLocked(); err != nil {
		e.byName[name] = en
		return false, err
	}
	return true, nil
}

// saveLocked writes the registrations still usable (expired ones are dropped).
func (e *Enrollments) saveLocked() error {
	now := e.now()
	list := []enrollment{}
	for name, en := range e.byName {
		if !now.Before(en.Expires) && !e.busy[name] {
			delete(e.byName, name)
			continue
		}
		list = append(list, en)
	}
	if e.path == "" {
		return nil
	}
	data, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return err
	}
	return statefile.Write(e.path, data)
}

// addBrowserUser registers a user who will enroll with a key its browser keeps: what can be
// refused without the CA is checked now (the role against the organisation's kind, a name the
// wallet or the ledger has already), and a one-time code is answered; the CA is asked only when
// the user enrolls (enroll).
func (s *Server) addBrowserUser(ctx context.Context, admin *fabric.Identity, req wire.NewUser) (*wire.NewUserResult, error) {
	if _, inWallet := s.ledger.Identity(req.Name); inWallet {
		return nil, wire.Errorf(wire.KindConflict, "user %s is already in the wallet; a browser enrollment is for a new user", req.Name)
	}
	if err := s.checkNewAccount(ctx, admin, req); err != nil {
		return nil, err
	}
	code, expires, err := s.enrollments.add(req.Name, req.Role, admin.Name)
	if err != nil {
		return nil, err
	}
	s.log.Info("browser enrollment opened", "name", req.Name, "role", req.Role, "by", admin.Name, "expires", expires)
	return &wire.NewUserResult{Name: req.Name, Account: wire.AccountID(mspOf(admin), req.Name), Role: req.Role,
		EnrollmentCode: code, EnrollmentExpires: &expires}, nil
}

// enroll finishes a browser registration (POST /v1/enroll, no credential but the code): the
// name and one-time code, and a CSR for the name made with the browser's key. The CA enrolls the
// CSR, the wallet keeps the certificate only, the account is opened as the admin who registered
// the user (a registration that stopped after the CA step is resumed, with a CSR of the same
// key), and the answer carries the user's token and certificate. A wrong code is counted against
// the caller's address like a failed authentication.
func (s *Server) enroll(w http.ResponseWriter, r *http.Request) {
	source := auth.Source(r)
	if blocked, wait := s.cfg.Auth.Limiter.Blocked(source); blocked {
		w.Header().Set("Retry-After", fmt.Sprint(int(wait/time.Second)))
		s.writeError(w, r, &Failure{Kind: wire.KindRateLimited, Stage: "auth",
			Message: "rate_limited: too many failed authentications from this address; try again after Retry-After seconds"})
		return
	}
	body, err := readBody(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req wire.BrowserEnrollment
	if err := wire.DecodeStrict(body, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if s.cfg.Admin == nil {
		s.writeError(w, r, errNoAdmin)
		return
	}
	en, err := s.enrollments.claim(req.Name, req.Code)
	if err != nil {
		s.cfg.Auth.Limiter.Fail(source)
		s.log.Warn("enrollment refused", "source", source, "route", enrollRoute, "name", req.Name, "reason", "unknown, used or expired code")
		s.writeError(w, r, &Failure{Kind: wire.KindUnauthenticated, Stage: "auth", Message: "unauthenticated: " + err.Error()})
		return
	}
	res, err := s.enrollClaimed(r, en, req.CSR)
	if err != nil {
		s.enrollments.release(en.Name)
		s.writeError(w, r, err)
		return
	}
	if err := s.enrollments.spend(en.Name); err != nil {
		s.log.Error("enrollment code used but not removed from the file", "name", en.Name, "err", err)
	}
	s.log.Info("browser user enrolled", "name", en.Name, "role", en.Role, "source", source)
	writeJSON(w, http.StatusCreated, res)
}

func (s *Server) enrollClaimed(r *http.Request, en enrollment, csr string) (*wire.NewUserResult, error) {
	if err := checkCSR(csr, en.Name); err != nil {
		return nil, err
	}
	admin, ok := s.ledger.Identity(en.Admin)
	if !ok || admin.Role != wire.RoleAdmin {
		return nil, &Failure{Kind: wire.KindForbidden, Stage: "admin",
			Message: "forbidden: the admin who registered " + en.Name + " (" + en.Admin + ") is no longer an admin of this gateway; ask another admin to register the user again"}
	}
	ctx, cancel := s.withTimeout(r)
	defer cancel()
	return s.register(ctx, admin, wire.NewUser{Name: en.Name, Role: en.Role, CSR: csr, Browser: true})
}

// Package api is the gateway's REST/JSON interface under /v1. Its handlers only adapt HTTP to the
// Fabric client: they decode the request, pick the chaincode transaction, call the ledger as the
// authenticated caller's identity and map the outcome through one error table.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/recv-ledger/recv/chaincode/receivable"
	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/auth"
	"github.com/recv-ledger/recv/gateway/fabric"
)

// Ledger is what the handlers need from the Fabric client (fabric.Client implements it).
type Ledger interface {
	Submit(ctx context.Context, name, txName string, args []string, transient map[string][]byte, onSubmitted func(txID string)) (*fabric.Result, error)
	Evaluate(ctx context.Context, name, txName string, args ...string) ([]byte, error)
	TransactionStatus(ctx context.Context, name, txID string) (*fabric.TxStatus, error)
	Events(ctx context.Context, name string, pos fabric.Position) (<-chan fabric.Event, error)
	PrepareProposal(name, txName string, args []string, transient map[string][]byte) (*fabric.Unsigned, error)
	EndorseSigned(ctx context.Context, name string, proposalBytes, signature []byte) (*fabric.Unsigned, error)
	SubmitSigned(ctx context.Context, name, statusIdentity string, txBytes, signature []byte) (*fabric.Result, error)
	Ready(ctx context.Context, name string) error
	Identity(name string) (*fabric.Identity, bool)
}

// UserAdmin is the organisation's user administration: its CA and the gateway's wallet of the
// users it registered. Tokens are the server's (Config.Auth): a user gets one only with its account.
type UserAdmin interface {
	// AddUser registers and enrolls a new user with the CA and saves it in the wallet; it issues
	// no token.
	AddUser(ctx context.Context, req wire.NewUser) (*wire.NewUserResult, error)
	// Registered returns the role of a user that this gateway registered (or renewed) and keeps
	// in its wallet folder, or false (not in the wallet, or one the gateway was started with and
	// never renewed).
	Registered(name string) (role string, ok bool)
	// Forget removes a user from the wallet: its identity, and its saved certificate and key. A
	// user the gateway was started with stays out after a restart too. It reports whether there
	// was anything to remove.
	Forget(name string) (bool, error)
	// RevokeUser revokes the user's certificates at the CA and returns its new CRL.
	RevokeUser(ctx context.Context, name, reason string) (*wire.RevokeUserResult, error)
	// RenewUser reenrolls a user whose key the gateway holds at the CA, for a new key, keeps the
	// new pair in the wallet folder and swaps the identity the gateway signs with for the user:
	// calls in flight finish with the old one, the next ones use the new one.
	RenewUser(ctx context.Context, name string) (*wire.RenewedUser, error)
}

// Config configures a Server.
type Config struct {
	Ledger  Ledger
	Auth    *auth.Authenticator
	Admin   UserAdmin // nil: admin endpoints answer 404
	Logger  *slog.Logger
	Metrics *Metrics // nil: a new registry

	// ServiceIdentity signs readiness checks and commit-status requests of offline submissions.
	ServiceIdentity string
	// RequestTimeout bounds every call; a caller may ask for less with the Request-Timeout header.
	RequestTimeout time.Duration
	// Idempotency keeps the idempotency records (OpenIdempotencyStore: durable, across restarts;
	// the server does not close it). nil: in memory, IdempotencyEntries records (default 10000)
	// kept for IdempotencyTTL (24h).
	Idempotency        *IdempotencyStore
	IdempotencyEntries int
	IdempotencyTTL     time.Duration
	// OfflineEntries bounds the prepared offline proposals and transactions kept (default 1000)
	// for OfflineTTL (10 minutes).
	OfflineEntries int
	OfflineTTL     time.Duration
	// Enrollments keeps the browser registrations waiting for their users (OpenEnrollments);
	// nil: in memory, codes valid DefaultEnrollmentTTL.
	Enrollments *Enrollments
}

// Server serves the REST API.
type Server struct {
	cfg     Config
	ledger  Ledger
	log     *slog.Logger
	metrics *Metrics
	idem    *IdempotencyStore
	offline *offlineStore
	// enrollments are the browser registrations waiting for their users.
	enrollments *Enrollments
	mux         *http.ServeMux

	patterns []string
}

const maxBody = 1 << 20

// NewServer builds the handler tree.
func NewServer(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics(nil)
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 90 * time.Second
	}
	s := &Server{
		cfg:     cfg,
		ledger:  cfg.Ledger,
		log:     cfg.Logger,
		metrics: cfg.Metrics,
		idem:    cfg.Idempotency,
		offline: newOfflineStore(cfg.OfflineEntries, cfg.OfflineTTL),
		mux:     http.NewServeMux(),

		enrollments: cfg.Enrollments,
	}
	if s.idem == nil {
		s.idem = NewIdempotencyStore(cfg.IdempotencyEntries, cfg.IdempotencyTTL)
	}
	if s.enrollments == nil {
		s.enrollments, _ = OpenEnrollments("", 0) // in memory: cannot fail
	}
	s.routes()
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.strict(w, r) }

// Routes lists the registered "METHOD /path" patterns (docs/openapi.yaml documents each).
func (s *Server) Routes() []string { return append([]string(nil), s.patterns...) }

func (s *Server) routes() {
	open := func(pattern string, h http.HandlerFunc) {
		s.patterns = append(s.patterns, pattern)
		s.mux.Handle(pattern, s.metrics.instrument(pattern, h))
	}
	// guarded serves a route for authenticated callers only.
	guarded := func(pattern string, handler http.Handler) {
		handler = s.cfg.Auth.Require(pattern, handler, func(w http.ResponseWriter, r *http.Request, refusal *auth.Refusal) {
			msg := "unauthenticated: send Authorization: Bearer <token> or a client certificate of this organisation"
			if refusal.Kind == wire.KindRateLimited {
				msg = "rate_limited: too many failed authentications from this address; try again after Retry-After seconds"
			}
			s.writeError(w, r, &Failure{Kind: refusal.Kind, Stage: "auth", Message: msg})
		})
		s.patterns = append(s.patterns, pattern)
		s.mux.Handle(pattern, s.metrics.instrument(pattern, handler))
	}
	// authed: a guarded route whose POSTs honour Idempotency-Key.
	authed := func(pattern string, h http.HandlerFunc) {
		var handler http.Handler = h
		if strings.HasPrefix(pattern, "POST ") {
			handler = s.idempotent(handler)
		}
		guarded(pattern, handler)
	}

	open("GET /healthz", s.healthz)
	open("GET /readyz", s.readyz)
	s.patterns = append(s.patterns, "GET /metrics")
	s.mux.Handle("GET /metrics", s.metrics.handler())

	patterns, byPattern := wire.Routes()
	for _, p := range patterns {
		authed(p, s.opHandler(byPattern[p]))
	}
	authed("GET /v1/transactions/{txid}", s.transaction)
	authed("GET /v1/chain", s.chain)
	authed("GET /v1/blocks/{number}", s.block)
	authed("GET /v1/events", s.events)
	authed("GET /v1/whoami", s.whoami)
	authed("POST /v1/offline/proposals", s.offlinePrepare)
	authed("POST /v1/offline/proposals/{txid}/endorse", s.offlineEndorse)
	authed("POST /v1/offline/transactions/{txid}/submit", s.offlineSubmit)
	// A new user's token or enrollment code is never kept for a replay (the idempotency store
	// would hold it in clear): a repeated registration is resumed instead (addUser).
	guarded("POST /v1/admin/users", http.HandlerFunc(s.addUser))
	// A browser enrollment's credential is its one-time code (failures count like bad tokens).
	open("POST /v1/enroll", s.enroll)
	authed("POST /v1/admin/users/{name}/revoke", s.revokeUser)
	// A new token is never kept for a replay: the idempotency store would hold it in clear.
	guarded("POST /v1/admin/users/{name}/token", http.HandlerFunc(s.userToken))
	authed("GET /v1/admin/users", s.listUsers)
	// A renewal's answer holds no secret: a retry with the same key replays it, never renews twice.
	authed("POST /v1/admin/users/{name}/renew", s.renewUser)
}

func caller(r *http.Request) string {
	name, _ := auth.Caller(r.Context())
	return name
}

// withTimeout bounds a call by the server's limit or the caller's shorter Request-Timeout, and
// its wait for a peer that is down by the caller's `Prefer: wait=N`.
func (s *Server) withTimeout(r *http.Request) (context.Context, context.CancelFunc) {
	d := s.cfg.RequestTimeout
	if h := r.Header.Get("Request-Timeout"); h != "" {
		if v, err := time.ParseDuration(h); err == nil && v > 0 && v < d {
			d = v
		}
	}
	ctx := r.Context()
	if wait, ok := preferredWait(r.Header); ok {
		ctx = fabric.WithPeerWait(ctx, wait)
	}
	return context.WithTimeout(ctx, d)
}

// preferredWait is the caller's `wait` preference (RFC 7240 section 4.3: whole seconds it would
// wait for the answer), from any Prefer header; the first one counts.
func preferredWait(h http.Header) (time.Duration, bool) {
	for _, v := range h.Values("Prefer") {
		for pref := range strings.SplitSeq(v, ",") {
			name, value, _ := strings.Cut(strings.TrimSpace(strings.SplitN(pref, ";", 2)[0]), "=")
			if !strings.EqualFold(strings.TrimSpace(name), "wait") {
				continue
			}
			n, err := strconv.Atoi(strings.Trim(strings.TrimSpace(value), `"`))
			if err != nil || n < 0 {
				return 0, false
			}
			return time.Duration(n) * time.Second, true
		}
	}
	return 0, false
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	if err := s.ledger.Ready(ctx, s.cfg.ServiceIdentity); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func (s *Server) whoami(w http.ResponseWriter, r *http.Request) {
	name := caller(r)
	id, ok := s.ledger.Identity(name)
	if !ok {
		s.writeError(w, r, &Failure{Kind: wire.KindForbidden, Stage: "identity", Message: "forbidden: identity not in wallet"})
		return
	}
	writeJSON(w, http.StatusOK, wire.WhoAmI{Name: name, Account: id.Account(), Role: id.Role, OfflineOnly: id.Sign == nil})
}

func readBody(r *http.Request) (json.RawMessage, error) {
	b, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	if err != nil {
		return nil, &Failure{Kind: wire.KindTooLarge, Stage: "request", Message: "request body too large or unreadable: " + err.Error()}
	}
	return b, nil
}

func submitResponse(res *fabric.Result) wire.SubmitResponse {
	return wire.SubmitResponse{TransactionID: res.TransactionID, BlockNumber: res.BlockNumber, Attempts: res.Attempts, Result: asJSON(res.Payload)}
}

// asJSON passes a chaincode payload through when it is JSON, or as a JSON string otherwise.
func asJSON(payload []byte) json.RawMessage {
	if len(payload) == 0 {
		return json.RawMessage("null")
	}
	if json.Valid(payload) {
		return payload
	}
	b, _ := json.Marshal(string(payload))
	return b
}

// submit runs a write op as the caller and answers with the committed transaction.
func (s *Server) submit(w http.ResponseWriter, r *http.Request, op *wire.Op, args []string, transient map[string][]byte) {
	ctx, cancel := s.withTimeout(r)
	defer cancel()
	res, err := s.ledger.Submit(ctx, caller(r), op.Tx, args, transient, func(txID string) {
		s.log.Debug("submitted", "tx", op.Tx, "txId", txID, "caller", caller(r))
	})
	if err != nil {
		s.nameParties(ctx, r, op, err)
		s.writeError(w, r, err)
		return
	}
	s.log.Info("committed", "tx", op.Tx, "txId", res.TransactionID, "block", res.BlockNumber, "caller", caller(r))
	writeJSON(w, http.StatusOK, submitResponse(res))
}

func (s *Server) evaluate(w http.ResponseWriter, r *http.Request, tx string, args ...string) {
	ctx, cancel := s.withTimeout(r)
	defer cancel()
	out, err := s.ledger.Evaluate(ctx, caller(r), tx, args...)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(asJSON(out))
}

func (s *Server) transaction(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.withTimeout(r)
	defer cancel()
	st, err := s.ledger.TransactionStatus(ctx, caller(r), r.PathValue("txid"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// nameParties words an endorsement that a party's unreachable peer stopped (fabric.Error
// Unreached) with the organisations the receivable's write needs, by the chaincode's own rule
// (receivable.ReceivableEndorsers; a bank's decision: the requester's organisation and the bank,
// the collection's policy).
func (s *Server) nameParties(ctx context.Context, r *http.Request, op *wire.Op, err error) {
	var fe *fabric.Error
	id := r.PathValue("id")
	if !errors.As(err, &fe) || !fe.Unreached || id == "" || !strings.HasPrefix(r.URL.Path, "/v1/receivables/") {
		return
	}
	raw, gerr := s.ledger.Evaluate(ctx, caller(r), "Get", id)
	var rc wire.Receivable
	if gerr != nil || json.Unmarshal(raw, &rc) != nil || rc.ID == "" {
		return
	}
	parties := receivable.ReceivableEndorsers(&rc)
	if op.Tx == "DecideFinancing" && rc.Financing != nil {
		parties = []string{wire.MSPOf(rc.Financing.RequestedBy), rc.Financing.Bank}
	}
	fe.NameParties(parties)
}

// Package service is the gateway service of one organisation: it wires network.json, the
// connection to the organisation's peer, the wallet, the bearer tokens, the CA for new users and
// the HTTP server of package api, and runs them until its context ends. `recv serve` is a thin
// command over Run.
package service

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/recv-ledger/recv/gateway/api"
	"github.com/recv-ledger/recv/gateway/auth"
	"github.com/recv-ledger/recv/gateway/config"
	"github.com/recv-ledger/recv/gateway/fabric"
	"github.com/recv-ledger/recv/gateway/network"
)

// NewLogger returns the service's logger writing to w, at cfg's level and in its format.
func NewLogger(cfg config.Serve, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// ConfigError is an error in the settings: a failure of Run that no retry fixes.
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return e.Err.Error() }

// Unwrap returns the error underneath.
func (e *ConfigError) Unwrap() error { return e.Err }

// Run serves the gateway of cfg.Org: it reads network.json, connects to the organisation's peer,
// loads the wallet and the tokens, and serves the REST API until ctx ends, then shuts down
// gracefully. Errors in cfg are a *ConfigError.
func Run(ctx context.Context, cfg config.Serve, log *slog.Logger) error {
	desc, mspID, org, err := settle(&cfg, log)
	if err != nil {
		return err
	}
	fc, closeFabric, err := connect(desc, mspID, org)
	if err != nil {
		return err
	}
	defer closeFabric()
	authn, w, err := loadIdentities(cfg, mspID, org, fc, log)
	if err != nil {
		return err
	}
	serviceUser, err := fc.StatusIdentityFor(cfg.ServiceUser)
	if err != nil {
		return err
	}
	srv, closeAPI, err := newAPI(cfg, org, fc, authn, w, serviceUser, log)
	if err != nil {
		return err
	}
	defer closeAPI()
	handler, err := newHandler(ctx, cfg, mspID, org.Name, srv, authn, fc, log)
	if err != nil {
		return err
	}
	httpServer, ln, scheme, err := listen(cfg, handler, log)
	if err != nil {
		return err
	}
	startBeacon(ctx, cfg, mspID, fc, log)
	log.Info("gateway listening", "org", mspID, "url", scheme+"://"+ln.Addr().String(), "peer", org.Peer.Address,
		"identities", strings.Join(fc.Names(), ","), "tokens", cfg.TokensDir, "console", !cfg.NoConsole)
	return serve(ctx, httpServer, ln, log)
}

// settle checks cfg, reads network.json and fills in what cfg leaves to the organisation's entry
// there: the listen address and the state and token folders.
func settle(cfg *config.Serve, log *slog.Logger) (desc *network.Description, mspID string, org network.Org, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, "", org, &ConfigError{err}
	}
	if desc, err = network.Load(cfg.Network); err != nil {
		return nil, "", org, err
	}
	if mspID, org, err = desc.Org(cfg.Org); err != nil {
		return nil, "", org, &ConfigError{err}
	}
	if cfg.Listen == "" {
		cfg.Listen = org.Gateway.Address
	}
	if err := cfg.CheckListener(cfg.Listen); err != nil {
		return nil, "", org, &ConfigError{err}
	}
	if cfg.PlainHTTP && cfg.TLSCert == "" && !config.IsLoopback(cfg.Listen) {
		log.Warn("plain HTTP beyond loopback (--plain-http): tokens cross the network in clear", "listen", cfg.Listen)
	}
	if cfg.StateDir == "" {
		cfg.StateDir = filepath.Join(filepath.Dir(cfg.Network), "gateways", org.Name)
	}
	if cfg.TokensDir == "" {
		cfg.TokensDir = filepath.Join(cfg.StateDir, "tokens")
	}
	return desc, mspID, org, nil
}

// connect builds the Fabric client over a connection to the organisation's peer; closeFabric
// releases both.
func connect(desc *network.Description, mspID string, org network.Org) (fc *fabric.Client, closeFabric func(), err error) {
	tlsCfg, err := org.Peer.TLSConfig()
	if err != nil {
		return nil, nil, err
	}
	conn, err := fabric.Dial(org.Peer.Address, tlsCfg)
	if err != nil {
		return nil, nil, err
	}
	if fc, err = fabric.New(conn, fabric.Options{Channel: desc.Channel, Chaincode: desc.Chaincode, MSPID: mspID}); err != nil {
		conn.Close()
		return nil, nil, err
	}
	return fc, func() { fc.Close(); conn.Close() }, nil
}

// loadIdentities opens the token store and loads the wallet: the users of network.json less those
// revoked through the gateway (an offline user without its key), then the users added at run
// time; every user of network.json still in gets a token file.
func loadIdentities(cfg config.Serve, mspID string, org network.Org, fc *fabric.Client, log *slog.Logger) (*auth.Authenticator, *wallet, error) {
	authn := &auth.Authenticator{Limiter: auth.NewFailureLimiter(cfg.AuthFailBurst, cfg.AuthFailPerMinute), Log: log}
	var err error
	if authn.Tokens, err = auth.OpenTokenStore(filepath.Join(cfg.StateDir, "token-hashes.json")); err != nil {
		return nil, nil, err
	}
	w := &wallet{dir: filepath.Join(cfg.StateDir, "wallet"), fabric: fc, auth: authn, mspID: mspID}
	revoked, err := w.revoked()
	if err != nil {
		return nil, nil, err
	}
	var users []string
	for _, name := range org.UserNames() {
		if !revoked[name] {
			users = append(users, name)
		}
	}
	for _, name := range users {
		u := org.Users[name]
		key := u.Key
		if slices.Contains(cfg.OfflineUsers, name) {
			key = ""
		}
		if err := w.load(name, u.Role, u.Cert, key); err != nil {
			return nil, nil, err
		}
	}
	if err := w.loadSaved(); err != nil {
		return nil, nil, err
	}
	if err := auth.EnsureTokenFiles(authn.Tokens, cfg.TokensDir, users); err != nil {
		return nil, nil, err
	}
	return authn, w, nil
}

// newAPI builds the REST handler: user administration when the organisation's CA is configured,
// the enrollments, the metrics and the idempotency records kept in the state folder; closeAPI
// releases the records' file.
func newAPI(cfg config.Serve, org network.Org, fc *fabric.Client, authn *auth.Authenticator, w *wallet, serviceUser string, log *slog.Logger) (srv *api.Server, closeAPI func(), err error) {
	var admin api.UserAdmin
	if org.CA.URL != "" && org.CA.AdminCert != "" {
		if admin, err = newUserAdmin(org, w); err != nil {
			log.Warn("user administration disabled", "err", err)
			admin = nil
		}
	}
	// Browser registrations wait for their users' enrollment across a restart (code hashes only).
	enrollments, err := api.OpenEnrollments(filepath.Join(cfg.StateDir, "enrollment-codes.json"), 0)
	if err != nil {
		return nil, nil, err
	}
	// The API's own collectors, the process's, and the time beacon's (beaconmetrics.go).
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		newBeaconCollector(fc, serviceUser, cfg.BeaconInterval))
	// The idempotency records survive a restart: a retry after a crash gets the first answer.
	if err := os.MkdirAll(cfg.StateDir, 0o700); err != nil {
		return nil, nil, err
	}
	idem, err := api.OpenIdempotencyStore(filepath.Join(cfg.StateDir, "idempotency.db"), cfg.IdempotencyEntries, cfg.IdempotencyTTL)
	if err != nil {
		return nil, nil, err
	}
	srv = api.NewServer(api.Config{
		Ledger: fc, Auth: authn, Admin: admin, Logger: log, Metrics: api.NewMetrics(reg),
		ServiceIdentity: serviceUser, RequestTimeout: cfg.RequestTimeout,
		Idempotency: idem, Enrollments: enrollments,
	})
	return srv, func() { idem.Close() }, nil
}

// newHandler is what the listener serves: the REST handler with /metrics guarded, and the web
// console at every other path unless it is switched off.
func newHandler(ctx context.Context, cfg config.Serve, mspID, orgName string, srv *api.Server, authn *auth.Authenticator, fc *fabric.Client, log *slog.Logger) (http.Handler, error) {
	roleOf := func(name string) string {
		if id, ok := fc.Identity(name); ok {
			return id.Role
		}
		return ""
	}
	if cfg.MetricsPublic {
		log.Warn("/metrics is served to anyone who reaches the listener (--metrics-public)", "listen", cfg.Listen)
	}
	return withConsole(ctx, guardMetrics(srv, authn, roleOf, cfg.MetricsPublic, log), srv, authn, cfg, mspID, orgName, fc, log)
}

// listen opens cfg.Listen for handler, with TLS when cfg names a certificate; scheme is "https"
// then, "http" otherwise.
func listen(cfg config.Serve, handler http.Handler, log *slog.Logger) (httpServer *http.Server, ln net.Listener, scheme string, err error) {
	httpServer = &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if ln, err = net.Listen("tcp", cfg.Listen); err != nil {
		return nil, nil, "", err
	}
	if cfg.TLSCert == "" {
		return httpServer, ln, "http", nil
	}
	cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
	if err != nil {
		return nil, nil, "", err
	}
	// Client certificates are requested, not verified against a chain: a caller is accepted
	// only when its certificate is exactly a wallet identity's enrollment certificate, and the
	// TLS handshake proves it holds that certificate's key.
	httpServer.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequestClientCert, MinVersion: tls.VersionTLS12}
	return httpServer, tls.NewListener(ln, httpServer.TLSConfig), "https", nil
}

// startBeacon advances the time beacon, or stands by for it, until ctx ends, when cfg sets an
// interval.
func startBeacon(ctx context.Context, cfg config.Serve, mspID string, fc *fabric.Client, log *slog.Logger) {
	if cfg.BeaconInterval <= 0 {
		return
	}
	go runBeacon(ctx, fc, beaconSchedule{Identity: cfg.ServiceUser, Interval: cfg.BeaconInterval, Standby: cfg.BeaconStandby, Fold: mspID}, log)
	if cfg.BeaconStandby {
		log.Info("standing by for the time beacon: ticking when it is late", "interval", cfg.BeaconInterval,
			"lateAfter", time.Duration(lateAfter*float64(cfg.BeaconInterval)), "as", cfg.ServiceUser)
	} else {
		log.Info("advancing the time beacon", "every", cfg.BeaconInterval, "as", cfg.ServiceUser)
	}
}

// serve answers on ln until the server fails or ctx ends, then shuts down: the requests under
// way get 10 seconds to finish.
func serve(ctx context.Context, httpServer *http.Server, ln net.Listener, log *slog.Logger) error {
	errc := make(chan error, 1)
	go func() { errc <- httpServer.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := httpServer.Shutdown(shutdownCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	_ = httpServer.Close()
	log.Info("stopped")
	return nil
}

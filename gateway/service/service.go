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
	if err := cfg.Validate(); err != nil {
		return &ConfigError{err}
	}
	desc, err := network.Load(cfg.Network)
	if err != nil {
		return err
	}
	mspID, org, err := desc.Org(cfg.Org)
	if err != nil {
		return &ConfigError{err}
	}
	if cfg.Listen == "" {
		cfg.Listen = org.Gateway.Address
	}
	if err := cfg.CheckListener(cfg.Listen); err != nil {
		return &ConfigError{err}
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
	tlsCfg, err := org.Peer.TLSConfig()
	if err != nil {
		return err
	}
	conn, err := fabric.Dial(org.Peer.Address, tlsCfg)
	if err != nil {
		return err
	}
	defer conn.Close()
	fc, err := fabric.New(conn, fabric.Options{Channel: desc.Channel, Chaincode: desc.Chaincode, MSPID: mspID})
	if err != nil {
		return err
	}
	defer fc.Close()

	authn := &auth.Authenticator{Limiter: auth.NewFailureLimiter(cfg.AuthFailBurst, cfg.AuthFailPerMinute), Log: log}
	if authn.Tokens, err = auth.OpenTokenStore(filepath.Join(cfg.StateDir, "token-hashes.json")); err != nil {
		return err
	}
	wallet := &wallet{dir: filepath.Join(cfg.StateDir, "wallet"), fabric: fc, auth: authn, mspID: mspID}
	revoked, err := wallet.revoked()
	if err != nil {
		return err
	}
	// The users of network.json, less those revoked through the gateway.
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
		if err := wallet.load(name, u.Role, u.Cert, key); err != nil {
			return err
		}
	}
	if err := wallet.loadSaved(); err != nil {
		return err
	}
	if err := auth.EnsureTokenFiles(authn.Tokens, cfg.TokensDir, users); err != nil {
		return err
	}
	serviceUser, err := fc.StatusIdentityFor(cfg.ServiceUser)
	if err != nil {
		return err
	}
	var admin api.UserAdmin
	if org.CA.URL != "" && org.CA.AdminCert != "" {
		if admin, err = newUserAdmin(org, wallet); err != nil {
			log.Warn("user administration disabled", "err", err)
			admin = nil
		}
	}

	// Browser registrations wait for their users' enrollment across a restart (code hashes only).
	enrollments, err := api.OpenEnrollments(filepath.Join(cfg.StateDir, "enrollment-codes.json"), 0)
	if err != nil {
		return err
	}
	// The API's own collectors, the process's, and the time beacon's (beaconmetrics.go).
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		newBeaconCollector(fc, serviceUser, cfg.BeaconInterval))
	// The idempotency records survive a restart: a retry after a crash gets the first answer.
	if err := os.MkdirAll(cfg.StateDir, 0o700); err != nil {
		return err
	}
	idem, err := api.OpenIdempotencyStore(filepath.Join(cfg.StateDir, "idempotency.db"), cfg.IdempotencyEntries, cfg.IdempotencyTTL)
	if err != nil {
		return err
	}
	defer idem.Close()
	srv := api.NewServer(api.Config{
		Ledger: fc, Auth: authn, Admin: admin, Logger: log, Metrics: api.NewMetrics(reg),
		ServiceIdentity: serviceUser, RequestTimeout: cfg.RequestTimeout,
		Idempotency: idem, Enrollments: enrollments,
	})
	roleOf := func(name string) string {
		if id, ok := fc.Identity(name); ok {
			return id.Role
		}
		return ""
	}
	if cfg.MetricsPublic {
		log.Warn("/metrics is served to anyone who reaches the listener (--metrics-public)", "listen", cfg.Listen)
	}
	handler, err := withConsole(ctx, guardMetrics(srv, authn, roleOf, cfg.MetricsPublic, log), srv, authn, cfg, mspID, org.Name, fc, log)
	if err != nil {
		return err
	}
	httpServer := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	scheme := "http"
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return err
		}
		// Client certificates are requested, not verified against a chain: a caller is accepted
		// only when its certificate is exactly a wallet identity's enrollment certificate, and the
		// TLS handshake proves it holds that certificate's key.
		httpServer.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequestClientCert, MinVersion: tls.VersionTLS12}
		ln = tls.NewListener(ln, httpServer.TLSConfig)
		scheme = "https"
	}
	if cfg.BeaconInterval > 0 {
		go runBeacon(ctx, fc, beaconSchedule{Identity: cfg.ServiceUser, Interval: cfg.BeaconInterval, Standby: cfg.BeaconStandby, Fold: mspID}, log)
		if cfg.BeaconStandby {
			log.Info("standing by for the time beacon: ticking when it is late", "interval", cfg.BeaconInterval,
				"lateAfter", time.Duration(lateAfter*float64(cfg.BeaconInterval)), "as", cfg.ServiceUser)
		} else {
			log.Info("advancing the time beacon", "every", cfg.BeaconInterval, "as", cfg.ServiceUser)
		}
	}
	log.Info("gateway listening", "org", mspID, "url", scheme+"://"+ln.Addr().String(), "peer", org.Peer.Address,
		"identities", strings.Join(fc.Names(), ","), "tokens", cfg.TokensDir, "console", !cfg.NoConsole)

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

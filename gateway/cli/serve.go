package cli

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"github.com/spf13/cobra"

	"github.com/recv-ledger/recv/gateway/api"
	"github.com/recv-ledger/recv/gateway/auth"
	"github.com/recv-ledger/recv/gateway/ca"
	"github.com/recv-ledger/recv/gateway/config"
	"github.com/recv-ledger/recv/gateway/fabric"
	"github.com/recv-ledger/recv/gateway/network"
)

func newServeCommand(stderr io.Writer) *cobra.Command {
	cfg := &config.Serve{}
	var file string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the gateway service of one organisation",
		Long: `Run the REST gateway of one organisation: one TLS connection to the org's peer, the org's wallet
(the users in network.json plus users added through /v1/admin/users), bearer tokens kept as SHA-256
hashes, and the API under /v1 (see docs/openapi.yaml). Token files for the network's users are
written to --tokens-dir when missing. SIGTERM or SIGINT stops it gracefully.`,
		Example: `  recv serve --network .recv-net/network.json --org CoreMSP --listen 127.0.0.1:8801
  RECV_ORG=SupplierMSP recv serve --config gateway.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if file != "" {
				if err := cfg.ApplyFile(file, cmd.Flags()); err != nil {
					return usagef("%v", err)
				}
			}
			if err := cfg.Validate(); err != nil {
				return usagef("%v", err)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM, syscall.SIGINT)
			defer stop()
			return serve(ctx, cfg, stderr)
		},
	}
	cmd.Flags().StringVar(&file, "config", os.Getenv("RECV_CONFIG"), "optional YAML file with the same settings (env RECV_CONFIG)")
	cfg.Bind(cmd.Flags())
	return cmd
}

func newLogger(cfg *config.Serve, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// serve wires network.json, the peer connection, the wallet, the tokens and the HTTP server, and
// runs until ctx ends.
func serve(ctx context.Context, cfg *config.Serve, stderr io.Writer) error {
	log := newLogger(cfg, stderr)
	desc, err := network.Load(cfg.Network)
	if err != nil {
		return err
	}
	mspID, org, err := desc.Org(cfg.Org)
	if err != nil {
		return usagef("%v", err)
	}
	if cfg.Listen == "" {
		cfg.Listen = org.Gateway.Address
	}
	if cfg.StateDir == "" {
		cfg.StateDir = filepath.Join(filepath.Dir(cfg.Network), "gateways", org.Name)
	}
	if cfg.TokensDir == "" {
		cfg.TokensDir = filepath.Join(cfg.StateDir, "tokens")
	}
	conn, err := fabric.Dial(org.Peer.Address, org.Peer.ServerName, org.Peer.TLSCACert)
	if err != nil {
		return err
	}
	defer conn.Close()
	fc, err := fabric.New(conn, fabric.Options{Channel: desc.Channel, Chaincode: desc.Chaincode, MSPID: mspID})
	if err != nil {
		return err
	}
	defer fc.Close()

	authn := &auth.Authenticator{}
	if authn.Tokens, err = auth.OpenTokenStore(filepath.Join(cfg.StateDir, "token-hashes.json")); err != nil {
		return err
	}
	wallet := &wallet{dir: filepath.Join(cfg.StateDir, "wallet"), fabric: fc, auth: authn, mspID: mspID}
	for _, name := range org.UserNames() {
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
	if err := auth.EnsureTokenFiles(authn.Tokens, cfg.TokensDir, org.UserNames()); err != nil {
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

	srv := api.NewServer(api.Config{
		Ledger: fc, Auth: authn, Admin: admin, Logger: log,
		ServiceIdentity: serviceUser, RequestTimeout: cfg.RequestTimeout,
	})
	httpServer := &http.Server{
		Handler:           srv,
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
	log.Info("gateway listening", "org", mspID, "url", scheme+"://"+ln.Addr().String(), "peer", org.Peer.Address,
		"identities", strings.Join(fc.Names(), ","), "tokens", cfg.TokensDir)

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

// wallet adds identities to the Fabric client and the authenticator, and keeps users added at
// run time in dir (files 0600) so they come back after a restart.
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

// loadSaved loads the users saved by save: dir/<name>/{cert.pem,key.pem,role}.
func (w *wallet) loadSaved() error {
	entries, err := os.ReadDir(w.dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		d := filepath.Join(w.dir, e.Name())
		role, err := os.ReadFile(filepath.Join(d, "role"))
		if err != nil {
			return err
		}
		if err := w.load(e.Name(), strings.TrimSpace(string(role)), filepath.Join(d, "cert.pem"), filepath.Join(d, "key.pem")); err != nil {
			return err
		}
	}
	return nil
}

func (w *wallet) save(name, role string, certPEM, keyPEM []byte) error {
	d := filepath.Join(w.dir, name)
	if err := os.MkdirAll(d, 0o700); err != nil {
		return err
	}
	for file, data := range map[string][]byte{"cert.pem": certPEM, "key.pem": keyPEM, "role": []byte(role + "\n")} {
		if err := os.WriteFile(filepath.Join(d, file), data, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// userAdmin registers and enrolls users with the org's CA as its registrar.
type userAdmin struct {
	ca        *ca.Client
	registrar ca.Registrar
	wallet    *wallet
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

func (a *userAdmin) AddUser(ctx context.Context, req api.NewUser) (*api.NewUserResult, error) {
	secret, err := a.ca.Register(ctx, a.registrar, ca.Registration{
		Name: req.Name, Secret: req.Secret, MaxEnrollments: -1,
		Attributes: []ca.Attribute{{Name: "recv.role", Value: req.Role, ECert: true}},
	})
	if err != nil {
		return nil, caError(err)
	}
	certPEM, keyPEM, err := a.ca.Enroll(ctx, req.Name, secret)
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
	token, err := a.wallet.auth.Tokens.Mint(req.Name)
	if err != nil {
		return nil, err
	}
	return &api.NewUserResult{Name: req.Name, Account: id.Account(), Role: req.Role, Token: token}, nil
}

// caError maps a CA refusal: an identity that already exists is a conflict, other refusals are
// invalid requests; transport failures stay internal.
func caError(err error) error {
	var ce *ca.Error
	if !errors.As(err, &ce) {
		return err
	}
	kind := fabric.KindInvalid
	if strings.Contains(ce.Message, "already registered") {
		kind = fabric.KindConflict
	} else if ce.Status == http.StatusUnauthorized || ce.Status == http.StatusForbidden {
		kind = fabric.KindForbidden
	}
	return &fabric.Error{Kind: kind, Stage: "ca", Message: fmt.Sprintf("%s: %s", strings.ReplaceAll(string(kind), "_", " "), ce.Message), Err: err}
}

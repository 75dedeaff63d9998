package service

import (
	"context"
	"log/slog"
	"net/http"
	"path/filepath"

	"github.com/recv-ledger/recv/gateway/auth"
	"github.com/recv-ledger/recv/gateway/config"
	"github.com/recv-ledger/recv/gateway/console"
	"github.com/recv-ledger/recv/gateway/fabric"
)

// withConsole serves the web console at every path the REST API does not own (/v1/..., /healthz,
// /readyz, /metrics): the console calls the API handler api in this process, and follows the
// chaincode events as the service identity for the banks' queues, resuming after the last event
// it saved in the state folder. Its sign-ins are checked by authn, the REST handler's
// authenticator: one limit of failed authentications per source for both.
func withConsole(ctx context.Context, rest, api http.Handler, authn *auth.Authenticator, cfg config.Serve, mspID, orgName string, fc *fabric.Client, log *slog.Logger) (http.Handler, error) {
	if cfg.NoConsole {
		return rest, nil
	}
	c, err := console.New(console.Config{
		API: api, Auth: authn, MSPID: mspID, OrgName: orgName, SessionTTL: cfg.ConsoleSessionTTL, Secure: cfg.TLSCert != "",
		Logger: log.With("part", "console"),
		Events: func(ctx context.Context, pos fabric.Position) (<-chan fabric.Event, error) {
			return fc.Events(ctx, cfg.ServiceUser, pos)
		},
		EventsFile: filepath.Join(cfg.StateDir, "console-events.json"),
	})
	if err != nil {
		return nil, err
	}
	go c.Run(ctx)
	mux := http.NewServeMux()
	for _, p := range []string{"/v1/", "/healthz", "/readyz", "/metrics"} {
		mux.Handle(p, rest)
	}
	mux.Handle("/", c)
	return mux, nil
}

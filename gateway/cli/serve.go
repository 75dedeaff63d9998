package cli

import (
	"errors"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/recv-ledger/recv/gateway/config"
	"github.com/recv-ledger/recv/gateway/service"
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
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM, syscall.SIGINT)
			defer stop()
			err := service.Run(ctx, *cfg, service.NewLogger(*cfg, stderr))
			var ce *service.ConfigError
			if errors.As(err, &ce) {
				return usagef("%v", err)
			}
			return err
		},
	}
	cmd.Flags().StringVar(&file, "config", os.Getenv("RECV_CONFIG"), "optional YAML file with the same settings (env RECV_CONFIG)")
	cfg.Bind(cmd.Flags())
	return cmd
}

package service

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/gateway/config"
)

func TestRun_SettingsErrorsAreConfigErrors(t *testing.T) {
	dir := t.TempDir()
	netFile := filepath.Join(dir, "network.json")
	require.NoError(t, os.WriteFile(netFile, []byte(`{"channel":"c","chaincode":"c","orgs":{"CoreMSP":{"name":"core"}}}`), 0o600))
	log := NewLogger(config.Serve{LogLevel: "error"}, io.Discard)
	tests := []struct {
		name string
		cfg  config.Serve
	}{
		{"no org", config.Serve{Network: netFile}},
		{"half a TLS pair", config.Serve{Network: netFile, Org: "CoreMSP", TLSCert: "c.pem"}},
		{"unknown org", config.Serve{Network: netFile, Org: "NopeMSP"}},
		{"plain HTTP on every interface", config.Serve{Network: netFile, Org: "CoreMSP", Listen: "0.0.0.0:8801"}},
		{"plain HTTP on a public name", config.Serve{Network: netFile, Org: "CoreMSP", Listen: "gateway.example:8801"}},
		{"negative failure limit", config.Serve{Network: netFile, Org: "CoreMSP", AuthFailBurst: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Run(context.Background(), tt.cfg, log)
			var ce *ConfigError
			require.True(t, errors.As(err, &ce), "%v", err)
		})
	}
}

func TestRun_MissingNetworkOrPeerIsAnError(t *testing.T) {
	log := NewLogger(config.Serve{LogFormat: "json"}, io.Discard)
	err := Run(context.Background(), config.Serve{Network: filepath.Join(t.TempDir(), "none.json"), Org: "CoreMSP"}, log)
	require.ErrorContains(t, err, "network description")

	dir := t.TempDir()
	netFile := filepath.Join(dir, "network.json")
	require.NoError(t, os.WriteFile(netFile, []byte(`{"channel":"c","chaincode":"c","orgs":{"CoreMSP":{"name":"core","peer":{"address":"127.0.0.1:1","tlsCACert":"`+filepath.Join(dir, "no-ca.pem")+`"},"gateway":{"address":"127.0.0.1:0"}}}}`), 0o600))
	err = Run(context.Background(), config.Serve{Network: netFile, Org: "CoreMSP"}, log)
	require.ErrorContains(t, err, "peer TLS CA")
}

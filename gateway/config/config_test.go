package config

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"github.com/stretchr/testify/require"
)

func TestServe_PrecedenceFlagThenEnvThenFileThenDefault(t *testing.T) {
	file := filepath.Join(t.TempDir(), "gw.yaml")
	require.NoError(t, os.WriteFile(file, []byte("org: Bank1MSP\nlisten: 127.0.0.1:9999\nlogLevel: debug\nofflineUsers: [treasurer]\nrequestTimeout: 5s\n"), 0o600))
	t.Setenv("RECV_LISTEN", "127.0.0.1:7777")
	t.Setenv("RECV_NET_DIR", "/srv/net")

	var c Serve
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	c.Bind(fs)
	require.NoError(t, fs.Parse([]string{"--log-level", "warn"}))
	require.NoError(t, c.ApplyFile(file, fs))

	require.Equal(t, "Bank1MSP", c.Org, "file over default")
	require.Equal(t, "127.0.0.1:7777", c.Listen, "env over file")
	require.Equal(t, "warn", c.LogLevel, "flag over file")
	require.Equal(t, []string{"treasurer"}, c.OfflineUsers)
	require.Equal(t, 5*time.Second, c.RequestTimeout)
	require.Equal(t, "/srv/net/network.json", c.Network, "default from RECV_NET_DIR")
	require.Equal(t, "admin", c.ServiceUser)
	require.NoError(t, c.Validate())
}

func TestServe_Validate(t *testing.T) {
	require.Error(t, (&Serve{}).Validate(), "org is required")
	require.Error(t, (&Serve{Org: "CoreMSP", TLSCert: "c.pem"}).Validate(), "cert without key")
	require.NoError(t, (&Serve{Org: "CoreMSP"}).Validate())
}

// /metrics needs an admin's credential unless --metrics-public (or RECV_METRICS_PUBLIC=true, or
// metricsPublic: true in the file) says otherwise.
func TestServe_MetricsPublicIsOffByDefault(t *testing.T) {
	parse := func(args []string, file string) Serve { return parseServe(t, args, file) }
	require.False(t, parse(nil, "").MetricsPublic)
	require.True(t, parse([]string{"--metrics-public"}, "").MetricsPublic)
	file := filepath.Join(t.TempDir(), "gw.yaml")
	require.NoError(t, os.WriteFile(file, []byte("org: CoreMSP\nmetricsPublic: true\n"), 0o600))
	require.True(t, parse(nil, file).MetricsPublic)
	t.Setenv("RECV_METRICS_PUBLIC", "true")
	require.True(t, parse(nil, "").MetricsPublic)
}

// The idempotency store's bound and age: 10000 for 24h by default, then file, env and flag.
func TestServe_IdempotencyBounds(t *testing.T) {
	parse := func(args []string, file string) Serve { return parseServe(t, args, file) }
	c := parse(nil, "")
	require.Equal(t, 10000, c.IdempotencyEntries)
	require.Equal(t, 24*time.Hour, c.IdempotencyTTL)
	file := filepath.Join(t.TempDir(), "gw.yaml")
	require.NoError(t, os.WriteFile(file, []byte("org: CoreMSP\nidempotencyEntries: 50\nidempotencyTTL: 2h\n"), 0o600))
	c = parse(nil, file)
	require.Equal(t, 50, c.IdempotencyEntries)
	require.Equal(t, 2*time.Hour, c.IdempotencyTTL)
	t.Setenv("RECV_IDEMPOTENCY_ENTRIES", "70")
	c = parse([]string{"--idempotency-ttl", "1h"}, file)
	require.Equal(t, 70, c.IdempotencyEntries)
	require.Equal(t, time.Hour, c.IdempotencyTTL)
}

func TestCheckListener_TLSBeyondLoopback(t *testing.T) {
	for _, l := range []string{"127.0.0.1:8801", "127.9.9.9:1", "[::1]:8801", "localhost:8801"} {
		require.NoError(t, (&Serve{}).CheckListener(l), l)
	}
	for _, l := range []string{"0.0.0.0:8801", ":8801", "[::]:8801", "10.0.0.5:8801", "gateway.core.recv.local:8801", "nonsense"} {
		err := (&Serve{}).CheckListener(l)
		require.ErrorContains(t, err, "beyond loopback", l)
		require.NoError(t, (&Serve{TLSCert: "c.pem", TLSKey: "k.pem"}).CheckListener(l), "with TLS: %s", l)
		require.NoError(t, (&Serve{PlainHTTP: true}).CheckListener(l), "deliberately plain: %s", l)
	}
}

// A gateway ticks the time beacon as the primary unless --beacon-standby (RECV_BEACON_STANDBY=true,
// beaconStandby: true) makes it tick only when the beacon is late.
func TestServe_BeaconStandby(t *testing.T) {
	parse := func(args []string, file string) Serve { return parseServe(t, args, file) }
	c := parse(nil, "")
	require.Zero(t, c.BeaconInterval, "no ticking unless asked")
	require.False(t, c.BeaconStandby)
	c = parse([]string{"--beacon-interval", "60s", "--beacon-standby"}, "")
	require.Equal(t, time.Minute, c.BeaconInterval)
	require.True(t, c.BeaconStandby)
	file := filepath.Join(t.TempDir(), "gw.yaml")
	require.NoError(t, os.WriteFile(file, []byte("org: AuditorMSP\nbeaconInterval: 30s\nbeaconStandby: true\n"), 0o600))
	c = parse(nil, file)
	require.Equal(t, 30*time.Second, c.BeaconInterval)
	require.True(t, c.BeaconStandby)
	t.Setenv("RECV_BEACON_STANDBY", "true")
	require.True(t, parse(nil, "").BeaconStandby)
}

// parseServe is `recv serve`'s configuration from args and, when file is not "", a config file.
func parseServe(t *testing.T, args []string, file string) Serve {
	t.Helper()
	var c Serve
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	c.Bind(fs)
	require.NoError(t, fs.Parse(args))
	if file != "" {
		require.NoError(t, c.ApplyFile(file, fs))
	}
	return c
}

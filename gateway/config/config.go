// Package config holds the gateway service's settings: flags, with RECV_* environment variables
// as fallbacks, and an optional YAML file. Precedence: flag, then environment, then file, then the
// defaults, which work against the native network of `make up`.
package config

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"
)

// Serve configures `recv serve`.
type Serve struct {
	Network        string        `yaml:"network"`        // path of network.json
	Org            string        `yaml:"org"`            // MSP ID or short name of the organisation served
	Listen         string        `yaml:"listen"`         // host:port; default the org's gateway address in network.json
	StateDir       string        `yaml:"stateDir"`       // token hashes and wallet of added users; default <netdir>/gateways/<org>
	TokensDir      string        `yaml:"tokensDir"`      // token files for the network's users; default <stateDir>/tokens
	OfflineUsers   []string      `yaml:"offlineUsers"`   // users whose keys the service must not load
	ServiceUser    string        `yaml:"serviceUser"`    // identity for readiness and offline commit status; default admin
	RequestTimeout time.Duration `yaml:"requestTimeout"` // upper bound of a request
	// IdempotencyEntries and IdempotencyTTL bound the idempotency records kept in
	// <stateDir>/idempotency.db (default 10000 for 24h).
	IdempotencyEntries int           `yaml:"idempotencyEntries"`
	IdempotencyTTL     time.Duration `yaml:"idempotencyTTL"`
	TLSCert            string        `yaml:"tlsCert"` // serve HTTPS with this certificate (enables mTLS callers)
	TLSKey             string        `yaml:"tlsKey"`
	LogLevel           string        `yaml:"logLevel"` // debug, info, warn, error
	LogFormat          string        `yaml:"logFormat"`
	// MetricsPublic serves /metrics without a credential; by default it needs an admin's token.
	MetricsPublic bool `yaml:"metricsPublic"`
	// NoConsole turns the web console at / off; ConsoleSessionTTL is how long a sign-in lasts.
	NoConsole         bool          `yaml:"noConsole"`
	ConsoleSessionTTL time.Duration `yaml:"consoleSessionTTL"`
	// PlainHTTP allows plain HTTP on a listener beyond loopback (by default the service refuses to
	// start there without TLS): only where the network in between is the operator's own.
	PlainHTTP bool `yaml:"plainHTTP"`
	// AuthFailBurst and AuthFailPerMinute bound the failed authentications per source address
	// (default 20 at once, 20 a minute); past them the source gets 429. AuthFailBurst 0: no limit.
	AuthFailBurst     int `yaml:"authFailBurst"`
	AuthFailPerMinute int `yaml:"authFailPerMinute"`
	// BeaconInterval is how often the service advances the network's time beacon (the chaincode's
	// Tick) as ServiceUser; 0: never (another member's gateway does it).
	BeaconInterval time.Duration `yaml:"beaconInterval"`
	// BeaconStandby ticks only when the beacon is older than 1.5 BeaconInterval (the primary
	// organisation's gateway missed a tick) or cannot be read; it reads the beacon otherwise.
	BeaconStandby bool `yaml:"beaconStandby"`
}

// NetDir is the network state folder: RECV_NET_DIR or .recv-net.
func NetDir() string {
	if d := os.Getenv("RECV_NET_DIR"); d != "" {
		return d
	}
	return ".recv-net"
}

// env returns RECV_<name> or def.
func env(name, def string) string {
	if v, ok := os.LookupEnv("RECV_" + name); ok {
		return v
	}
	return def
}

// Bind registers the serve flags on fs with defaults from the environment.
func (c *Serve) Bind(fs *pflag.FlagSet) {
	fs.StringVar(&c.Network, "network", env("NETWORK", filepath.Join(NetDir(), "network.json")), "network description written by scripts/network.sh (env RECV_NETWORK)")
	fs.StringVar(&c.Org, "org", env("ORG", ""), "organisation to serve, MSP ID or name (env RECV_ORG)")
	fs.StringVar(&c.Listen, "listen", env("LISTEN", ""), "listen address; default the org's gateway address in network.json (env RECV_LISTEN)")
	fs.StringVar(&c.StateDir, "state-dir", env("STATE_DIR", ""), "token hashes and wallet of added users; default $RECV_NET_DIR/gateways/<org> (env RECV_STATE_DIR)")
	fs.StringVar(&c.TokensDir, "tokens-dir", env("TOKENS_DIR", ""), "where the users' token files are written; default <state-dir>/tokens (env RECV_TOKENS_DIR)")
	fs.StringSliceVar(&c.OfflineUsers, "offline-users", splitList(env("OFFLINE_USERS", "")), "users that sign offline only: their keys are never loaded (env RECV_OFFLINE_USERS)")
	fs.StringVar(&c.ServiceUser, "service-user", env("SERVICE_USER", "admin"), "identity for readiness checks and offline commit status (env RECV_SERVICE_USER)")
	d, _ := time.ParseDuration(env("REQUEST_TIMEOUT", "90s"))
	fs.DurationVar(&c.RequestTimeout, "request-timeout", d, "upper bound of one request (env RECV_REQUEST_TIMEOUT)")
	n, _ := strconv.Atoi(env("IDEMPOTENCY_ENTRIES", "10000"))
	fs.IntVar(&c.IdempotencyEntries, "idempotency-entries", n, "idempotency records kept in <state-dir>/idempotency.db, oldest pruned first (env RECV_IDEMPOTENCY_ENTRIES)")
	ttl, _ := time.ParseDuration(env("IDEMPOTENCY_TTL", "24h"))
	fs.DurationVar(&c.IdempotencyTTL, "idempotency-ttl", ttl, "how long an idempotency record is kept (env RECV_IDEMPOTENCY_TTL)")
	fs.StringVar(&c.TLSCert, "tls-cert", env("TLS_CERT", ""), "serve HTTPS with this certificate; callers may then use client certificates (env RECV_TLS_CERT)")
	fs.StringVar(&c.TLSKey, "tls-key", env("TLS_KEY", ""), "key of --tls-cert (env RECV_TLS_KEY)")
	fs.StringVar(&c.LogLevel, "log-level", env("LOG_LEVEL", "info"), "debug, info, warn or error (env RECV_LOG_LEVEL)")
	fs.StringVar(&c.LogFormat, "log-format", env("LOG_FORMAT", "text"), "text or json (env RECV_LOG_FORMAT)")
	fs.BoolVar(&c.NoConsole, "no-console", env("NO_CONSOLE", "") == "true", "serve no web console at / (env RECV_NO_CONSOLE=true)")
	sttl, _ := time.ParseDuration(env("CONSOLE_SESSION_TTL", "8h"))
	fs.DurationVar(&c.ConsoleSessionTTL, "console-session-ttl", sttl, "how long a sign-in to the web console lasts (env RECV_CONSOLE_SESSION_TTL)")
	fs.BoolVar(&c.PlainHTTP, "plain-http", env("PLAIN_HTTP", "") == "true", "allow plain HTTP on a listener beyond loopback; by default such a listener needs --tls-cert (env RECV_PLAIN_HTTP=true)")
	burst, _ := strconv.Atoi(env("AUTH_FAIL_BURST", "20"))
	fs.IntVar(&c.AuthFailBurst, "auth-fail-burst", burst, "failed authentications a source address may make at once before it gets 429; 0: no limit (env RECV_AUTH_FAIL_BURST)")
	perMin, _ := strconv.Atoi(env("AUTH_FAIL_PER_MINUTE", "20"))
	fs.IntVar(&c.AuthFailPerMinute, "auth-fail-per-minute", perMin, "failed authentications a minute a source address may make in the long run (env RECV_AUTH_FAIL_PER_MINUTE)")
	bi, _ := time.ParseDuration(env("BEACON_INTERVAL", "0s"))
	fs.DurationVar(&c.BeaconInterval, "beacon-interval", bi, "advance the network's time beacon this often as --service-user; 0: never (env RECV_BEACON_INTERVAL)")
	fs.BoolVar(&c.BeaconStandby, "beacon-standby", env("BEACON_STANDBY", "") == "true", "with --beacon-interval: tick only when the beacon is older than 1.5 intervals, as a standby for the gateway that ticks it (env RECV_BEACON_STANDBY=true)")
	fs.BoolVar(&c.MetricsPublic, "metrics-public", env("METRICS_PUBLIC", "") == "true", "serve /metrics to anyone who reaches the listener; by default it needs the bearer token (or client certificate) of an admin of the organisation (env RECV_METRICS_PUBLIC=true)")
}

// ApplyFile fills every setting that was neither given as a flag nor set in the environment from
// a YAML file.
func (c *Serve) ApplyFile(path string, fs *pflag.FlagSet) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	var file Serve
	if err := yaml.Unmarshal(data, &file); err != nil {
		return fmt.Errorf("parse config %s: %w", path, err)
	}
	set := func(flag, envName string, apply func()) {
		if fs.Changed(flag) {
			return
		}
		if _, ok := os.LookupEnv("RECV_" + envName); ok {
			return
		}
		apply()
	}
	str := func(flag, envName string, dst *string, v string) {
		if v != "" {
			set(flag, envName, func() { *dst = v })
		}
	}
	str("network", "NETWORK", &c.Network, file.Network)
	str("org", "ORG", &c.Org, file.Org)
	str("listen", "LISTEN", &c.Listen, file.Listen)
	str("state-dir", "STATE_DIR", &c.StateDir, file.StateDir)
	str("tokens-dir", "TOKENS_DIR", &c.TokensDir, file.TokensDir)
	str("service-user", "SERVICE_USER", &c.ServiceUser, file.ServiceUser)
	str("tls-cert", "TLS_CERT", &c.TLSCert, file.TLSCert)
	str("tls-key", "TLS_KEY", &c.TLSKey, file.TLSKey)
	str("log-level", "LOG_LEVEL", &c.LogLevel, file.LogLevel)
	str("log-format", "LOG_FORMAT", &c.LogFormat, file.LogFormat)
	if len(file.OfflineUsers) > 0 {
		set("offline-users", "OFFLINE_USERS", func() { c.OfflineUsers = file.OfflineUsers })
	}
	if file.MetricsPublic {
		set("metrics-public", "METRICS_PUBLIC", func() { c.MetricsPublic = true })
	}
	if file.NoConsole {
		set("no-console", "NO_CONSOLE", func() { c.NoConsole = true })
	}
	if file.ConsoleSessionTTL > 0 {
		set("console-session-ttl", "CONSOLE_SESSION_TTL", func() { c.ConsoleSessionTTL = file.ConsoleSessionTTL })
	}
	if file.PlainHTTP {
		set("plain-http", "PLAIN_HTTP", func() { c.PlainHTTP = true })
	}
	if file.AuthFailBurst > 0 {
		set("auth-fail-burst", "AUTH_FAIL_BURST", func() { c.AuthFailBurst = file.AuthFailBurst })
	}
	if file.AuthFailPerMinute > 0 {
		set("auth-fail-per-minute", "AUTH_FAIL_PER_MINUTE", func() { c.AuthFailPerMinute = file.AuthFailPerMinute })
	}
	if file.BeaconInterval > 0 {
		set("beacon-interval", "BEACON_INTERVAL", func() { c.BeaconInterval = file.BeaconInterval })
	}
	if file.BeaconStandby {
		set("beacon-standby", "BEACON_STANDBY", func() { c.BeaconStandby = true })
	}
	if file.RequestTimeout > 0 {
		set("request-timeout", "REQUEST_TIMEOUT", func() { c.RequestTimeout = file.RequestTimeout })
	}
	if file.IdempotencyEntries > 0 {
		set("idempotency-entries", "IDEMPOTENCY_ENTRIES", func() { c.IdempotencyEntries = file.IdempotencyEntries })
	}
	if file.IdempotencyTTL > 0 {
		set("idempotency-ttl", "IDEMPOTENCY_TTL", func() { c.IdempotencyTTL = file.IdempotencyTTL })
	}
	return nil
}

// Validate checks the settings that have no default.
func (c *Serve) Validate() error {
	if c.Org == "" {
		return fmt.Errorf("--org (or RECV_ORG) is required")
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return fmt.Errorf("--tls-cert and --tls-key go together")
	}
	if c.BeaconInterval < 0 || (c.BeaconInterval > 0 && c.BeaconInterval < time.Second) {
		return fmt.Errorf("--beacon-interval %s: 0 (off) or at least 1s", c.BeaconInterval)
	}
	if c.AuthFailBurst < 0 || c.AuthFailPerMinute < 0 {
		return fmt.Errorf("--auth-fail-burst and --auth-fail-per-minute cannot be negative")
	}
	return nil
}

// CheckListener refuses a listener beyond loopback without TLS, unless PlainHTTP allows it: the
// bearer tokens and the business data would cross the network in clear.
func (c *Serve) CheckListener(listen string) error {
	if c.TLSCert != "" || c.PlainHTTP || IsLoopback(listen) {
		return nil
	}
	return fmt.Errorf("listen %s reaches beyond loopback: serve TLS (--tls-cert and --tls-key), or listen on 127.0.0.1, "+
		"or accept plain HTTP there with --plain-http", listen)
}

// IsLoopback says whether the listen address host:port binds loopback only ("localhost", 127.0.0.0/8,
// ::1); an empty host or an unspecified address binds every interface.
func IsLoopback(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

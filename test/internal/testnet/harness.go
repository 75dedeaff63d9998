package testnet

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/recv-ledger/recv/gateway/network"
)

// Kind is how a network runs: native processes or docker compose containers.
type Kind string

// The kinds of network the harness brings up.
const (
	Native  Kind = "native"  // scripts/network.sh (+ scripts/gateways.sh): processes on loopback ports
	Compose Kind = "compose" // scripts/docker.sh: containers, gateways included
)

// Config says which network a suite needs and where the harness puts one it starts itself.
type Config struct {
	Kind       Kind
	Gateways   bool // native: also a recv gateway per organisation (a compose network always has them)
	RecvCLI    bool // build the recv binary from gateway/ for the suite (Network.RecvBin)
	PortOffset int  // ports of a network the harness starts, unless the environment names them
	// Check, when set, runs after the suite's tests: an error it returns fails the suite (a check
	// over every test's traffic, as test/gateway's of the API description).
	Check func() error
}

// The environment the harness reads; see the package documentation.
const (
	EnvNetDir        = "RECV_TEST_NET_DIR"            // a running native network to use
	EnvPortOffset    = "RECV_PORT_OFFSET"             // ports of a native network the harness starts
	EnvDockerDir     = "RECV_TEST_DOCKER_DIR"         // a running compose network to use
	EnvDockerProject = "RECV_TEST_DOCKER_PROJECT"     // compose project of one the harness starts
	EnvDockerOffset  = "RECV_TEST_DOCKER_PORT_OFFSET" // its published ports
	defaultProject   = "recvtest"
	defaultDockerOff = 6000
)

// Network is a running network under test.
type Network struct {
	Kind    Kind
	Root    string               // repository root
	Dir     string               // state folder: network.json, gateways/, orgs/
	Desc    *network.Description // network.json
	RecvBin string               // the recv binary built for this run ("" unless Config.RecvCLI)
	Reused  bool                 // named by the environment: the harness never takes it down
	env     []string             // settings of its script (RECV_NET_DIR or RECV_DOCKER_*)

	mu      sync.Mutex
	running *exec.Cmd // the bring-up script while it runs, to stop it on a signal
}

// Script runs the network's own script (scripts/network.sh or scripts/docker.sh) with its
// settings, e.g. Script("env", "core", "admin") or Script("compose", "stop", "peer0.bank2"), and
// returns its combined output.
func (n *Network) Script(args ...string) ([]byte, error) {
	return n.Command(n.script(), args...).CombinedOutput()
}

// Command is a command run from the repository root with the network's settings in its
// environment (RECV_NET_DIR for the recv CLI, the script's own variables).
func (n *Network) Command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Dir = n.Root
	cmd.Env = append(os.Environ(), n.env...)
	cmd.Env = append(cmd.Env, "RECV_NET_DIR="+n.Dir)
	return cmd
}

func (n *Network) script() string {
	if n.Kind == Compose {
		return filepath.Join(n.Root, "scripts", "docker.sh")
	}
	return filepath.Join(n.Root, "scripts", "network.sh")
}

// PeerEnv is the environment of Fabric's peer CLI (bin/peer) acting as user of org (short names:
// core, supplier, bank1, ...), as the network's `env` sub-command prints it, pointed at the peer
// of organisation target with its address and TLS names from network.json.
func (n *Network) PeerEnv(org, user, target string) ([]string, error) {
	out, err := n.Script("env", org, user)
	if err != nil {
		return nil, fmt.Errorf("%s env %s %s: %w: %s", filepath.Base(n.script()), org, user, err, out)
	}
	var vars []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		vars = append(vars, strings.TrimPrefix(line, "export "))
	}
	_, o, err := n.Desc.Org(target)
	if err != nil {
		return nil, err
	}
	return append(vars, "CORE_PEER_ADDRESS="+o.Peer.Address, "CORE_PEER_TLS_ROOTCERT_FILE="+o.Peer.TLSCACert,
		"CORE_PEER_TLS_SERVERHOSTOVERRIDE="+o.Peer.ServerName, "FABRIC_LOGGING_SPEC=warning"), nil
}

// Peer runs bin/peer with env (see PeerEnv) and returns its stdout, or an error with its stderr.
func (n *Network) Peer(env []string, args ...string) (string, error) {
	cmd := exec.Command(filepath.Join(n.Root, "bin", "peer"), args...)
	cmd.Dir = n.Root
	cmd.Env = append(os.Environ(), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("peer %v: %v: %s", args, err, strings.TrimSpace(errOut.String()))
	}
	return out.String(), nil
}

// Main is a suite's TestMain: it skips the suite in -short mode (and a compose suite without a
// Docker engine), brings the network up or reuses the one the environment names, hands it to use,
// runs the tests and takes a network it started down on every way out (see the package doc).
// It does not return.
func Main(m *testing.M, cfg Config, use func(*Network)) {
	os.Exit(run(m, cfg, use))
}

func run(m *testing.M, cfg Config, use func(*Network)) int {
	flag.Parse()
	if testing.Short() {
		fmt.Printf("SKIPPED: the %s network suites need a network (not in -short mode)\n", cfg.Kind)
		return 0
	}
	if cfg.Kind == Compose {
		if why := noCompose(); why != "" {
			fmt.Println("SKIPPED: " + why)
			return 0
		}
	}
	tmp, err := os.MkdirTemp("", "recv-"+string(cfg.Kind)+"-test-")
	if err != nil {
		fmt.Println(err)
		return 1
	}
	defer os.RemoveAll(tmp)
	n, err := prepare(cfg, tmp)
	if err != nil {
		fmt.Println(err)
		return 1
	}
	if !n.Reused {
		g, err := n.guard(filepath.Join(tmp, "net"), tmp)
		if err != nil {
			fmt.Println(err)
			return 1
		}
		defer g.down()
		if err := n.up(cfg); err != nil {
			fmt.Println(err)
			return 1
		}
	} else if err := n.load(cfg); err != nil {
		fmt.Println(err)
		return 1
	}
	use(n)
	code := m.Run()
	if cfg.Check != nil {
		if err := cfg.Check(); err != nil {
			fmt.Println("FAIL: " + err.Error())
			return 1
		}
	}
	return code
}

// prepare finds the repository, builds the CLI when asked and decides which network to use:
// the running one the environment names, or a new one in tmp/net.
func prepare(cfg Config, tmp string) (*Network, error) {
	root, err := FindRoot()
	if err != nil {
		return nil, err
	}
	n := &Network{Kind: cfg.Kind, Root: root}
	if cfg.RecvCLI {
		n.RecvBin = filepath.Join(tmp, "recv")
		build := exec.Command("go", "build", "-o", n.RecvBin, "./cmd/recv")
		build.Dir = filepath.Join(root, "gateway")
		build.Env = append(os.Environ(), "GOWORK=off")
		if out, err := build.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("build recv: %w\n%s", err, out)
		}
		n.env = append(n.env, "RECV_BIN="+n.RecvBin)
	}
	reuse := os.Getenv(EnvNetDir)
	if cfg.Kind == Compose {
		reuse = os.Getenv(EnvDockerDir)
	}
	if reuse != "" {
		n.Reused = true
		n.Dir, err = filepath.Abs(reuse)
		n.env = append(n.env, n.dirEnv())
		return n, err
	}
	n.Dir = filepath.Join(tmp, "net")
	return n, n.configure(cfg)
}

// configure sets where a network the harness starts lives and which ports and project it uses.
func (n *Network) configure(cfg Config) error {
	if n.Kind == Compose {
		off, err := envInt(EnvDockerOffset, defaultDockerOff)
		project := os.Getenv(EnvDockerProject)
		if project == "" {
			project = defaultProject
		}
		n.env = append(n.env, n.dirEnv(), "RECV_DOCKER_PROJECT="+project, "RECV_DOCKER_PORT_OFFSET="+strconv.Itoa(off), beaconEnv())
		return err
	}
	off, err := envInt(EnvPortOffset, cfg.PortOffset)
	n.env = append(n.env, n.dirEnv(), "RECV_PORT_OFFSET="+strconv.Itoa(off), beaconEnv())
	return err
}

// beaconEnv turns the gateways' schedule of the time beacon (scripts/gateways.sh, the compose
// network's gateway.core, and the auditor's standby in both) off unless the environment sets it, so that no scheduled tick adds a
// block or invalidates a suite's own transactions in flight; the suites that need the beacon to
// advance tick themselves (test/security).
func beaconEnv() string {
	beacon := os.Getenv("RECV_BEACON_INTERVAL")
	if beacon == "" {
		beacon = "0s"
	}
	return "RECV_BEACON_INTERVAL=" + beacon
}

func (n *Network) dirEnv() string {
	if n.Kind == Compose {
		return "RECV_DOCKER_DIR=" + n.Dir
	}
	return "RECV_NET_DIR=" + n.Dir
}

func envInt(name string, def int) (int, error) {
	s := os.Getenv(name)
	if s == "" {
		return def, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%s=%q is not a number", name, s)
	}
	return v, nil
}

// up brings the network up and reports how long it took.
func (n *Network) up(cfg Config) error {
	start := time.Now()
	if n.Kind == Compose {
		// A run that was killed before its clean-up could run may have left the project behind.
		_, _ = n.Script("down")
		if err := n.runUp(n.script(), "up"); err != nil {
			return err
		}
		fmt.Printf("compose network up in %s (images, nodes, channel, chaincode, gateways)\n", since(start))
		return n.load(cfg)
	}
	if err := n.runUp(n.script(), "up"); err != nil {
		return err
	}
	what := "CAs, orderers, peers, channel, chaincode committed"
	if cfg.Gateways {
		if err := n.runUp(filepath.Join(n.Root, "scripts", "gateways.sh"), "up"); err != nil {
			return err
		}
		what += "; a gateway per org"
	}
	fmt.Printf("network up in %s (%s)\n", since(start), what)
	return n.load(cfg)
}

func since(t time.Time) time.Duration { return time.Since(t).Round(100 * time.Millisecond) }

// runUp runs a bring-up script in its own process group, remembered so that a signal can stop
// it (the scripts stop what they started when they get SIGTERM) before the network goes down.
func (n *Network) runUp(script string, args ...string) error {
	cmd := n.Command(script, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	n.mu.Lock()
	err := cmd.Start()
	if err == nil {
		n.running = cmd
	}
	n.mu.Unlock()
	if err == nil {
		err = cmd.Wait()
		n.mu.Lock()
		n.running = nil
		n.mu.Unlock()
	}
	if err != nil {
		return fmt.Errorf("%s %s: %w\n%s", filepath.Base(script), strings.Join(args, " "), err, out.Bytes())
	}
	return nil
}

// stopBringUp ends a bring-up script that is still running and waits for it.
func (n *Network) stopBringUp() {
	n.mu.Lock()
	cmd := n.running
	n.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		n.mu.Lock()
		done := n.running == nil
		n.mu.Unlock()
		if done {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}

// load reads network.json and, for a suite that needs them, checks that the gateways answer.
func (n *Network) load(cfg Config) error {
	d, err := network.Load(filepath.Join(n.Dir, "network.json"))
	if err != nil {
		return err
	}
	n.Desc = d
	if !cfg.Gateways && n.Kind != Compose {
		return nil
	}
	for _, msp := range d.MSPIDs() {
		_, org, err := d.Org(msp)
		if err != nil {
			return err
		}
		if err := Ready(org.Gateway); err != nil {
			return fmt.Errorf("the gateway of %s in %s does not answer (scripts/gateways.sh up?): %w", msp, n.Dir, err)
		}
	}
	return nil
}

// Ready checks that the gateway answers /readyz with 200, over HTTPS verified against its
// organisation's CA when network.json names one.
func Ready(gw network.Gateway) error {
	cfg, err := gw.TLSConfig()
	if err != nil {
		return err
	}
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg, DisableKeepAlives: true}}
	resp, err := hc.Get(gw.URL() + "/readyz")
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return errors.New(resp.Status)
	}
	return nil
}

// downScript is the shell commands that take the network in dir down and remove tmp.
func (n *Network) downScript(tmp string) string {
	q := shellQuote
	var s strings.Builder
	for _, kv := range n.env {
		s.WriteString("export " + q(kv) + "\n")
	}
	if n.Kind == Compose {
		fmt.Fprintf(&s, "%s down\n", q(n.script()))
	} else {
		// Monitoring a suite started on the network (scripts/monitor.sh): nothing when there is none.
		fmt.Fprintf(&s, "%s down >/dev/null 2>&1\n", q(filepath.Join(n.Root, "scripts", "monitor.sh")))
		fmt.Fprintf(&s, "%s down\n", q(filepath.Join(n.Root, "scripts", "gateways.sh")))
		fmt.Fprintf(&s, "%s down\n", q(n.script()))
	}
	if tmp != "" {
		fmt.Fprintf(&s, "rm -rf %s\n", q(tmp))
	}
	return s.String()
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// noCompose says why a compose network cannot run here ("" when it can).
func noCompose() string {
	if out, err := exec.Command("docker", "info").CombinedOutput(); err != nil {
		s := strings.TrimSpace(string(out))
		return fmt.Sprintf("no Docker engine (docker info: %v: %s)", err, s[strings.LastIndex(s, "\n")+1:])
	}
	if exec.Command("docker", "compose", "version").Run() == nil {
		return ""
	}
	if _, err := exec.LookPath("docker-compose"); err != nil {
		return "no docker compose (neither `docker compose` nor docker-compose)"
	}
	return ""
}

// Up brings a network up in dir for a caller that keeps it beyond its own process, such as
// scripts/test.sh sharing one native network between suites through RECV_TEST_NET_DIR. A failure
// or a signal during the bring-up takes down what was started; the caller takes the network
// down with Down.
func Up(cfg Config, dir string) (*Network, error) {
	root, err := FindRoot()
	if err != nil {
		return nil, err
	}
	n := &Network{Kind: cfg.Kind, Root: root}
	if n.Dir, err = filepath.Abs(dir); err != nil {
		return nil, err
	}
	if err := n.configure(cfg); err != nil {
		return nil, err
	}
	g, err := n.guard(n.Dir, "")
	if err != nil {
		return nil, err
	}
	if err := n.up(cfg); err != nil {
		g.down()
		return nil, err
	}
	g.release()
	return n, nil
}

// Down takes down the network of kind in dir that Up started.
func Down(kind Kind, dir string) error {
	root, err := FindRoot()
	if err != nil {
		return err
	}
	n := &Network{Kind: kind, Root: root}
	if n.Dir, err = filepath.Abs(dir); err != nil {
		return err
	}
	n.env = []string{n.dirEnv()}
	start := time.Now()
	cmd := exec.Command("/bin/sh", "-c", n.downScript(""))
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s network down: %w\n%s", kind, err, out)
	}
	fmt.Printf("%s network down in %s\n", kind, since(start))
	return nil
}

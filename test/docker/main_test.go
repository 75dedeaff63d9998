// Package docker_test is the end-to-end suite of the docker compose network: the lifecycle story
// through the gateways' REST API and the recv CLI, and containers (a peer, an orderer, a gateway)
// stopped or restarted while the others keep working, until they catch up.
//
// TestMain brings up its own compose network with scripts/docker.sh (images built when missing or
// stale) in a temporary state folder, under its own compose project (recvtest) and ports
// (RECV_TEST_DOCKER_PORT_OFFSET, default 6000), and takes it down at the end, also when a test
// fails or the run is interrupted. With RECV_TEST_DOCKER_DIR set it uses that running compose
// network instead (its project is recorded in the folder) and leaves it up. Without a Docker
// engine it prints "SKIPPED: no Docker engine" and passes.
package docker_test

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/recv-ledger/recv/test/internal/testnet"
)

var (
	root    string   // repository root
	netDir  string   // the compose network's state folder (network.json, gateways/, orgs/)
	recvBin string   // the recv binary under test
	env     []string // RECV_DOCKER_* settings for scripts/docker.sh
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	flag.Parse()
	if testing.Short() {
		fmt.Println("SKIPPED: the docker end-to-end suite needs a compose network (not in -short mode)")
		return 0
	}
	if out, err := exec.Command("docker", "info").CombinedOutput(); err != nil {
		fmt.Printf("SKIPPED: no Docker engine (docker info: %v: %s)\n", err, lastLine(out))
		return 0
	}
	if !haveCompose() {
		fmt.Println("SKIPPED: no docker compose (neither `docker compose` nor docker-compose)")
		return 0
	}
	var err error
	if root, err = testnet.FindRoot(); err != nil {
		fmt.Println("docker tests:", err)
		return 1
	}
	tmp, err := os.MkdirTemp("", "recv-docker-test-")
	if err != nil {
		fmt.Println(err)
		return 1
	}
	defer os.RemoveAll(tmp)

	recvBin = filepath.Join(tmp, "recv")
	if out, err := command(filepath.Join(root, "gateway"), []string{"GOWORK=off"}, "go", "build", "-o", recvBin, "./cmd/recv").CombinedOutput(); err != nil {
		fmt.Printf("build recv: %v\n%s", err, out)
		return 1
	}

	if dir := os.Getenv("RECV_TEST_DOCKER_DIR"); dir != "" {
		netDir, _ = filepath.Abs(dir)
		env = []string{"RECV_DOCKER_DIR=" + netDir}
		return m.Run()
	}
	netDir = filepath.Join(tmp, "net")
	offset := os.Getenv("RECV_TEST_DOCKER_PORT_OFFSET")
	if offset == "" {
		offset = "6000"
	}
	env = []string{"RECV_DOCKER_DIR=" + netDir, "RECV_DOCKER_PROJECT=recvtest", "RECV_DOCKER_PORT_OFFSET=" + offset}

	var once sync.Once
	down := func() {
		once.Do(func() {
			start := time.Now()
			if out, err := dockerSh("down"); err != nil {
				fmt.Printf("docker down: %v\n%s", err, out)
			} else {
				fmt.Printf("compose network down in %s\n", time.Since(start).Round(time.Second))
			}
		})
	}
	// Interrupted (Ctrl-C, a CI cancel): take the network down before exiting.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sig
		fmt.Printf("\n%v: taking the compose network down\n", s)
		down()
		os.Exit(1)
	}()
	defer down()

	// A run that was killed (its deferred down never ran) may have left the project behind.
	_, _ = dockerSh("down")
	start := time.Now()
	if out, err := dockerSh("up"); err != nil {
		fmt.Printf("docker up: %v\n%s", err, out)
		return 1
	}
	fmt.Printf("compose network up in %s (images, nodes, channel, chaincode, gateways)\n", time.Since(start).Round(time.Second))
	return m.Run()
}

// haveCompose says whether scripts/docker.sh will find a compose command.
func haveCompose() bool {
	if exec.Command("docker", "compose", "version").Run() == nil {
		return true
	}
	_, err := exec.LookPath("docker-compose")
	return err == nil
}

// dockerSh runs scripts/docker.sh with the suite's settings.
func dockerSh(args ...string) ([]byte, error) {
	return command(root, env, filepath.Join(root, "scripts", "docker.sh"), args...).CombinedOutput()
}

func command(dir string, env []string, name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	return cmd
}

// lastLine is the last line of a command's output (docker info ends with its error).
func lastLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	return s[strings.LastIndex(s, "\n")+1:]
}

// Package integration drives the receivables chaincode on a real native Fabric network through
// the fabric-gateway Go SDK, each organisation's user speaking to its own organisation's peer:
// the lifecycle across three supplier tiers and two banks, events, history, trace, the
// conservation invariant, refusals by organisation and role, and agreement of every peer.
//
// By default TestMain brings up a fresh network in a temporary folder on its own ports
// (RECV_PORT_OFFSET, default 4000) with scripts/network.sh and takes it down at the end, whatever
// the tests did. With RECV_TEST_NET_DIR set it uses that running network and leaves it up.
package integration

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/recv-ledger/recv/gateway/network"
	"github.com/recv-ledger/recv/test/internal/testnet"
)

var (
	root string               // repository root
	net  *network.Description // the network under test
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	flag.Parse()
	if testing.Short() {
		fmt.Println("SKIPPED: integration tests need a Fabric network (not in -short mode)")
		return 0
	}
	var err error
	if root, err = testnet.FindRoot(); err != nil {
		fmt.Println("integration tests:", err)
		return 1
	}
	netDir := os.Getenv("RECV_TEST_NET_DIR")
	if netDir == "" {
		tmp, err := os.MkdirTemp("", "recv-integration-")
		if err != nil {
			fmt.Println(err)
			return 1
		}
		defer os.RemoveAll(tmp)
		netDir = filepath.Join(tmp, "net")
		down, err := networkUp(netDir)
		defer down()
		if err != nil {
			fmt.Println(err)
			return 1
		}
	}
	if net, err = network.Load(filepath.Join(netDir, "network.json")); err != nil {
		fmt.Println(err)
		return 1
	}
	defer closeClients()
	return m.Run()
}

// networkUp starts a fresh network in dir and returns the function that takes it down. A SIGINT
// or SIGTERM during the run also takes it down, so no node outlives the test binary.
func networkUp(dir string) (func(), error) {
	offset := os.Getenv("RECV_PORT_OFFSET")
	if offset == "" {
		offset = "4000"
	}
	env := []string{"RECV_NET_DIR=" + dir, "RECV_PORT_OFFSET=" + offset}
	down := func() {
		if out, err := script(env, "down").CombinedOutput(); err != nil {
			fmt.Printf("network down: %v\n%s", err, out)
		}
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		if _, ok := <-sig; ok {
			down()
			os.Exit(130)
		}
	}()
	stop := func() {
		signal.Stop(sig)
		close(sig)
		down()
	}
	start := time.Now()
	if out, err := script(env, "up").CombinedOutput(); err != nil {
		return stop, fmt.Errorf("network up: %w\n%s", err, out)
	}
	fmt.Printf("network up in %s (5 CAs + orderer CA, 3 orderers, 5 peers, channel, chaincode committed)\n",
		time.Since(start).Round(100*time.Millisecond))
	return stop, nil
}

func script(env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(root, "scripts", "network.sh"), args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), env...)
	return cmd
}

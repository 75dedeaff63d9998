package testnet

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// The nodes of a native network by name, as scripts/network.sh names them (`network.sh nodes`:
// ca.core, orderer1, peer0.bank1, chaincode, ...) plus gateway.ORG for the gateway of org ORG
// (scripts/gateways.sh). Each hook goes through the scripts, which signal a process only by the
// PID file this network wrote and only while the process is the one they started: fault suites
// kill, pause and restart nodes with them, never by process name.

// Nodes lists the network's node names (gateways not included).
func (n *Network) Nodes() ([]string, error) {
	out, err := n.native("nodes")
	if err != nil {
		return nil, err
	}
	return strings.Fields(out), nil
}

// Signal sends signal sig (KILL, STOP, CONT, TERM, ...) to node. After KILL it returns once the
// process is gone.
func (n *Network) Signal(node, sig string) error {
	if org, ok := strings.CutPrefix(node, "gateway."); ok {
		_, err := n.gateways("kill", org, sig)
		return err
	}
	_, err := n.native("kill", node, sig)
	return err
}

// Restart starts the named nodes that are not running (a killed peer, orderer, chaincode server
// or gateway) and waits until each answers; running ones are left alone.
func (n *Network) Restart(nodes ...string) error {
	var net []string
	gateways := false
	for _, node := range nodes {
		if strings.HasPrefix(node, "gateway.") {
			gateways = true
		} else {
			net = append(net, node)
		}
	}
	if len(net) > 0 {
		if _, err := n.native(append([]string{"start"}, net...)...); err != nil {
			return err
		}
	}
	if gateways {
		_, err := n.gateways("up")
		return err
	}
	return nil
}

// Stop stops the gateways and every node and keeps the state folder (`make stop`).
func (n *Network) Stop() error {
	if _, err := n.gateways("down"); err != nil {
		return err
	}
	_, err := n.native("stop")
	return err
}

// Start starts a stopped network and its gateways from the state folder (`make start`) and
// waits until they answer.
func (n *Network) Start() error {
	if _, err := n.native("start"); err != nil {
		return err
	}
	_, err := n.gateways("up")
	return err
}

// Height is the channel's block height on a peer or an orderer.
func (n *Network) Height(node string) (uint64, error) {
	out, err := n.native("height", node)
	if err != nil {
		return 0, err
	}
	h, err := strconv.ParseUint(strings.TrimSpace(out), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("height of %s: %q is no number", node, strings.TrimSpace(out))
	}
	return h, nil
}

// LogTail is the last n lines of node's log (`network.sh logs NODE`): what a failed wait shows.
func (n *Network) LogTail(node string, lines int) string {
	out, err := n.native("logs", node)
	if err != nil {
		return err.Error()
	}
	all := strings.Split(strings.TrimRight(out, "\n"), "\n")
	return strings.Join(all[max(0, len(all)-lines):], "\n")
}

// RaftLeader is the orderer that reports itself the channel's Raft leader on its operations
// endpoint.
func (n *Network) RaftLeader() (string, error) {
	out, err := n.native("leader")
	return strings.TrimSpace(out), err
}

func (n *Network) native(args ...string) (string, error) {
	if n.Kind != Native {
		return "", fmt.Errorf("network.sh %s: only a native network's nodes are handled by name", args[0])
	}
	return n.run(n.script(), args...)
}

func (n *Network) gateways(args ...string) (string, error) {
	if n.Kind != Native {
		return "", fmt.Errorf("gateways.sh %s: only a native network's gateways are handled by name", args[0])
	}
	return n.run(filepath.Join(n.Root, "scripts", "gateways.sh"), args...)
}

func (n *Network) run(script string, args ...string) (string, error) {
	cmd := n.Command(script, args...)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%s %s: %w: %s", filepath.Base(script), strings.Join(args, " "), err, strings.TrimSpace(errOut.String()+"\n"+out.String()))
	}
	return out.String(), nil
}

// HostAddress is where this host reaches the listener at addr of node service, as the network's
// own nodes name it (a chaincode server in its package's connection.json: chaincode.bank1.recv.local:7902).
// A native network's nodes listen on this host: addr itself. A compose network's unpublished
// listeners are reached at the service's container address on the project's network, at the same
// port: a Docker engine on this host routes to its bridge networks (Docker Desktop or a remote
// engine does not; the caller finds out when it dials).
func (n *Network) HostAddress(service, addr string) (string, error) {
	if n.Kind != Compose {
		return addr, nil
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("address %q of %s: %w", addr, service, err)
	}
	// The project's container of the service, by the labels both compose versions set (much
	// quicker than a compose call); the project is the one the state folder records.
	env, err := os.ReadFile(filepath.Join(n.Dir, "compose.env"))
	if err != nil {
		return "", err
	}
	project := ""
	for _, line := range strings.Split(string(env), "\n") {
		if v, ok := strings.CutPrefix(line, "COMPOSE_PROJECT_NAME="); ok {
			project = strings.TrimSpace(v)
		}
	}
	if project == "" {
		return "", fmt.Errorf("%s/compose.env names no compose project", n.Dir)
	}
	ps, err := exec.Command("docker", "ps", "-q", "--filter", "label=com.docker.compose.project="+project,
		"--filter", "label=com.docker.compose.service="+service).Output()
	if err != nil {
		return "", fmt.Errorf("docker ps for %s: %w", service, err)
	}
	id, _, _ := strings.Cut(strings.TrimSpace(string(ps)), "\n")
	if id == "" {
		return "", fmt.Errorf("no running container of %s in compose project %s", service, project)
	}
	out, err := exec.Command("docker", "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}", id).Output()
	if err != nil {
		return "", fmt.Errorf("docker inspect %s (%s): %w", service, id, err)
	}
	ips := strings.Fields(string(out))
	if len(ips) == 0 {
		return "", fmt.Errorf("the container of %s has no address on a network", service)
	}
	return net.JoinHostPort(ips[0], port), nil
}

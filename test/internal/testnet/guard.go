package testnet

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"
)

// guard takes a network the harness started down however the process ends.
//
// A deferred call does not run when a test panics (the panic ends the process from the test's
// goroutine), when `go test -timeout` fires or when the process is killed, so the clean-up runs in
// a small shell (the reaper) in its own process group that waits on a pipe only this process
// holds: when this process ends in any way, the pipe closes and the reaper takes the network down.
// On a normal end the harness closes the pipe itself and waits for the reaper, so there is one
// clean-up path; on SIGINT or SIGTERM it first stops a bring-up still running, then does the same
// and exits. Writing "keep" before closing releases the network instead (the testnet command).
type guard struct {
	net   *Network
	pipe  *os.File
	cmd   *exec.Cmd
	log   string
	sig   chan os.Signal
	once  sync.Once
	start time.Time
}

// guard arms the clean-up of the network in dir, which also removes tmp ("" for none).
func (n *Network) guard(dir, tmp string) (*guard, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	logf, err := os.CreateTemp("", "recv-testnet-down-*.log")
	if err != nil {
		w.Close()
		return nil, err
	}
	defer logf.Close()
	script := "trap '' INT TERM HUP\nread -r line || true\n[ \"$line\" = keep ] && exit 0\n" + n.downScript(tmp)
	cmd := exec.Command("/bin/sh", "-c", script)
	cmd.Dir = n.Root
	cmd.Stdin, cmd.Stdout, cmd.Stderr = r, logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		w.Close()
		return nil, fmt.Errorf("start the clean-up of %s: %w", dir, err)
	}
	g := &guard{net: n, pipe: w, cmd: cmd, log: logf.Name(), sig: make(chan os.Signal, 1)}
	signal.Notify(g.sig, syscall.SIGINT, syscall.SIGTERM)
	go g.onSignal()
	return g, nil
}

func (g *guard) onSignal() {
	s, ok := <-g.sig
	if !ok {
		return
	}
	fmt.Printf("\n%v: taking the %s network down\n", s, g.net.Kind)
	g.net.stopBringUp()
	g.down()
	if s == syscall.SIGTERM {
		os.Exit(143)
	}
	os.Exit(130)
}

// down takes the network down now (once) and reports how long it took.
func (g *guard) down() {
	g.finish("down\n", true)
}

// release keeps the network up: the reaper exits without touching it.
func (g *guard) release() {
	g.finish("keep\n", false)
}

func (g *guard) finish(word string, report bool) {
	g.once.Do(func() {
		signal.Stop(g.sig)
		close(g.sig)
		start := time.Now()
		_, _ = g.pipe.WriteString(word)
		_ = g.pipe.Close()
		err := g.cmd.Wait()
		out, _ := os.ReadFile(g.log)
		_ = os.Remove(g.log)
		switch {
		case err != nil:
			fmt.Printf("%s network down: %v\n%s", g.net.Kind, err, out)
		case report:
			prefix := ""
			if g.net.Kind == Compose {
				prefix = "compose "
			}
			fmt.Printf("%snetwork down in %s\n", prefix, since(start))
			if strings.Contains(string(out), "ERROR") {
				fmt.Print(string(out))
			}
		}
	})
}

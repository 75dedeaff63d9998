package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
)

// proc is one process of the network (or this client), found by the PID file the network's
// scripts wrote for it.
type proc struct {
	name string // the node's name: peer0.core, orderer1, chaincode, gateway.core, client
	kind string // what the report groups it under: peers, orderers, chaincode, gateways, cas, client
	pid  int
}

// networkProcs are the processes of the native network in netDir: every node with a PID file in
// pids/ (scripts/network.sh), every gateway with one in gateways/*/recv.pid (scripts/gateways.sh),
// and this client.
func networkProcs(netDir string) ([]proc, error) {
	var procs []proc
	files, _ := filepath.Glob(filepath.Join(netDir, "pids", "*.pid"))
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".pid")
		if pid, ok := readPID(f); ok {
			procs = append(procs, proc{name: name, kind: kindOf(name), pid: pid})
		}
	}
	files, _ = filepath.Glob(filepath.Join(netDir, "gateways", "*", "recv.pid"))
	for _, f := range files {
		if pid, ok := readPID(f); ok {
			procs = append(procs, proc{name: "gateway." + filepath.Base(filepath.Dir(f)), kind: "gateways", pid: pid})
		}
	}
	if len(procs) == 0 {
		return nil, fmt.Errorf("no PID files in %s/pids: is the native network up there?", netDir)
	}
	procs = append(procs, proc{name: "client", kind: "client", pid: os.Getpid()})
	sort.Slice(procs, func(i, j int) bool { return procs[i].name < procs[j].name })
	return procs, nil
}

func readPID(file string) (int, bool) {
	b, err := os.ReadFile(file)
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid, err == nil && pid > 0
}

// kindOf groups a node by its name.
func kindOf(name string) string {
	switch {
	case strings.HasPrefix(name, "peer"):
		return "peers"
	case strings.HasPrefix(name, "orderer"):
		return "orderers"
	case strings.HasPrefix(name, "chaincode"):
		return "chaincode"
	case strings.HasPrefix(name, "ca."):
		return "cas"
	case strings.HasPrefix(name, "gateway"):
		return "gateways"
	}
	return "other"
}

// processKinds are the kinds the report shows CPU for, in this order.
var processKinds = []string{"peers", "orderers", "chaincode", "gateways", "client"}

// clockTicks is USER_HZ, the unit of the CPU times in /proc/PID/stat: 100 on every Linux
// architecture Go builds for.
const clockTicks = 100

// cpuSeconds is the user+system CPU time the process used so far (/proc/PID/stat fields 14 and
// 15); 0 when it is gone.
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	return parseCPU(string(b))
}

// parseCPU reads utime+stime from a /proc/PID/stat line; the command name in parentheses may hold
// spaces, so fields count from its closing parenthesis.
func parseCPU(stat string) float64 {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(stat[i+1:])
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseFloat(f[11], 64)
	s, _ := strconv.ParseFloat(f[12], 64)
	return (u + s) / clockTicks
}

// rssMiB is the process's resident set (VmRSS of /proc/PID/status) in MiB; 0 when it is gone.
func rssMiB(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	return parseRSS(string(b))
}

func parseRSS(status string) float64 {
	for _, line := range strings.Split(status, "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) >= 1 {
				kb, _ := strconv.ParseFloat(f[0], 64)
				return kb / 1024
			}
		}
	}
	return 0
}

// cpuByKind sums the CPU seconds of the processes by kind.
func cpuByKind(procs []proc) map[string]float64 {
	m := map[string]float64{}
	for _, p := range procs {
		m[p.kind] += cpuSeconds(p.pid)
	}
	return m
}

func runtimeCPUs() int { return runtime.NumCPU() }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

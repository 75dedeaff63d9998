package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"time"
)

// report is one benchmark run: what ran where, and each ramp. It is written as JSON, as a
// Markdown table and as a PNG chart.
type report struct {
	Started  string             `json:"started"`
	Finished string             `json:"finished"`
	Machine  machine            `json:"machine"`
	Settings map[string]string  `json:"settings"` // the network's ordering and peer settings, as rendered
	Note     string             `json:"note,omitempty"`
	Bounds   map[string]string  `json:"bounds"` // the run's levels and bounds
	Ramps    []rampResult       `json:"ramps"`
	Shapes   map[string]opShape `json:"shapes,omitempty"` // each operation's transactions as committed, which its twin replays
	NoTwin   map[string]string  `json:"noTwin,omitempty"` // why an operation has no twin (outside smoke, a twin that fails is left out)
}

// machine is what the numbers were measured on: they are only comparable within one run.
type machine struct {
	CPUs         int    `json:"cpus"`
	Model        string `json:"model"`
	LoadAtStart  string `json:"loadAverageAtStart"`
	LoadAtFinish string `json:"loadAverageAtFinish"`
}

func newReport(netDir, note string, cfg benchConfig) *report {
	return &report{
		Started:  time.Now().UTC().Format(time.RFC3339),
		Machine:  machine{CPUs: runtime.NumCPU(), Model: cpuModel(), LoadAtStart: loadAverage()},
		Settings: networkSettings(netDir),
		Note:     note,
		Bounds: map[string]string{
			"levels": fmt.Sprint(cfg.levels), "levelTime": cfg.levelTime.String(), "maxCount": fmt.Sprint(cfg.maxCount),
			"knee":     fmt.Sprintf("throughput rose < %.0f%% for %d levels", cfg.rise*100, cfg.patience),
			"rampTime": cfg.rampTime.String(), "smoke": fmt.Sprint(cfg.smoke),
		},
	}
}

func (r *report) add(rr rampResult) { r.Ramps = append(r.Ramps, rr) }

func (r *report) finish() {
	r.Finished = time.Now().UTC().Format(time.RFC3339)
	r.Machine.LoadAtFinish = loadAverage()
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

var settingLine = regexp.MustCompile(`^\s*(BatchTimeout|MaxMessageCount|AbsoluteMaxBytes|PreferredMaxBytes|SnapshotIntervalSize):\s*(\S.*?)\s*$`)

// networkSettings reads the block cutting and peer settings from the network's rendered
// configuration (the channel's configtx.yaml, the core enterprise peer's core.yaml).
func networkSettings(netDir string) map[string]string {
	m := map[string]string{}
	if b, err := os.ReadFile(filepath.Join(netDir, "channel", "configtx.yaml")); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if s := settingLine.FindStringSubmatch(line); s != nil {
				m[s[1]] = s[2]
			}
		}
	}
	if b, err := os.ReadFile(filepath.Join(netDir, "orgs", "core", "peer0", "config", "core.yaml")); err == nil {
		for _, key := range []string{"validatorPoolSize", "level", "stateDatabase"} {
			re := regexp.MustCompile(`(?m)^[ \t]*` + key + `:[ \t]*([^\s#]*)`)
			if s := re.FindSubmatch(b); s != nil {
				v := string(s[1])
				if v == "" {
					v = "(Fabric's default)"
				}
				m["peer."+key] = v
			}
		}
	}
	return m
}

// level returns the ramp's level at concurrency c.
func (rr rampResult) level(c int) (levelStats, bool) {
	for _, l := range rr.Levels {
		if l.Concurrency == c {
			return l, true
		}
	}
	return levelStats{}, false
}

// find returns the ramp of workload through via.
func (r *report) find(workload, via string) (rampResult, bool) {
	for _, rr := range r.Ramps {
		if rr.Workload == workload && rr.Via == via {
			return rr, true
		}
	}
	return rampResult{}, false
}

// failures sums a ramp's failures over its levels as "kind n, ...".
func (rr rampResult) failures() string {
	m := map[string]int{}
	for _, l := range rr.Levels {
		for k, n := range l.Failures {
			m[k] += n
		}
	}
	if len(m) == 0 {
		return "0"
	}
	var parts []string
	for k, n := range m {
		parts = append(parts, fmt.Sprintf("%s %d", k, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

func latencies(l levelStats, ok bool) string {
	if !ok {
		return "-"
	}
	return fmt.Sprintf("%.0f / %.0f / %.0f", l.P50ms, l.P95ms, l.P99ms)
}

// printTable writes the Markdown table: a row per ramp; "vs bare" is the ramp's best throughput
// over the bare chaincode's (through the SDK, at the size paired with the workload); "rest/sdk"
// the REST gateway's over the SDK's for the same workload.
func (r *report) printTable(w io.Writer) {
	fmt.Fprintln(w, "| workload | via | max tx/s | vs bare | rest/sdk | knee (in flight) | p50 / p95 / p99 ms at knee | half knee | p50 / p95 / p99 ms at half | failures | CPU ms/tx at knee: peers / orderers / chaincode / gateways / client |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---|---:|---|---|---|")
	for _, rr := range r.Ramps {
		vsBare, restSDK := "-", "-"
		if b, ok := r.find(fmt.Sprintf("bare-%d", rr.BareSize), "sdk"); ok && b.MaxTPS > 0 && rr.Via == "sdk" {
			vsBare = fmt.Sprintf("%.2f", rr.MaxTPS/b.MaxTPS)
		}
		if s, ok := r.find(rr.Workload, "sdk"); ok && rr.Via == "rest" && s.MaxTPS > 0 {
			restSDK = fmt.Sprintf("%.2f", rr.MaxTPS/s.MaxTPS)
		}
		k, kok := rr.level(rr.Knee)
		h, hok := rr.level(rr.HalfKnee)
		var cpu []string
		for _, kind := range processKinds {
			cpu = append(cpu, fmt.Sprintf("%.2f", k.CPUmsPerTx[kind]))
		}
		half := "-"
		if hok {
			half = fmt.Sprint(rr.HalfKnee)
		}
		name := rr.Workload
		if rr.TxPerOp > 1.05 {
			// A maker's write and the checker's confirmation: two ledger transactions, both counted.
			name += fmt.Sprintf(" (%.0f tx/op)", rr.TxPerOp)
		}
		fmt.Fprintf(w, "| %s | %s | %.1f | %s | %s | %d | %s | %s | %s | %s | %s |\n", name, rr.Via, rr.MaxTPS, vsBare,
			restSDK, rr.Knee, latencies(k, kok), half, latencies(h, hok), rr.failures(), strings.Join(cpu, " / "))
	}
}

// write puts the report in dir as bench-network.json, .md (the table) and .png (the chart).
func (r *report) write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "bench-network.json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, "bench-network.md"))
	if err != nil {
		return err
	}
	fmt.Fprintf(f, "Run %s .. %s on %d CPUs (%s), load average %s at the start, %s at the end.\n\n", r.Started, r.Finished,
		r.Machine.CPUs, r.Machine.Model, r.Machine.LoadAtStart, r.Machine.LoadAtFinish)
	r.printTable(f)
	r.printShapeTable(f)
	r.printDrift(f)
	if err := f.Close(); err != nil {
		return err
	}
	return drawChart(filepath.Join(dir, "bench-network.png"), r.chartPanels())
}

// chartPanels are throughput and p99 latency against concurrency, a row of two per client kind;
// the bare chaincode (SDK) is drawn in every row as the reference.
func (r *report) chartPanels() []panel {
	var panels []panel
	for _, via := range []string{"sdk", "rest"} {
		tps := panel{title: fmt.Sprintf("committed tx/s, %s (bare: SDK)", strings.ToUpper(via)), xLabel: "transactions in flight", logX: true}
		p99 := panel{title: fmt.Sprintf("p99 latency ms, %s (bare: SDK)", strings.ToUpper(via)), xLabel: "transactions in flight", logX: true}
		for _, rr := range r.Ramps {
			if rr.Via != via && !(rr.Via == "sdk" && strings.HasPrefix(rr.Workload, "bare-")) {
				continue
			}
			var t, p series
			t.name, p.name = rr.Workload, rr.Workload
			t.dashed = strings.HasPrefix(rr.Workload, "bare-")
			p.dashed = t.dashed
			for _, l := range rr.Levels {
				t.pts = append(t.pts, point{float64(l.Concurrency), l.TPS})
				p.pts = append(p.pts, point{float64(l.Concurrency), l.P99ms})
			}
			tps.series = append(tps.series, t)
			p99.series = append(p99.series, p)
		}
		if len(tps.series) > 0 {
			panels = append(panels, tps, p99)
		}
	}
	return panels
}

// beaconConflict is the failure a tick of the time beacon makes of an SDK write in flight: every
// write reads the beacon, and the SDK client, unlike the REST gateway, does not endorse a
// conflicted transaction again (docs/PERFORMANCE.md, "Failed rounds").
const beaconConflict = "commit:MVCC_READ_CONFLICT"

// smokeCheck: every workload committed at every level, and nothing failed but, through the SDK,
// at most as many MVCC conflicts as the level has writes in flight (what one tick of the time
// beacon, once a minute, invalidates). No speed is asserted.
func (r *report) smokeCheck() error {
	var bad []string
	tolerated := 0
	for _, rr := range r.Ramps {
		for _, l := range rr.Levels {
			failed := l.failed()
			if n := l.Failures[beaconConflict]; rr.Via == "sdk" && n > 0 && n <= l.Concurrency {
				failed -= n
				tolerated += n
			}
			if l.Started-l.failed() == 0 || failed > 0 {
				bad = append(bad, fmt.Sprintf("%s via %s at %d in flight: %d committed, failures %v %v", rr.Workload, rr.Via, l.Concurrency, l.Committed, l.Failures, l.Examples))
			}
		}
	}
	if len(r.Ramps) == 0 {
		bad = append(bad, "no workload ran")
	}
	if len(bad) > 0 {
		return fmt.Errorf("smoke: %s", strings.Join(bad, "; "))
	}
	note := ""
	if tolerated > 0 {
		note = fmt.Sprintf(" but %d SDK write(s) a tick of the time beacon invalidated (%s)", tolerated, beaconConflict)
	}
	fmt.Printf("smoke: %d ramps, every level committed, no failures%s\n", len(r.Ramps), note)
	return nil
}

// printDrift says how far the bare chaincode's ceiling moved between its first ramp and its last
// (1 KiB, SDK): the "vs bare" ratios divide by the last one.
func (r *report) printDrift(w io.Writer) {
	first, ok1 := r.find(bareFirst, "sdk")
	last, ok2 := r.find("bare-1024", "sdk")
	if !ok1 || !ok2 || first.MaxTPS == 0 {
		return
	}
	network := func(rr rampResult) float64 {
		l, _ := rr.level(rr.Knee)
		return l.CPUmsPerTx["peers"] + l.CPUmsPerTx["orderers"] + l.CPUmsPerTx["chaincode"] + l.CPUmsPerTx["gateways"]
	}
	fmt.Fprintf(w, "\nBare chaincode (1 KiB, SDK) first and last: max %.1f -> %.1f tx/s (%+.0f%%), network CPU at the knee %.2f -> %.2f ms/tx; \"vs bare\" divides by the last.\n",
		first.MaxTPS, last.MaxTPS, (last.MaxTPS/first.MaxTPS-1)*100, network(first), network(last))
	if first.Quiet.VerifyPerSec > 0 && last.Quiet.VerifyPerSec > 0 {
		fmt.Fprintf(w, "Before each of the two, nothing submitted: the network's processes used %.0f -> %.0f ms of CPU per second (peers %.0f -> %.0f), one core verified %.0f -> %.0f ECDSA P-256 signatures per second (%+.0f%%).\n",
			first.Quiet.networkMsPerSec(), last.Quiet.networkMsPerSec(), first.Quiet.CPUmsPerSec["peers"], last.Quiet.CPUmsPerSec["peers"],
			first.Quiet.VerifyPerSec, last.Quiet.VerifyPerSec, (last.Quiet.VerifyPerSec/first.Quiet.VerifyPerSec-1)*100)
	}
}

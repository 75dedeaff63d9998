package main

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// The network benchmark (make bench-network): for each workload and each client kind, a closed
// loop at increasing concurrency until committed throughput stops rising (the knee). Each level
// runs -level-time; its throughput counts the transactions that committed within that window; its
// latencies are every transaction it started, each timed from its first attempt to its commit on
// the submitting organisation's peer. The receivables a workload needs are prepared (untimed)
// before each level, so a level measures its workload alone; the CPU each kind of process used
// in the window comes from /proc.

// benchConfig bounds a benchmark run.
type benchConfig struct {
	levels     []int         // concurrency levels, increasing
	levelTime  time.Duration // how long each level runs
	maxCount   int           // at most this many transactions per level
	rise       float64       // a level that raises throughput by less than this fraction over the best so far...
	patience   int           // ...this many times in a row ends the ramp
	rampTime   time.Duration // a ramp ends after this long whatever its levels
	prepConc   int           // concurrency of the untimed preparation
	smoke      bool          // a few transactions per level, two levels: checks that it works
	workloads  map[string]bool
	shapes     map[string]bool // the operations whose same-shape twin runs (shape.go); nil: all
	clientKind string
}

func runBench(args []string) error {
	fs := flag.NewFlagSet("load bench", flag.ExitOnError)
	netDir := netFlag(fs)
	out := fs.String("out", "bench-network", "folder for bench-network.{json,md,png}")
	via := fs.String("via", "both", "sdk, rest or both (the bare chaincode runs through the SDK only)")
	levels := fs.String("levels", "1,2,4,8,16,32,64,128", "concurrency levels, increasing")
	levelTime := fs.Duration("level-time", 5*time.Second, "how long each concurrency level runs")
	maxCount := fs.Int("max-count", 3000, "at most this many transactions per level")
	rise := fs.Float64("rise", 0.05, "the knee: throughput rose by less than this fraction over the best level...")
	patience := fs.Int("patience", 2, "...this many levels in a row")
	rampTime := fs.Duration("ramp-time", 2*time.Minute, "bound of each workload's ramp through the levels")
	only := fs.String("workloads", "", "comma-separated workloads to run (default all): Issue,Accept,...,bare-1024")
	smoke := fs.Bool("smoke", false, "CI: two levels of two transactions, every workload through the SDK and two through REST; checks that each commits, asserts no speed")
	note := fs.String("note", "", "what this run is (settings, machine load), recorded in the report")
	shapes := fs.String("shapes", "", "comma-separated operations whose same-shape twin runs after them (default all; smoke: "+smokeShapes+"), none for no twin")
	_ = fs.Parse(args)

	cfg := benchConfig{levelTime: *levelTime, maxCount: *maxCount, rise: *rise, patience: *patience,
		rampTime: *rampTime, prepConc: 32, smoke: *smoke, clientKind: *via}
	var err error
	if cfg.levels, err = parseLevels(*levels); err != nil {
		return err
	}
	if cfg.smoke {
		cfg.levels, cfg.levelTime, cfg.maxCount, cfg.patience, cfg.prepConc = []int{1, 2}, 2*time.Second, 2, 99, 4
	}
	if cfg.shapes = nameSet(*shapes); cfg.smoke && *shapes == "" {
		cfg.shapes = nameSet(smokeShapes)
	}
	if *only != "" {
		cfg.workloads = map[string]bool{}
		for _, w := range strings.Split(*only, ",") {
			cfg.workloads[strings.TrimSpace(w)] = true
		}
	}

	desc, procs, kinds, err := openNetwork(*netDir, *via)
	if err != nil {
		return err
	}
	defer closeAll(kinds)
	rep := newReport(*netDir, *note, cfg)
	if s, ok := kinds[0].(*sdkClient); ok && len(s.gateways) > 0 {
		// The channel's block cutting as it is now, over the rendered configtx.yaml's.
		m, err := channelSettings(s.gateways[0], desc.Channel)
		if err != nil {
			return err
		}
		maps.Copy(rep.Settings, m)
	}
	if err := bench(cfg, kinds, procs, rep); err != nil {
		return err
	}
	rep.finish()
	if err := rep.write(*out); err != nil {
		return err
	}
	rep.printTable(os.Stdout)
	rep.printShapeTable(os.Stdout)
	rep.printDrift(os.Stdout)
	fmt.Printf("\nwrote %s/bench-network.{json,md,png}\n", *out)
	if cfg.smoke {
		return rep.smokeCheck()
	}
	return nil
}

func parseLevels(s string) ([]int, error) {
	var levels []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || (len(levels) > 0 && n <= levels[len(levels)-1]) {
			return nil, fmt.Errorf("-levels %q: want increasing positive integers", s)
		}
		levels = append(levels, n)
	}
	return levels, nil
}

// smokeREST are the workloads the smoke mode also runs through the REST gateways: one whose body
// is the whole request and one with a path id and a body field (the gateway's routes of every
// operation are the gateway suite's business); every workload runs through the SDK.
var smokeREST = map[string]bool{"Issue": true, "ApproveFinancing": true}

// bench runs every workload's ramp for every client kind; the first kind (the SDK when there)
// prepares the receivables.
func bench(cfg benchConfig, kinds []submitter, procs []proc, rep *report) error {
	now := time.Now().UTC()
	today, later := now.Format("2006-01-02"), now.AddDate(0, 0, 90).Format("2006-01-02")
	p, g := newPools(), newIDs("BN")
	prep := kinds[0]
	for _, w := range workloads(today, later) {
		if cfg.workloads != nil && !cfg.workloads[w.name] {
			continue
		}
		if len(w.setup) > 0 {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			err := runSteps(ctx, prep, w.setup)
			cancel()
			if err != nil {
				return fmt.Errorf("setting up %s: %w", w.name, err)
			}
		}
		for _, k := range kinds {
			if w.bare && k.name() != "sdk" {
				continue
			}
			if cfg.smoke && k.name() == "rest" && !smokeREST[w.name] {
				continue
			}
			fmt.Printf("%s via %s:", w.name, k.name())
			r, err := ramp(cfg, w, k, prep, p, g, procs, today, later)
			fmt.Println()
			if err != nil {
				return fmt.Errorf("%s via %s: %w", w.name, k.name(), err)
			}
			rep.add(r)
		}
		if err := benchTwin(cfg, w, kinds, procs, p, g, today, later, rep); err != nil && cfg.smoke {
			return err
		}
	}
	return nil
}

// rampResult is one workload's ramp through one client kind.
type rampResult struct {
	Workload   string       `json:"workload"`
	Via        string       `json:"via"`
	BareSize   int          `json:"bareSize"`
	Levels     []levelStats `json:"levels"`
	MaxTPS     float64      `json:"maxTxPerSec"`    // ledger transactions per second, at the best level
	TxPerOp    float64      `json:"txPerOperation"` // ledger transactions per operation (2: maker's instruction and checker's confirmation)
	Knee       int          `json:"knee"`           // the lowest concurrency reaching 95% of MaxTPS
	HalfKnee   int          `json:"halfKnee"`       // the level at half the knee's concurrency (or the one below)
	StopReason string       `json:"stopReason"`     // why the ramp ended
	Quiet      quietProbe   `json:"quietBefore"`    // the machine just before the ramp, nothing submitted
}

// levelStats is one concurrency level of a ramp.
type levelStats struct {
	Concurrency int                `json:"concurrency"`
	Started     int                `json:"started"`
	Committed   int                `json:"committed"`          // ledger transactions committed within the level's window
	Operations  int                `json:"operations"`         // operations (a maker's write and its confirmation are one) completed within it
	Seconds     float64            `json:"seconds"`            // the window
	TPS         float64            `json:"txPerSec"`           // Committed / Seconds
	OpsPerSec   float64            `json:"opsPerSec"`          // Operations / Seconds
	P50ms       float64            `json:"p50ms"`              // latencies of every transaction it started
	P95ms       float64            `json:"p95ms"`              //
	P99ms       float64            `json:"p99ms"`              //
	Failures    map[string]int     `json:"failures"`           // by kind (failureKind)
	Examples    map[string]string  `json:"examples,omitempty"` // the first error of each kind
	CPUmsPerTx  map[string]float64 `json:"cpuMsPerTx"`         // CPU ms per committed transaction, by process kind
	Exhausted   bool               `json:"exhausted"`          // the level's inputs (at most -max-count) ran out
}

func (l levelStats) failed() int {
	n := 0
	for _, c := range l.Failures {
		n += c
	}
	return n
}

func ramp(cfg benchConfig, w workload, k submitter, prep submitter, p *pools, g *ids, procs []proc, today, later string) (rampResult, error) {
	r := rampResult{Workload: w.name, Via: k.name(), BareSize: w.bareSize}
	probe := 2 * time.Second
	if cfg.smoke {
		probe = 200 * time.Millisecond
	}
	time.Sleep(probe / 2) // the previous ramp's last commits
	r.Quiet = probeQuiet(procs, probe)
	started := time.Now()
	best, flat := 0.0, 0
	prev := levelStats{}
	for i, c := range cfg.levels {
		if time.Since(started) > cfg.rampTime {
			r.StopReason = fmt.Sprintf("ramp time %s spent", cfg.rampTime)
			break
		}
		need := cfg.maxCount
		if w.needs != fresh {
			need = min(cfg.maxCount, inputEstimate(prev, c, cfg.levelTime))
			prepCount := need
			if cfg.smoke && i == 0 {
				// A few per level: prepared at once, which takes the chain's latency once.
				prepCount = cfg.maxCount * len(cfg.levels)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			err := prepare(ctx, prep, p, g, w.needs, prepCount, cfg.prepConc, today, later)
			cancel()
			if err != nil {
				return r, err
			}
		}
		l := runLevel(cfg, w, k, p, g, procs, c, need)
		fmt.Printf(" c=%d %.1ftx/s", c, l.TPS)
		r.Levels = append(r.Levels, l)
		if l.Committed == 0 {
			r.StopReason = "nothing committed"
			break
		}
		if l.TPS >= best*(1+cfg.rise) {
			flat = 0
		} else {
			flat++
		}
		best = math.Max(best, l.TPS)
		prev = l
		if flat >= cfg.patience {
			r.StopReason = fmt.Sprintf("throughput rose by less than %.0f%% for %d levels", cfg.rise*100, cfg.patience)
			break
		}
	}
	if r.StopReason == "" {
		r.StopReason = "last level"
	}
	r.MaxTPS, r.Knee, r.HalfKnee = knee(r.Levels)
	txs, ops := 0, 0
	for _, l := range r.Levels {
		txs, ops = txs+l.Committed, ops+l.Operations
	}
	if ops > 0 {
		r.TxPerOp = float64(txs) / float64(ops)
	}
	return r, nil
}

// inputEstimate is how many receivables a level at concurrency c may use: throughput grows at
// most in proportion to concurrency, so the previous level's rate scaled by c/prev, over the
// level's time, with a margin; a first level gets one per 100 ms per worker.
func inputEstimate(prev levelStats, c int, levelTime time.Duration) int {
	rate := float64(c) * 10
	if prev.Concurrency > 0 && prev.OpsPerSec > 0 {
		rate = prev.OpsPerSec * float64(c) / float64(prev.Concurrency)
	}
	return int(math.Ceil(rate*levelTime.Seconds()*1.2)) + c
}

// knee finds the best throughput, the lowest level reaching 95% of it, and the level at half that
// concurrency (the highest level at or below it).
func knee(levels []levelStats) (maxTPS float64, knee, half int) {
	for _, l := range levels {
		maxTPS = math.Max(maxTPS, l.TPS)
	}
	for _, l := range levels {
		if l.TPS >= 0.95*maxTPS {
			knee = l.Concurrency
			break
		}
	}
	for _, l := range levels {
		if l.Concurrency <= knee/2 {
			half = l.Concurrency
		}
	}
	return maxTPS, knee, half
}

// runLevel runs the closed loop at concurrency c: c workers, each submitting the workload's next
// transaction as soon as its previous one committed, until the level's time is up or its inputs
// (at most max) are used up.
func runLevel(cfg benchConfig, w workload, k submitter, p *pools, g *ids, procs []proc, c, max int) levelStats {
	l := levelStats{Concurrency: c, Failures: map[string]int{}, Examples: map[string]string{}}
	var (
		mu        sync.Mutex
		latencies []time.Duration
		inWindow  int // ledger transactions
		opsIn     int
		lastAt    time.Time
		taken     int
	)
	next := func() (string, bool) {
		mu.Lock()
		defer mu.Unlock()
		if taken >= max {
			return "", false
		}
		if w.needs == fresh {
			taken++
			return g.next(), true
		}
		id, ok := p.take(w.needs)
		if ok {
			taken++
		}
		return id, ok
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.levelTime+time.Minute)
	defer cancel()
	cpu0 := cpuByKind(procs)
	t0 := time.Now()
	end := t0.Add(cfg.levelTime)
	var cpu1 map[string]float64
	var cpuOnce sync.Once
	stopCPU := time.AfterFunc(cfg.levelTime, func() { cpuOnce.Do(func() { cpu1 = cpuByKind(procs) }) })
	var wg sync.WaitGroup
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(end) {
				id, ok := next()
				if !ok {
					return
				}
				st := w.step(id)
				t := time.Now()
				txs, err := submitMade(ctx, k, st)
				done := time.Now()
				mu.Lock()
				l.Started++
				if err != nil {
					kind := failureKind(err)
					l.Failures[kind]++
					if _, ok := l.Examples[kind]; !ok {
						l.Examples[kind] = err.Error()
					}
				} else {
					latencies = append(latencies, done.Sub(t))
					if !done.After(end) {
						inWindow += txs
						opsIn++
						lastAt = done
					}
					p.put(w.yields, st.outputID())
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	stopCPU.Stop()
	cpuOnce.Do(func() { cpu1 = cpuByKind(procs) })
	window := cfg.levelTime
	if l.Exhausted = taken >= max; l.Exhausted && !lastAt.IsZero() && lastAt.Before(end) {
		// The inputs ran out before the time: the window ends with the last commit.
		window = lastAt.Sub(t0)
	}
	l.Committed, l.Operations, l.Seconds = inWindow, opsIn, window.Seconds()
	if l.Seconds > 0 {
		l.TPS = float64(inWindow) / l.Seconds
		l.OpsPerSec = float64(opsIn) / l.Seconds
	}
	l.P50ms, l.P95ms, l.P99ms = msOf(percentile(latencies, 50)), msOf(percentile(latencies, 95)), msOf(percentile(latencies, 99))
	l.CPUmsPerTx = map[string]float64{}
	for _, kind := range processKinds {
		if inWindow > 0 {
			l.CPUmsPerTx[kind] = (cpu1[kind] - cpu0[kind]) * 1000 / float64(inWindow)
		}
	}
	return l
}

// outputID is the receivable a step leaves in its workload's yielded state: the one it names, or
// the one it issues.
func (st step) outputID() string {
	if st.id != "" {
		return st.id
	}
	if r, ok := st.body.(wire.IssueRequest); ok {
		return r.ID
	}
	return ""
}

func msOf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

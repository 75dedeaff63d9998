package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// The soak (make soak): financing rounds through the SDK and the REST gateways at once for a long
// while, the resident memory of every process of the network sampled at a fixed interval. A
// process's growth is its mean over the last minute (growthWindow samples) over its mean over the
// first minute after the warm-up.

type soakReport struct {
	Started     string             `json:"started"`
	Finished    string             `json:"finished"`
	Machine     machine            `json:"machine"`
	Duration    string             `json:"duration"`
	WarmUp      string             `json:"warmUp"`
	Interval    string             `json:"interval"`
	Committed   int                `json:"committed"`
	TxPerSec    float64            `json:"txPerSec"`
	Failed      int                `json:"failedRounds"`
	Failures    map[string]int     `json:"failures,omitempty"` // failed rounds by kind of error
	Samples     []rssSample        `json:"samples"`
	Growth      map[string]float64 `json:"growth"` // by process: last sample / first after warm-up - 1
	MaxGrowth   float64            `json:"maxGrowth"`
	GrowthBound float64            `json:"growthBound"`
}

type rssSample struct {
	Seconds float64            `json:"seconds"` // since the start
	RSSMiB  map[string]float64 `json:"rssMiB"`  // by process
}

func runSoak(args []string) error {
	fs := flag.NewFlagSet("load soak", flag.ExitOnError)
	netDir := netFlag(fs)
	out := fs.String("out", "soak", "folder for soak.{json,md,png}")
	duration := fs.Duration("duration", 10*time.Minute, "how long the load runs")
	warmUp := fs.Duration("warm-up", 2*time.Minute, "growth is measured from the first sample after this")
	interval := fs.Duration("interval", 10*time.Second, "how often the memory of every process is sampled")
	concurrency := fs.Int("concurrency", 8, "financing rounds in flight per client kind (SDK and REST)")
	bound := fs.Float64("max-growth", 0.10, "fail when a process grows by more than this fraction after the warm-up")
	_ = fs.Parse(args)
	if *warmUp >= *duration {
		return fmt.Errorf("-warm-up %s must be shorter than -duration %s", *warmUp, *duration)
	}

	_, procs, kinds, err := openNetwork(*netDir, "both")
	if err != nil {
		return err
	}
	defer closeAll(kinds)
	rep := &soakReport{Started: time.Now().UTC().Format(time.RFC3339), Duration: duration.String(), WarmUp: warmUp.String(),
		Interval: interval.String(), GrowthBound: *bound,
		Machine: machine{CPUs: runtimeCPUs(), Model: cpuModel(), LoadAtStart: loadAverage()}}

	start := time.Now()
	done := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Add(1)
	go func() {
		defer sampler.Done()
		t := time.NewTicker(*interval)
		defer t.Stop()
		for {
			rep.sample(procs, start)
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	fmt.Printf("soak: %s of financing rounds, %d in flight through the SDK and %d through REST; memory every %s\n",
		*duration, *concurrency, *concurrency, *interval)
	var wg sync.WaitGroup
	results := make([]*result, len(kinds))
	for i, k := range kinds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = drive(k, math.MaxInt32, *concurrency, *duration)
		}()
	}
	wg.Wait()
	close(done)
	sampler.Wait()
	rep.sample(procs, start)
	for _, k := range kinds {
		k.close()
	}
	for _, r := range results {
		r.print(os.Stdout)
		rep.Committed += r.count()
		rep.Failed += r.failed
		for k, n := range r.failures {
			if rep.Failures == nil {
				rep.Failures = map[string]int{}
			}
			rep.Failures[k] += n
		}
	}
	rep.TxPerSec = float64(rep.Committed) / time.Since(start).Seconds()
	rep.Finished = time.Now().UTC().Format(time.RFC3339)
	rep.Machine.LoadAtFinish = loadAverage()
	rep.growth(warmUp.Seconds())
	if err := rep.write(*out); err != nil {
		return err
	}
	rep.printTable(os.Stdout)
	fmt.Printf("\nwrote %s/soak.{json,md,png}\n", *out)
	if rep.MaxGrowth > *bound {
		return fmt.Errorf("a process grew by %.1f%% after the warm-up, more than %.0f%%", rep.MaxGrowth*100, *bound*100)
	}
	return nil
}

func (r *soakReport) sample(procs []proc, start time.Time) {
	s := rssSample{Seconds: math.Round(time.Since(start).Seconds()), RSSMiB: map[string]float64{}}
	for _, p := range procs {
		s.RSSMiB[p.name] = math.Round(rssMiB(p.pid)*10) / 10
	}
	r.Samples = append(r.Samples, s)
}

// growthWindow is how many samples are averaged at each end: a process whose memory saws (the
// orderers' Raft log between snapshots) is compared by its mean, not by where one sample fell.
const growthWindow = 6

// growth compares each process's mean over the last samples with its mean over the first samples
// at or after the warm-up.
func (r *soakReport) growth(warmUp float64) {
	r.Growth = map[string]float64{}
	first := -1
	for i := range r.Samples {
		if r.Samples[i].Seconds >= warmUp {
			first = i
			break
		}
	}
	if first < 0 {
		return
	}
	n := min(growthWindow, (len(r.Samples)-first+1)/2)
	base, last := r.Samples[first:first+n], r.Samples[len(r.Samples)-n:]
	for name := range r.Samples[first].RSSMiB {
		b, l := meanRSS(base, name), meanRSS(last, name)
		if b > 0 && l > 0 {
			g := l/b - 1
			r.Growth[name] = math.Round(g*1000) / 1000
			r.MaxGrowth = math.Max(r.MaxGrowth, g)
		}
	}
}

func meanRSS(samples []rssSample, name string) float64 {
	sum := 0.0
	for _, s := range samples {
		sum += s.RSSMiB[name]
	}
	return sum / float64(len(samples))
}

func (r *soakReport) printTable(w io.Writer) {
	fmt.Fprintf(w, "%d transactions committed (%.1f tx/s), %d rounds failed%s\n\n", r.Committed, r.TxPerSec, r.Failed, byKind(r.Failures))
	fmt.Fprintln(w, "| process | RSS MiB at start | after warm-up | at end | growth after warm-up (means of a minute) |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|")
	if len(r.Samples) == 0 {
		return
	}
	first, last := r.Samples[0], r.Samples[len(r.Samples)-1]
	var base rssSample
	for _, s := range r.Samples {
		base = s
		if s.Seconds >= parseSeconds(r.WarmUp) {
			break
		}
	}
	for _, name := range sortedKeys(last.RSSMiB) {
		fmt.Fprintf(w, "| %s | %.1f | %.1f | %.1f | %+.1f%% |\n", name, first.RSSMiB[name], base.RSSMiB[name], last.RSSMiB[name], r.Growth[name]*100)
	}
}

func (r *soakReport) write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "soak.json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, "soak.md"))
	if err != nil {
		return err
	}
	fmt.Fprintf(f, "Soak %s .. %s (%s, warm-up %s, memory every %s) on %d CPUs, load average %s at the start, %s at the end.\n\n",
		r.Started, r.Finished, r.Duration, r.WarmUp, r.Interval, r.Machine.CPUs, r.Machine.LoadAtStart, r.Machine.LoadAtFinish)
	r.printTable(f)
	if err := f.Close(); err != nil {
		return err
	}
	return drawChart(filepath.Join(dir, "soak.png"), r.chartPanels())
}

// chartPanels: the RSS of each process against time, one panel per kind of process.
func (r *soakReport) chartPanels() []panel {
	if len(r.Samples) == 0 {
		return nil
	}
	byKind := map[string]*panel{}
	var order []string
	for _, name := range sortedKeys(r.Samples[0].RSSMiB) {
		kind := kindOf(name)
		if name == "client" {
			kind = "client"
		}
		p, ok := byKind[kind]
		if !ok {
			p = &panel{title: "RSS MiB, " + kind, xLabel: "seconds"}
			byKind[kind] = p
			order = append(order, kind)
		}
		s := series{name: name}
		for _, smp := range r.Samples {
			s.pts = append(s.pts, point{smp.Seconds, smp.RSSMiB[name]})
		}
		p.series = append(p.series, s)
	}
	var panels []panel
	for _, k := range order {
		panels = append(panels, *byKind[k])
	}
	return panels
}

func parseSeconds(d string) float64 {
	v, err := time.ParseDuration(d)
	if err != nil {
		return 0
	}
	return v.Seconds()
}

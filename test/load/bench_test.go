package main

import (
	"context"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer/etcdraft"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/recv-ledger/recv/chaincode/wire"
)

func TestKnee_LowestLevelWithin5PercentOfTheBest(t *testing.T) {
	levels := []levelStats{{Concurrency: 1, TPS: 5}, {Concurrency: 2, TPS: 10}, {Concurrency: 4, TPS: 19},
		{Concurrency: 8, TPS: 30}, {Concurrency: 16, TPS: 31}, {Concurrency: 32, TPS: 30.5}}
	best, k, half := knee(levels)
	assert.Equal(t, 31.0, best)
	assert.Equal(t, 8, k, "30 is within 5%% of 31")
	assert.Equal(t, 4, half)
	_, k, half = knee(levels[:1])
	assert.Equal(t, 1, k)
	assert.Zero(t, half, "no level at half of 1")
}

func TestInputEstimate_ScalesThePreviousRate(t *testing.T) {
	assert.Equal(t, 61, inputEstimate(levelStats{}, 1, 5*time.Second), "first level: 10/s per worker, 20% margin, plus one")
	assert.Equal(t, 4*60+4, inputEstimate(levelStats{Concurrency: 2, TPS: 40, OpsPerSec: 20}, 4, 5*time.Second), "operations, not ledger transactions, use inputs")
}

func TestParseLevels_IncreasingPositive(t *testing.T) {
	l, err := parseLevels("1, 2,4")
	require.NoError(t, err)
	assert.Equal(t, []int{1, 2, 4}, l)
	for _, bad := range []string{"", "2,1", "0,1", "1,x", "1,1"} {
		_, err := parseLevels(bad)
		assert.Error(t, err, bad)
	}
}

func TestProcFiles_CPUAndRSS(t *testing.T) {
	// The command name may hold spaces and parentheses; utime 150 + stime 50 ticks = 2 s.
	stat := "1234 (my (odd) cmd) S 1 1234 1234 0 -1 4194560 100 0 0 0 150 50 0 0 20 0 4 0 100 1000 200"
	assert.InDelta(t, 2.0, parseCPU(stat), 1e-9)
	assert.Zero(t, parseCPU("garbage"))
	assert.InDelta(t, 100.0, parseRSS("Name:\tpeer\nVmRSS:\t  102400 kB\nVmSwap: 0 kB\n"), 1e-9)
	assert.Zero(t, parseRSS("Name: x\n"))
	assert.Greater(t, cpuSeconds(os.Getpid())+rssMiB(os.Getpid()), 0.0, "this process is readable")
}

func TestNetworkProcs_FromThePIDFiles(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "pids"), 0o700))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "gateways", "core"), 0o700))
	for name, pid := range map[string]string{"pids/peer0.core.pid": "11", "pids/orderer1.pid": "12", "pids/chaincode-bare.pid": "13",
		"pids/ca.core.pid": "14", "gateways/core/recv.pid": "15"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(pid+"\n"), 0o600))
	}
	procs, err := networkProcs(dir)
	require.NoError(t, err)
	got := map[string]string{}
	for _, p := range procs {
		got[p.name] = p.kind
	}
	assert.Equal(t, map[string]string{"peer0.core": "peers", "orderer1": "orderers", "chaincode-bare": "chaincode",
		"ca.core": "cas", "gateway.core": "gateways", "client": "client"}, got)
	_, err = networkProcs(t.TempDir())
	assert.ErrorContains(t, err, "no PID files")
}

func TestWorkloads_EveryStepIsAWireOpAndEveryInputIsMade(t *testing.T) {
	made := map[state]bool{fresh: true}
	for _, w := range workloads("2026-01-01", "2026-04-01") {
		st := w.step("R-1")
		if w.bare {
			assert.Equal(t, barePut, st.op)
			assert.Equal(t, w.bareSize, st.body)
			continue
		}
		op, _, err := st.args()
		require.NoError(t, err, w.name)
		assert.True(t, op.Submit, "%s is a write", w.name)
		if w.needs != fresh {
			assert.NotEmpty(t, prepSteps(w.needs, "R-1", "2026-01-01", "2026-04-01"), "%s: its input can be prepared", w.name)
		}
		made[w.yields] = true
	}
	for _, st := range []state{pending, active, requested, due, dueSplit} {
		for _, s := range prepSteps(st, "R-1", "2026-01-01", "2026-04-01") {
			_, _, err := s.args()
			require.NoError(t, err, st)
		}
	}
	assert.True(t, made[pending] && made[active] && made[requested], "the lifecycle's workloads feed each other")
}

func TestStep_OutputIDIsTheIssuedOrNamedReceivable(t *testing.T) {
	assert.Equal(t, "R-9", step{treasurer, "issue", "", issueRequest("R-9", "2026-04-01")}.outputID())
	assert.Equal(t, "R-8", step{supplierA, "accept", "R-8", nil}.outputID())
}

func TestPools_FirstInFirstOut(t *testing.T) {
	p := newPools()
	p.put(active, "a")
	p.put(active, "b")
	p.put(fresh, "ignored")
	id, ok := p.take(active)
	assert.True(t, ok)
	assert.Equal(t, "a", id)
	assert.Equal(t, 1, p.size(active))
	_, ok = p.take(pending)
	assert.False(t, ok)
}

func TestFailureKind(t *testing.T) {
	assert.Equal(t, "commit:MVCC_READ_CONFLICT", failureKind(&commitError{txID: "t", code: "MVCC_READ_CONFLICT"}))
	assert.Equal(t, "timeout", failureKind(fmt.Errorf("x: %w", context.DeadlineExceeded)))
	assert.Equal(t, "commit:ENDORSEMENT_POLICY_FAILURE", failureKind(&wire.Problem{Kind: wire.KindCommit, ValidationCode: "ENDORSEMENT_POLICY_FAILURE"}))
	assert.Equal(t, "unavailable", failureKind(&wire.Problem{Kind: wire.KindUnavailable}))
	assert.Equal(t, "conflict", failureKind(fmt.Errorf("%w: %w", errStale, wire.Errorf(wire.KindConflict, "R-1 is PENDING"))))
	assert.Equal(t, "other", failureKind(fmt.Errorf("connection refused")))
}

func TestReport_TableJSONAndChart(t *testing.T) {
	r := newReport(t.TempDir(), "test", benchConfig{levels: []int{1, 2}, levelTime: time.Second})
	lv := func(c int, tps float64) levelStats {
		return levelStats{Concurrency: c, Started: 10, Committed: 10, TPS: tps, P99ms: 200 + tps, Failures: map[string]int{},
			CPUmsPerTx: map[string]float64{"peers": 5}}
	}
	r.add(rampResult{Workload: "Issue", Via: "sdk", BareSize: 1024, Levels: []levelStats{lv(1, 5), lv(2, 9)}, MaxTPS: 9, Knee: 2, HalfKnee: 1})
	r.add(rampResult{Workload: "Issue", Via: "rest", BareSize: 1024, Levels: []levelStats{lv(1, 5), lv(2, 8.1)}, MaxTPS: 8.1, Knee: 2, HalfKnee: 1})
	r.add(rampResult{Workload: "Redeem", Via: "sdk", BareSize: 1024, Levels: []levelStats{lv(1, 4), lv(2, 8)}, MaxTPS: 8, Knee: 2, HalfKnee: 1, TxPerOp: 2})
	quiet := func(peers, verify float64) quietProbe {
		return quietProbe{Seconds: 2, CPUmsPerSec: map[string]float64{"peers": peers, "orderers": 10}, VerifyPerSec: verify}
	}
	r.add(rampResult{Workload: bareFirst, Via: "sdk", BareSize: 1024, Levels: []levelStats{lv(1, 6), lv(2, 12.5)}, MaxTPS: 12.5, Knee: 2, HalfKnee: 1, Quiet: quiet(20, 13000)})
	r.add(rampResult{Workload: "bare-1024", Via: "sdk", BareSize: 1024, Levels: []levelStats{lv(1, 6), lv(2, 10)}, MaxTPS: 10, Knee: 2, HalfKnee: 1, Quiet: quiet(300, 11700)})
	r.finish()
	dir := t.TempDir()
	require.NoError(t, r.write(dir))
	md, err := os.ReadFile(filepath.Join(dir, "bench-network.md"))
	require.NoError(t, err)
	assert.Contains(t, string(md), "| Issue | sdk | 9.0 | 0.90 | - | 2 |")
	assert.Contains(t, string(md), "| Issue | rest | 8.1 | - | 0.90 | 2 |")
	assert.Contains(t, string(md), "first and last: max 12.5 -> 10.0 tx/s (-20%)", "the bare ceiling's drift over the run")
	assert.Contains(t, string(md), "used 30 -> 310 ms of CPU per second (peers 20 -> 300), one core verified 13000 -> 11700 ECDSA P-256 signatures per second (-10%)",
		"what the machine did with nothing submitted, before the first bare ramp and the last")
	assert.Contains(t, string(md), "| Redeem (2 tx/op) | sdk | 8.0 | 0.80 | - | 2 |", "a confirmed write's two ledger transactions are named")
	f, err := os.Open(filepath.Join(dir, "bench-network.png"))
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	assert.Equal(t, 2*panelW, img.Bounds().Dx())
	require.NoError(t, r.smokeCheck())
	// A tick of the time beacon invalidates at most the SDK writes in flight: tolerated, up to
	// the level's concurrency; one more is a failure.
	l := &r.Ramps[0].Levels[0]
	require.Equal(t, "sdk", r.Ramps[0].Via)
	l.Failures[beaconConflict] = l.Concurrency
	require.NoError(t, r.smokeCheck())
	l.Failures[beaconConflict] = l.Concurrency + 1
	assert.ErrorContains(t, r.smokeCheck(), "Issue via sdk at 1 in flight")
	delete(l.Failures, beaconConflict)
	l.Failures["endorse"] = 1
	assert.ErrorContains(t, r.smokeCheck(), "Issue via sdk at 1 in flight")
}

func TestSoakGrowth_FromTheFirstSampleAfterWarmUp(t *testing.T) {
	r := &soakReport{WarmUp: "20s", Samples: []rssSample{
		{Seconds: 0, RSSMiB: map[string]float64{"peer0.core": 50}},
		{Seconds: 20, RSSMiB: map[string]float64{"peer0.core": 100}},
		{Seconds: 40, RSSMiB: map[string]float64{"peer0.core": 105}},
	}}
	r.growth(20)
	assert.InDelta(t, 0.05, r.Growth["peer0.core"], 1e-9, "one sample at each end when there are two")
	assert.InDelta(t, 0.05, r.MaxGrowth, 1e-9)

	// A sawtooth compares by its means: +10% at the peaks alone, +0% over whole periods.
	r = &soakReport{WarmUp: "0s"}
	for i, v := range []float64{50, 60, 70, 50, 60, 70, 50, 60, 70, 50, 60, 70} {
		r.Samples = append(r.Samples, rssSample{Seconds: float64(10 * i), RSSMiB: map[string]float64{"orderer1": v}})
	}
	r.growth(0)
	assert.InDelta(t, 0, r.Growth["orderer1"], 1e-9)
	require.NoError(t, r.write(t.TempDir()))
}

// The settings come from the network's rendered configuration; an empty YAML value is Fabric's
// default, not the next line's key.
func TestNetworkSettings_ReadsTheRenderedConfiguration(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "channel"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "orgs", "core", "peer0", "config"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "channel", "configtx.yaml"),
		[]byte("  BatchTimeout: 150ms\n  BatchSize:\n    MaxMessageCount: 100\n"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "orgs", "core", "peer0", "config", "core.yaml"),
		[]byte("peer:\n  validatorPoolSize:\n  discovery:\n    enabled: true\nlogging:\n  level: info\nledger:\n  state:\n    stateDatabase: goleveldb # fast\n"), 0o600))
	m := networkSettings(dir)
	assert.Equal(t, "150ms", m["BatchTimeout"])
	assert.Equal(t, "100", m["MaxMessageCount"])
	assert.Equal(t, "(Fabric's default)", m["peer.validatorPoolSize"])
	assert.Equal(t, "info", m["peer.level"])
	assert.Equal(t, "goleveldb", m["peer.stateDatabase"])
}

func TestResultFail_CountsRoundsByKindOfError(t *testing.T) {
	r := &result{kind: "sdk"}
	r.fail(&commitError{txID: "a", code: "MVCC_READ_CONFLICT"})
	r.fail(&commitError{txID: "b", code: "MVCC_READ_CONFLICT"})
	r.fail(fmt.Errorf("x: %w", context.DeadlineExceeded))
	assert.Equal(t, 3, r.failed)
	assert.Equal(t, " (commit:MVCC_READ_CONFLICT 2, timeout 1)", byKind(r.failures))
	assert.Equal(t, "", byKind(nil), "no failure, nothing said")
}

func TestOrdererSettings_ReadFromTheChannelConfiguration(t *testing.T) {
	marshal := func(m proto.Message) []byte {
		b, err := proto.Marshal(m)
		require.NoError(t, err)
		return b
	}
	raft := marshal(&etcdraft.ConfigMetadata{Options: &etcdraft.Options{SnapshotIntervalSize: 16 << 10}})
	cfg := &common.Config{ChannelGroup: &common.ConfigGroup{Groups: map[string]*common.ConfigGroup{
		"Orderer": {Values: map[string]*common.ConfigValue{
			"BatchSize":     {Value: marshal(&orderer.BatchSize{MaxMessageCount: 200, AbsoluteMaxBytes: 10 << 20, PreferredMaxBytes: 2<<20 + 1})},
			"BatchTimeout":  {Value: marshal(&orderer.BatchTimeout{Timeout: "300ms"})},
			"ConsensusType": {Value: marshal(&orderer.ConsensusType{Type: "etcdraft", Metadata: raft})},
		}},
	}}}
	got, err := ordererSettings(cfg)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"BatchTimeout": "300ms", "MaxMessageCount": "200", "AbsoluteMaxBytes": "10 MB",
		"PreferredMaxBytes": "2097153 B", "ConsensusType": "etcdraft", "SnapshotIntervalSize": "16 KB"}, got)

	delete(cfg.ChannelGroup.Groups["Orderer"].Values, "BatchTimeout")
	_, err = ordererSettings(cfg)
	assert.ErrorContains(t, err, "the Orderer group has no BatchTimeout")
	_, err = ordererSettings(&common.Config{})
	assert.ErrorContains(t, err, "no Orderer group")
}

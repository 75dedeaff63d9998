// Command load drives load against a running recv network, directly through the fabric-gateway
// SDK and through the REST gateways, in the same run so that the two can be compared as a ratio.
// It has three modes:
//
//	load [flags]        financing rounds (make load)
//	load bench [flags]  every write transaction and the bare chaincode, concurrency raised until
//	                    throughput stops rising (make bench-network; bench.go)
//	load soak [flags]   mixed load for a long while, the memory of every process sampled
//	                    (make soak; soak.go)
//
// A round is the path a receivable takes to a bank: Issue (core enterprise's maker, with its
// checker's ConfirmInstruction under two-person control) -> Accept (tier-1
// supplier) -> RequestFinancing (supplier, at Bank1) -> ApproveFinancing (Bank1's officer). Rounds
// run concurrently; each transaction is timed from its first attempt until its commit. The run is
// bounded by -rounds and -max-duration and stops by itself.
//
//	make up && make gateways
//	cd test && go run ./load -rounds 100 -concurrency 10
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/network"
)

func main() {
	mode, args := "rounds", os.Args[1:]
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		mode, args = args[0], args[1:]
	}
	var err error
	switch mode {
	case "rounds":
		err = run(args)
	case "bench":
		err = runBench(args)
	case "soak":
		err = runSoak(args)
	default:
		err = fmt.Errorf("no mode %q: want bench, soak or none (financing rounds)", mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

// submitter submits one step and returns once its transaction committed, with the chaincode's
// answer (the transaction's event).
type submitter interface {
	name() string
	submit(ctx context.Context, s step) (json.RawMessage, error)
	close()
}

// step is one write of a round: an operation of the wire contract (wire.Ops) as account, on the
// receivable id, with its request body.
type step struct {
	account string
	op      string
	id      string
	body    any
}

// round is the path of receivable id to a bank.
func round(id, maturity string) []step {
	return []step{
		{"CoreMSP/treasurer", "issue", "", issueRequest(id, maturity)},
		{"SupplierMSP/supplier-a", "accept", id, nil},
		{"SupplierMSP/supplier-a", "request-financing", id, wire.FinancingRequest{Bank: "Bank1MSP"}},
		{"Bank1MSP/officer", "approve-financing", id, wire.ApproveRequest{RateBps: 450}},
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("load", flag.ExitOnError)
	netDir := netFlag(fs)
	rounds := fs.Int("rounds", 100, "financing rounds per client kind (4 transactions each)")
	concurrency := fs.Int("concurrency", 10, "rounds in flight at once")
	via := fs.String("via", "both", "sdk, rest or both")
	maxDuration := fs.Duration("max-duration", 3*time.Minute, "stop each client kind after this long")
	_ = fs.Parse(args)

	desc, err := network.Load(filepath.Join(*netDir, "network.json"))
	if err != nil {
		return err
	}
	kinds, err := submitters(desc, *netDir, *via)
	if err != nil {
		return err
	}

	fmt.Printf("%d financing rounds (Issue and its confirmation, Accept, RequestFinancing, ApproveFinancing), %d in flight\n\n", *rounds, *concurrency)
	var results []*result
	for _, k := range kinds {
		res := drive(k, *rounds, *concurrency, *maxDuration)
		k.close()
		res.print(os.Stdout)
		results = append(results, res)
	}
	if len(results) == 2 && results[0].tps() > 0 {
		fmt.Printf("throughput ratio rest/sdk: %.2f (same network, same run)\n", results[1].tps()/results[0].tps())
	}
	for _, r := range results {
		if r.failed > 0 {
			return fmt.Errorf("%s: %d rounds failed; first error: %v", r.kind, r.failed, r.firstErr)
		}
	}
	return nil
}

func netFlag(fs *flag.FlagSet) *string {
	return fs.String("net", envOr("RECV_NET_DIR", "../.recv-net"), "the network's state folder (holds network.json and gateways/)")
}

// submitters are the client kinds -via names: sdk, rest or both, in that order.
// openNetwork reads the network of the state folder netDir: its description, its processes (their
// CPU is measured) and the submitters via names ("sdk", "rest" or "both"); closeAll closes them.
func openNetwork(netDir, via string) (*network.Description, []proc, []submitter, error) {
	desc, err := network.Load(filepath.Join(netDir, "network.json"))
	if err != nil {
		return nil, nil, nil, err
	}
	procs, err := networkProcs(netDir)
	if err != nil {
		return nil, nil, nil, err
	}
	kinds, err := submitters(desc, netDir, via)
	if err != nil {
		return nil, nil, nil, err
	}
	return desc, procs, kinds, nil
}

func closeAll(kinds []submitter) {
	for _, k := range kinds {
		k.close()
	}
}

func submitters(desc *network.Description, netDir, via string) ([]submitter, error) {
	var kinds []submitter
	if via == "sdk" || via == "both" {
		s, err := newSDK(desc)
		if err != nil {
			return nil, err
		}
		kinds = append(kinds, s)
	}
	if via == "rest" || via == "both" {
		r, err := newREST(desc, netDir)
		if err != nil {
			return nil, err
		}
		kinds = append(kinds, r)
	}
	if len(kinds) == 0 {
		return nil, fmt.Errorf("-via %q: want sdk, rest or both", via)
	}
	return kinds, nil
}

// drive runs rounds with the given concurrency and collects latencies per transaction name.
func drive(s submitter, rounds, concurrency int, maxDuration time.Duration) *result {
	// Feeding stops after maxDuration; rounds in progress finish (within a minute more), so that
	// the end of the run is not counted as failures.
	stop, cancelStop := context.WithTimeout(context.Background(), maxDuration)
	defer cancelStop()
	ctx, cancel := context.WithTimeout(context.Background(), maxDuration+time.Minute)
	defer cancel()
	res := &result{kind: s.name(), latencies: map[string][]time.Duration{}}
	prefix := fmt.Sprintf("LD%s-%s", strings.ToUpper(s.name()[:1]), time.Now().UTC().Format("150405"))
	maturity := time.Now().UTC().AddDate(0, 0, 90).Format("2006-01-02")

	work := make(chan int)
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				id := fmt.Sprintf("%s-%04d", prefix, i)
				for _, st := range round(id, maturity) {
					t0 := time.Now()
					_, err := submitMade(ctx, s, st)
					if err != nil {
						res.fail(fmt.Errorf("round %d %s: %w", i, st.op, err))
						break
					}
					res.add(txName(st.op), time.Since(t0))
				}
			}
		}()
	}
feed:
	for i := 0; i < rounds; i++ {
		select {
		case work <- i:
		case <-stop.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	res.elapsed = time.Since(start)
	return res
}

// approver is the core enterprise's checker: under two-person control it confirms what the
// treasurer (the maker) asks.
const approver = "CoreMSP/approver"

// submitMade submits st and, when it recorded a maker-checker instruction (two-person control at
// the core enterprise: issue, redeem, redeem-all), the checker's confirmation of it, so that the
// change exists when it returns. Every step of the load and bench tools goes through it; the time
// of a maker's step therefore includes its confirmation. It returns how many ledger transactions
// committed: 1, or 2 with a confirmation.
func submitMade(ctx context.Context, s submitter, st step) (int, error) {
	var res json.RawMessage
	if err := retryStale(ctx, func() (err error) { res, err = s.submit(ctx, st); return err }); err != nil {
		return 0, err
	}
	if txs, ok := st.body.([]shapedTx); ok {
		return len(txs), nil // a same-shape twin (shape.go)
	}
	if id := instructionOf(res); id != "" {
		confirm := step{account: approver, op: "confirm", id: id}
		if err := retryStale(ctx, func() error { _, err := s.submit(ctx, confirm); return err }); err != nil {
			return 1, err
		}
		return 2, nil
	}
	return 1, nil
}

// instructionOf is the id of the open instruction a maker's write recorded, or "".
func instructionOf(result json.RawMessage) string {
	var ev wire.Event
	if json.Unmarshal(result, &ev) != nil || ev.Instruction == nil || ev.Instruction.Status != wire.InstructionOpen {
		return ""
	}
	return ev.Instruction.ID
}

// retryStale retries a refusal that only means the next organisation's peer has not committed the
// previous step's block yet (the receivable is not there, or not in the new status yet).
func retryStale(ctx context.Context, f func() error) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := f()
		if err == nil || !errors.Is(err, errStale) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(50 * time.Millisecond):
		}
	}
}

var errStale = errors.New("state not yet on this peer")

// stale marks the chaincode's not_found, conflict and forbidden refusals as possibly stale: the
// next organisation's peer may not have the previous step's block yet. Other errors pass as they
// are.
func stale(err error) error {
	switch wire.KindOf(err) {
	case wire.KindNotFound, wire.KindConflict, wire.KindForbidden:
		return fmt.Errorf("%w: %w", errStale, err)
	}
	var p *wire.Problem
	if errors.As(err, &p) && (p.Kind == wire.KindNotFound || p.Kind == wire.KindConflict || p.Kind == wire.KindForbidden) {
		return fmt.Errorf("%w: %w", errStale, err)
	}
	return err
}

// txName is the chaincode transaction of an op, the name results are reported under.
func txName(op string) string {
	if o, ok := wire.Lookup(op); ok {
		return o.Tx
	}
	return op
}

// issueRequest issues id to supplier-a against a fresh contract and invoice.
func issueRequest(id, maturity string) wire.IssueRequest {
	salt := time.Now().UTC().Format(time.RFC3339Nano)
	return wire.IssueRequest{
		ID: id, Beneficiary: "SupplierMSP/supplier-a", Amount: "10000.00", MaturityDate: maturity,
		Contract: wire.Document{Number: "C-" + id, SHA256: hashOf("contract " + id + salt)},
		Invoices: []wire.Invoice{{Number: "INV-" + id, SHA256: hashOf("invoice " + id + salt), Amount: "10000.00"}},
	}
}

func hashOf(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// result holds one client kind's latencies.
type result struct {
	mu        sync.Mutex
	kind      string
	latencies map[string][]time.Duration
	elapsed   time.Duration
	failed    int
	failures  map[string]int // failed rounds by the kind of their error (failureKind)
	firstErr  error
}

func (r *result) add(tx string, d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.latencies[tx] = append(r.latencies[tx], d)
}

func (r *result) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed++
	if r.failures == nil {
		r.failures = map[string]int{}
	}
	r.failures[failureKind(err)]++
	if r.firstErr == nil {
		r.firstErr = err
	}
}

func (r *result) count() int {
	n := 0
	for _, l := range r.latencies {
		n += len(l)
	}
	return n
}

func (r *result) tps() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.count()) / r.elapsed.Seconds()
}

func (r *result) print(w *os.File) {
	fmt.Fprintf(w, "%s: %d transactions committed in %s = %.1f tx/s, %d rounds failed%s\n",
		r.kind, r.count(), r.elapsed.Round(time.Millisecond), r.tps(), r.failed, byKind(r.failures))
	fmt.Fprintf(w, "  %-18s %6s %9s %9s %9s %9s\n", "transaction", "count", "p50", "p95", "p99", "max")
	names := make([]string, 0, len(r.latencies))
	for n := range r.latencies {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		l := r.latencies[n]
		fmt.Fprintf(w, "  %-18s %6d %9s %9s %9s %9s\n", n, len(l), ms(percentile(l, 50)), ms(percentile(l, 95)),
			ms(percentile(l, 99)), ms(percentile(l, 100)))
	}
	fmt.Fprintln(w)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0fms", float64(d)/float64(time.Millisecond)) }

// percentile is the nearest-rank percentile p (0 < p <= 100) of the latencies; 0 when empty.
func percentile(l []time.Duration, p float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), l...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	rank := int(p/100*float64(len(s)) + 0.999999)
	if rank < 1 {
		rank = 1
	}
	if rank > len(s) {
		rank = len(s)
	}
	return s[rank-1]
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// byKind is " (kind n, kind n)" for failures counted by kind, in kind order; "" for none.
func byKind(failures map[string]int) string {
	if len(failures) == 0 {
		return ""
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(failures)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, failures[k]))
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

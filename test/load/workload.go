package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// The bare chaincode the benchmark deploys beside the receivables chaincode
// (scripts/bench-network.sh), and the step that calls its one transaction, Put(key, size).
const (
	bareChaincode = "bare"
	barePut       = "bare-put"
)

// state is what a workload needs of a receivable before its transaction can run.
type state string

const (
	fresh     state = ""            // nothing: the transaction makes its own key
	pending   state = "pending"     // issued to supplier-a, not accepted yet
	active    state = "active"      // held by supplier-a, matures in 90 days
	requested state = "requested"   // active, financing requested at Bank1
	lined     state = "requested-2" // active, financing requested at Bank2, whose line the approval draws on
	due       state = "due"         // held by supplier-a, matures today
	dueSplit  state = "due-split10" // a root maturing today, split in 10 pieces held by supplier-a
)

// Accounts of the steps (network.json's users).
const (
	treasurer = "CoreMSP/treasurer"
	supplierA = "SupplierMSP/supplier-a"
	supplierB = "SupplierMSP/supplier-b"
	officer   = "Bank1MSP/officer"
	officer2  = "Bank2MSP/officer"
)

// benchLine is Bank2's credit line on CoreMSP while ApproveUnderLine runs: room for far more than
// a run approves, so that the workload measures approvals that fit (the line's check), not refusals.
const benchLine = "1000000000000.00"

// workload is one kind of transaction the benchmark measures: it takes receivables in the state
// it needs and leaves them in the state it yields (which feeds another workload's input).
type workload struct {
	name     string // the chaincode transaction, or bare-<size>
	needs    state
	yields   state
	bareSize int  // the bare chaincode's value size it is compared with (bare: the size it writes)
	bare     bool // the bare chaincode (SDK only: the REST gateway serves receivables only)
	step     func(id string) step
	setup    []step // submitted once before the workload's first ramp
}

// The amount every benchmark receivable is issued with, and how Split and partial Transfer cut it.
const (
	benchAmount = "10000.00"
	partAmount  = "3000.00"
)

var tenParts = []string{"1000.00", "1000.00", "1000.00", "1000.00", "1000.00", "1000.00", "1000.00", "1000.00", "1000.00", "1000.00"}

// workloads are the write transactions of issue 11 (Issue, Redeem and RedeemAll10 each with the
// checker's confirmation, under the core enterprise's two-person control) in an order where each one's output feeds a
// later one's input, then the bare chaincode at the value sizes they are compared with. bareSize
// is the size of the bare write nearest each transaction's write set (docs/PERFORMANCE.md,
// "Chaincode": ~0.7-1 KiB for single-receivable writes, ~2.3 KiB for Split and partial Transfer,
// ~7.7 KiB for RedeemAll of 10 pieces).
func workloads(today, later string) []workload {
	// The bare chaincode also runs first: a long run makes the network slower (the ledger grows),
	// and the report shows how far the bare ceiling moved between the first ramp and the last.
	first := bareWorkload(1024)
	first.name = bareFirst
	return []workload{
		first,
		{name: "Issue", needs: fresh, yields: pending, bareSize: 1024,
			step: func(id string) step { return step{treasurer, "issue", "", issueRequest(id, later)} }},
		{name: "Accept", needs: pending, yields: active, bareSize: 1024,
			step: func(id string) step { return step{supplierA, "accept", id, nil} }},
		{name: "RequestFinancing", needs: active, yields: requested, bareSize: 1024,
			step: func(id string) step {
				return step{supplierA, "request-financing", id, wire.FinancingRequest{Bank: "Bank1MSP"}}
			}},
		{name: "ApproveFinancing", needs: requested, bareSize: 1024,
			step: func(id string) step { return step{officer, "approve-financing", id, wire.ApproveRequest{RateBps: 450}} }},
		// Approvals of one bank on one core enterprise under the bank's credit line: each checks
		// the line (docs/PERFORMANCE.md, "Credit lines").
		{name: "ApproveUnderLine", needs: lined, bareSize: 1024,
			setup: []step{{officer2, "set-credit-line", "CoreMSP", wire.LineRequest{Amount: benchLine}}},
			step: func(id string) step {
				return step{officer2, "approve-financing", id, wire.ApproveRequest{RateBps: 450}}
			}},
		{name: "Split", needs: active, bareSize: 2048,
			step: func(id string) step {
				return step{supplierA, "split", id, wire.SplitRequest{Parts: []string{"4000.00", "6000.00"}}}
			}},
		{name: "TransferWhole", needs: active, bareSize: 1024,
			step: func(id string) step { return step{supplierA, "transfer", id, wire.TransferRequest{To: supplierB}} }},
		{name: "TransferPart", needs: active, bareSize: 2048,
			step: func(id string) step {
				return step{supplierA, "transfer", id, wire.TransferRequest{To: supplierB, Amount: partAmount}}
			}},
		{name: "Redeem", needs: due, bareSize: 1024,
			step: func(id string) step {
				return step{treasurer, "redeem", id, wire.RedeemRequest{PaymentRef: "TRF-" + id}}
			}},
		{name: "RedeemAll10", needs: dueSplit, bareSize: 8192,
			step: func(id string) step {
				return step{treasurer, "redeem-all", id, wire.RedeemRequest{PaymentRef: "TRF-" + id}}
			}},
		bareWorkload(1024), bareWorkload(2048), bareWorkload(8192),
	}
}

// bareFirst is the bare chaincode's 1 KiB ramp run before every other workload.
const bareFirst = "bare-1024-first"

// bareWorkload puts size bytes under a fresh key of the bare chaincode, as the core enterprise's
// treasurer on its peer, like Issue.
func bareWorkload(size int) workload {
	return workload{name: fmt.Sprintf("bare-%d", size), needs: fresh, bareSize: size, bare: true,
		step: func(id string) step { return step{treasurer, barePut, id, size} }}
}

// prepSteps are the steps that bring a new receivable id into state st.
func prepSteps(st state, id, today, later string) []step {
	issueAs := func(maturity string) step { return step{treasurer, "issue", "", issueRequest(id, maturity)} }
	accept := step{supplierA, "accept", id, nil}
	switch st {
	case pending:
		return []step{issueAs(later)}
	case active:
		return []step{issueAs(later), accept}
	case requested:
		return []step{issueAs(later), accept, {supplierA, "request-financing", id, wire.FinancingRequest{Bank: "Bank1MSP"}}}
	case lined:
		return []step{issueAs(later), accept, {supplierA, "request-financing", id, wire.FinancingRequest{Bank: "Bank2MSP"}}}
	case due:
		return []step{issueAs(today), accept}
	case dueSplit:
		return []step{issueAs(today), accept, {supplierA, "split", id, wire.SplitRequest{Parts: tenParts}}}
	}
	return nil
}

// pools hold receivable ids by the state they are in, ready for the workloads that need it.
type pools struct {
	mu  sync.Mutex
	ids map[state][]string
}

func newPools() *pools { return &pools{ids: map[state][]string{}} }

func (p *pools) put(st state, id string) {
	if st == fresh {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ids[st] = append(p.ids[st], id)
}

// take removes and returns an id in state st; false when there is none left.
func (p *pools) take(st state) (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	l := p.ids[st]
	if len(l) == 0 {
		return "", false
	}
	id := l[0]
	p.ids[st] = l[1:]
	return id, true
}

func (p *pools) size(st state) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.ids[st])
}

// ids makes the run's unique keys and receivable ids.
type ids struct {
	prefix string
	n      atomic.Int64
}

func newIDs(prefix string) *ids {
	return &ids{prefix: prefix + "-" + time.Now().UTC().Format("150405")}
}

func (g *ids) next() string { return fmt.Sprintf("%s-%05d", g.prefix, g.n.Add(1)) }

// prepare brings the pool of state st up to n ids, through s with the given concurrency (untimed:
// the benchmark measures only its workloads). It fails when no id could be prepared.
func prepare(ctx context.Context, s submitter, p *pools, g *ids, st state, n, concurrency int, today, later string) error {
	missing := n - p.size(st)
	if st == fresh || missing <= 0 {
		return nil
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		made     int
		firstErr error
	)
	work := make(chan string)
	for range min(concurrency, missing) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range work {
				err := runSteps(ctx, s, prepSteps(st, id, today, later))
				mu.Lock()
				if err == nil {
					made++
					p.put(st, id)
				} else if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		}()
	}
	for range missing {
		work <- g.next()
	}
	close(work)
	wg.Wait()
	if made == 0 && firstErr != nil {
		return fmt.Errorf("preparing %s receivables: %w", st, firstErr)
	}
	return nil
}

// runSteps submits the steps in order, each once its predecessor committed.
func runSteps(ctx context.Context, s submitter, steps []step) error {
	for _, st := range steps {
		if _, err := submitMade(ctx, s, st); err != nil {
			return fmt.Errorf("%s %s: %w", st.op, st.id, err)
		}
	}
	return nil
}

// failureKind names what kind of failure err is, for the report: the wire contract's error kind
// (a refusal by the chaincode, or the gateway's kind), the validation code of a transaction that
// committed as invalid, or timeout/other.
func failureKind(err error) string {
	var ce *commitError
	switch {
	case errors.As(err, &ce):
		return "commit:" + ce.code
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		return "timeout"
	}
	var p *wire.Problem
	if errors.As(err, &p) {
		if p.Kind == wire.KindCommit && p.ValidationCode != "" {
			return "commit:" + p.ValidationCode
		}
		return string(p.Kind)
	}
	if k := wire.KindOf(err); k != "" {
		return string(k)
	}
	var (
		endorse *client.EndorseError
		submit  *client.SubmitError
		status  *client.CommitStatusError
	)
	switch {
	case errors.As(err, &endorse):
		return string(wire.KindEndorse)
	case errors.As(err, &submit):
		return string(wire.KindSubmit)
	case errors.As(err, &status):
		return string(wire.KindCommitStatus)
	}
	if strings.Contains(err.Error(), "DeadlineExceeded") {
		return "timeout"
	}
	return "other"
}

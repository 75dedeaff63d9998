package integration

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/test/internal/story"
)

// TestCreditLine_ConcurrentApprovalsNeverExceedTheLine fires approvals of 60 financing requests
// on one core enterprise at once through Bank2's peer, under a line with room for 40 of them: the
// line is shared over the slots of the bank's part (sub-lines), each approval drawing from its
// own slot, refolding the line when that slot is short, or refused when the line is full. Each
// approval invalidated by a read conflict is endorsed again, as the gateways do, until it commits
// or is refused; then exactly 40 committed, the 20 others were refused as over the line and are
// still waiting for the bank, and the committed use is the line to the fen, never more; the audit
// re-executes every approval and finds what committed.
func TestCreditLine_ConcurrentApprovalsNeverExceedTheLine(t *testing.T) {
	const (
		requests = 60
		room     = 40
		amount   = int64(10000) // 100.00
	)
	core, checker, a, b2 := as(t, treasurer), as(t, story.Approver), as(t, tier1), as(t, bank2)
	maturity := time.Now().UTC().AddDate(0, 0, 60).Format("2006-01-02")
	used := bankUse(t, b2)
	line := used + room*amount
	b2.submit(t, "SetCreditLine", "CoreMSP", wire.FormatAmount(line))
	t.Cleanup(func() { b2.submit(t, "SetCreditLine", "CoreMSP", "1000000000000.00") })

	// Untimed: 60 requests at Bank2, each with the bank's recorded decision to approve.
	ids, hashes := make([]string, requests), make([]string, requests)
	// step submits one step as actor x once every peer has committed its predecessor's block.
	step := func(x *actor, tx string, args ...string) (committed, error) {
		var c committed
		err := retryUntilVisible(func() (err error) { c, err = x.trySubmit(tx, args...); return err })
		if err != nil {
			return c, fmt.Errorf("%s %v: %w", tx, args, err)
		}
		return c, x.committedEverywhere(c.Block)
	}
	prepare := func(i int) error {
		id := uniqueID("RC")
		issued, err := step(core, "Issue", issueRequest(t, id, tier1, wire.FormatAmount(amount), maturity, wire.FormatAmount(amount)))
		if err != nil {
			return err
		}
		if in := issued.Result.Instruction; in != nil && in.Status == wire.InstructionOpen {
			if _, err := step(checker, "ConfirmInstruction", in.ID); err != nil {
				return err
			}
		}
		if _, err := step(a, "Accept", id); err != nil {
			return err
		}
		if _, err := step(a, "RequestFinancing", id, "Bank2MSP"); err != nil {
			return err
		}
		var hash string
		err = retryUntilVisible(func() error {
			var err error
			hash, _, err = b2.decideFirst("ApproveFinancing", []string{id, "", "450"})
			return err
		})
		ids[i], hashes[i] = id, hash
		return err
	}
	require.NoError(t, inParallel(requests, 12, prepare))

	// Timed: every approval at once.
	var (
		mu        sync.Mutex
		admitted  []string
		refusals  = map[string]string{}
		conflicts int // approvals invalidated as MVCC_READ_CONFLICT, endorsed again
		// endorsements the peers answered differently (one had committed a block another had
		// not yet), endorsed again as the gateways do
		mismatches int
	)
	start := time.Now()
	approve := func(i int) error {
		for attempt := 1; ; attempt++ {
			if attempt > 40 {
				return fmt.Errorf("approval of %s: endorsed %d times, never committed", ids[i], attempt-1)
			}
			_, commit, err := b2.contract.SubmitAsync("ApproveFinancing", client.WithArguments(ids[i], hashes[i], ""))
			if err != nil {
				err = describe(err)
				switch {
				case strings.Contains(err.Error(), string(wire.KindConflict)+": "):
					mu.Lock()
					refusals[ids[i]] = err.Error()
					mu.Unlock()
					return nil
				case strings.Contains(err.Error(), mismatch):
					mu.Lock()
					mismatches++
					mu.Unlock()
					time.Sleep(100 * time.Millisecond)
					continue
				}
				return err
			}
			st, err := commit.Status()
			if err != nil {
				return describe(err)
			}
			if st.Successful {
				mu.Lock()
				admitted = append(admitted, ids[i])
				mu.Unlock()
				return nil
			}
			if st.Code != peer.TxValidationCode_MVCC_READ_CONFLICT {
				return fmt.Errorf("approval of %s committed as %s", ids[i], st.Code)
			}
			mu.Lock()
			conflicts++
			mu.Unlock()
		}
	}
	require.NoError(t, inParallel(requests, requests, approve))
	elapsed := time.Since(start)
	t.Logf("%d approvals admitted, %d refused, %d read conflicts and %d differing endorsements endorsed again, in %s",
		len(admitted), len(refusals), conflicts, mismatches, elapsed.Round(time.Millisecond))

	require.Len(t, admitted, room, "the line has room for exactly %d", room)
	require.Len(t, refusals, requests-room)
	for id, msg := range refusals {
		assert.Contains(t, msg, "credit line of Bank2MSP on CoreMSP is "+wire.FormatAmount(line), id)
		assert.Contains(t, msg, "over the line", id)
	}
	// Every peer has the last approval before the use is read.
	waitFor(t, "every peer to agree on the line's use", 30*time.Second, func() error {
		if got := bankUse(t, b2); got != line {
			return fmt.Errorf("use %d, line %d", got, line)
		}
		return nil
	})
	for _, id := range admitted {
		r := b2.get(t, id)
		assert.Equal(t, wire.StatusActive, r.Status, id)
		assert.Equal(t, bank2, r.Holder, id)
	}
	for id := range refusals {
		assert.Equal(t, wire.StatusFinancing, b2.get(t, id).Status, "%s still waits for the bank", id)
	}

	// The audit re-executes every approval, drawn from its slot or refolding the line, on the
	// state it rebuilt from the blocks, and finds each one's writes.
	rep := runAudit(t, as(t, auditor)).Report()
	require.Empty(t, rep.Violations, "every valid transaction is what the rules produce on the state before it")
	require.Empty(t, rep.Differences)
	require.Zero(t, rep.RulesSkipped)
}

// inParallel runs do(0..n-1) with at most conc at once and returns the first error.
func inParallel(n, conc int, do func(i int) error) error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	work := make(chan int)
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				if err := do(i); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		}()
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	return errors.Join(errs...)
}

// mismatch is Fabric's word for endorsing peers whose results differed.
const mismatch = "ProposalResponsePayloads do not match"

// retryUntilVisible retries a step that peers answered differently (one had committed a block
// another had not yet, such as a tick of the time beacon) or refused as stale.
func retryUntilVisible(step func() error) error {
	var err error
	for range 20 {
		if err = step(); err == nil || !stale(err) {
			return err
		}
		time.Sleep(250 * time.Millisecond)
	}
	return err
}

func stale(err error) bool {
	for _, mark := range []string{string(wire.KindNotFound) + ": ", string(wire.KindConflict) + ": ", string(wire.KindForbidden) + ": ", mismatch} {
		if strings.Contains(err.Error(), mark) {
			return true
		}
	}
	return false
}

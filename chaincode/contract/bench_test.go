package contract_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/bare"
	"github.com/recv-ledger/recv/chaincode/memstub"
)

// The benchmarks simulate each write transaction against a prepared ledger, as a peer endorses
// it: the write set is built and never committed, so every iteration sees the same state. Each
// reports "wbytes", the size of its write set; BenchmarkBarePut measures a one-write chaincode
// (same framework, same identity, one PutState) of that size, the baseline of docs/PERFORMANCE.md.

type benchCase struct {
	name   string
	caller string
	args   []string
	setup  func(h *harness, args []string) []string // the arguments to run, when it changes them
}

// decided records the bank's decision first (DecideFinancing, as the gateway does) and returns
// the binding transaction's arguments: the id, the decision's terms hash and withoutRecourse.
func decided(extra func(h *harness)) func(h *harness, args []string) []string {
	return func(h *harness, args []string) []string {
		if extra != nil {
			extra(h)
		}
		hash, ok, err := h.decideFirst(bank1, args[0], args[1:])
		require.NoError(h.t, err)
		require.True(h.t, ok)
		return []string{args[0], args[1], hash, args[2]}
	}
}

var benchCases = []benchCase{
	{"Issue", treasurer, []string{"Issue", issueJSON(issueOpts{ID: "R-B"})}, nil},
	{"Accept", supA, []string{"Accept", "R-P"}, nil},
	{"Reject", supA, []string{"Reject", "R-P", "wrong amount"}, nil},
	{"Revoke", treasurer, []string{"Revoke", "R-P"}, nil},
	{"Split2", supA, []string{"Split", "R-1", `["400","600"]`}, nil},
	{"Split10", supA, []string{"Split", "R-1", `["100","100","100","100","100","100","100","100","100","100"]`}, nil},
	{"TransferWhole", supA, []string{"Transfer", "R-1", supB, ""}, nil},
	{"TransferPart", supA, []string{"Transfer", "R-1", supB, "300"}, nil},
	{"RequestFinancing", supA, []string{"RequestFinancing", "R-1", "Bank1MSP"}, nil},
	{"ApproveFinancing", bank1, []string{"ApproveFinancing", "R-F", "", "450"}, decided(nil)},
	{"ApproveFinancingUnderLine", bank1, []string{"ApproveFinancing", "R-F", "", "450"}, decided(func(h *harness) {
		h.ok(bank1, "SetCreditLine", "CoreMSP", "1000000.00")
	})},
	{"RejectFinancing", bank1, []string{"RejectFinancing", "R-F", "limit"}, func(h *harness, args []string) []string {
		hash, _, err := h.decideFirst(bank1, args[0], args[1:])
		require.NoError(h.t, err)
		return []string{args[0], args[1], hash}
	}},
	{"Redeem", treasurer, []string{"Redeem", "R-M", "PAY-1"}, func(h *harness, _ []string) []string { h.days(129); return nil }},
	{"RedeemAll10", treasurer, []string{"RedeemAll", "R-M", "PAY-1"}, func(h *harness, _ []string) []string {
		h.ok(supA, "Split", "R-M", `["100","100","100","100","100","100","100","100","100","100"]`)
		h.days(129)
		return nil
	}},
}

func benchLedger(b *testing.B) *harness {
	h := newHarness(b)
	h.issue(issueJSON(issueOpts{ID: "R-P"}))
	h.active("R-1", supA, "1000")
	h.active("R-F", supA, "1000")
	h.ok(supA, "RequestFinancing", "R-F", "Bank1MSP")
	h.active("R-M", supA, "1000")
	for i := range 50 { // other holders' receivables, so that indexes are not empty
		h.active(fmt.Sprintf("R-X%d", i), supC, "10")
	}
	return h
}

func writeBytes(s *memstub.Stub) int {
	n := 0
	for k, v := range s.Writes() {
		n += len(k) + len(v)
	}
	for _, kv := range s.PrivateWrites() {
		for k, v := range kv {
			n += len(k) + len(v)
		}
	}
	return n
}

// simulate runs one transaction without committing it.
func simulate(b *testing.B, cc shim.Chaincode, l *memstub.Ledger, h *harness, creator []byte, args []string) *memstub.Stub {
	const txID = "0c7e8d5f9a3b41d2a6e0f4c8b7d9e1f3a5c7e9b1d3f5a7c9e1b3d5f7a9c1e3b5"
	params, transient := splitTransient(args[0], args[1:], txID)
	s := l.NewStub(txID, h.now, creator, append([]string{args[0]}, params...)...)
	s.SetTransient(transient)
	if resp := cc.Invoke(s); resp.Status != shim.OK {
		b.Fatalf("%s: %s", args[0], resp.Message)
	}
	return s
}

func BenchmarkWrite(b *testing.B) {
	for _, bc := range benchCases {
		b.Run(bc.name, func(b *testing.B) {
			h := benchLedger(b)
			args := bc.args
			if bc.setup != nil {
				if changed := bc.setup(h, bc.args); changed != nil {
					args = changed
				}
			}
			creator := h.ids[bc.caller]
			first := simulate(b, h.cc, h.ledger, h, creator, args)
			size, reads, writes := writeBytes(first), first.Reads(), len(first.Writes())
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				simulate(b, h.cc, h.ledger, h, creator, args)
			}
			b.ReportMetric(float64(size), "wbytes")
			b.ReportMetric(float64(reads), "rkeys")
			b.ReportMetric(float64(writes), "wkeys")
		})
	}
}

// BenchmarkBarePut is a one-write chaincode writing as many bytes as each write transaction.
func BenchmarkBarePut(b *testing.B) {
	cc, err := bare.NewChaincode()
	require.NoError(b, err)
	h := benchLedger(b)
	creator := h.ids[supA]
	for _, size := range []int{512, 1024, 2048, 4096, 8192} {
		b.Run(fmt.Sprintf("bytes=%d", size), func(b *testing.B) {
			args := []string{"Put", "rcv/R-1", strconv.Itoa(size - len("rcv/R-1"))}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				simulate(b, cc, h.ledger, h, creator, args)
			}
		})
	}
}

// BenchmarkRawPutState is a PutState on the stub alone, without any chaincode framework.
func BenchmarkRawPutState(b *testing.B) {
	l := memstub.NewLedger()
	value := []byte(strings.Repeat("x", 2048))
	b.ReportAllocs()
	for range b.N {
		s := l.NewStub("tx", day0, nil)
		if err := s.PutState("rcv/R-1", value); err != nil {
			b.Fatal(err)
		}
	}
}

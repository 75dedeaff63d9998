package contract_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/memstub"
	"github.com/recv-ledger/recv/chaincode/wire"
)

// endorse runs a transaction as account and returns its stub without committing it: an
// endorsement a client may hold before it submits.
func (h *harness) endorse(account, fn string, args ...string) *memstub.Stub {
	h.t.Helper()
	if hash, decided, err := h.decideFirst(account, fn, args); decided {
		require.NoError(h.t, err)
		args = []string{args[0], hash, args[1]}
	}
	txID := h.nextTxID()
	args, transient := splitTransient(fn, args, txID)
	stub := h.ledger.NewStub(txID, h.now, h.ids[account], append([]string{fn}, args...)...)
	stub.SetTransient(transient)
	resp := h.cc.Invoke(stub)
	require.Equal(h.t, int32(shim.OK), resp.Status, "%s %s: %s", account, fn, resp.Message)
	return stub
}

func (h *harness) beacon() wire.Beacon {
	h.t.Helper()
	var b wire.Beacon
	require.NoError(h.t, json.Unmarshal(h.ledger.State("beacon"), &b))
	return b
}

// Every write reads the time beacon, so a write endorsed before the beacon advanced is stale at
// commit (MVCC_READ_CONFLICT in Fabric): an approval held for minutes cannot commit once the network
// ticked. A query reads no beacon.
func TestBeacon_AnEndorsementHeldPastATickCannotCommit(t *testing.T) {
	h := newHarness(t)
	h.active("R-1", supA, "100") // the seeding started the beacon

	held := h.endorse(supA, "Transfer", "R-1", supB, "")
	require.Empty(t, held.ReadConflicts(), "nothing changed yet: it would commit")

	h.now = h.now.Add(time.Minute)
	h.ok(bank1Admin, "Tick") // the network's schedule, any member's admin
	require.Contains(t, held.ReadConflicts(), "beacon", "the held transfer read the beacon, which advanced since")
	require.Equal(t, "2026-11-22T10:01:00Z", h.beacon().Time)
	require.Equal(t, bank1Admin, h.beacon().By)

	for _, op := range wire.Ops {
		if !op.Submit {
			continue
		}
		// Every write that passes the role check reads the beacon, whatever its rule says next: one
		// read in one place of the admission path.
		args := make([]string, len(op.Params))
		var stub *memstub.Stub
		for _, account := range []string{admin, treasurer, supA, bank1, approver, auditor} {
			stub = h.ledger.NewStub(h.nextTxID(), h.now, h.ids[account], append([]string{op.Tx}, args...)...)
			transient := map[string][]byte{}
			for _, p := range op.Transient {
				transient[p.Name] = []byte("1")
			}
			stub.SetTransient(transient)
			if resp := h.cc.Invoke(stub); !strings.Contains(resp.Message, "needs role") {
				break
			}
		}
		h.now = h.now.Add(time.Second)
		h.ok(admin, "Tick")
		require.Contains(t, stub.ReadConflicts(), "beacon", "%s does not read the time beacon", op.Tx)
	}
	query := h.ledger.NewStub(h.nextTxID(), h.now, h.ids[auditor], "Get", "R-1")
	require.Equal(t, int32(shim.OK), h.cc.Invoke(query).Status)
	h.now = h.now.Add(time.Second)
	h.ok(admin, "Tick")
	require.Empty(t, query.ReadConflicts(), "a query reads no beacon")
}

func TestBeacon_TickOnlyForwardByAdminsNearThePeerClock(t *testing.T) {
	h := newHarness(t) // the seeding started the beacon at its own time
	h.refuse("conflict: the time beacon is already at 2026-11-22T10:00:00Z, not before this transaction's time 2026-11-22T10:00:00Z",
		supAdmin, "Tick")
	h.refuse("forbidden: Tick needs role admin", supA, "Tick")
	h.now = h.now.Add(time.Second)
	h.skew = 31 * time.Second
	h.refuse("invalid: a Tick's timestamp 2026-11-22T10:00:01Z is 31s away from the peer clock, more than 30s allowed", audAdmin, "Tick")
	h.skew = -31 * time.Second
	h.refuse("invalid: a Tick's timestamp", audAdmin, "Tick")
	h.skew = 0
	h.ok(audAdmin, "Tick")
	require.Equal(t, "2026-11-22T10:00:01Z", h.beacon().Time)
}

// GetBeacon is how a standby ticker (recv serve --beacon-standby) sees whether the beacon is late:
// any member reads it (the seeding starts it), and reading it is a query that changes nothing
// and invalidates no write.
func TestBeacon_GetBeaconReadsTheLastTick(t *testing.T) {
	h := newHarness(t)
	var seeded wire.Beacon
	require.NoError(t, json.Unmarshal([]byte(h.ok(audAdmin, "GetBeacon")), &seeded))
	require.Equal(t, wire.Beacon{Time: "2026-11-22T10:00:00Z", By: admin, TxID: seeded.TxID}, seeded, "InitRegistry starts the beacon")
	require.NotEmpty(t, seeded.TxID)
	h.now = h.now.Add(time.Second)
	h.ok(admin, "Tick")
	h.now = h.now.Add(90 * time.Second)
	h.ok(bank1Admin, "Tick")
	for _, account := range []string{audAdmin, supA, auditor} {
		var b wire.Beacon
		require.NoError(t, json.Unmarshal([]byte(h.ok(account, "GetBeacon")), &b))
		require.Equal(t, h.beacon(), b, account)
		require.Equal(t, "2026-11-22T10:01:31Z", b.Time)
		require.Equal(t, bank1Admin, b.By)
	}
	h.active("R-1", supA, "100")
	held := h.endorse(supA, "Transfer", "R-1", supB, "")
	h.ok(audAdmin, "GetBeacon")
	require.Empty(t, held.ReadConflicts(), "reading the beacon does not move it")
}

func TestBeacon_NoWriteDatedBeforeIt(t *testing.T) {
	h := newHarness(t)
	h.active("R-1", supA, "100")
	h.now = h.now.Add(5 * time.Minute)
	h.ok(admin, "Tick")
	// A client dates its transfer 2 minutes back, within the allowed clock skew of 600 s.
	h.now, h.skew = h.now.Add(-2*time.Minute), 2*time.Minute
	h.refuse("invalid: back-dated: the transaction time 2026-11-22T10:03:00Z is before the network's time beacon 2026-11-22T10:05:00Z",
		supA, "Transfer", "R-1", supB, "")
	h.now, h.skew = h.now.Add(2*time.Minute), 0
	h.ok(supA, "Transfer", "R-1", supB, "")
}

// A write's time is never earlier than the last change of what it changes, even within the clock
// skew and with no tick in between: an acceptance dated before the offer, a withdrawal dated before
// the financing request, an account change dated before the last one, a proposal approved before
// it was made.
func TestNotBackdated_NoWriteBeforeTheStateItChanges(t *testing.T) {
	h := newHarness(t)
	h.now = h.now.Add(10 * time.Minute)
	h.issue(issueJSON(issueOpts{ID: "R-1", Amount: "100"}))
	h.now, h.skew = h.now.Add(-time.Minute), time.Minute
	h.refuse("conflict: back-dated: receivable R-1 was last changed at 2026-11-22T10:10:00Z, after this transaction's time 2026-11-22T10:09:00Z",
		supA, "Accept", "R-1")
	h.now, h.skew = h.now.Add(time.Minute), 0
	h.ok(supA, "Accept", "R-1")

	h.now = h.now.Add(time.Minute)
	h.ok(supA, "RequestFinancing", "R-1", "Bank1MSP")
	h.now, h.skew = h.now.Add(-30*time.Second), 30*time.Second
	h.refuse("conflict: back-dated: receivable R-1 was last changed at 2026-11-22T10:11:00Z", supA, "WithdrawFinancing", "R-1")
	h.now, h.skew = h.now.Add(30*time.Second), 0

	h.ok(supAdmin, "FreezeAccount", supC, "audit")
	h.now, h.skew = h.now.Add(-time.Second), time.Second
	h.refuse("conflict: back-dated: account SupplierMSP/supplier-c was last changed at 2026-11-22T10:11:00Z",
		supAdmin, "UnfreezeAccount", supC)
	h.now, h.skew = h.now.Add(time.Second), 0

	h.ok(admin, "CreateProposal", `{"id":"P-9","action":"set-config","config":{"maxTermDays":100}}`)
	h.now, h.skew = h.now.Add(-time.Second), time.Second
	h.refuse("conflict: back-dated: proposal P-9 was last changed at 2026-11-22T10:11:00Z", bank1Admin, "ApproveProposal", "P-9")
	h.now, h.skew = h.now.Add(time.Second), 0
	h.ok(bank1Admin, "ApproveProposal", "P-9")
}

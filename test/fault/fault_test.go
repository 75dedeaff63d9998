package fault

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/gateway/client"
	"github.com/recv-ledger/recv/test/internal/gwtest"
	"github.com/recv-ledger/recv/test/internal/securitycheck"
	"github.com/recv-ledger/recv/test/internal/story"
)

// downtime is how long a killed node stays down, under load, before it is restarted.
const downtime = 5 * time.Second

// EnvPause names how long the paused peer stays stopped (a Go duration, default 30s).
const EnvPause = "RECV_FAULT_PAUSE"

// row is one fault's line in docs/reliability.md.
type row struct {
	Fault      string
	Done       string
	Acked      int // writes the gateways acknowledged during the round
	Found      int // of them, valid exactly once in every peer's blocks
	Copies     int // invalid copies of them (DUPLICATE_TXID: sent again by the gateway)
	Duplicated int // writes applied more than once (on any peer)
	Applied    int // writes applied whose answer was lost, found on the ledger
	// Contradicted counts answers that said a transaction failed (an error naming it) while the
	// ledger has it valid; Pending the attempts that ended "sent, outcome not known yet".
	Contradicted int
	Pending      int
	Retries      int
	Cut          int           // attempts whose connection failed or was cut: no answer
	Stall        time.Duration // the longest time without an acknowledged write after the fault
	CatchUp      time.Duration
	CatchUpOf    string // what CatchUp measures
}

// recovery is what a fault's injection reports.
type recovery struct {
	at      time.Time     // the fault
	back    time.Time     // the node restarted or resumed
	catchUp time.Duration // measured by the fault (0: until the first write acknowledged after back)
	of      string
	gateway string // the organisation whose gateway's first answer after back ends the catch-up
	// planned: an operator's change (an upgrade), not a failure: no attempt of the load may fail
	// or go unanswered, not only no write be lost.
	planned bool
}

type fault struct {
	name, done string
	inject     func(t *testing.T, l *load) recovery
}

func TestFaults_UnderLoad(t *testing.T) {
	pause := 30 * time.Second
	if v := os.Getenv(EnvPause); v != "" {
		d, err := time.ParseDuration(v)
		require.NoError(t, err, "%s=%q", EnvPause, v)
		pause = d
	}
	s := newSuite(t)
	faults := []fault{
		{"orderer killed", fmt.Sprintf("SIGKILL a Raft follower, restart it after %s", downtime), s.killOrderer(false)},
		{"Raft leader killed", fmt.Sprintf("SIGKILL the Raft leader (from the orderers' operations metrics), restart it after %s", downtime), s.killOrderer(true)},
		{"endorsing peer killed", fmt.Sprintf("SIGKILL peer0.core (endorses every write), restart it after %s", downtime), s.killNode("peer0.core")},
		{"peer paused", fmt.Sprintf("SIGSTOP peer0.supplier for %s, then SIGCONT", pause), s.pausePeer("peer0.supplier", pause)},
		{"financing bank's peer killed", fmt.Sprintf("SIGKILL peer0.bank1 (a party to every financing decision of the load), restart it after %s", downtime), s.killNode("peer0.bank1")},
		{"other bank's peer killed", fmt.Sprintf("SIGKILL peer0.bank2 (no party to the load's writes), restart it after %s", downtime), s.killNode("peer0.bank2")},
		{"auditor's peer killed", fmt.Sprintf("SIGKILL peer0.auditor (a member of the terms' collections, no party), restart it after %s", downtime), s.killNode("peer0.auditor")},
		{"chaincode server killed", fmt.Sprintf("SIGKILL the chaincode server, restart it after %s", downtime), s.killChaincode},
		{"chaincode upgraded", "make upgrade under load: the next package's servers start beside the running ones, the next definition commits, the old servers stop", s.upgrade},
		{"bank joined", "make add-org NAME=bank3 under load: a channel update, then a definition whose endorsement policy and collections name the new bank, its servers handing over as an upgrade's", s.addBank},
		{"peer's certificates renewed", "network.sh renew peer0.bank2 under load: new enrollment and TLS pairs (new keys) from ca.bank2, the peer restarted", s.renew("peer0.bank2", true)},
		{"orderer's TLS renewed (consenter update)", "network.sh renew of the Raft leader under load: new pairs from ca.orderer (the TLS key kept), its consenter entry updated (the leader hands over), the orderer restarted and back in Raft", s.renew("", true)},
		{"chaincode server's TLS renewed", "network.sh renew chaincode.core under load: a new TLS pair from ca.core put in place, read by the running server at its next handshake (no restart)", s.renew("chaincode.core", true)},
		{"endorsing peer's certificates renewed", "network.sh renew peer0.core under load: as peer0.bank2's, but every write needs this peer while it restarts: the gateways wait for it (PeerDownFor)", s.renew("peer0.core", true)},
		{"gateway killed mid-request", "SIGKILL the core enterprise's gateway with requests in flight, restart it; clients retry with the same keys", s.killGateway("CoreMSP", "gateway.core")},
		{"network stopped and started", "make stop under load, then make start from the state folder", s.restartNetwork},
		{"ordering quorum lost", fmt.Sprintf("SIGKILL two of the three orderers for %s (longer than a client's %s attempt), restart them; clients retry with the same keys", quorumDown, attemptTimeout), s.loseQuorum},
		{"every gateway killed", "SIGKILL the five gateways at once with requests in flight, restart them; clients retry with the same keys", s.killGateways},
		{"gateway restarted while its peer is behind", "SIGSTOP peer0.supplier for 10s, SIGKILL the supplier's gateway, SIGCONT the peer and restart the gateway at once", s.restartGatewayPeerBehind},
	}
	for _, f := range faults {
		t.Run(strings.ReplaceAll(f.name, " ", "_"), func(t *testing.T) { s.round(t, f) })
	}
	s.print()

	// The auditor's rebuilt receivables are what the chaincode answers.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	aud := s.ledgers[len(s.ledgers)-1]
	diffs, err := aud.aud.Compare(ctx, s.auditor.GetRaw)
	require.NoError(t, err)
	require.Empty(t, diffs, "the receivables rebuilt from the blocks are what the chaincode answers")
}

type suite struct {
	ledgers []*ledger // one per organisation's peer; the auditor's last
	auditor *client.Client
	rows    []row
}

func newSuite(t *testing.T) *suite {
	s := &suite{}
	for _, msp := range []string{"CoreMSP", "SupplierMSP", "Bank1MSP", "Bank2MSP", "AuditorMSP"} {
		l, err := newLedger(msp, account(t, msp+"/admin"))
		require.NoError(t, err)
		s.ledgers = append(s.ledgers, l)
	}
	s.auditor = account(t, story.Auditor)
	return s
}

func account(t *testing.T, name string) *client.Client {
	return gwtest.As(t, nw.Dir, name).Client
}

// round runs the load, injects the fault once the load is steady, lets the load go on until
// writes are acknowledged again after the recovery, stops it and checks the ledgers.
func (s *suite) round(t *testing.T, f fault) {
	l := newLoad(t, nw.Dir, gwtest.UniqueID(t, "F"))
	start := time.Now()
	l.start(t)
	stopped := false
	defer func() {
		if !stopped {
			l.stop()
		}
	}()
	require.True(t, l.waitAcks(start, "", 8, 2*time.Minute), "the load before the fault: %v", l.errs)
	rec := f.inject(t, l)
	require.True(t, l.waitAcks(rec.back, rec.gateway, 8, 3*time.Minute), "writes acknowledged after the recovery: %v", l.errs)
	l.stop()
	stopped = true
	require.Empty(t, l.errs, "the load")

	acks := l.acked()
	r := row{Fault: f.name, Done: f.done, Acked: len(acks), Applied: l.applied, Pending: l.pending, Retries: l.retries, Cut: l.cuts(),
		Stall: stall(acks, rec.at), CatchUp: rec.catchUp, CatchUpOf: rec.of}
	if r.CatchUp == 0 {
		after := l.ackedSince(rec.back, rec.gateway)
		require.NotEmpty(t, after)
		r.CatchUp = after[0].At.Sub(rec.back)
	}
	s.check(t, l.run, acks, &r)
	// No answer that said a transaction failed is contradicted by the ledger.
	var contradicted []string
	for _, c := range l.claims {
		if s.ledgers[len(s.ledgers)-1].valid[c.TxID] > 0 {
			contradicted = append(contradicted, fmt.Sprintf("%s: answered %q, but %s is valid", c.Write, c.Answer, c.TxID))
		}
	}
	r.Contradicted = len(contradicted)
	require.Empty(t, contradicted, "answers the ledger contradicts")
	s.rows = append(s.rows, r)
	t.Log(r.markdown())
	if rec.planned {
		require.Zero(t, r.Retries, "a planned change failed attempts of the load (%d without an answer, %d pending): %s",
			r.Cut, r.Pending, strings.Join(l.failed, "; "))
	}
}

// check waits until the peers agree, reads their new blocks and requires: every acknowledged
// transaction valid exactly once in every peer's blocks, no write applied twice, the same last block
// and rebuilt state everywhere, conservation on every root.
func (s *suite) check(t *testing.T, run string, acks []ack, r *row) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	height, hash, err := converge(ctx, s.ledgers, 2*time.Minute)
	require.NoError(t, err)
	var digest string
	for _, l := range s.ledgers {
		require.NoError(t, l.read(ctx, height))
		require.Equal(t, hash, l.hash, "%s: the last block read is the one its peer reports", l.msp)
		var missing []string
		copies := 0
		for _, a := range acks {
			if l.valid[a.TxID] != 1 {
				missing = append(missing, fmt.Sprintf("%s %s (in the blocks %d times, valid %d)", a.Write, a.TxID, l.txs[a.TxID], l.valid[a.TxID]))
			}
			// A copy the gateway sent again when its commit wait lapsed is in the blocks as
			// DUPLICATE_TXID, never valid.
			copies += l.txs[a.TxID] - 1
		}
		require.Empty(t, missing, "%s: acknowledged transactions not valid exactly once", l.msp)
		r.Copies = max(r.Copies, copies)
		twice := l.repeated(run)
		r.Duplicated = max(r.Duplicated, len(twice))
		require.Empty(t, twice, "%s: writes applied more than once", l.msp)
		d, n, err := l.stateDigest()
		require.NoError(t, err)
		if digest == "" {
			digest = d
		}
		require.Equal(t, digest, d, "%s: the state rebuilt from its blocks (%d receivables) is every peer's", l.msp, n)
		roots, violations := l.aud.Conservation()
		require.Empty(t, violations, "%s: conservation", l.msp)
		require.Positive(t, roots)
	}
	r.Found = len(acks)
}

func (s *suite) print() {
	fmt.Println("\n| Fault | What was done | Acknowledged | Valid once on every peer | Applied twice | Applied, answer lost | Answers contradicted by the ledger | Retries (no answer, pending) | Commits stalled | Catch-up |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range s.rows {
		fmt.Println(r.markdown())
	}
}

func (r row) markdown() string {
	found := strconv.Itoa(r.Found)
	if r.Copies > 0 {
		found += fmt.Sprintf(" (+%d invalid copies)", r.Copies)
	}
	return fmt.Sprintf("| %s | %s | %d | %s | %d | %d | %d | %d (%d, %d) | %.1f s | %.1f s (%s) |", r.Fault, r.Done, r.Acked, found,
		r.Duplicated, r.Applied, r.Contradicted, r.Retries, r.Cut, r.Pending, r.Stall.Seconds(), r.CatchUp.Seconds(), r.CatchUpOf)
}

// orderers are the Raft orderers' node names.
var orderers = []string{"orderer1", "orderer2", "orderer3"}

func (s *suite) killOrderer(leader bool) func(*testing.T, *load) recovery {
	return func(t *testing.T, _ *load) recovery {
		lead, err := nw.RaftLeader()
		require.NoError(t, err)
		victim := lead
		if !leader {
			for _, o := range orderers {
				if o != lead {
					victim = o
					break
				}
			}
		}
		return killRestart(t, victim, others(orderers, victim), "the orderer's height reaches the others'")
	}
}

func (s *suite) killNode(node string) func(*testing.T, *load) recovery {
	return func(t *testing.T, _ *load) recovery {
		return killRestart(t, node, orderers, "the peer's height reaches the orderers'")
	}
}

// killRestart kills node, restarts it after downtime and waits until its height reaches refs'.
func killRestart(t *testing.T, node string, refs []string, of string) recovery {
	at := time.Now()
	require.NoError(t, nw.Signal(node, "KILL"))
	time.Sleep(downtime)
	back := time.Now()
	require.NoError(t, nw.Restart(node))
	return recovery{at: at, back: back, catchUp: caughtUp(t, node, refs, back), of: node + " restarted: " + of}
}

func (s *suite) pausePeer(node string, pause time.Duration) func(*testing.T, *load) recovery {
	return func(t *testing.T, _ *load) recovery {
		at := time.Now()
		require.NoError(t, nw.Signal(node, "STOP"))
		resumed := false
		defer func() {
			if !resumed {
				_ = nw.Signal(node, "CONT")
			}
		}()
		time.Sleep(pause)
		back := time.Now()
		require.NoError(t, nw.Signal(node, "CONT"))
		resumed = true
		// A Fabric 2.5.0 peer resumed after a long SIGSTOP has, rarely (2 runs in about 10 here),
		// committed what its deliver stream had buffered and then pulled nothing more, for minutes,
		// with nothing in its log. An operator restarts such a peer (BlockHeightBehind fires); so
		// does the round, after 90 s, and says so: the checks of the ledgers then run as for any round.
		if ok, why := catchesUp(node, orderers, 90*time.Second); !ok {
			t.Logf("%s resumed but stalled (%s): restarted; the end of its log:\n%s", node, why, nw.LogTail(node, 40))
			require.NoError(t, nw.Restart(node))
			return recovery{at: at, back: back, catchUp: caughtUp(t, node, orderers, back),
				of: node + " resumed, stalled, restarted after 90 s: its height reaches the orderers'"}
		}
		return recovery{at: at, back: back, catchUp: time.Since(back),
			of: node + " resumed: its height reaches the orderers'"}
	}
}

func (s *suite) killChaincode(t *testing.T, _ *load) recovery {
	nodes, err := nw.Nodes()
	require.NoError(t, err)
	var servers []string
	for _, n := range nodes {
		if strings.HasPrefix(n, "chaincode") {
			servers = append(servers, n)
		}
	}
	require.NotEmpty(t, servers)
	at, back := killFor(t, servers, downtime)
	return recovery{at: at, back: back, of: "server restarted: the first write acknowledged"}
}

// upgrade runs `network.sh upgrade` (make upgrade) while the load goes on: the chaincode is
// rebuilt, packaged and committed at the next sequence with its next servers beside the running
// ones, which stop once every peer runs the new definition.
func (s *suite) upgrade(t *testing.T, _ *load) recovery {
	at := time.Now()
	out, err := nw.Script("upgrade")
	require.NoError(t, err, "network.sh upgrade: %s", out)
	back := time.Now()
	return recovery{at: at, back: back, catchUp: back.Sub(at), of: "the upgrade's whole run", planned: true}
}

// addBank has a bank join the running network: the channel's configuration and the chaincode
// definition (its endorsement policy and collections) change under the load.
func (s *suite) addBank(t *testing.T, _ *load) recovery {
	at := time.Now()
	out, err := nw.Script("add-org", "bank3")
	require.NoError(t, err, "network.sh add-org bank3: %s", out)
	require.Contains(t, string(out), "next servers beside the running ones", "the definition change handed over:\n%s", out)
	back := time.Now()
	return recovery{at: at, back: back, catchUp: back.Sub(at), of: "add-org's whole run", planned: true}
}

// renew runs `network.sh renew node` (node "": the Raft leader) while the load goes on, a planned
// change (no attempt may fail): the node's TLS listener must then present a new certificate (a
// peer's or a chaincode server's for a new key, an orderer's for the same key), issued for the CA's
// whole lifetime from the renewal (the suite's CAs issue two-hour certificates: main_test.go).
func (s *suite) renew(node string, planned bool) func(*testing.T, *load) recovery {
	return func(t *testing.T, _ *load) recovery {
		if node == "" {
			lead, err := nw.RaftLeader()
			require.NoError(t, err)
			node = lead
		}
		served := servedCert
		if org, ok := strings.CutPrefix(node, "chaincode."); ok {
			served = func(t *testing.T, _ string) *x509.Certificate { return securitycheck.ChaincodeServerCert(t, nw, org) }
		}
		before := served(t, node)
		at := time.Now()
		out, err := nw.Script("renew", node)
		require.NoError(t, err, "network.sh renew %s: %s", node, out)
		back := time.Now()
		after := served(t, node)
		require.NotEqual(t, before.SerialNumber, after.SerialNumber, "%s presents its former TLS certificate", node)
		if strings.HasPrefix(node, "orderer") {
			// Raft knows an orderer by its TLS key: the renewal keeps it (scripts/lib/net-renew.sh).
			require.Equal(t, before.RawSubjectPublicKeyInfo, after.RawSubjectPublicKeyInfo, "%s's new TLS certificate keeps its key", node)
		} else {
			require.NotEqual(t, before.RawSubjectPublicKeyInfo, after.RawSubjectPublicKeyInfo, "%s's new TLS certificate has a new key", node)
		}
		// The new certificate runs the CA's lifetime from the renewal. notBefore is backdated by a few
		// minutes (the CA's allowance for clock skew), so notAfter - notBefore exceeds the lifetime.
		lifetime := before.NotAfter.Sub(before.NotBefore)
		require.True(t, after.NotAfter.After(at.Add(lifetime-15*time.Minute)) && !after.NotAfter.After(back.Add(lifetime)),
			"%s's new TLS certificate was not issued by the renewal for the CA's lifetime (about %s): valid until %s", node, lifetime, after.NotAfter)
		t.Logf("%s: TLS certificate serial %x until %s, now serial %x until %s (%s)", node, before.SerialNumber,
			before.NotAfter.Format(time.RFC3339), after.SerialNumber, after.NotAfter.Format(time.RFC3339), lifetime)
		return recovery{at: at, back: back, catchUp: back.Sub(at), of: node + ": the renewal's whole run", planned: planned}
	}
}

// servedCert is the certificate node (a peer or an orderer) presents on its TLS listener, verified
// against its organisation's TLS root in a handshake as the core enterprise's admin (the nodes
// require a client certificate).
func servedCert(t *testing.T, node string) *x509.Certificate {
	_, core, err := nw.Desc.Org("CoreMSP")
	require.NoError(t, err)
	cfg, err := core.Peer.TLSConfig()
	require.NoError(t, err)
	var addr, root string
	for _, o := range nw.Desc.Orderers {
		if o.Name == node {
			addr, cfg.ServerName, root = o.Address, o.ServerName, o.TLSCACert
		}
	}
	for _, org := range nw.Desc.Orgs {
		if org.Peer.Name == node {
			addr, cfg.ServerName, root = org.Peer.Address, org.Peer.ServerName, org.Peer.TLSCACert
		}
	}
	require.NotEmpty(t, addr, "no peer or orderer %s in network.json", node)
	pem, err := os.ReadFile(root)
	require.NoError(t, err)
	cfg.RootCAs = x509.NewCertPool()
	require.True(t, cfg.RootCAs.AppendCertsFromPEM(pem), "no certificate in %s", root)
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, cfg)
	require.NoError(t, err, "TLS handshake with %s at %s", node, addr)
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0]
}

// killFor kills nodes, keeps them down for d and restarts them; it returns when they were killed
// and when they were restarted.
func killFor(t *testing.T, nodes []string, d time.Duration) (at, back time.Time) {
	at = time.Now()
	for _, n := range nodes {
		require.NoError(t, nw.Signal(n, "KILL"))
	}
	time.Sleep(d)
	back = time.Now()
	require.NoError(t, nw.Restart(nodes...))
	return at, back
}

func (s *suite) killGateway(msp, node string) func(*testing.T, *load) recovery {
	return func(t *testing.T, l *load) recovery {
		// A write takes at least the orderers' batch timeout (150 ms) to commit; the kill comes
		// within milliseconds of a request sent.
		deadline := time.Now().Add(time.Minute)
		for l.inflight[msp].Load() == 0 || time.Since(time.Unix(0, l.sent[msp].Load())) > 20*time.Millisecond {
			require.True(t, time.Now().Before(deadline), "no request in flight at %s's gateway", msp)
			time.Sleep(time.Millisecond)
		}
		at := time.Now()
		require.NoError(t, nw.Signal(node, "KILL"))
		require.Eventually(t, func() bool { return l.cuts() > 0 }, 5*time.Second, 10*time.Millisecond,
			"a request in flight at the killed gateway lost its connection")
		time.Sleep(time.Second)
		back := time.Now()
		require.NoError(t, nw.Restart(node))
		return recovery{at: at, back: back, gateway: msp, of: "gateway restarted: its first write acknowledged"}
	}
}

// quorumDown is how long the ordering service stays without a quorum: longer than a client's
// attempt, so that clients see their attempts end and retry.
const quorumDown = attemptTimeout + 5*time.Second

// loseQuorum kills two of the three orderers (the Raft leader among them, if it is one of them)
// and restarts both after quorumDown: nothing is ordered meanwhile; the gateways answer each
// write sent "pending" (202), and the clients' retries with the same keys follow those
// transactions, which commit once the quorum is back.
func (s *suite) loseQuorum(t *testing.T, _ *load) recovery {
	at, back := killFor(t, orderers[1:], quorumDown)
	return recovery{at: at, back: back, of: "quorum back: the first write acknowledged"}
}

// gatewayNodes are the five organisations' gateways.
var gatewayNodes = []string{"gateway.core", "gateway.supplier", "gateway.bank1", "gateway.bank2", "gateway.auditor"}

// killGateways kills every gateway at once while requests are in flight and restarts them: each
// request cut there is retried with its key, and follows what its gateway had sent before dying.
func (s *suite) killGateways(t *testing.T, l *load) recovery {
	deadline := time.Now().Add(time.Minute)
	for l.inflight["CoreMSP"].Load() == 0 && l.inflight["SupplierMSP"].Load() == 0 {
		require.True(t, time.Now().Before(deadline), "no request in flight")
		time.Sleep(time.Millisecond)
	}
	at := time.Now()
	for _, node := range gatewayNodes {
		require.NoError(t, nw.Signal(node, "KILL"))
	}
	require.Eventually(t, func() bool { return l.cuts() > 0 }, 5*time.Second, 10*time.Millisecond,
		"a request in flight at a killed gateway lost its connection")
	time.Sleep(time.Second)
	back := time.Now()
	require.NoError(t, nw.Restart(gatewayNodes...))
	return recovery{at: at, back: back, of: "gateways restarted: the first write acknowledged"}
}

// restartGatewayPeerBehind restarts the supplier's gateway while its peer is still catching up
// with the blocks it missed: the gateway's writes wait for the peer or are retried, never lost.
func (s *suite) restartGatewayPeerBehind(t *testing.T, _ *load) recovery {
	at := time.Now()
	require.NoError(t, nw.Signal("peer0.supplier", "STOP"))
	resumed := false
	defer func() {
		if !resumed {
			_ = nw.Signal("peer0.supplier", "CONT")
		}
	}()
	time.Sleep(10 * time.Second)
	require.NoError(t, nw.Signal("gateway.supplier", "KILL"))
	require.NoError(t, nw.Signal("peer0.supplier", "CONT"))
	resumed = true
	back := time.Now()
	require.NoError(t, nw.Restart("gateway.supplier"))
	return recovery{at: at, back: back, gateway: "SupplierMSP", of: "gateway restarted: its first write acknowledged"}
}

func (s *suite) restartNetwork(t *testing.T, _ *load) recovery {
	at := time.Now()
	require.NoError(t, nw.Stop())
	time.Sleep(2 * time.Second)
	back := time.Now()
	require.NoError(t, nw.Start())
	return recovery{at: at, back: back, of: "make start begun: the first write acknowledged"}
}

// caughtUp waits until node's height reaches the highest of refs' (read just before it, so that
// a node keeping up with a growing chain counts as caught up) and returns the time since from.
func caughtUp(t *testing.T, node string, refs []string, from time.Time) time.Duration {
	if ok, why := catchesUp(node, refs, 3*time.Minute); !ok {
		// What the node did meanwhile (its deliver client's reconnects, a commit waiting for
		// private data, ...) is the diagnosis: a CI run keeps this output.
		t.Fatalf("%s did not catch up within 3 minutes (%s); the end of its log:\n%s", node, why, nw.LogTail(node, 120))
	}
	return time.Since(from)
}

// catchesUp waits up to d until node's height reaches the highest of refs'; why says where it
// stood when it did not.
func catchesUp(node string, refs []string, d time.Duration) (bool, string) {
	deadline := time.Now().Add(d)
	for {
		var ref uint64
		for _, r := range refs {
			if rh, err := nw.Height(r); err == nil {
				ref = max(ref, rh)
			}
		}
		h, err := nw.Height(node)
		if err == nil && ref > 0 && h >= ref {
			return true, ""
		}
		if time.Now().After(deadline) {
			return false, fmt.Sprintf("height %d of %d, %v", h, ref, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func others(all []string, not string) []string {
	var out []string
	for _, s := range all {
		if s != not {
			out = append(out, s)
		}
	}
	return out
}

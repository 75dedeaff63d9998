package gateway_test

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
	gwclient "github.com/recv-ledger/recv/gateway/client"
	"github.com/recv-ledger/recv/test/internal/gwtest"
)

func TestAuth_UnauthenticatedCallsAre401AndChangeNothing(t *testing.T) {
	core := as(t, "CoreMSP/treasurer")
	id := uniqueID(t, "GU")
	body := issueBody(t, id, "SupplierMSP/supplier-a", "10.00", inDays(30))
	for _, token := range []string{"", "recv_forged", core.Token + "x"} {
		anon := gwtest.New(t, core.BaseURL(), token)
		r := anon.Do(t, http.MethodPost, "/v1/receivables", body)
		require.Equal(t, http.StatusUnauthorized, r.Status)
		require.Equal(t, wire.KindUnauthenticated, r.Problem().Kind)
		require.Equal(t, http.StatusUnauthorized, anon.Do(t, http.MethodGet, "/v1/receivables/"+id, nil).Status)
	}
	require.Equal(t, http.StatusNotFound, as(t, "AuditorMSP/auditor").Do(t, http.MethodGet, "/v1/receivables/"+id, nil).Status, "nothing was issued")
	require.Equal(t, http.StatusOK, (gwtest.New(t, core.BaseURL(), "")).Do(t, http.MethodGet, "/healthz", nil).Status)
}

func TestAuth_ACallerCannotActAsAnotherIdentity(t *testing.T) {
	core, a, b := as(t, "CoreMSP/treasurer"), as(t, "SupplierMSP/supplier-a"), as(t, "SupplierMSP/supplier-b")
	id := uniqueID(t, "GI")
	core.Made(t, as(t, "CoreMSP/approver"), "issue", "", issueBody(t, id, "SupplierMSP/supplier-a", "10.00", inDays(30)))
	a.Sees(t, id, wire.StatusPending) // supplier-b's peer is supplier-a's: it knows the receivable

	// supplier-b's token is supplier-b, whatever the request says.
	r := b.Do(t, http.MethodPost, "/v1/receivables/"+id+"/accept", nil, "X-Recv-Identity", "supplier-a", "X-Forwarded-User", "supplier-a")
	require.Equal(t, http.StatusForbidden, r.Status, string(r.Body))
	require.Contains(t, r.Problem().Detail, "forbidden:")

	// A token of one organisation's gateway means nothing to another organisation's gateway.
	foreign := gwtest.New(t, core.BaseURL(), a.Token)
	require.Equal(t, http.StatusUnauthorized, foreign.Do(t, http.MethodPost, "/v1/receivables/"+id+"/accept", nil).Status)

	var me map[string]any
	mustRecv(t, &me, "--as", "SupplierMSP/supplier-b", "-o", "json", "whoami")
	require.Equal(t, "SupplierMSP/supplier-b", me["account"])
	require.Equal(t, wire.StatusPending, a.Get(t, id).Status, "still waiting for supplier-a")
}

func TestIdempotency_ARetryDoesNotIssueTwice(t *testing.T) {
	core, auditor := as(t, "CoreMSP/treasurer"), as(t, "AuditorMSP/auditor")
	key := "order-" + randomHex(t)[:10]
	body := issueBody(t, "", "SupplierMSP/supplier-a", "321.00", inDays(30))

	first := core.Do(t, http.MethodPost, "/v1/receivables", body, "Idempotency-Key", key)
	require.Equal(t, http.StatusOK, first.Status, string(first.Body))
	second := core.Do(t, http.MethodPost, "/v1/receivables", body, "Idempotency-Key", key)
	require.Equal(t, http.StatusOK, second.Status)
	require.Equal(t, string(first.Body), string(second.Body), "the first answer, replayed")
	require.Equal(t, "true", second.Header.Get("Idempotent-Replayed"))

	var issued gwtest.Committed
	require.NoError(t, json.Unmarshal(first.Body, &issued))
	require.NotNil(t, issued.Result.Instruction, "the treasurer's issue is a request for the approver")
	id := issued.Result.Instruction.Target
	require.True(t, strings.HasPrefix(id, "RK"), id)
	as(t, "CoreMSP/approver").Submit(t, "confirm", issued.Result.Instruction.ID, nil)
	auditor.Sees(t, id, wire.StatusPending)

	// A gateway that never saw the key (a restart) still cannot issue twice: the id comes from the key.
	fresh := startGateway(t, "CoreMSP")
	r := fresh.as(t, "treasurer").Do(t, http.MethodPost, "/v1/receivables", body, "Idempotency-Key", key)
	require.Equal(t, http.StatusConflict, r.Status, string(r.Body))

	// One receivable carries the request's contract, whatever else the ledger holds.
	n := 0
	for _, it := range auditor.List(t, gwclient.ListQuery{Issuer: "CoreMSP/treasurer"}) {
		if it.Trade.Contract.SHA256 == body.Contract.SHA256 {
			n++
		}
	}
	require.Equal(t, 1, n)
}

func TestOfflineSigning_TheServiceNeverHoldsTheKey(t *testing.T) {
	g := startGateway(t, "CoreMSP", "--offline-users", "treasurer,approver")
	treasurer, approver := g.as(t, "treasurer"), g.as(t, "approver")
	id := uniqueID(t, "GO")
	body := issueBody(t, id, "SupplierMSP/supplier-a", "500.00", inDays(45))

	r := treasurer.Do(t, http.MethodPost, "/v1/receivables", body)
	require.Equal(t, http.StatusForbidden, r.Status, "no key, no direct write: %s", r.Body)
	require.Contains(t, r.Problem().Detail, "offline")

	_, core, err := nw.Desc.Org("CoreMSP")
	require.NoError(t, err)
	key, checkerKey := core.Users["treasurer"].Key, core.Users["approver"].Key
	env := []string{"--gateway", treasurer.BaseURL(), "--token", treasurer.Token}
	checkerEnv := []string{"--gateway", approver.BaseURL(), "--token", approver.Token}

	// Another identity's key is refused before anything is signed: the proposal the gateway
	// prepares names the treasurer, the key's certificate (beside it) is the supplier's.
	_, supplier, err := nw.Desc.Org("SupplierMSP")
	require.NoError(t, err)
	code, _, stderr := recv(t, append(env, "issue", "--id", id, "--to", "SupplierMSP/supplier-a", "--amount", "500.00", "--maturity", inDays(45),
		"--contract", "C-1:"+randomHex(t), "--invoice", "INV-"+id+":"+randomHex(t)+":500.00", "--sign-with", supplier.Users["supplier-a"].Key)...)
	require.Equal(t, 1, code, stderr)
	require.Contains(t, stderr, "refusing to sign: the creator differs")

	// Two-person control: the maker's request and the checker's confirmation are each signed
	// offline with the signer's own key.
	var res wire.SubmitResponse
	mustRecv(t, &res, append(env, "-o", "json", "issue", "--id", id, "--to", "SupplierMSP/supplier-a", "--amount", "500.00", "--maturity", inDays(45),
		"--contract", "C-1:"+randomHex(t), "--invoice", "INV-"+id+":"+randomHex(t)+":500.00", "--sign-with", key)...)
	in, err := gwclient.InstructionOf(&res)
	require.NoError(t, err)
	require.NotNil(t, in, "the maker's request awaits the checker")
	mustRecv(t, &res, append(checkerEnv, "-o", "json", "confirm", in.ID, "--sign-with", checkerKey)...)
	require.NotEmpty(t, res.TransactionID)
	as(t, "AuditorMSP/auditor").Sees(t, id, wire.StatusPending)
	as(t, "SupplierMSP/supplier-a").Sees(t, id, wire.StatusPending)

	// The same signed flow for another transaction, then the history names the treasurer.
	mustRecv(t, nil, "--as", "SupplierMSP/supplier-a", "reject", id, "--reason", "not ours")
	var history []struct {
		Submitter string `json:"submitter"`
		TxID      string `json:"txId"`
	}
	mustRecv(t, &history, "--as", "AuditorMSP/auditor", "-o", "json", "history", id)
	require.Equal(t, "CoreMSP/approver", history[len(history)-1].Submitter, "the checker's confirmation wrote it")
	require.Equal(t, res.TransactionID, history[len(history)-1].TxID)
}

// extraGateway is a recv serve started by a test, with its own state folder and port.
type extraGateway struct {
	Base     string
	stateDir string
}

func (g *extraGateway) as(t *testing.T, user string) *client {
	tok, err := gwclient.ReadToken(filepath.Join(g.stateDir, "tokens", user+".token"))
	require.NoError(t, err)
	return gwtest.New(t, g.Base, tok)
}

// startGateway runs another gateway of org on a free loopback port until the test ends, then
// stops it with SIGTERM and requires a clean exit.
func startGateway(t *testing.T, org string, extra ...string) *extraGateway {
	t.Helper()
	return startGatewayIn(t, t.TempDir(), org, extra...)
}

// startGatewayIn is startGateway with a given state folder, to restart a gateway on its state.
func startGatewayIn(t *testing.T, state, org string, extra ...string) *extraGateway {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	args := append([]string{"serve", "--network", filepath.Join(nw.Dir, "network.json"), "--org", org, "--listen", addr, "--state-dir", state}, extra...)
	cmd := exec.Command(nw.RecvBin, args...)
	// Ended with the test binary even when it dies without running its clean-ups.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	started = append(started, &startedGateway{state: state, cmd: cmd, done: done})
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-done:
			done <- err
			require.NoError(t, err, "graceful shutdown:\n%s", logs.String())
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("gateway did not stop on SIGTERM:\n%s", logs.String())
		}
	})
	g := &extraGateway{Base: "http://" + addr, stateDir: state}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(g.Base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return g
			}
		}
		select {
		case err := <-done:
			done <- err
			t.Fatalf("gateway exited: %v\n%s", err, logs.String())
		default:
		}
		require.True(t, time.Now().Before(deadline), "gateway not ready:\n%s", logs.String())
		time.Sleep(200 * time.Millisecond)
	}
}

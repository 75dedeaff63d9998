package gateway_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestAdmin_RegisterEnrollAndUseANewSupplier(t *testing.T) {
	state := t.TempDir()
	g := startGatewayIn(t, state, "SupplierMSP")
	name := "sup-" + randomHex(t)[:8]

	r := g.as(t, "supplier-a").do(t, http.MethodPost, "/v1/admin/users", map[string]string{"name": name, "role": "supplier"})
	require.Equal(t, http.StatusForbidden, r.status, "only admins add users")

	r = g.as(t, "admin").do(t, http.MethodPost, "/v1/admin/users", map[string]string{"name": name, "role": "supplier"})
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	var added struct {
		Account string `json:"account"`
		Token   string `json:"token"`
	}
	require.NoError(t, json.Unmarshal(r.body, &added))
	require.Equal(t, "SupplierMSP/"+name, added.Account)
	raw, err := os.ReadFile(state + "/token-hashes.json")
	require.NoError(t, err)
	require.NotContains(t, string(raw), added.Token, "only the hash is kept")

	// The new identity acts on the ledger with its own certificate and role.
	id := uniqueID(t, "GA")
	as(t, "CoreMSP/treasurer").write(t, "/v1/receivables", issueBody(t, id, added.Account, "70.00", inDays(20)))
	user := &client{base: g.base, token: added.Token}
	user.write(t, "/v1/receivables/"+id+"/accept", nil)
	user.write(t, "/v1/receivables/"+id+"/financing", map[string]string{"bank": "Bank2MSP"})
	require.Equal(t, "FINANCING", as(t, "AuditorMSP/auditor").get(t, id).Status)

	r = g.as(t, "admin").do(t, http.MethodPost, "/v1/admin/users", map[string]string{"name": name, "role": "supplier"})
	require.Equal(t, http.StatusConflict, r.status)

	// After a restart on the same state the user and its token are still there.
	stopGateway(t, state)
	g2 := startGatewayIn(t, state, "SupplierMSP")
	r = (&client{base: g2.base, token: added.Token}).do(t, http.MethodGet, "/v1/whoami", nil)
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	require.Contains(t, string(r.body), added.Account)
}

// stopGateway sends SIGTERM to the gateway serving state (started by startGatewayIn) and waits.
func stopGateway(t *testing.T, state string) {
	t.Helper()
	for _, s := range started {
		if s.state == state && s.cmd.ProcessState == nil {
			require.NoError(t, s.cmd.Process.Signal(syscall.SIGTERM))
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			select {
			case err := <-s.done:
				s.done <- err
			case <-ctx.Done():
				t.Fatal("gateway did not stop")
			}
			return
		}
	}
	t.Fatalf("no gateway on %s", state)
}

type startedGateway struct {
	state string
	cmd   *exec.Cmd
	done  chan error
}

var started []*startedGateway

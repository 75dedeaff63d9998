package gateway_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/test/internal/gwtest"
)

func TestAdmin_RegisterEnrollAndUseANewSupplier(t *testing.T) {
	state := t.TempDir()
	g := startGatewayIn(t, state, "SupplierMSP")
	name := "sup-" + randomHex(t)[:8]

	r := g.as(t, "supplier-a").Do(t, http.MethodPost, "/v1/admin/users", map[string]string{"name": name, "role": "supplier"})
	require.Equal(t, http.StatusForbidden, r.Status, "only admins add users")

	r = g.as(t, "admin").Do(t, http.MethodPost, "/v1/admin/users", map[string]string{"name": name, "role": "supplier"})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	var added struct {
		Account string `json:"account"`
		Token   string `json:"token"`
	}
	require.NoError(t, json.Unmarshal(r.Body, &added))
	require.Equal(t, "SupplierMSP/"+name, added.Account)
	raw, err := os.ReadFile(state + "/token-hashes.json")
	require.NoError(t, err)
	require.NotContains(t, string(raw), added.Token, "only the hash is kept")

	// The new identity acts on the ledger with its own certificate and role.
	id := uniqueID(t, "GA")
	as(t, "CoreMSP/treasurer").Made(t, as(t, "CoreMSP/approver"), "issue", "", issueBody(t, id, added.Account, "70.00", inDays(20)))
	user := gwtest.New(t, g.Base, added.Token)
	user.Sees(t, id, wire.StatusPending)
	user.Submit(t, "accept", id, nil)
	user.Submit(t, "request-financing", id, map[string]string{"bank": "Bank2MSP"})
	as(t, "AuditorMSP/auditor").Sees(t, id, wire.StatusFinancing)

	r = g.as(t, "admin").Do(t, http.MethodPost, "/v1/admin/users", map[string]string{"name": name, "role": "supplier"})
	require.Equal(t, http.StatusConflict, r.Status)

	// After a restart on the same state the user and its token are still there.
	stopGateway(t, state)
	g2 := startGatewayIn(t, state, "SupplierMSP")
	r = gwtest.New(t, g2.Base, added.Token).Do(t, http.MethodGet, "/v1/whoami", nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	require.Contains(t, string(r.Body), added.Account)

	// A new token (issue 29): the old one is refused at once, the new one acts on the ledger.
	r = g2.as(t, "admin").Do(t, http.MethodPost, "/v1/admin/users/"+name+"/token", nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	var rotated wire.UserToken
	require.NoError(t, json.Unmarshal(r.Body, &rotated))
	require.Equal(t, added.Account, rotated.Account)
	require.Equal(t, http.StatusUnauthorized, gwtest.New(t, g2.Base, added.Token).Do(t, http.MethodGet, "/v1/whoami", nil).Status, "the old token")
	user = gwtest.New(t, g2.Base, rotated.Token)
	user.Sees(t, id, wire.StatusFinancing)

	// Revoked (issue 29): out of the gateway at once (token refused, wallet entry and key gone),
	// revoked at the CA, and still out after a restart.
	r = g2.as(t, "admin").Do(t, http.MethodPost, "/v1/admin/users/"+name+"/revoke", map[string]string{"reason": "keycompromise"})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	var revoked wire.RevokeUserResult
	require.NoError(t, json.Unmarshal(r.Body, &revoked))
	require.True(t, revoked.RemovedFromGateway)
	require.NotEmpty(t, revoked.Serials, "its certificate revoked at the CA")
	require.Contains(t, revoked.CRL, "BEGIN X509 CRL")
	require.Equal(t, http.StatusUnauthorized, user.Do(t, http.MethodGet, "/v1/whoami", nil).Status, "the token is refused")
	_, err = os.Stat(filepath.Join(state, "wallet", name))
	require.ErrorIs(t, err, os.ErrNotExist, "the wallet entry and its key are gone")
	raw, err = os.ReadFile(filepath.Join(state, "token-hashes.json"))
	require.NoError(t, err)
	require.NotContains(t, string(raw), `"`+name+`"`, "no token hash of the user")

	stopGateway(t, state)
	g3 := startGatewayIn(t, state, "SupplierMSP")
	require.Equal(t, http.StatusUnauthorized, gwtest.New(t, g3.Base, rotated.Token).Do(t, http.MethodGet, "/v1/whoami", nil).Status)
	r = g3.as(t, "admin").Do(t, http.MethodPost, "/v1/admin/users/"+name+"/token", nil)
	require.Equal(t, http.StatusNotFound, r.Status, "not in the wallet after a restart: %s", r.Body)
	r = g3.as(t, "admin").Do(t, http.MethodPost, "/v1/admin/users", map[string]string{"name": name, "role": "supplier"})
	require.Equal(t, http.StatusConflict, r.Status, "its account stays on the ledger, so the name cannot be registered again: %s", r.Body)
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

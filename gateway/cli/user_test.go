package cli

import (
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/api/apitest"
)

// serialInUse is the serial (hex, as the gateway answers it) of the certificate the test gateway
// signs with for name.
func serialInUse(t *testing.T, g *apitest.Gateway, name string) string {
	t.Helper()
	id, ok := g.Ledger.Identity(name)
	require.True(t, ok)
	block, _ := pem.Decode(id.ID.Credentials())
	cert, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	return hex.EncodeToString(cert.SerialNumber.Bytes())
}

// TestUserRenew_PrintsTheNewSerialAndExpiryAndRefusesAnOwnKey: an admin renews a user whose key
// the gateway holds and sees the serial of the certificate now in use, its expiry and the one it
// replaced; a user with its own key, a caller who is not an admin and a missing name are refused
// with their exit codes, and renew nothing.
func TestUserRenew_PrintsTheNewSerialAndExpiryAndRefusesAnOwnKey(t *testing.T) {
	members := apitest.NewMembers(wire.Org{MSPID: "CoreMSP", Kind: wire.OrgSupplier, Name: "Supplier Co", CreditCode: "91310000MA1FL0000N"})
	admin := &apitest.Admin{}
	g := apitest.Start(t, &apitest.Ledger{Members: members}, admin)
	code, _, stderr := recv(t, g, "admin", "user", "register", "clerk", "--role", "supplier")
	require.Equal(t, wire.ExitOK, code, stderr)
	code, _, stderr = recv(t, g, "admin", "user", "register", "own-key", "--role", "supplier",
		"--key-out", filepath.Join(t.TempDir(), "own-key", "key.pem"))
	require.Equal(t, wire.ExitOK, code, stderr)
	before := serialInUse(t, g, "clerk")

	code, out, stderr := recv(t, g, "admin", "user", "renew", "clerk")
	require.Equal(t, wire.ExitOK, code, stderr)
	after := serialInUse(t, g, "clerk")
	require.NotEqual(t, before, after)
	require.Contains(t, out, "renewed:   CoreMSP/clerk\n")
	require.Contains(t, out, "serial:    "+after+"\n")
	require.Regexp(t, regexp.MustCompile(`expires:   \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \((1 hour 0 minutes|59 minutes)\)\n`), out)
	require.Contains(t, out, "previous:  serial "+before+", valid until ")

	code, out, stderr = recv(t, g, "admin", "-o", "json", "user", "renew", "clerk")
	require.Equal(t, wire.ExitOK, code, stderr)
	var res wire.RenewedUser
	require.NoError(t, json.Unmarshal([]byte(out), &res))
	require.Equal(t, after, res.PreviousSerial)
	require.Equal(t, serialInUse(t, g, "clerk"), res.Serial)
	require.WithinDuration(t, time.Now().Add(time.Hour), res.NotAfter, time.Minute)
	require.Equal(t, []string{"clerk", "clerk"}, admin.Renewed)

	code, _, stderr = recv(t, g, "admin", "user", "renew", "own-key")
	require.Equal(t, wire.ExitConflict, code)
	require.Contains(t, stderr, "CoreMSP/own-key signs with its own key")
	code, _, _ = recv(t, g, "supplier-a", "user", "renew", "clerk")
	require.Equal(t, wire.ExitForbidden, code)
	code, _, _ = recv(t, g, "admin", "user", "renew")
	require.Equal(t, wire.ExitInvalid, code)
	require.Len(t, admin.Renewed, 2, "nothing refused reached the CA")
}

// TestUserList_ShowsEachUsersExpiryAndWhoRenewsIt: the wallet's users with their expiry, the
// gateway's own users as renewed by the gateway and a user with its own key as renewing itself.
func TestUserList_ShowsEachUsersExpiryAndWhoRenewsIt(t *testing.T) {
	members := apitest.NewMembers(wire.Org{MSPID: "CoreMSP", Kind: wire.OrgSupplier, Name: "Supplier Co", CreditCode: "91310000MA1FL0000N"})
	g := apitest.Start(t, &apitest.Ledger{Members: members}, &apitest.Admin{})
	code, _, stderr := recv(t, g, "admin", "user", "register", "clerk", "--role", "supplier")
	require.Equal(t, wire.ExitOK, code, stderr)
	code, _, stderr = recv(t, g, "admin", "user", "register", "own-key", "--role", "supplier",
		"--key-out", filepath.Join(t.TempDir(), "own-key", "key.pem"))
	require.Equal(t, wire.ExitOK, code, stderr)

	code, out, stderr := recv(t, g, "admin", "user", "list")
	require.Equal(t, wire.ExitOK, code, stderr)
	require.Regexp(t, `ACCOUNT +ROLE +EXPIRES \(UTC\) +LEFT +RENEWED BY +SERIAL\n`, out)
	require.Regexp(t, `CoreMSP/clerk +supplier +\d{4}-\d\d-\d\d \d\d:\d\d +(1 hour 0 minutes|59 minutes) +gateway +`+serialInUse(t, g, "clerk")+`\n`, out)
	require.Regexp(t, `CoreMSP/own-key +supplier +.* +own key +[0-9a-f]+\n`, out)

	code, out, stderr = recv(t, g, "admin", "-o", "json", "user", "list")
	require.Equal(t, wire.ExitOK, code, stderr)
	var users []wire.WalletUser
	require.NoError(t, json.Unmarshal([]byte(out), &users))
	require.Len(t, users, 5)
	code, _, _ = recv(t, g, "supplier-a", "user", "list")
	require.Equal(t, wire.ExitForbidden, code)
}

func TestUntilWords_SaysTheTimeLeftToTheMinute(t *testing.T) {
	for d, want := range map[time.Duration]string{
		-time.Second: "expired", 59*time.Minute + 10*time.Second: "59 minutes", 30 * time.Minute: "30 minutes",
		time.Hour: "1 hour 0 minutes", 119*time.Minute + 10*time.Second: "1 hour 59 minutes", 2 * time.Hour: "2 hours",
		47 * time.Hour: "47 hours", 48 * time.Hour: "2 days", 364*24*time.Hour + time.Hour: "364 days",
	} {
		require.Equal(t, want, untilWords(d), d.String())
	}
}

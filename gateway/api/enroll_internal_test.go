package api

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestEnrollments_CodesAreHashedExpireAndAreUsedOnce: the file keeps the code's hash, never the
// code; an expired code is refused; a claimed code cannot be claimed twice at once; a spent code
// is gone, after a restart too.
func TestEnrollments_CodesAreHashedExpireAndAreUsedOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "enrollment-codes.json")
	e, err := OpenEnrollments(path, time.Hour)
	require.NoError(t, err)
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	e.now = func() time.Time { return now }

	code, expires, err := e.add("web-user", "supplier", "admin")
	require.NoError(t, err)
	require.Equal(t, now.Add(time.Hour), expires)
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NotContains(t, string(raw), strings.TrimPrefix(code, "enroll_"), "the code itself is not kept")
	require.Contains(t, string(raw), hashCode(code))
	info, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())

	// A restart keeps the registration.
	e, err = OpenEnrollments(path, time.Hour)
	require.NoError(t, err)
	e.now = func() time.Time { return now }

	_, err = e.claim("web-user", "enroll_wrong")
	require.ErrorIs(t, err, errBadCode)
	en, err := e.claim("web-user", code)
	require.NoError(t, err)
	require.Equal(t, enrollment{Name: "web-user", Role: "supplier", Admin: "admin", SHA256: hashCode(code), Expires: expires}, en)
	_, err = e.claim("web-user", code)
	require.ErrorIs(t, err, errBadCode, "one enrollment at a time")
	_, _, err = e.add("web-user", "supplier", "admin")
	require.Error(t, err, "no new code while the user enrolls")
	e.release("web-user")

	now = expires
	_, err = e.claim("web-user", code)
	require.ErrorIs(t, err, errBadCode, "expired")
	now = expires.Add(-time.Second)
	_, err = e.claim("web-user", code)
	require.NoError(t, err)
	require.NoError(t, e.spend("web-user"))
	_, err = e.claim("web-user", code)
	require.ErrorIs(t, err, errBadCode, "used")

	e, err = OpenEnrollments(path, time.Hour)
	require.NoError(t, err)
	e.now = func() time.Time { return now }
	_, err = e.claim("web-user", code)
	require.ErrorIs(t, err, errBadCode, "used, after a restart too")
}

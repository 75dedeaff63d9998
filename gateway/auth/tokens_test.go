package auth

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTokenStore_KeepsOnlyHashesAndSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token-hashes.json")
	s, err := OpenTokenStore(path)
	require.NoError(t, err)
	tok, err := s.Mint("supplier-a")
	require.NoError(t, err)

	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NotContains(t, string(raw), tok, "the token itself is never stored")
	require.Contains(t, string(raw), HashToken(tok))
	st, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm())

	again, err := OpenTokenStore(path)
	require.NoError(t, err)
	id, ok := again.Lookup(tok)
	require.True(t, ok)
	require.Equal(t, "supplier-a", id)
	_, ok = again.Lookup(tok + "x")
	require.False(t, ok)
	_, ok = again.Lookup("")
	require.False(t, ok)
}

func TestTokenStore_MintReplacesTheOldToken(t *testing.T) {
	s, _ := OpenTokenStore("")
	old, _ := s.Mint("a")
	fresh, _ := s.Mint("a")
	_, ok := s.Lookup(old)
	require.False(t, ok)
	id, ok := s.Lookup(fresh)
	require.True(t, ok)
	require.Equal(t, "a", id)
}

func TestEnsureTokenFiles_WritesMissingOnlyWithMode0600(t *testing.T) {
	dir := t.TempDir()
	s, _ := OpenTokenStore(filepath.Join(dir, "h.json"))
	require.NoError(t, EnsureTokenFiles(s, filepath.Join(dir, "tokens"), []string{"a", "b"}))
	a1, err := os.ReadFile(filepath.Join(dir, "tokens", "a.token"))
	require.NoError(t, err)
	st, _ := os.Stat(filepath.Join(dir, "tokens", "a.token"))
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm())

	require.NoError(t, EnsureTokenFiles(s, filepath.Join(dir, "tokens"), []string{"a", "b"}))
	a2, _ := os.ReadFile(filepath.Join(dir, "tokens", "a.token"))
	require.Equal(t, a1, a2, "a second start keeps existing tokens")
	id, ok := s.Lookup(strings.TrimSpace(string(a2)))
	require.True(t, ok)
	require.Equal(t, "a", id)
}

func TestAuthenticator_BindsEachTokenToOneIdentity(t *testing.T) {
	s, _ := OpenTokenStore("")
	ta, _ := s.Mint("a")
	a := &Authenticator{Tokens: s}
	var seen string
	h := a.Require("GET /", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen, _ = Caller(r.Context())
	}), func(w http.ResponseWriter, r *http.Request, _ *Refusal) { w.WriteHeader(401) })

	tests := []struct {
		header string
		code   int
		who    string
	}{
		{"Bearer " + ta, 200, "a"},
		{"bearer " + ta, 200, "a"},
		{"BEARER  " + ta, 200, "a"},
		{"Basic " + ta, 401, ""},
		{"Bearer wrong", 401, ""},
		{"Basic " + ta, 401, ""},
		{"", 401, ""},
	}
	for _, tt := range tests {
		seen = ""
		req := httptest.NewRequest("GET", "/", nil)
		if tt.header != "" {
			req.Header.Set("Authorization", tt.header)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		require.Equal(t, tt.code, rec.Code, tt.header)
		require.Equal(t, tt.who, seen)
	}
}

// TestTokenStore_ReissueAndRemoveKeepTheFilesInStep: a reissued token replaces the old one at once,
// in the hash file and in the identity's token file; a removed token stops working, after a
// restart too, and its file is gone; an identity without a file gets none.
func TestTokenStore_ReissueAndRemoveKeepTheFilesInStep(t *testing.T) {
	dir := t.TempDir()
	hashes, tokens := filepath.Join(dir, "h.json"), filepath.Join(dir, "tokens")
	s, err := OpenTokenStore(hashes)
	require.NoError(t, err)
	require.NoError(t, EnsureTokenFiles(s, tokens, []string{"a"}))
	old, err := os.ReadFile(filepath.Join(tokens, "a.token"))
	require.NoError(t, err)

	fresh, err := s.Reissue("a")
	require.NoError(t, err)
	_, ok := s.Lookup(strings.TrimSpace(string(old)))
	require.False(t, ok, "the old token stops working")
	id, ok := s.Lookup(fresh)
	require.True(t, ok)
	require.Equal(t, "a", id)
	inFile, err := os.ReadFile(filepath.Join(tokens, "a.token"))
	require.NoError(t, err)
	require.Equal(t, fresh+"\n", string(inFile), "the token file matches the hash")

	b, err := s.Reissue("b")
	require.NoError(t, err)
	_, err = os.Stat(filepath.Join(tokens, "b.token"))
	require.ErrorIs(t, err, os.ErrNotExist, "a token shown once is not written to a file")

	had, err := s.Remove("a")
	require.NoError(t, err)
	require.True(t, had)
	_, ok = s.Lookup(fresh)
	require.False(t, ok)
	_, err = os.Stat(filepath.Join(tokens, "a.token"))
	require.ErrorIs(t, err, os.ErrNotExist)
	had, err = s.Remove("a")
	require.NoError(t, err)
	require.False(t, had, "removing twice is harmless")

	again, err := OpenTokenStore(hashes)
	require.NoError(t, err)
	_, ok = again.Lookup(fresh)
	require.False(t, ok, "removed for good")
	require.False(t, again.Has("a"))
	id, ok = again.Lookup(b)
	require.True(t, ok)
	require.Equal(t, "b", id)
}

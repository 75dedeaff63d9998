// Package auth decides who a caller of the gateway is. Every caller acts as exactly one identity
// of the organisation's wallet: a bearer token bound to that identity (the service keeps only the
// token's SHA-256), or a TLS client certificate equal to the identity's enrollment certificate.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/recv-ledger/recv/gateway/statefile"
)

// TokenStore maps token hashes to identity names, persisted as JSON so tokens survive a restart.
type TokenStore struct {
	path string
	// files is the folder of token files (EnsureTokenFiles), kept in step by Reissue and Remove.
	files string

	mu     sync.RWMutex
	byName map[string]string // identity -> hex SHA-256 of its token
	byHash map[string]string // hex SHA-256 -> identity
}

type tokenFile struct {
	Tokens []tokenEntry `json:"tokens"`
}

type tokenEntry struct {
	Identity string `json:"identity"`
	SHA256   string `json:"sha256"`
}

// OpenTokenStore loads the hash file at path, or starts an empty store when it does not exist.
// An empty path keeps the store in memory only.
func OpenTokenStore(path string) (*TokenStore, error) {
	s := &TokenStore{path: path, byName: map[string]string{}, byHash: map[string]string{}}
	if path == "" {
		return s, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read token hashes: %w", err)
	}
	var f tokenFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("parse token hashes %s: %w", path, err)
	}
	for _, e := range f.Tokens {
		s.byName[e.Identity] = e.SHA256
		s.byHash[e.SHA256] = e.Identity
	}
	return s, nil
}

// HashToken is the hex SHA-256 of a token, the only form the service keeps.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Mint creates a new random token for an identity, replacing its previous token, and returns it.
// The caller hands the token out once; only its hash is stored.
func (s *TokenStore) Mint(identity string) (string, error) {
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return "", err
	}
	token := "recv_" + base64.RawURLEncoding.EncodeToString(buf)
	h := HashToken(token)
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.byName[identity]; ok {
		delete(s.byHash, old)
	}
	s.byName[identity] = h
	s.byHash[h] = identity
	if err := s.saveLocked(); err != nil {
		return "", err
	}
	return token, nil
}

// Reissue replaces an identity's token (the old one stops working at once) and returns the new
// one. An identity whose token is in a token file (EnsureTokenFiles) gets the new token in that
// file too, so the files still match the stored hashes.
func (s *TokenStore) Reissue(identity string) (string, error) {
	token, err := s.Mint(identity)
	if err != nil {
		return "", err
	}
	if file, ok := s.fileOf(identity); ok {
		if err := os.WriteFile(file, []byte(token+"\n"), 0o600); err != nil {
			return "", fmt.Errorf("write token of %s: %w", identity, err)
		}
	}
	return token, nil
}

// Remove drops an identity's token (it stops working at once) and its token file, if any. It
// reports whether the identity had a token.
func (s *TokenStore) Remove(identity string) (bool, error) {
	s.mu.Lock()
	h, had := s.byName[identity]
	if had {
		delete(s.byName, identity)
		delete(s.byHash, h)
		if err := s.saveLocked(); err != nil {
			s.byName[identity], s.byHash[h] = h, identity
			s.mu.Unlock()
			return false, err
		}
	}
	s.mu.Unlock()
	if file, ok := s.fileOf(identity); ok {
		if err := os.Remove(file); err != nil && !errors.Is(err, os.ErrNotExist) {
			return had, fmt.Errorf("remove token file of %s: %w", identity, err)
		}
		had = true
	}
	return had, nil
}

// fileOf is the token file of an identity when there is one.
func (s *TokenStore) fileOf(identity string) (string, bool) {
	s.mu.RLock()
	dir := s.files
	s.mu.RUnlock()
	if dir == "" {
		return "", false
	}
	file := filepath.Join(dir, identity+".token")
	_, err := os.Stat(file)
	return file, err == nil
}

// Has reports whether an identity has a token.
func (s *TokenStore) Has(identity string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, ok := s.byName[identity]
	return ok
}

// Lookup returns the identity a token is bound to.
func (s *TokenStore) Lookup(token string) (string, bool) {
	if token == "" {
		return "", false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	id, ok := s.byHash[HashToken(token)]
	return id, ok
}

func (s *TokenStore) saveLocked() error {
	if s.path == "" {
		return nil
	}
	names := make([]string, 0, len(s.byName))
	for n := range s.byName {
		names = append(names, n)
	}
	sort.Strings(names)
	f := tokenFile{Tokens: make([]tokenEntry, 0, len(names))}
	for _, n := range names {
		f.Tokens = append(f.Tokens, tokenEntry{Identity: n, SHA256: s.byName[n]})
	}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	return statefile.Write(s.path, data)
}

// EnsureTokenFiles gives every named identity a token file dir/<name>.token (mode 0600). An
// identity that has a hash and a file keeps its token; otherwise a new token is minted and
// written, so the files always match the stored hashes. The store remembers dir: Reissue and
// Remove keep its files in step.
func EnsureTokenFiles(s *TokenStore, dir string, names []string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	s.mu.Lock()
	s.files = dir
	s.mu.Unlock()
	for _, n := range names {
		file := filepath.Join(dir, n+".token")
		if _, err := os.Stat(file); err == nil && s.Has(n) {
			continue
		}
		token, err := s.Mint(n)
		if err != nil {
			return err
		}
		if err := os.WriteFile(file, []byte(token+"\n"), 0o600); err != nil {
			return fmt.Errorf("write token of %s: %w", n, err)
		}
	}
	return nil
}

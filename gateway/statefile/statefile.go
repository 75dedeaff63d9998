// Package statefile writes the files a gateway keeps in its state folder across restarts (the
// token hashes, the browser registrations, the console's event position): each is replaced whole,
// so a crash leaves the old content or the new one, never a mix.
package statefile

import (
	"os"
	"path/filepath"
)

// Write replaces the file at path with data (mode 0600, its folder made 0700 when missing): the
// data is written to a temporary file beside it, synced, and renamed over it.
func Write(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}

package ccaas

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDetect(t *testing.T) {
	for _, tc := range []struct {
		name, meta string
		claimed    bool
	}{
		{"ccaas", `{"type":"ccaas","label":"receivables_v1"}`, true},
		{"spaces and case", "{\n  \"label\": \"x\",\n  \"type\" : \"CCaaS\"\n}", true},
		{"golang", `{"type":"golang","label":"x"}`, false},
		{"broken json", `{"type":`, false},
		{"missing", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.meta != "" {
				write(t, filepath.Join(dir, "metadata.json"), tc.meta)
			}
			err := Detect(t.TempDir(), dir)
			if tc.claimed && err != nil {
				t.Fatalf("not claimed: %v", err)
			}
			if !tc.claimed && !errors.Is(err, ErrNotClaimed) {
				t.Fatalf("got %v, want ErrNotClaimed", err)
			}
		})
	}
}

func TestBuildCopiesConnectionAndMetaInf(t *testing.T) {
	src, out := t.TempDir(), t.TempDir()
	conn := `{"address":"chaincode.recv.local:7900","dial_timeout":"10s","tls_required":false}`
	write(t, filepath.Join(src, "connection.json"), conn)
	write(t, filepath.Join(src, "META-INF", "statedb", "couchdb", "indexes", "i.json"), `{"index":{}}`)
	if err := Build(src, t.TempDir(), out); err != nil {
		t.Fatal(err)
	}
	if got := read(t, filepath.Join(out, "connection.json")); got != conn {
		t.Fatalf("connection.json = %s", got)
	}
	if got := read(t, filepath.Join(out, "META-INF", "statedb", "couchdb", "indexes", "i.json")); got != `{"index":{}}` {
		t.Fatalf("index = %s", got)
	}
}

func TestBuildRefusesPackagesWithoutAddress(t *testing.T) {
	for name, conn := range map[string]string{
		"no file":       "",
		"empty address": `{"address":"","tls_required":false}`,
		"no address":    `{"tls_required":false}`,
		"not json":      `address: x`,
	} {
		t.Run(name, func(t *testing.T) {
			src := t.TempDir()
			if conn != "" {
				write(t, filepath.Join(src, "connection.json"), conn)
			}
			if err := Build(src, t.TempDir(), t.TempDir()); err == nil {
				t.Fatal("build accepted it")
			}
		})
	}
}

func TestRelease(t *testing.T) {
	bld := t.TempDir()
	conn := `{"address":"127.0.0.1:7900","dial_timeout":"10s","tls_required":true,"root_cert":"-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----\n"}`
	write(t, filepath.Join(bld, "connection.json"), conn)
	write(t, filepath.Join(bld, "META-INF", "statedb", "couchdb", "indexes", "i.json"), `{}`)

	t.Run("packaged address", func(t *testing.T) {
		rel := t.TempDir()
		if err := Release(bld, rel, ""); err != nil {
			t.Fatal(err)
		}
		if got := read(t, filepath.Join(rel, "chaincode", "server", "connection.json")); got != conn {
			t.Fatalf("connection.json = %s", got)
		}
		if got := read(t, filepath.Join(rel, "statedb", "couchdb", "indexes", "i.json")); got != `{}` {
			t.Fatalf("statedb index = %s", got)
		}
	})
	t.Run("address replaced", func(t *testing.T) {
		rel := t.TempDir()
		if err := Release(bld, rel, "chaincode.recv.local:7900"); err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		if err := json.Unmarshal([]byte(read(t, filepath.Join(rel, "chaincode", "server", "connection.json"))), &got); err != nil {
			t.Fatal(err)
		}
		if got["address"] != "chaincode.recv.local:7900" || got["dial_timeout"] != "10s" || got["tls_required"] != true {
			t.Fatalf("connection.json = %v", got)
		}
		if got["root_cert"] != "-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----\n" {
			t.Fatalf("root_cert changed: %q", got["root_cert"])
		}
	})
}

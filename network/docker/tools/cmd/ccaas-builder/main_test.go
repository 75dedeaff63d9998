package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunByNameAndBySubcommand(t *testing.T) {
	meta := t.TempDir()
	if err := os.WriteFile(filepath.Join(meta, "metadata.json"), []byte(`{"type":"ccaas"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	if code := run("detect", []string{"src", meta}, &stderr); code != 0 {
		t.Fatalf("detect: %d %s", code, stderr.String())
	}
	if code := run("ccaas-builder", []string{"detect", "src", meta}, &stderr); code != 0 {
		t.Fatalf("ccaas-builder detect: %d %s", code, stderr.String())
	}
	stderr.Reset()
	if code := run("detect", []string{"src", t.TempDir()}, &stderr); code != 1 || stderr.Len() != 0 {
		t.Fatalf("unclaimed package: exit %d, stderr %q", code, stderr.String())
	}
	if code := run("build", []string{"a"}, &stderr); code != 2 {
		t.Fatalf("bad usage: exit %d", code)
	}
	stderr.Reset()
	if code := run("ccaas-builder", []string{"launch"}, &stderr); code != 2 || !strings.Contains(stderr.String(), "unknown step") {
		t.Fatalf("unknown step: exit %d, %q", code, stderr.String())
	}
}

func TestReleaseUsesTheAddressFromTheEnvironment(t *testing.T) {
	bld, rel := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(bld, "connection.json"), []byte(`{"address":"127.0.0.1:7900"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("RECV_CCAAS_ADDRESS", "chaincode.recv.local:7900")
	var stderr bytes.Buffer
	if code := run("release", []string{bld, rel}, &stderr); code != 0 {
		t.Fatalf("release: %d %s", code, stderr.String())
	}
	got, err := os.ReadFile(filepath.Join(rel, "chaincode", "server", "connection.json"))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != `{"address":"chaincode.recv.local:7900"}` {
		t.Fatalf("connection.json = %s", got)
	}
}

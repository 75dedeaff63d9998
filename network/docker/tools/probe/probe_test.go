package probe

import (
	"context"
	"encoding/pem"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestGetHTTP(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			_, _ = w.Write([]byte(`{"status":"OK"}`))
			return
		}
		http.Error(w, `{"status":"unavailable","failed_checks":[{"component":"docker"}]}`, http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	if _, err := Get(context.Background(), srv.URL+"/healthz", TLS{}); err != nil {
		t.Fatal(err)
	}
	if _, err := Get(context.Background(), srv.URL+"/readyz", TLS{}); err == nil {
		t.Fatal("503 passed")
	}
}

func TestGetHTTPSVerifiesWithTheGivenRoot(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok"))
	}))
	defer srv.Close()
	if _, err := Get(context.Background(), srv.URL, TLS{}); err == nil {
		t.Fatal("an unknown root was trusted")
	}
	ca := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(ca, pemBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Get(context.Background(), srv.URL, TLS{CACert: ca}); err != nil {
		t.Fatal(err)
	}
	if _, err := Get(context.Background(), srv.URL, TLS{CACert: ca, Cert: ca}); err == nil {
		t.Fatal("-cert without -key passed")
	}
}

func TestMetric(t *testing.T) {
	body := []byte(`# HELP gossip_membership_total_peers_known Total known peers
# TYPE gossip_membership_total_peers_known gauge
gossip_membership_total_peers_known{channel="other"} 1
gossip_membership_total_peers_known{channel="receivables"} 4
ledger_blockchain_height{channel="receivables"} 12 1700000000000
`)
	for series, want := range map[string]float64{
		`gossip_membership_total_peers_known{channel="receivables"}`: 4,
		`gossip_membership_total_peers_known{channel="other"}`:       1,
		`ledger_blockchain_height{channel="receivables"}`:            12,
	} {
		got, err := Metric(body, series)
		if err != nil || got != want {
			t.Errorf("%s = %v, %v; want %v", series, got, err, want)
		}
	}
	if _, err := Metric(body, `gossip_membership_total_peers_known`); err == nil {
		t.Error("a series prefix matched")
	}
}

func TestTCP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := TCP(addr, time.Second); err != nil {
		t.Fatal(err)
	}
	ln.Close()
	if err := TCP(addr, time.Second); err == nil {
		t.Fatal("a closed port answered")
	}
}

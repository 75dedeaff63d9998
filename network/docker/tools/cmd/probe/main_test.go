package main

import (
	"bytes"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/metrics" {
			_, _ = w.Write([]byte("gossip_membership_total_peers_known{channel=\"receivables\"} 4\n"))
			return
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	series := `gossip_membership_total_peers_known{channel="receivables"}`
	for _, tc := range []struct {
		name string
		args []string
		code int
		out  string
	}{
		{"metric", []string{"-metric", series, srv.URL + "/metrics"}, 0, "4\n"},
		{"metric reaches the minimum", []string{"-metric", series, "-min", "4", srv.URL + "/metrics"}, 0, "4\n"},
		{"metric below the minimum", []string{"-metric", series, "-min", "5", srv.URL + "/metrics"}, 1, "4\n"},
		{"missing metric", []string{"-metric", "up", srv.URL + "/metrics"}, 1, ""},
		{"unhealthy", []string{srv.URL + "/healthz"}, 1, ""},
		{"no argument", nil, 2, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if code := run(tc.args, &out, &errOut); code != tc.code || out.String() != tc.out {
				t.Fatalf("exit %d, stdout %q (stderr %q); want %d, %q", code, out.String(), errOut.String(), tc.code, tc.out)
			}
		})
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var errOut bytes.Buffer
	if code := run([]string{"-tcp", ln.Addr().String()}, &bytes.Buffer{}, &errOut); code != 0 {
		t.Fatalf("-tcp: exit %d: %s", code, errOut.String())
	}
	if code := run([]string{"-tcp", "127.0.0.1:1"}, &bytes.Buffer{}, &errOut); code != 1 || !strings.Contains(errOut.String(), "probe:") {
		t.Fatalf("-tcp to a closed port: exit %d: %s", code, errOut.String())
	}
}

package docker_test

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// servedGatewayCert is the certificate org's gateway presents at its published address, verified
// against its organisation's CA.
func servedGatewayCert(t *testing.T, msp string) *x509.Certificate {
	t.Helper()
	gw := nw.Desc.Orgs[msp].Gateway
	cfg, err := gw.TLSConfig()
	require.NoError(t, err)
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", gw.Address, cfg)
	require.NoError(t, err)
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0]
}

// startedAt is when the container of a compose service last started.
func startedAt(t *testing.T, service string) string {
	t.Helper()
	id, err := nw.Script("compose", "ps", "-q", service)
	require.NoError(t, err, "%s", id)
	out, err := nw.Command("docker", "inspect", "-f", "{{.State.StartedAt}}", strings.TrimSpace(string(id))).CombinedOutput()
	require.NoError(t, err, "%s", out)
	return strings.TrimSpace(string(out))
}

// TestRenew_AGatewaysHTTPSPairWithoutARestart: `docker.sh renew gateway.bank1` reissues the
// gateway's HTTPS pair at Bank1's CA and puts it in the folder the container mounts; the running
// gateway serves it from its next handshake: a new certificate (new key, chaining to Bank1's CA),
// the container not restarted, and no request of a client calling all along failed.
func TestRenew_AGatewaysHTTPSPairWithoutARestart(t *testing.T) {
	officer := as(t, "Bank1MSP/officer")
	before, started := servedGatewayCert(t, "Bank1MSP"), startedAt(t, "gateway.bank1")

	var calls, failed atomic.Int64
	var firstFailure atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			r, err := officer.Client.Do(t.Context(), http.MethodGet, "/v1/whoami", nil, nil)
			calls.Add(1)
			switch {
			case err != nil:
				failed.Add(1)
				firstFailure.CompareAndSwap(nil, err.Error())
			case r.Status != http.StatusOK:
				failed.Add(1)
				firstFailure.CompareAndSwap(nil, string(r.Body))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	out, err := nw.Script("renew", "gateway.bank1")
	time.Sleep(300 * time.Millisecond) // calls on the renewed pair
	close(stop)
	wg.Wait()
	require.NoError(t, err, "docker.sh renew gateway.bank1: %s", out)
	t.Logf("%s", out)

	after := servedGatewayCert(t, "Bank1MSP")
	require.NotEqual(t, before.SerialNumber, after.SerialNumber, "the gateway presents its former certificate")
	require.NotEqual(t, before.RawSubjectPublicKeyInfo, after.RawSubjectPublicKeyInfo, "a new key")
	require.Equal(t, started, startedAt(t, "gateway.bank1"), "the gateway's container was restarted")
	require.Positive(t, calls.Load())
	require.Zero(t, failed.Load(), "%d of %d calls failed during the renewal: %v", failed.Load(), calls.Load(), firstFailure.Load())
	t.Logf("%d calls during the renewal, none failed; serial %x -> %x, until %s", calls.Load(), before.SerialNumber, after.SerialNumber, after.NotAfter.UTC())
}

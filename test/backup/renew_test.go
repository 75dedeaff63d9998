package backup

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/audit"
	"github.com/recv-ledger/recv/gateway/client"
	"github.com/recv-ledger/recv/test/internal/gwtest"
	"github.com/recv-ledger/recv/test/internal/story"
)

// Bounds of the renewal test: writes before the renewal, writes started after it, and how long
// the whole may take.
const (
	writesBefore = 3
	writesAfter  = 3
	renewBound   = 90 * time.Second
)

// write is one call of the writer: when it started and ended, its transaction or its error.
type write struct {
	start, end time.Time
	txID       string
	block      uint64
	err        error
}

// writer has account write through its gateway, one call after the other, until stop: its bank's
// credit line on the core enterprise (a line far above any financing of the suite), a new amount
// each time, each call with its own idempotency key.
type writer struct {
	mu     sync.Mutex
	writes []write
	stop   chan struct{}
	done   chan struct{}
}

func startWriter(t *testing.T, account string) *writer {
	c := gwtest.As(t, nw.Dir, account)
	w := &writer{stop: make(chan struct{}), done: make(chan struct{})}
	run := gwtest.RandomHex(t)[:8]
	go func() {
		defer close(w.done)
		for i := 0; ; i++ {
			select {
			case <-w.stop:
				return
			default:
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			one := write{start: time.Now()}
			res, err := c.Client.Submit(ctx, "set-credit-line", []string{"CoreMSP"},
				wire.LineRequest{Amount: fmt.Sprintf("%d.00", 900_000_000+i)}, client.WithIdempotencyKey(fmt.Sprintf("renew-%s-%d", run, i)))
			cancel()
			one.end, one.err = time.Now(), err
			if res != nil {
				one.txID, one.block = res.TransactionID, res.BlockNumber
			}
			w.mu.Lock()
			w.writes = append(w.writes, one)
			w.mu.Unlock()
		}
	}()
	return w
}

// waitUntil waits until n writes that started after from have ended, or the deadline.
func (w *writer) waitUntil(t *testing.T, from time.Time, n int, deadline time.Time) {
	t.Helper()
	for {
		w.mu.Lock()
		count := 0
		for _, one := range w.writes {
			if !one.start.Before(from) {
				count++
			}
		}
		w.mu.Unlock()
		if count >= n {
			return
		}
		require.True(t, time.Now().Before(deadline), "%d writes after %s within the bound, %d so far", n, from.Format(time.RFC3339Nano), count)
		time.Sleep(50 * time.Millisecond)
	}
}

func (w *writer) finish() []write {
	close(w.stop)
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]write(nil), w.writes...)
}

// creators reads the blocks of writes as reader and returns, by transaction id, the creator
// certificate of each, after checking that the transaction is signed by that certificate's key.
func creators(t *testing.T, reader string, writes []write) map[string]*x509.Certificate {
	t.Helper()
	c := gwtest.As(t, nw.Dir, reader)
	out := map[string]*x509.Certificate{}
	read := map[uint64]bool{}
	for _, w := range writes {
		if read[w.block] {
			continue
		}
		read[w.block] = true
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		raw, err := c.Block(ctx, w.block)
		cancel()
		require.NoError(t, err)
		b, err := audit.ParseBlock(raw)
		require.NoError(t, err)
		for _, data := range b.GetData().GetData() {
			var env common.Envelope
			var payload common.Payload
			var chdr common.ChannelHeader
			var shdr common.SignatureHeader
			var creator msp.SerializedIdentity
			require.NoError(t, proto.Unmarshal(data, &env))
			require.NoError(t, proto.Unmarshal(env.GetPayload(), &payload))
			require.NoError(t, proto.Unmarshal(payload.GetHeader().GetChannelHeader(), &chdr))
			require.NoError(t, proto.Unmarshal(payload.GetHeader().GetSignatureHeader(), &shdr))
			require.NoError(t, proto.Unmarshal(shdr.GetCreator(), &creator))
			if creator.GetMspid() != story.Bank1MSP {
				continue
			}
			cert, err := identity.CertificateFromPEM(creator.GetIdBytes())
			require.NoError(t, err)
			digest := sha256.Sum256(env.GetPayload())
			require.True(t, ecdsa.VerifyASN1(cert.PublicKey.(*ecdsa.PublicKey), digest[:], env.GetSignature()),
				"transaction %s is signed by its creator's key", chdr.GetTxId())
			out[chdr.GetTxId()] = cert
		}
	}
	return out
}

// walletCert is the enrollment certificate bank1's gateway signs with for user: its wallet
// entry's when it renewed the user, else network.json's.
func walletCert(t *testing.T, user string) *x509.Certificate {
	t.Helper()
	path := filepath.Join(nw.Dir, "gateways", "bank1", "wallet", user, "cert.pem")
	if _, err := os.Stat(path); err != nil {
		path = nw.Desc.Orgs[story.Bank1MSP].Users[user].Cert
	}
	return readCert(t, path)
}

// TestRenew_AUserRenewedWhileItWritesLosesNoCall (issue 26; docs/operations.md, "A user's
// enrollment certificate"): Bank1's officer writes through its gateway, one call after the other,
// while Bank1's admin renews the officer's enrollment certificate with `recv user renew`. No call
// fails; every write that started after the renewal answered is created and signed by the new
// certificate (the serial the command printed) and its new key, every one that ended before the
// renewal by the old; the new certificate runs the CA's full lifetime from the renewal and keeps
// the officer's role (its writes pass the chaincode's role check); after a restart of the gateway
// the officer still writes with it; `recv user list` shows it and `network.sh certs` lists it in
// place of network.json's.
func TestRenew_AUserRenewedWhileItWritesLosesNoCall(t *testing.T) {
	deadline := time.Now().Add(renewBound)
	old := walletCert(t, "officer")
	w := startWriter(t, story.Bank1)
	w.waitUntil(t, time.Time{}, writesBefore, deadline)

	cli := gwtest.CLI{Bin: nw.RecvBin, NetDir: nw.Dir}
	renewStart := time.Now()
	out := cli.Must(t, nil, "--as", "Bank1MSP/admin", "user", "renew", "officer")
	renewEnd := time.Now()
	t.Logf("recv --as Bank1MSP/admin user renew officer (%s):\n%s", renewEnd.Sub(renewStart).Round(time.Millisecond), strings.TrimRight(out, "\n"))
	m := regexp.MustCompile(`(?m)^serial:\s+([0-9a-f]+)$`).FindStringSubmatch(out)
	require.NotNil(t, m, "the command prints the new serial")
	serial := m[1]

	w.waitUntil(t, renewEnd, writesAfter, deadline)
	writes := w.finish()

	var failed []string
	for _, one := range writes {
		if one.err != nil {
			failed = append(failed, one.err.Error())
		}
	}
	require.Empty(t, failed, "no call fails across the renewal (%d writes)", len(writes))

	renewed := walletCert(t, "officer")
	require.Equal(t, serial, hex.EncodeToString(renewed.SerialNumber.Bytes()), "the wallet entry holds the certificate printed")
	require.NotEqual(t, old.SerialNumber, renewed.SerialNumber)
	require.False(t, old.PublicKey.(*ecdsa.PublicKey).Equal(renewed.PublicKey), "a new key")
	// The CA issues for its lifetime from now (RECV_CERT_EXPIRY; Fabric CA rounds to the minute, so
	// a renewal in the minute of the first enrollment ends in the same minute as the old one).
	require.False(t, renewed.NotAfter.Before(old.NotAfter), "the new certificate ends %s, the old %s", renewed.NotAfter, old.NotAfter)
	if expiry, err := time.ParseDuration(os.Getenv("RECV_CERT_EXPIRY")); err == nil && !nw.Reused {
		require.WithinRange(t, renewed.NotAfter, renewStart.Add(expiry-2*time.Minute), renewEnd.Add(expiry+2*time.Minute),
			"the CA's full lifetime from the renewal")
	}

	byTx := creators(t, "Bank1MSP/admin", writes)
	before, after := 0, 0
	for _, one := range writes {
		cert, ok := byTx[one.txID]
		require.True(t, ok, "transaction %s in block %d", one.txID, one.block)
		switch {
		case !one.start.Before(renewEnd):
			after++
			require.Equal(t, renewed.Raw, cert.Raw, "a write that started after the renewal: the new certificate (tx %s)", one.txID)
		case one.end.Before(renewStart):
			before++
			require.Equal(t, old.Raw, cert.Raw, "a write that ended before the renewal: the old certificate (tx %s)", one.txID)
		default:
			t.Logf("a write in flight during the renewal: tx %s created by serial %s", one.txID, hex.EncodeToString(cert.SerialNumber.Bytes()))
		}
	}
	require.GreaterOrEqual(t, before, writesBefore)
	require.GreaterOrEqual(t, after, writesAfter)

	// The gateway restarts with the renewed pair from its wallet folder.
	require.NoError(t, nw.Signal("gateway.bank1", "KILL"))
	require.Eventually(t, func() bool { return nw.Restart("gateway.bank1") == nil }, 30*time.Second, time.Second)
	res := gwtest.As(t, nw.Dir, story.Bank1).Submit(t, "set-credit-line", "CoreMSP", wire.LineRequest{Amount: "900000000.00"})
	cert := creators(t, "Bank1MSP/admin", []write{{txID: res.TxID, block: res.BlockNumber}})[res.TxID]
	require.NotNil(t, cert)
	require.Equal(t, renewed.Raw, cert.Raw, "after a restart: the renewed certificate")

	list := cli.Must(t, nil, "--as", "Bank1MSP/admin", "user", "list")
	t.Logf("recv --as Bank1MSP/admin user list:\n%s", strings.TrimRight(list, "\n"))
	require.Regexp(t, `Bank1MSP/officer +financier +.* +gateway +`+serial+`\n`, list, "the wallet lists the renewed certificate")
	certs := script(t, "certs", "bank1")
	require.Contains(t, certs, "gateways/bank1/wallet/officer/cert.pem")
	require.NotContains(t, certs, "orgs/bank1/users/officer/msp/signcerts/cert.pem", "the certificate the renewal replaced is not listed")
	t.Logf("renewed officer's certificate (serial %s, until %s) under a steady write load: %d writes, %d before, %d after, 0 failed; the command took %s",
		serial, renewed.NotAfter.UTC().Format(time.RFC3339), len(writes), before, after, renewEnd.Sub(renewStart).Round(time.Millisecond))
}

package security

import (
	"testing"

	"github.com/recv-ledger/recv/test/internal/securitycheck"
)

// Every peer and every orderer requires a TLS client certificate of a member organisation on its
// main listener (mutual TLS by default): a client without one, or with a certificate of no member's
// CA, is cut off before any gRPC call; the organisation's own pair of network.json is served.
func TestMutualTLS_PeersAndOrderersRefuseClientsWithoutAMembersCertificate(t *testing.T) {
	securitycheck.MutualTLS(t, nw)
}

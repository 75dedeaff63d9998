package securitycheck

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/test/internal/testnet"
)

// MutualTLS: every peer and every orderer requires a TLS client certificate of a member
// organisation on its main listener (mutual TLS by default): a client without one, or with a
// certificate of no member's CA, is cut off before any gRPC call; the organisation's own pair of
// network.json is served, and the orderers serve the orderer admin and a member's pair.
func MutualTLS(t *testing.T, nw *testnet.Network) {
	stranger := strangerPair(t)
	for _, mspID := range nw.Desc.MSPIDs() {
		p := nw.Desc.Orgs[mspID].Peer
		require.NotEmpty(t, p.TLSClientCert, "network.json names no TLS client pair for %s's peer", mspID)
		require.Error(t, serves(t, p.Address, p.ServerName, p.TLSCACert, nil), "%s served a client without a certificate", p.Name)
		require.Error(t, serves(t, p.Address, p.ServerName, p.TLSCACert, stranger), "%s served a stranger's certificate", p.Name)
		require.NoError(t, serves(t, p.Address, p.ServerName, p.TLSCACert, loadPair(t, p.TLSClientCert, p.TLSClientKey)),
			"%s refused its own organisation's TLS client pair", p.Name)
	}
	adminCert, adminKey := ordererAdminTLS(nw)
	bank := nw.Desc.Orgs["Bank1MSP"].Peer
	require.NotEmpty(t, nw.Desc.Orderers, "network.json names no orderer")
	for _, o := range nw.Desc.Orderers {
		require.Error(t, serves(t, o.Address, o.ServerName, o.TLSCACert, nil), "%s served a client without a certificate", o.Name)
		require.Error(t, serves(t, o.Address, o.ServerName, o.TLSCACert, stranger), "%s served a stranger's certificate", o.Name)
		require.NoError(t, serves(t, o.Address, o.ServerName, o.TLSCACert, loadPair(t, adminCert, adminKey)), "%s refused the orderer admin", o.Name)
		require.NoError(t, serves(t, o.Address, o.ServerName, o.TLSCACert, loadPair(t, bank.TLSClientCert, bank.TLSClientKey)),
			"%s refused a member's (Bank1MSP) TLS client pair: its peers and gateways could not submit", o.Name)
	}
}

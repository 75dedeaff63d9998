package security

import (
	"testing"

	"github.com/recv-ledger/recv/test/internal/securitycheck"
)

// Issue 17, point 4 (docs/security.md, "Identities"): an enrollment secret enrolls once, and none
// stays in a file once used; a user may keep its key; a revoked certificate is refused.

// TestIdentities_EnrollmentSecretsAreOneTime: a secret the registrar chose enrolls once at the CA
// (its default, maxenrollments 1) and a second enrollment with it is refused; the same for a user
// added through the gateway, whose secret the gateway used; and the state folder keeps no secret of
// the identities the network enrolled at its start (no secrets files, no password in a CA's config).
func TestIdentities_EnrollmentSecretsAreOneTime(t *testing.T) {
	securitycheck.EnrollmentSecretsAreOneTime(t, nw)
}

// TestIdentities_ABankUserEnrollsWithItsOwnKeyAndSignsOffline: a bank's admin registers a user
// whose key is made on the user's side (recv user register --key-out): the gateway gets a CSR and
// keeps only the certificate. The gateway cannot act for the user, the user approves a financing
// by signing offline.
func TestIdentities_ABankUserEnrollsWithItsOwnKeyAndSignsOffline(t *testing.T) {
	securitycheck.ABankUserEnrollsWithItsOwnKeyAndSignsOffline(t, nw)
}

// TestRevocation_EveryPeerRefusesARevokedCertificate: a supplier's user, enrolled at its CA, is
// served by every peer; its organisation's admin revokes it (network.sh revoke-user: recv user
// revoke at the CA, the CRL into SupplierMSP's channel MSP by an update SupplierMSP's admin signs)
// and then every peer refuses it, while another user of the organisation is still served.
func TestRevocation_EveryPeerRefusesARevokedCertificate(t *testing.T) {
	securitycheck.Revocation(t, nw)
}

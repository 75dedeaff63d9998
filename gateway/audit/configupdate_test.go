package audit_test

import (
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/gateway/audit"
	"github.com/recv-ledger/recv/gateway/audit/audittest"
)

// A configuration block is accepted by the audit only when the update it carries is signed as the
// modification policy of every element it changes asks, in the configuration before it: an
// organisation's own admin changes its MSP (a revocation list), a majority of the members' admins
// admits a new member. Anything else (another organisation's admin, a peer, too few admins, no
// update at all) is named as a violation, as an orderer or a peer would have refused it.
func TestVerify_AConfigurationUpdateNeedsItsModificationPolicy(t *testing.T) {
	core, supplier, bank := audittest.NewOrg(t, "CoreMSP"), audittest.NewOrg(t, "SupplierMSP"), audittest.NewOrg(t, "Bank1MSP")
	members := []*audittest.Org{core, supplier, bank}
	genesis := audittest.Config(t, members...)
	b0 := audittest.Block(t, nil, []peer.TxValidationCode{peer.TxValidationCode_VALID}, audittest.ConfigEnvelope(t, members...))
	bank2 := audittest.NewOrg(t, "Bank2MSP")
	joined := append(append([]*audittest.Org(nil), members...), bank2)

	revoked := func() []*audittest.Org {
		s := *supplier
		(&s).Revoke(t, supplier.User)
		return []*audittest.Org{core, &s, bank}
	}()
	for _, tc := range []struct {
		name    string
		next    []*audittest.Org
		signers []*audittest.Identity
		problem string // "" when authorised
	}{
		{"the supplier's admin puts a revocation list in its MSP", revoked, []*audittest.Identity{supplier.Admin}, ""},
		{"another organisation's admin changes the supplier's MSP", revoked, []*audittest.Identity{core.Admin},
			`/Channel/Application/SupplierMSP/MSP is modified without its modification policy "Admins" (signed by CoreMSP admin)`},
		{"the supplier's peer signs its MSP's change", revoked, []*audittest.Identity{supplier.Peer},
			`/Channel/Application/SupplierMSP/MSP is modified without its modification policy "Admins" (signed by SupplierMSP peer)`},
		{"one admin of three admits a member", joined, []*audittest.Identity{core.Admin},
			`/Channel/Application is modified without its modification policy "Admins" (signed by CoreMSP admin)`},
		{"a forged signature does not count", joined, []*audittest.Identity{core.Admin, bank2.Admin},
			`/Channel/Application is modified without its modification policy "Admins" (signed by CoreMSP admin)`},
		{"two admins of three admit a member", joined, []*audittest.Identity{core.Admin, bank.Admin}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			update, _ := audittest.ConfigUpdate(t, genesis, tc.next, tc.signers...)
			b1 := audittest.Block(t, b0, []peer.TxValidationCode{peer.TxValidationCode_VALID}, update)
			a := newAuditor(t)
			require.NoError(t, verifyAll(a, []*common.Block{b0, b1}))
			rep := a.Report()
			require.Equal(t, 1, rep.ConfigUpdates)
			if tc.problem == "" {
				require.Empty(t, rep.Violations)
				return
			}
			require.Len(t, rep.Violations, 1)
			require.Equal(t, audit.Violation{Block: 1, Function: "configuration update", Problem: tc.problem}, rep.Violations[0])
		})
	}

	// A configuration block that carries no update (made up on a peer's disk) is named too.
	forged := audittest.Block(t, b0, []peer.TxValidationCode{peer.TxValidationCode_VALID}, audittest.ConfigEnvelope(t, joined...))
	a := newAuditor(t)
	require.NoError(t, verifyAll(a, []*common.Block{b0, forged}))
	require.Len(t, a.Report().Violations, 1)
	require.Equal(t, "the configuration carries no update: nothing authorised it", a.Report().Violations[0].Problem)
}

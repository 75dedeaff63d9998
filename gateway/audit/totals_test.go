package audit_test

import (
	"context"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/audit"
	"github.com/recv-ledger/recv/gateway/audit/audittest"
)

// totalsChain is NewChain and a fourth block: is financed at a bank's approval, R-1.2 was
// redeemed by another holder.
func totalsChain(t *testing.T) []*common.Block {
	c := audittest.NewChain(t)
	financed := audittest.Receivable("R-1.1", "R-1", "SupplierMSP/a", 6000, wire.StatusFinancing)
	financed.Financing = &wire.Financing{Bank: "Bank1MSP", ApprovedAt: "2026-11-30T08:00:00Z"}
	b3 := audittest.Block(t, c.Blocks[2], []peer.TxValidationCode{peer.TxValidationCode_VALID},
		audittest.EndorserTx(t, "tx4", "receivables", c.Supplier.User, []*wire.Receivable{
			financed, audittest.Receivable("R-1.2", "R-1", "SupplierMSP/b", 4000, wire.StatusRedeemed)}, c.Core.Peer, c.Supplier.Peer))
	return append(c.Blocks, b3)
}

func TestTotals_ComputedFromTheRebuiltStateByTheChaincodesRule(t *testing.T) {
	a := newAuditor(t)
	require.NoError(t, verifyAll(a, totalsChain(t)))
	got, err := a.Totals()
	require.NoError(t, err)
	require.Equal(t, []*wire.Totals{
		{Account: "SupplierMSP/a", Outstanding: "60.00", OutstandingFen: 6000, Financed: "60.00", FinancedFen: 6000, Redeemed: "0.00"},
		{Account: "SupplierMSP/b", Outstanding: "0.00", Financed: "0.00", Redeemed: "40.00", RedeemedFen: 4000},
	}, got, "the SPLIT root counts for nobody")
}

func TestCompareTotals_ReportsTheAccountWhoseTotalsDiffer(t *testing.T) {
	a := newAuditor(t)
	require.NoError(t, verifyAll(a, totalsChain(t)))
	mine, err := a.Totals()
	require.NoError(t, err)
	var asked []string
	diffs, err := a.CompareTotals(context.Background(), func(_ context.Context, acct string) (*wire.Totals, error) {
		asked = append(asked, acct)
		for _, t := range mine {
			if t.Account == acct {
				c := *t
				if acct == "SupplierMSP/b" { // the chaincode counts a redemption the blocks do not hold
					c.RedeemedFen += 500
				}
				return &c, nil
			}
		}
		return nil, nil
	})
	require.NoError(t, err)
	require.Equal(t, []string{"SupplierMSP/a", "SupplierMSP/b"}, asked)
	require.Equal(t, []audit.Difference{{ID: "SupplierMSP/b", Fields: []string{"redeemedFen"},
		Detail: "the chaincode's totals of the account differ from the rebuilt state: redeemed 45.00, rebuilt 40.00"}}, diffs)
	rep := a.Report()
	require.Equal(t, 2, rep.AccountsTotalled)
	require.Len(t, rep.Differences, 1)
}

func TestCompareTotals_NoDifferenceWhenEqual(t *testing.T) {
	a := newAuditor(t)
	require.NoError(t, verifyAll(a, totalsChain(t)))
	chaincode := newAuditor(t) // stands for the chaincode's answers
	require.NoError(t, verifyAll(chaincode, totalsChain(t)))
	theirs, err := chaincode.Totals()
	require.NoError(t, err)
	diffs, err := a.CompareTotals(context.Background(), func(_ context.Context, acct string) (*wire.Totals, error) {
		for _, t := range theirs {
			if t.Account == acct {
				return t, nil
			}
		}
		return nil, nil
	})
	require.NoError(t, err)
	require.Empty(t, diffs)
	require.Empty(t, a.Report().Differences)
	require.Equal(t, 2, a.Report().AccountsTotalled)
}

func TestCompareTotals_RefusedAfterACheckpoint(t *testing.T) {
	c := audittest.NewChain(t)
	first := newAuditor(t)
	require.NoError(t, verifyAll(first, c.Blocks[:2]))
	pos, _ := first.Position()
	p, _ := audit.ParsePolicy(testPolicy)
	a, err := audit.New(audit.Options{Policy: p, Start: &pos})
	require.NoError(t, err)
	_, err = a.CompareTotals(context.Background(), func(context.Context, string) (*wire.Totals, error) { return nil, nil })
	require.ErrorContains(t, err, "whole chain only")
}

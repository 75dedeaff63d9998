package audit_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/audit/audittest"
)

// approvalChain appends to the test chain an approval of by Bank1 whose terms are written
// privately (value) and hashed publicly (hash).
func approvalChain(t *testing.T, value []byte, hash string) ([]*common.Block, *wire.Terms) {
	c := audittest.NewChain(t)
	terms := &wire.Terms{ID: "R-1.2", Bank: "Bank1MSP", RequestedBy: "SupplierMSP/a", Decision: wire.DecisionApproved, RateBps: 450}
	if value == nil {
		value, _ = json.Marshal(terms)
	}
	if hash == "" {
		sum := sha256.Sum256(value)
		hash = hex.EncodeToString(sum[:])
	}
	r := audittest.Receivable("R-1.2", "R-1", "Bank1MSP/officer", 4000, wire.StatusActive)
	r.UpdatedBy, r.UpdatedAt = "Bank1MSP/officer", "2026-11-30T08:00:00Z"
	r.Financing = &wire.Financing{Bank: "Bank1MSP", RequestedBy: "SupplierMSP/a", Financier: r.UpdatedBy, ApprovedAt: r.UpdatedAt, TermsHash: hash}
	b3 := audittest.Block(t, c.Blocks[2], []peer.TxValidationCode{peer.TxValidationCode_VALID},
		audittest.PrivateTx(t, "tx4", "receivables", c.Supplier.User, []*wire.Receivable{r},
			wire.TermsCollection("SupplierMSP", "Bank1MSP"), wire.TermsKey("R-1.2", hash), value, c.Core.Peer, c.Supplier.Peer))
	return append(c.Blocks, b3), terms
}

func TestVerify_ApprovalsTermsHashIsAPrivateWriteOfItsTransaction(t *testing.T) {
	blocks, _ := approvalChain(t, nil, "")
	a := newAuditor(t)
	require.NoError(t, verifyAll(a, blocks))
	require.Equal(t, 1, a.Report().TermsHashes)

	// A public hash that no private write of the transaction backs is refused.
	blocks, _ = approvalChain(t, nil, hex.EncodeToString(make([]byte, 32)))
	err := verifyAll(newAuditor(t), blocks)
	require.ErrorContains(t, err, "is not the hash of a private write of the transaction")
}

func TestCompare_TermsTheAuditorReadsMustHashToThePublicHash(t *testing.T) {
	blocks, terms := approvalChain(t, nil, "")
	answer := func(a interface {
		Receivable(string) *wire.Receivable
	}, shown *wire.Terms) func(context.Context, string) (json.RawMessage, error) {
		return func(_ context.Context, id string) (json.RawMessage, error) {
			r := a.Receivable(id).Clone()
			if r.Financing != nil {
				r.Financing.Terms = shown
			}
			return json.Marshal(r)
		}
	}
	a := newAuditor(t)
	require.NoError(t, verifyAll(a, blocks))
	diffs, err := a.Compare(context.Background(), answer(a, terms))
	require.NoError(t, err)
	require.Empty(t, diffs)
	require.Equal(t, 1, a.Report().TermsRead)

	b := newAuditor(t)
	require.NoError(t, verifyAll(b, blocks))
	forged := *terms
	forged.RateBps = 300
	diffs, err = b.Compare(context.Background(), answer(b, &forged))
	require.NoError(t, err)
	require.Len(t, diffs, 1)
	require.Equal(t, "R-1.2", diffs[0].ID)
	require.Contains(t, diffs[0].Detail, "the private terms the chaincode shows hash to")
}

package gateway_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// leafSum adds the amounts of a trace tree's leaves.
func leafSum(n *receivable) int64 {
	if len(n.Pieces) == 0 {
		return n.AmountFen
	}
	var s int64
	for _, p := range n.Pieces {
		s += leafSum(p)
	}
	return s
}

func TestLifecycle_REST(t *testing.T) {
	core, a, b, c := as(t, "CoreMSP/treasurer"), as(t, "SupplierMSP/supplier-a"), as(t, "SupplierMSP/supplier-b"), as(t, "SupplierMSP/supplier-c")
	bank, auditor := as(t, "Bank1MSP/officer"), as(t, "AuditorMSP/auditor")
	id := uniqueID(t, "GR")

	issued := core.Write(t, "/v1/receivables", issueBody(t, id, "SupplierMSP/supplier-a", "1250000.00", inDays(120)))
	require.Equal(t, "Issue", issued.Result.Op)
	require.Equal(t, "PENDING", a.Get(t, id).Status)

	a.Write(t, "/v1/receivables/"+id+"/accept", nil)
	a.Write(t, "/v1/receivables/"+id+"/split", map[string]any{"parts": []string{"600000", "650000.00"}})
	a.Write(t, "/v1/receivables/"+id+".2/transfer", map[string]string{"to": "SupplierMSP/supplier-b"})
	b.Write(t, "/v1/receivables/"+id+".2/accept", nil)
	b.Write(t, "/v1/receivables/"+id+".2/transfer", map[string]string{"to": "SupplierMSP/supplier-c", "amount": "200000.00"})
	c.Write(t, "/v1/receivables/"+id+".2.1/accept", nil)
	c.Write(t, "/v1/receivables/"+id+".2.1/financing", map[string]string{"bank": "Bank1MSP"})
	require.Equal(t, "FINANCING", c.Get(t, id+".2.1").Status)
	bank.Write(t, "/v1/receivables/"+id+".2.1/financing/approve", map[string]int{"rateBps": 450})

	financed := auditor.Get(t, id+".2.1")
	require.Equal(t, "Bank1MSP/officer", financed.Holder)
	require.Equal(t, "ACTIVE", financed.Status)
	require.NotNil(t, financed.Financing)
	require.Equal(t, int64(450), financed.Financing.RateBps)
	require.Less(t, financed.Financing.DisbursedFen, int64(20000000), "the bank pays the discounted amount")

	// Redemption before maturity is the chaincode's conflict, with its message and the tx id.
	r := core.Do(t, http.MethodPost, "/v1/roots/"+id+"/redeem-all", nil)
	require.Equal(t, http.StatusConflict, r.Status)
	p := r.Problem(t)
	require.Contains(t, p["detail"], "cannot be redeemed before")
	require.NotEmpty(t, p["txId"])
	require.Equal(t, "endorse", p["stage"])

	// Refusals by kind: invalid 400, not found 404, forbidden 403.
	require.Equal(t, http.StatusBadRequest, a.Do(t, http.MethodPost, "/v1/receivables/"+id+".1/split", map[string]any{"parts": []string{"1", "2"}}).Status)
	require.Equal(t, http.StatusNotFound, auditor.Do(t, http.MethodGet, "/v1/receivables/"+id+"-missing", nil).Status)
	require.Equal(t, http.StatusForbidden, b.Do(t, http.MethodPost, "/v1/receivables/"+id+".1/transfer", map[string]string{"to": "SupplierMSP/supplier-c"}).Status)

	var trace struct{ Root *receivable }
	r = auditor.Do(t, http.MethodGet, "/v1/roots/"+id+"/trace", nil)
	require.Equal(t, http.StatusOK, r.Status)
	require.NoError(t, json.Unmarshal(r.Body, &trace))
	require.Equal(t, int64(125000000), leafSum(trace.Root), "the leaves add up to the root")

	var history []map[string]any
	r = auditor.Do(t, http.MethodGet, "/v1/receivables/"+id+".2.1/history", nil)
	require.NoError(t, json.Unmarshal(r.Body, &history))
	require.Len(t, history, 4, "offered, accepted, financing requested, approved")

	var page struct {
		Items []receivable `json:"items"`
	}
	r = c.Do(t, http.MethodGet, "/v1/receivables?holder=SupplierMSP/supplier-b&pageSize=100", nil)
	require.Equal(t, http.StatusForbidden, r.Status, "supplier-c cannot list supplier-b's holdings")
	r = b.Do(t, http.MethodGet, "/v1/receivables?holder=SupplierMSP/supplier-b&pageSize=100", nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	require.NoError(t, json.Unmarshal(r.Body, &page))
	var ids []string
	for _, it := range page.Items {
		ids = append(ids, it.ID)
	}
	require.Contains(t, ids, id+".2.2")

	// A receivable that matures today is redeemed at once, every live leaf in one transaction.
	due := uniqueID(t, "GD")
	core.Write(t, "/v1/receivables", issueBody(t, due, "SupplierMSP/supplier-a", "80000.00", today()))
	a.Write(t, "/v1/receivables/"+due+"/accept", nil)
	a.Write(t, "/v1/receivables/"+due+"/split", map[string]any{"parts": []string{"30000", "50000"}})
	core.Write(t, "/v1/receivables/"+due+".1/redeem", nil)
	all := core.Write(t, "/v1/roots/"+due+"/redeem-all", nil)
	require.Len(t, all.Result.Items, 1)
	require.Equal(t, "REDEEMED", auditor.Get(t, due+".2").Status)

	// The transaction status of any write.
	r = auditor.Do(t, http.MethodGet, "/v1/transactions/"+all.TxID, nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	require.Contains(t, string(r.Body), `"validationCode":"VALID"`)
	require.Equal(t, http.StatusNotFound, auditor.Do(t, http.MethodGet, "/v1/transactions/"+strings.Repeat("0", 64), nil).Status)
}

func TestLifecycle_CLI(t *testing.T) {
	id := uniqueID(t, "GC")
	contract, invoice := randomHex(t), randomHex(t)
	var issued struct {
		TxID string `json:"txId"`
	}
	mustRecv(t, &issued, "--as", "CoreMSP/treasurer", "-o", "json", "issue", "--id", id, "--to", "SupplierMSP/supplier-a",
		"--amount", "1000.00", "--maturity", inDays(60), "--contract", "C-9:"+contract, "--invoice", "INV-"+id+":"+invoice+":1000.00")
	require.NotEmpty(t, issued.TxID)

	mustRecv(t, nil, "--as", "SupplierMSP/supplier-a", "accept", id)
	mustRecv(t, nil, "--as", "SupplierMSP/supplier-a", "split", id, "--parts", "400,600")
	mustRecv(t, nil, "--as", "SupplierMSP/supplier-a", "transfer", id+".2", "--to", "SupplierMSP/supplier-b")
	mustRecv(t, nil, "--as", "SupplierMSP/supplier-b", "accept", id+".2")
	mustRecv(t, nil, "--as", "SupplierMSP/supplier-b", "transfer", id+".2", "--to", "SupplierMSP/supplier-c", "--amount", "100")
	mustRecv(t, nil, "--as", "SupplierMSP/supplier-c", "accept", id+".2.1")
	mustRecv(t, nil, "--as", "SupplierMSP/supplier-c", "finance", "request", id+".2.1", "--bank", "Bank1MSP")
	mustRecv(t, nil, "--as", "Bank1MSP/officer", "finance", "approve", id+".2.1", "--rate-bps", "450")

	out := mustRecv(t, nil, "--as", "AuditorMSP/auditor", "trace", id)
	require.Contains(t, out, id+"  1000.00  SPLIT")
	require.Contains(t, out, "└── "+id+".2.2  500.00  ACTIVE  SupplierMSP/supplier-b")
	require.Contains(t, out, "Bank1MSP 450bps")

	out = mustRecv(t, nil, "--as", "AuditorMSP/auditor", "history", id+".2.1")
	require.Equal(t, 5, len(strings.Split(strings.TrimSpace(out), "\n")), "header and four versions:\n%s", out)

	// Exit codes: conflict 5, not found 3, forbidden 4, invalid 2.
	code, _, stderr := recv(t, "--as", "CoreMSP/treasurer", "redeem-all", id)
	require.Equal(t, 5, code, stderr)
	require.Contains(t, stderr, "cannot be redeemed before")
	code, _, _ = recv(t, "--as", "AuditorMSP/auditor", "get", id+"-nope")
	require.Equal(t, 3, code)
	code, _, _ = recv(t, "--as", "SupplierMSP/supplier-c", "transfer", id+".1", "--to", "SupplierMSP/supplier-b")
	require.Equal(t, 4, code)
	code, _, _ = recv(t, "--as", "SupplierMSP/supplier-a", "split", id+".1", "--parts", "1,2")
	require.Equal(t, 2, code)
}

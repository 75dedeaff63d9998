package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/client"
)

// A supplier accepts a receivable offered to it, through its organisation's gateway of the local
// network in .recv-net, and tells a refusal from other failures by its kind.
func Example() {
	c, err := client.As(".recv-net", "SupplierMSP/supplier-a")
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := c.Submit(context.Background(), "accept", []string{"R-1"}, nil)
	var p *wire.Problem
	switch {
	case err == nil:
		fmt.Println("committed in block", res.BlockNumber)
	case errors.As(err, &p) && p.Kind == wire.KindConflict:
		fmt.Println("refused:", p.Detail)
	default:
		fmt.Println(err)
	}
}

// exampleGateway stands in for an organisation's gateway (`recv serve`): it answers the accept of
// R-1 and the read of R-1 as the gateway does once the transaction committed.
func exampleGateway() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.Method + " " + r.URL.Path {
		case "POST /v1/receivables/R-1/accept":
			ev, _ := json.Marshal(wire.Event{TxID: "3f1c", Op: "Accept", Items: []wire.EventItem{{ID: "R-1", Status: wire.StatusActive,
				Amount: "1250000.00", Holder: "SupplierMSP/supplier-a", Issuer: "CoreMSP/treasurer"}}})
			_ = json.NewEncoder(w).Encode(wire.SubmitResponse{TransactionID: "3f1c", BlockNumber: 12, Result: ev})
		case "GET /v1/receivables/R-1":
			_ = json.NewEncoder(w).Encode(wire.Receivable{ID: "R-1", RootID: "R-1", Status: wire.StatusActive, Amount: "1250000.00",
				AmountFen: 125000000, Holder: "SupplierMSP/supplier-a", Issuer: "CoreMSP/treasurer", MaturityDate: "2027-02-28"})
		default:
			w.WriteHeader(http.StatusNotFound)
			_ = json.NewEncoder(w).Encode(wire.Problem{Kind: wire.KindNotFound, Detail: "no route " + r.URL.Path})
		}
	}))
}

// A supplier accepts the receivable offered to it (签收): one write of the wire contract's
// operation table, named by its op, retried safely under an idempotency key; the answer is the
// committed transaction and the event it set.
func ExampleClient_Submit() {
	gw := exampleGateway()
	defer gw.Close()
	c, err := client.New(gw.URL, "the supplier's token")
	if err != nil {
		panic(err)
	}
	res, err := c.Submit(context.Background(), "accept", []string{"R-1"}, nil, client.WithIdempotencyKey("accept-R-1"))
	if err != nil {
		panic(err)
	}
	ev, err := client.EventOf(res)
	if err != nil {
		panic(err)
	}
	fmt.Printf("tx %s in block %d: %s %s, holder %s\n", res.TransactionID, res.BlockNumber, ev.Op, ev.Items[0].Status, ev.Items[0].Holder)
	// Output: tx 3f1c in block 12: Accept ACTIVE, holder SupplierMSP/supplier-a
}

// Reading a receivable: the gateway answers what the caller may read.
func ExampleClient_Get() {
	gw := exampleGateway()
	defer gw.Close()
	c, err := client.New(gw.URL, "the supplier's token")
	if err != nil {
		panic(err)
	}
	r, err := c.Get(context.Background(), "R-1")
	if err != nil {
		panic(err)
	}
	fmt.Println(r.ID, r.Status, r.Amount, r.Holder, r.MaturityDate)
	// Output: R-1 ACTIVE 1250000.00 SupplierMSP/supplier-a 2027-02-28
}

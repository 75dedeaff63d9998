package client_test

import (
	"context"
	"errors"
	"fmt"

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

// Command recv is the command line and the gateway service of the recv receivables network.
package main

import (
	"os"

	"github.com/recv-ledger/recv/gateway/cli"
)

func main() {
	os.Exit(cli.Execute(os.Args[1:], os.Stdout, os.Stderr))
}

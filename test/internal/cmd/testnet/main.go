// Command testnet brings a test network up for several suites to share and takes it down again:
//
//	testnet up [-kind native|compose] [-gateways] DIR   start a network in DIR; print "network up in ..."
//	testnet down [-kind native|compose] DIR             stop it and remove DIR
//
// The suites then use it through RECV_TEST_NET_DIR=DIR (RECV_TEST_DOCKER_DIR for compose) and
// leave it up. Ports and project come from the same environment as for the suites
// (RECV_PORT_OFFSET, default 4000; RECV_TEST_DOCKER_PROJECT and RECV_TEST_DOCKER_PORT_OFFSET).
// scripts/test.sh uses it so that `make test` starts one native network for the integration and
// gateway suites.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/recv-ledger/recv/test/internal/testnet"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	fs := flag.NewFlagSet("testnet "+os.Args[1], flag.ExitOnError)
	kind := fs.String("kind", string(testnet.Native), "native or compose")
	gateways := fs.Bool("gateways", false, "native: also start a recv gateway per organisation")
	_ = fs.Parse(os.Args[2:])
	if fs.NArg() != 1 || (*kind != string(testnet.Native) && *kind != string(testnet.Compose)) {
		usage()
	}
	dir := fs.Arg(0)
	var err error
	switch os.Args[1] {
	case "up":
		_, err = testnet.Up(testnet.Config{Kind: testnet.Kind(*kind), Gateways: *gateways, PortOffset: 4000}, dir)
	case "down":
		err = testnet.Down(testnet.Kind(*kind), dir)
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "testnet:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: testnet up|down [-kind native|compose] [-gateways] DIR")
	os.Exit(2)
}

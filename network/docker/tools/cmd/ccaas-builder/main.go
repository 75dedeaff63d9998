// Command ccaas-builder is the peer's external builder for chaincode-as-a-service packages in
// images without a shell. Installed under three names in the builder's bin folder, it acts by the
// name it is called with:
//
//	detect SOURCE_DIR METADATA_DIR           exit 0 when metadata.json says "type": "ccaas"
//	build SOURCE_DIR METADATA_DIR OUTPUT_DIR copy connection.json (and META-INF) to OUTPUT_DIR
//	release BUILD_DIR RELEASE_DIR            hand the peer chaincode/server/connection.json
//
// RECV_CCAAS_ADDRESS, when set in the peer's environment and propagated to the builder, replaces
// the packaged chaincode server address at release. Called as ccaas-builder, the first argument
// names the step.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/recv-ledger/recv/network/docker/tools/ccaas"
)

func main() {
	os.Exit(run(filepath.Base(os.Args[0]), os.Args[1:], os.Stderr))
}

// run performs the step named by name (or by the first argument) and returns the exit code: 0 on
// success, 1 when detect does not claim the package or a step fails, 2 on wrong usage.
func run(name string, args []string, stderr io.Writer) int {
	if name != "detect" && name != "build" && name != "release" {
		if len(args) == 0 {
			fmt.Fprintln(stderr, "usage: ccaas-builder detect|build|release ARGS...")
			return 2
		}
		name, args = args[0], args[1:]
	}
	var err error
	switch name {
	case "detect":
		if len(args) != 2 {
			fmt.Fprintln(stderr, "usage: detect SOURCE_DIR METADATA_DIR")
			return 2
		}
		err = ccaas.Detect(args[0], args[1])
		if errors.Is(err, ccaas.ErrNotClaimed) {
			return 1 // not ours: the peer tries its next builder, nothing to report
		}
	case "build":
		if len(args) != 3 {
			fmt.Fprintln(stderr, "usage: build SOURCE_DIR METADATA_DIR OUTPUT_DIR")
			return 2
		}
		err = ccaas.Build(args[0], args[1], args[2])
	case "release":
		if len(args) != 2 {
			fmt.Fprintln(stderr, "usage: release BUILD_OUTPUT_DIR RELEASE_OUTPUT_DIR")
			return 2
		}
		err = ccaas.Release(args[0], args[1], os.Getenv(ccaas.AddressEnv))
	default:
		fmt.Fprintf(stderr, "ccaas-builder: unknown step %q (detect, build or release)\n", name)
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}

// Command probe is the health check of the recv container images (they have no shell):
//
//	probe [-cacert F] [-cert F -key F] [-servername N] [-timeout D] URL          GET must answer 2xx
//	probe [TLS flags] -metric 'name{labels}' [-min V] URL                        print a sample; with -min, require >= V
//	probe -tcp HOST:PORT                                                         a TCP connect must succeed
//
// It exits 0 when the check passes and 1 otherwise, with the reason on stderr.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"time"

	"github.com/recv-ledger/recv/network/docker/tools/probe"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("probe", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var t probe.TLS
	fs.StringVar(&t.CACert, "cacert", "", "PEM `file` of the CA certificates to trust for https")
	fs.StringVar(&t.Cert, "cert", "", "PEM `file` of a TLS client certificate")
	fs.StringVar(&t.Key, "key", "", "PEM `file` of the client certificate's key")
	fs.StringVar(&t.ServerName, "servername", "", "host `name` to verify instead of the URL's")
	timeout := fs.Duration("timeout", 3*time.Second, "give up after this `duration`")
	metric := fs.String("metric", "", "print the value of this Prometheus `series` from the response")
	atLeast := fs.Float64("min", math.Inf(-1), "with -metric: fail unless the value is at least this")
	tcp := fs.Bool("tcp", false, "the argument is HOST:PORT; only connect")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: probe [flags] URL | probe -tcp HOST:PORT")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	target := fs.Arg(0)
	if *tcp {
		if err := probe.TCP(target, *timeout); err != nil {
			fmt.Fprintln(stderr, "probe:", err)
			return 1
		}
		return 0
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	body, err := probe.Get(ctx, target, t)
	if err != nil {
		fmt.Fprintln(stderr, "probe:", err)
		return 1
	}
	if *metric == "" {
		return 0
	}
	v, err := probe.Metric(body, *metric)
	if err != nil {
		fmt.Fprintln(stderr, "probe:", err)
		return 1
	}
	fmt.Fprintln(stdout, strconv.FormatFloat(v, 'f', -1, 64))
	if v < *atLeast {
		fmt.Fprintf(stderr, "probe: %s is %v, want at least %v\n", *metric, v, *atLeast)
		return 1
	}
	return 0
}

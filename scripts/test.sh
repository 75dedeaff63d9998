#!/usr/bin/env bash
# The test command (`make test`, and what CI runs):
#   unit       chaincode and gateway unit tests, chaincode coverage (>= 85% required), the alert
#              rules' unit tests and the monitoring's generated configuration (test/monitor/rules),
#              the Kubernetes manifests built and decoded strictly (test/k8s)
#   fuzz       every chaincode fuzz target for a few seconds, as a regression test
#   integration the suites in test/ against real Fabric nodes: one native network with a gateway per
#              org shared by test/integration, test/gateway, test/console (the browser suite, in
#              Debian's chromium, installed when missing) and test/k8s's pod (Bank2's gateway as its
#              overlay renders it, under Debian's podman, installed when missing), and then by `make bench-network` in its
#              smoke mode (it works, no speed asserted), and the docker compose network
#              (test/docker) when a Docker engine answers
# `scripts/test.sh unit|fuzz|integration` runs one part. Each suite's full log is kept in $TEST_LOG_DIR
# (a temporary folder unless set); this script prints the go test summary lines and a closing count.
# Ports and names of the test networks: RECV_PORT_OFFSET (the shared native network, default 4000),
# RECV_TEST_DOCKER_PROJECT (default recvtest) and RECV_TEST_DOCKER_PORT_OFFSET (default 6000).
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

part=${1:-all}
# A count of inputs, not a duration: with a duration Go's fuzzing engine can report the deadline
# itself as a failure ("context deadline exceeded") when the machine is busy.
fuzz_time=${FUZZ_TIME:-3000x}
min_coverage=${MIN_COVERAGE:-85}
log_dir=${TEST_LOG_DIR:-$(mktemp -d -t recv-test.XXXXXX)}
mkdir -p "$log_dir"

passed=0 failed=0 skipped=0 broken=()
started=$SECONDS

step() { printf '\n==> %s\n' "$*"; }

# run_go_test NAME DIR ARGS...: go test -v in DIR, full output to the log; prints the package
# summary lines, and on failure the failing tests' output.
run_go_test() {
	local name=$1 dir=$2
	shift 2
	local log="$log_dir/$name.log"
	(cd "$dir" && go test -count=1 -v "$@") >"$log" 2>&1
	local rc=$?
	grep -E '^(ok|FAIL|---|\?|panic:|SKIPPED:|(compose )?network up in|coverage:)' "$log" | grep -vE '^    ' | grep -vE '^--- PASS' || true
	local p f s
	p=$(grep -cE '^\s*--- PASS:' "$log")
	f=$(grep -cE '^\s*--- FAIL:' "$log")
	s=$(grep -cE '^\s*--- SKIP:' "$log")
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	if [ $rc -ne 0 ]; then
		broken+=("$name")
		[ "$f" -eq 0 ] && failed=$((failed + 1)) # a build failure or panic outside a test
		echo "--- $name failed; the last 150 lines of $log:"
		tail -n 150 "$log"
	fi
	return $rc
}

unit() {
	step "chaincode unit tests with coverage"
	local pkgs
	pkgs=$(cd chaincode && go list ./... | grep -vE '/cmd/|test$|fake' | paste -sd, -)
	run_go_test chaincode-unit chaincode -coverpkg="$pkgs" -coverprofile="$log_dir/chaincode.cover" ./...
	if [ -s "$log_dir/chaincode.cover" ]; then
		local total
		total=$(cd chaincode && go tool cover -func="$log_dir/chaincode.cover" | awk '/^total:/ {sub("%", "", $3); print $3}')
		echo "chaincode coverage: ${total}% of statements (minimum ${min_coverage}%)"
		if awk -v t="$total" -v m="$min_coverage" 'BEGIN { exit !(t < m) }'; then
			echo "FAIL: chaincode coverage ${total}% is below ${min_coverage}%"
			failed=$((failed + 1)) broken+=(coverage)
		fi
	fi

	step "gateway unit tests"
	run_go_test gateway-unit gateway -cover ./...

	step "container tools unit tests (external builder, health probe)"
	run_go_test tools-unit network/docker/tools -cover ./...

	step "monitoring: alert rules (promtool test rules) and the generated Prometheus configuration"
	# Debian's prometheus packages, installed when missing (the rules test needs promtool).
	if ! scripts/monitor.sh install >"$log_dir/monitor-install.log" 2>&1; then
		echo "--- could not install the prometheus packages; the last 40 lines of $log_dir/monitor-install.log:"
		tail -n 40 "$log_dir/monitor-install.log"
	fi
	run_go_test monitor-rules test ./monitor/rules/

	step "Kubernetes manifests: every overlay built with kustomize and decoded strictly (network/k8s)"
	run_go_test k8s-manifests test ./k8s/
}

fuzz() {
	step "fuzz targets of the chaincode and the gateway, ${fuzz_time/%x/ inputs} each"
	local file dir target module
	for module in chaincode gateway; do
		while IFS= read -r file; do
			dir=$(dirname "$file")
			for target in $(grep -oE '^func Fuzz[A-Za-z0-9_]+' "$file" | cut -d' ' -f2); do
				printf '%-24s ' "$target"
				run_go_test "fuzz-$target" "$module" -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzz_time" "./${dir#"$module"/}"
			done
		done < <(grep -rlE '^func Fuzz' --include='*_test.go' "$module" | sort)
	done
}

integration() {
	step "building the pinned Fabric binaries, the chaincode server and the recv CLI"
	if ! scripts/fabric-bin/build.sh >"$log_dir/build.log" 2>&1; then
		tail -n 80 "$log_dir/build.log"
		failed=$((failed + 1)) broken+=(build)
		return 1
	fi
	go build -o bin/recv ./gateway/cmd/recv || { failed=$((failed + 1)) broken+=(build-recv); return 1; }
	(cd test && go build -o "$log_dir/testnet" ./internal/cmd/testnet) || { failed=$((failed + 1)) broken+=(build-testnet); return 1; }

	local pkg name native_ok= pkgs shared='/test/(integration|gateway|console|k8s)$'
	# test/monitor/rules needs no network: it runs with the unit tests; test/k8s's manifests too,
	# and its pod under podman (TestPodman_*) runs here on the shared network.
	pkgs=$(cd test && go list -f '{{if or .TestGoFiles .XTestGoFiles}}{{.ImportPath}}{{end}}' ./... | grep -vE '/test/monitor/rules$' | sort)
	# The suites that share the native network run one after the other, before the rest.
	for pkg in $(grep -E "$shared" <<<"$pkgs"; grep -vE "$shared" <<<"$pkgs"); do
		name=${pkg##*/recv/test/}
		name=${name//\//-}
		# The suites that need a native network share one; it is up only while they run, so that
		# no two networks run at once.
		case $name in
		integration | gateway | console | k8s) [ -n "$native_ok" ] || { native_up && native_ok=1 || native_ok=0; } ;;
		*) bench_smoke && native_down ;;
		esac
		step "suite test/${pkg##*/recv/test/}"
		# A suite makes its own network under TMPDIR; one killed by a panic or its timeout leaves
		# its clean-up to the harness's reaper, and sweep_networks checks afterwards.
		mkdir -p "$log_dir/tmp/$name"
		case $name in
		integration | gateway)
			[ "$native_ok" = 1 ] || { echo "skipped: no shared native network"; continue; }
			RECV_TEST_NET_DIR=$native_dir TMPDIR="$log_dir/tmp/$name" run_go_test "$name" test -p 1 -timeout 25m "$pkg"
			;;
		console)
			# The browser suite: Debian's chromium, installed when missing; screenshots kept with the logs.
			[ "$native_ok" = 1 ] || { echo "skipped: no shared native network"; continue; }
			ensure_chromium || { failed=$((failed + 1)) broken+=(chromium); continue; }
			RECV_TEST_NET_DIR=$native_dir RECV_CONSOLE_SHOTS="$log_dir/console-shots" TMPDIR="$log_dir/tmp/$name" \
				run_go_test "$name" test -p 1 -timeout 10m "$pkg"
			;;
		k8s)
			# A member's gateway pod under podman (Debian's, installed when missing) beside the
			# shared network; the manifests' own checks ran with the unit tests.
			[ "$native_ok" = 1 ] || { echo "skipped: no shared native network"; continue; }
			ensure_podman || { failed=$((failed + 1)) broken+=(podman); continue; }
			RECV_TEST_NET_DIR=$native_dir TMPDIR="$log_dir/tmp/$name" run_go_test k8s-podman test -p 1 -timeout 10m -run '^TestPodman_' "$pkg"
			;;
		*) TMPDIR="$log_dir/tmp/$name" run_go_test "$name" test -p 1 -timeout 25m "$pkg" ;;
		esac
		sweep_networks "$log_dir/tmp/$name"
		# Likewise the compose project of the docker suite (never the developer's own
		# `make docker-up` project) when the suite could not take it down.
		if [ "$name" = docker ] && docker info >/dev/null 2>&1; then
			RECV_DOCKER_PROJECT=${RECV_TEST_DOCKER_PROJECT:-recvtest} RECV_DOCKER_DIR="$log_dir/tmp/$name/none" \
				scripts/docker.sh down >/dev/null 2>&1 || true
		fi
	done
	bench_smoke
	native_down
	trap - EXIT INT TERM
}

# bench_smoke: once the suites that share the native network are done with it, `make
# bench-network` in its smoke mode on it (the bare chaincode deployed beside receivables, two
# levels of two transactions of every workload through the SDK, two of them through REST too, and
# the same-shape twins of Issue and ApproveFinancing): checks that the benchmark works; asserts no
# speed.
bench_smoke() {
	[ -n "${native_dir:-}" ] && [ -z "${bench_smoked:-}" ] || return 0
	bench_smoked=1
	step "make bench-network, smoke mode, on the shared native network"
	local log="$log_dir/bench-smoke.log" t0=$SECONDS
	if RECV_NET_DIR=$native_dir RECV_PORT_OFFSET=${RECV_PORT_OFFSET:-4000} BENCH_OUT=$log_dir/bench \
		scripts/bench-network.sh -smoke >"$log" 2>&1; then
		passed=$((passed + 1))
		echo "ok   bench-network smoke in $((SECONDS - t0))s: $(grep -E '^smoke:' "$log")"
	else
		failed=$((failed + 1)) broken+=(bench-smoke)
		echo "--- bench-network smoke failed; the last 40 lines of $log:"
		tail -n 40 "$log"
	fi
	return 0
}

# ensure_chromium installs Debian's chromium for the browser suite (test/console) when it is missing,
# with a font that has the Chinese of the console's labels (for the screenshots).
ensure_chromium() {
	command -v chromium >/dev/null 2>&1 && [ -d /usr/share/fonts/truetype/wqy ] && return 0
	echo "installing chromium and fonts-wqy-microhei (Debian packages) for the browser suite"
	{ apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium fonts-wqy-microhei; } >"$log_dir/chromium-install.log" 2>&1 && return 0
	echo "--- could not install chromium; the last 40 lines of $log_dir/chromium-install.log:"
	tail -n 40 "$log_dir/chromium-install.log"
	return 1
}

# ensure_podman installs Debian's podman (4.3, with catatonit for its pause image and runc) for
# test/k8s's pod when it is missing; network/k8s/podman/containers.conf holds its settings.
ensure_podman() {
	command -v podman >/dev/null 2>&1 && command -v catatonit >/dev/null 2>&1 && command -v runc >/dev/null 2>&1 && return 0
	echo "installing podman, catatonit and runc (Debian packages) for test/k8s's pod"
	{ apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y podman catatonit runc; } >"$log_dir/podman-install.log" 2>&1 && return 0
	echo "--- could not install podman; the last 40 lines of $log_dir/podman-install.log:"
	tail -n 40 "$log_dir/podman-install.log"
	return 1
}

# native_up: one native network with a gateway per org for every suite that needs one (the test
# harness, test/internal/testnet, brings it up; the suites reuse it through RECV_TEST_NET_DIR),
# taken down by native_down when they are done or this script ends in any other way.
native_up() {
	step "one native network and its gateways for test/integration, test/gateway, test/console and test/k8s's pod"
	native_dir=$log_dir/tmp/native/net
	mkdir -p "$log_dir/tmp/native"
	trap native_down EXIT
	trap 'native_down; exit 130' INT
	trap 'native_down; exit 143' TERM
	if "$log_dir/testnet" up -gateways "$native_dir" >"$log_dir/native-up.log" 2>&1; then
		grep -E '^network up in' "$log_dir/native-up.log"
		return 0
	fi
	native_dir=
	failed=$((failed + 1)) broken+=(native-network)
	echo "--- the shared native network did not come up; the last 80 lines of $log_dir/native-up.log:"
	tail -n 80 "$log_dir/native-up.log"
	return 1
}

# native_down: takes the shared native network down (once) and sweeps what may be left of it.
native_down() {
	[ -n "${native_dir:-}" ] || return 0
	"$log_dir/testnet" down "$native_dir" | grep -E 'down in' || true
	sweep_networks "$log_dir/tmp/native"
	native_dir=
}

# sweep_networks DIR: stops the gateways and nodes of any native network a suite left under DIR.
sweep_networks() {
	local marker dir
	while IFS= read -r marker; do
		dir=$(dirname "$marker")
		echo "cleaning up the network a suite left in $dir"
		RECV_NET_DIR=$dir scripts/monitor.sh down >/dev/null 2>&1 || true
		RECV_NET_DIR=$dir scripts/gateways.sh down >/dev/null 2>&1 || true
		RECV_NET_DIR=$dir scripts/network.sh down >/dev/null 2>&1 || true
	done < <(find "$1" -maxdepth 4 -name .recv-net-state 2>/dev/null)
	rm -rf "$1"
}

case $part in
unit) unit ;;
fuzz) fuzz ;;
integration) integration ;;
all) unit; fuzz; integration ;;
*) echo "usage: $0 [unit|fuzz|integration]" >&2; exit 2 ;;
esac

echo
echo "logs: $log_dir"
echo "time: $((SECONDS - started))s"
if [ ${#broken[@]} -gt 0 ]; then
	echo "failed suites: ${broken[*]}"
fi
echo "test: $passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ] && [ ${#broken[@]} -eq 0 ]

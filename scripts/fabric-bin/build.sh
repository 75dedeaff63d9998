#!/usr/bin/env bash
# Builds the pinned Fabric binaries and the chaincode server into bin/ at the repo root:
#   peer, orderer, configtxgen,            Fabric v2.5.0 (module fabric/), static, CGO_ENABLED=0
#   configtxlator, osnadmin
#   fabric-ca-server, fabric-ca-client     Fabric CA v1.5.21 (module ca/), cgo for sqlite
#   receivables-cc                         the chaincode server, ./chaincode/cmd/receivables
#   bare-cc                                the benchmarks' bare chaincode server, ./chaincode/cmd/bare
#                                          (`build.sh bare` only: the network benchmark builds it)
#   logcap                                 the native nodes' and gateways' bounded logs, ./gateway/cmd/logcap
# The Fabric and CA binaries are rebuilt only when one is missing or when the module pins changed
# (a stamp in bin/ holds the hash of each module's go.mod and go.sum). The chaincode server is
# rebuilt on every call: go build is incremental, so that costs little when nothing changed.
# Only the Go module proxy is used. `build.sh fabric|ca|chaincode|tools` builds one part.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=$root/bin
mkdir -p "$bin"
# Several callers (make targets, test suites) may build at once: one at a time.
exec 9>"$bin/.build.lock"
flock 9

say() { printf 'fabric-bin: %s\n' "$*"; }

# pin_hash DIR: a hash of the module's pins; changes when the required versions change.
pin_hash() { cat "$1/go.mod" "$1/go.sum" | sha256sum | cut -c1-16; }

# build_module NAME DIR CGO LDFLAGS CMD...: builds the commands of a pinning module when missing
# or stale against the stamp file bin/.NAME.stamp.
build_module() {
	local name=$1 dir=$2 cgo=$3 ldflags=$4
	shift 4
	local stamp="$bin/.$name.stamp" want have missing=()
	want="$(pin_hash "$dir") $(go env GOVERSION)"
	have=$(cat "$stamp" 2>/dev/null || true)
	local pkg
	for pkg in "$@"; do
		[ -x "$bin/${pkg##*/}" ] || missing+=("${pkg##*/}")
	done
	if [ "$want" = "$have" ] && [ ${#missing[@]} -eq 0 ]; then
		say "$name binaries up to date ($(grep -m1 -oE 'github.com/hyperledger/fabric(-ca)? v[^ ]+' "$dir/go.mod"))"
		return 0
	fi
	if [ ${#missing[@]} -gt 0 ]; then
		say "$name: building (missing: ${missing[*]})"
	else
		say "$name: rebuilding (pinned versions changed)"
	fi
	local started=$SECONDS
	(cd "$dir" && GOWORK=off CGO_ENABLED=$cgo go build -trimpath -ldflags "$ldflags" -o "$bin/" "$@")
	echo "$want" >"$stamp"
	say "$name: built $* in $((SECONDS - started))s"
}

build_fabric() {
	build_module fabric "$here/fabric" 0 \
		"-X github.com/hyperledger/fabric/common/metadata.Version=2.5.0 -X github.com/hyperledger/fabric/common/metadata.CommitSHA=bd8e248" \
		github.com/hyperledger/fabric/cmd/peer \
		github.com/hyperledger/fabric/cmd/orderer \
		github.com/hyperledger/fabric/cmd/configtxgen \
		github.com/hyperledger/fabric/cmd/configtxlator \
		github.com/hyperledger/fabric/cmd/osnadmin
}

build_ca() {
	if ! command -v gcc >/dev/null 2>&1; then
		say "gcc is missing (fabric-ca needs cgo for sqlite); installing it"
		apt-get install -y gcc libc6-dev >/dev/null
	fi
	build_module ca "$here/ca" 1 \
		"-X github.com/hyperledger/fabric-ca/lib/metadata.Version=1.5.21" \
		github.com/hyperledger/fabric-ca/cmd/fabric-ca-server \
		github.com/hyperledger/fabric-ca/cmd/fabric-ca-client
}

build_chaincode() {
	if [ ! -d "$root/chaincode/cmd/receivables" ]; then
		say "chaincode: ./chaincode/cmd/receivables does not exist yet; skipped"
		return 0
	fi
	# The chaincode module builds on its own (GOWORK=off), whatever state the workspace is in.
	say "chaincode: go build -o bin/receivables-cc ./chaincode/cmd/receivables"
	(cd "$root/chaincode" && GOWORK=off CGO_ENABLED=0 go build -o "$bin/receivables-cc" ./cmd/receivables)
}

build_tools() {
	say "tools: go build -o bin/logcap ./gateway/cmd/logcap"
	(cd "$root/gateway" && GOWORK=off CGO_ENABLED=0 go build -o "$bin/logcap" ./cmd/logcap)
}

build_bare() {
	say "bare: go build -o bin/bare-cc ./chaincode/cmd/bare"
	(cd "$root/chaincode" && GOWORK=off CGO_ENABLED=0 go build -o "$bin/bare-cc" ./cmd/bare)
}

case ${1:-all} in
fabric) build_fabric ;;
ca) build_ca ;;
chaincode) build_chaincode ;;
bare) build_bare ;;
tools) build_tools ;;
all) build_fabric; build_ca; build_chaincode; build_tools ;;
*) echo "usage: $0 [all|fabric|ca|chaincode|bare]" >&2; exit 2 ;;
esac

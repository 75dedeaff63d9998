# shellcheck shell=bash
# The receivables chaincode as a service: deterministic CCaaS package, install on every peer,
# the chaincode server as its own process, approval by every org, commit, and a check that it answers.

CC_DIR() { echo "$NET/chaincode"; }
cc_bin() { echo "${RECV_CC_BIN:-$BIN/receivables-cc}"; }
cc_address() { echo "${RECV_CC_ADDRESS:-$HOST:$(cc_port)}"; }
# Mutual TLS between the peers and the chaincode server (RECV_CC_TLS=false: plaintext on loopback).
CC_TLS=${RECV_CC_TLS:-true}
cc_tls_dir() { echo "$(org_dir core)/ccaas"; }

# json_pem FILE: the file's contents as a JSON string (PEM lines joined by \n).
json_pem() { awk 'BEGIN { ORS = "" } { printf "%s\\n", $0 }' "$1"; }

# connection_json: what the peers dial; with TLS it carries the server's root and the peers'
# client key pair.
connection_json() {
	if [ "$CC_TLS" != true ]; then
		printf '{"address":"%s","dial_timeout":"10s","tls_required":false}\n' "$(cc_address)"
		return
	fi
	local tls
	tls=$(cc_tls_dir)
	printf '{"address":"%s","dial_timeout":"10s","tls_required":true,"client_auth_required":true,' "$(cc_address)"
	printf '"root_cert":"%s","client_key":"%s","client_cert":"%s"}\n' "$(json_pem "$tls/server/tls/ca.pem")" \
		"$(json_pem "$tls/client/tls/key.pem")" "$(json_pem "$tls/client/tls/cert.pem")"
}

# cc_state KEY [DEFAULT]: the deployed definition (sequence, version, label, package_id).
cc_state() { cat "$(CC_DIR)/$1" 2>/dev/null || echo "${2:-}"; }

build_chaincode() {
	if [ -n "${RECV_CC_BIN:-}" ]; then
		[ -x "$RECV_CC_BIN" ] || die "RECV_CC_BIN=$RECV_CC_BIN is not an executable"
		return 0
	fi
	"$ROOT/scripts/fabric-bin/build.sh" chaincode
	[ -x "$(cc_bin)" ] || die "no chaincode server at $(cc_bin): ./chaincode/cmd/receivables must build"
}

# deterministic_tgz OUT DIR FILE...: a tar.gz whose bytes depend only on the files' contents.
deterministic_tgz() {
	local out=$1 dir=$2
	shift 2
	tar -C "$dir" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 --mode=a+rX,u+w,go-w \
		--format=gnu -cf - "$@" | gzip -n -9 >"$out"
}

# package_chaincode LABEL: writes $(CC_DIR)/LABEL.tar.gz and prints its package id.
package_chaincode() {
	local label=$1 work
	work=$(mktemp -d)
	mkdir -p "$work/src" "$work/pkg" "$(CC_DIR)"
	connection_json >"$work/src/connection.json"
	deterministic_tgz "$work/pkg/code.tar.gz" "$work/src" connection.json
	printf '{"type":"ccaas","label":"%s"}\n' "$label" >"$work/pkg/metadata.json"
	deterministic_tgz "$(CC_DIR)/$label.tar.gz" "$work/pkg" code.tar.gz metadata.json
	rm -rf "$work"
	peer_cli core lifecycle chaincode calculatepackageid "$(CC_DIR)/$label.tar.gz"
}

install_everywhere() {
	local pkg=$1 pkg_id=$2 org pids=() i=0
	for org in "${ORGS[@]}"; do
		(
			# An identical package installed before (a repeated deploy) is not an error.
			out=$(peer_cli "$org" lifecycle chaincode install "$pkg" 2>&1) && exit 0
			echo "$out"
			grep -q "chaincode already successfully installed" <<<"$out"
		) >>"$NET/logs/chaincode.$org.log" 2>&1 &
		pids+=($!)
	done
	for org in "${ORGS[@]}"; do
		wait "${pids[$i]}" || { say "install on peer0.$org failed:" >&2; tail -n 20 "$NET/logs/chaincode.$org.log" >&2; return 1; }
		i=$((i + 1))
	done
}

# start_cc_server PACKAGE_ID: (re)starts the chaincode server for that package id.
start_cc_server() {
	local pkg_id=$1 addr
	addr=$(cc_address)
	stop_node chaincode
	local tls
	tls=$(cc_tls_dir)
	if [ "$CC_TLS" = true ]; then
		start_node chaincode env CHAINCODE_SERVER_ADDRESS="$addr" CHAINCODE_ID="$pkg_id" CHAINCODE_TLS_DISABLED=false \
			CHAINCODE_TLS_CERT="$tls/server/tls/cert.pem" CHAINCODE_TLS_KEY="$tls/server/tls/key.pem" \
			CHAINCODE_CLIENT_CA_CERT="$tls/client/tls/ca.pem" "$(cc_bin)"
	else
		start_node chaincode env CHAINCODE_SERVER_ADDRESS="$addr" CHAINCODE_ID="$pkg_id" "$(cc_bin)"
	fi
	wait_until "the chaincode server on $addr" chaincode "$READY_TIMEOUT" port_open "${addr%:*}" "${addr##*:}"
}

approve_everywhere() {
	local version=$1 sequence=$2 pkg_id=$3 org pids=() i=0
	for org in "${ORGS[@]}"; do
		# shellcheck disable=SC2046
		peer_cli "$org" lifecycle chaincode approveformyorg $(orderer_flags "$org") --channelID "$CHANNEL" \
			--name "$CC_NAME" --version "$version" --package-id "$pkg_id" --sequence "$sequence" \
			--signature-policy "$CC_POLICY" --waitForEventTimeout 60s >>"$NET/logs/chaincode.$org.log" 2>&1 &
		pids+=($!)
	done
	for org in "${ORGS[@]}"; do
		wait "${pids[$i]}" || { say "approval by ${MSP[$org]} failed:" >&2; tail -n 20 "$NET/logs/chaincode.$org.log" >&2; return 1; }
		i=$((i + 1))
	done
}

commit_definition() {
	local version=$1 sequence=$2 org peers=()
	for org in "${ORGS[@]}"; do
		peers+=(--peerAddresses "$HOST:$(peer_port "$org")" --tlsRootCertFiles "$(ca_cert "$org")")
	done
	# shellcheck disable=SC2046
	peer_cli core lifecycle chaincode commit $(orderer_flags core) --channelID "$CHANNEL" --name "$CC_NAME" \
		--version "$version" --sequence "$sequence" --signature-policy "$CC_POLICY" "${peers[@]}" \
		--waitForEventTimeout 60s >>"$NET/logs/chaincode.core.log" 2>&1 ||
		{ tail -n 20 "$NET/logs/chaincode.core.log" >&2; return 1; }
}

committed_sequence() {
	peer_cli "$1" lifecycle chaincode querycommitted --channelID "$CHANNEL" --name "$CC_NAME" 2>/dev/null |
		sed -n 's/.*Sequence: \([0-9]*\),.*/\1/p'
}

cc_answers() {
	peer_cli "$1" chaincode query -C "$CHANNEL" -n "$CC_NAME" -c '{"Args":["GetConfig"]}' >/dev/null
}

# deploy_chaincode SEQUENCE: package, install, serve, approve, commit and check SEQUENCE.
deploy_chaincode() {
	local sequence=$1 version label pkg_id org
	version=$sequence
	label="${CC_NAME}_v$version"
	build_chaincode
	pkg_id=$(package_chaincode "$label")
	say "    package $pkg_id"
	install_everywhere "$(CC_DIR)/$label.tar.gz" "$pkg_id"
	start_cc_server "$pkg_id"
	approve_everywhere "$version" "$sequence" "$pkg_id"
	commit_definition "$version" "$sequence"
	# The commit waited for the definition's block on every peer it names (all five).
	local committed
	committed=$(committed_sequence core)
	[ "$committed" = "$sequence" ] || die "peer0.core reports sequence '$committed' after committing $sequence"
	for org in "${ORGS[@]}"; do
		wait_until "chaincode sequence $sequence to answer on peer0.$org" chaincode "$READY_TIMEOUT" cc_answers "$org"
	done
	echo "$sequence" >"$(CC_DIR)/sequence"
	echo "$version" >"$(CC_DIR)/version"
	echo "$label" >"$(CC_DIR)/label"
	echo "$pkg_id" >"$(CC_DIR)/package_id"
}

# shellcheck shell=bash disable=SC2034 # CC_PACKAGE_IDS is read by the backend's node_start
# The receivables chaincode as a service, one chaincode server per organisation: each org's peer
# dials its own org's server only, so "endorsed by the core enterprise and a holder-side org"
# means two servers of two organisations ran the rules (docs/security.md). Deterministic CCaaS
# package per org, installed on that org's peer only; the servers (the backend's nodes
# CC_SERVER.ORG); approval by every org with its own package id; commit; a check that it answers.
# One deploy for both backends.
#
# Which chaincode: CC_NAME (its name on the channel, lib/net-common.sh), CC_SERVER (the base name of
# its servers' nodes, CC_SERVER.ORG), cc_bin (the servers' binary), CC_DIR (its deploy state) and
# CC_SEED (true: seed the membership registry). They name the receivables chaincode unless
# with_bare_chaincode sets them for one call: the benchmarks' bare chaincode (chaincode/cmd/bare)
# deploys the same way beside it, on the same channel with the same endorsement policy and the same
# private data collections (its Shape twins write the terms collections as the receivables' financing
# decisions do, under the same collection policies), as its own servers, one per org (native
# backend only).
CC_SERVER=chaincode
CC_SEED=true
CC_COLLECTIONS=true # the definition carries collections_json
CC_DIR() { echo "$NET/$CC_SERVER"; }
cc_bin() {
	if [ "$CC_SERVER" = chaincode ]; then echo "${RECV_CC_BIN:-$BIN/receivables-cc}"; else echo "$BIN/$CC_NAME-cc"; fi
}

# with_bare_chaincode CMD...: runs CMD (deploy_chaincode, cc_state, ...) for the bare chaincode.
with_bare_chaincode() {
	local CC_NAME=bare CC_SERVER=chaincode-bare CC_SEED=false CC_COLLECTIONS=true
	local -A CC_PACKAGE_IDS=()
	"$@"
}

# start_bare_servers: the bare chaincode's servers (scripts/bench-network.sh deploys it beside the
# receivables chaincode), started when it is deployed and they are not running; nothing otherwise.
start_bare_servers() {
	[ -n "$(with_bare_chaincode cc_state sequence)" ] || return 0
	local n stopped=()
	for n in $(with_bare_chaincode cc_servers); do node_running "$n" || stopped+=("$n"); done
	[ ${#stopped[@]} -gt 0 ] || return 0
	step "bare chaincode: servers not running (${stopped[*]}); starting them"
	with_bare_chaincode start_and_wait "${stopped[@]}"
	step_done
}

# with_server_chaincode NODE CMD...: runs CMD for the chaincode whose server NODE (CC_SERVER.ORG)
# is (as it is when that chaincode is the one in scope, e.g. during its deploy).
with_server_chaincode() {
	local node=$1
	shift
	if [ "${node%.*}" = "$CC_SERVER" ]; then
		"$@"
		return
	fi
	case ${node%.*} in
	chaincode-bare) with_bare_chaincode "$@" ;;
	*) local CC_NAME=receivables CC_SERVER=chaincode CC_SEED=true CC_COLLECTIONS=true && "$@" ;;
	esac
}

# cc_servers: the chaincode's server nodes, one per org.
cc_servers() {
	local org
	for org in "${ORGS[@]}"; do echo "$CC_SERVER.$org"; done
}
# Mutual TLS between each peer and its org's chaincode server (RECV_CC_TLS=false: plaintext on
# loopback).
CC_TLS=${RECV_CC_TLS:-true}
# cc_tls_dir ORG: the org's chaincode TLS pairs, issued by the org's CA: server/tls (the server's)
# and client/tls (the one its peer presents, the only client certificate the server accepts).
cc_tls_dir() { echo "$(org_dir "$1")/ccaas"; }

# json_pem FILE: the file's contents as a JSON string (PEM lines joined by \n).
json_pem() { awk 'BEGIN { ORS = "" } { printf "%s\\n", $0 }' "$1"; }

# connection_json ORG: what ORG's peer dials, its org's server; with TLS it carries the server's
# root (ORG's CA) and the peer's client key pair.
connection_json() {
	local org=$1 address
	address=$(cc_address net "$CC_SERVER.$org")
	if [ "$CC_TLS" != true ]; then
		printf '{"address":"%s","dial_timeout":"10s","tls_required":false}\n' "$address"
		return
	fi
	local tls
	tls=$(cc_tls_dir "$org")
	printf '{"address":"%s","dial_timeout":"10s","tls_required":true,"client_auth_required":true,' "$address"
	printf '"root_cert":"%s","client_key":"%s","client_cert":"%s"}\n' "$(json_pem "$tls/server/tls/ca.pem")" \
		"$(json_pem "$tls/client/tls/key.pem")" "$(json_pem "$tls/client/tls/cert.pem")"
}

# orgs_of_kind KIND...: the network's orgs (keys of ORGS) of these kinds, in ORGS order.
orgs_of_kind() {
	local org
	for org in "${ORGS[@]}"; do
		[[ " $* " == *" ${ORG_KIND[$org]} "* ]] && echo "$org"
	done
	return 0
}

# principals ROLE ORG...: 'MSP.ROLE' of each org, comma-separated.
principals() {
	local role=$1 org out=()
	shift
	for org in "$@"; do out+=("'${MSP[$org]}.$role'"); done
	local IFS=,
	echo "${out[*]}"
}

# collections_json: the chaincode's private data collections, from the org list (ORG_KIND): for
# every supplier-side org and bank, "terms_<SupplierMSP>_<BankMSP>" (wire.TermsCollection) whose
# members are the two and every auditor org. memberOnlyRead/Write; blockToLive 0 keeps the terms
# for good (past redemption: they are the evidence the public hash proves). Its own endorsement
# policy, the two parties' peers, governs the bank's decision (DecideFinancing writes only this
# collection), so the obligor, which endorses the public approval, never sees the terms, and the
# auditor's peer is not needed to write them. requiredPeerCount 0, maxPeerCount 0: both parties'
# peers endorse the decision (that policy), so each holds the terms when the block commits, and an
# endorsement pushes them to no other peer: the auditor's peer pulls them from the parties' peers
# when it commits the block (or by reconciliation after being down). A push would make an
# endorsement wait for it: with requiredPeerCount 1 Fabric picks the required peer at random and
# fails when it is the auditor's dead peer, and any push to a dead peer holds the endorsement for
# the dial and ack timeouts (until gossip declares the peer dead, 25 s): a peer outside the deal
# would stop or stall a bank's decision. Run again with a new bank in the
# lists (make add-org), it adds that bank's collections; a new definition (the next sequence)
# carries them.
collections_json() {
	local s b first=1 auditors
	auditors=$(principals member $(orgs_of_kind auditor))
	printf '['
	for s in $(orgs_of_kind supplier); do
		for b in $(orgs_of_kind bank); do
			[ $first -eq 1 ] || printf ','
			first=0
			printf '{"name":"terms_%s_%s","policy":"OR(%s)","requiredPeerCount":0,"maxPeerCount":0,' \
				"${MSP[$s]}" "${MSP[$b]}" "$(principals member "$s" "$b")${auditors:+,$auditors}"
			printf '"blockToLive":0,"memberOnlyRead":true,"memberOnlyWrite":true,'
			printf '"endorsementPolicy":{"signaturePolicy":"AND(%s)"}}' "$(principals peer "$s" "$b")"
		done
	done
	printf ']\n'
}

# collections_flags: the definition's --collections-config, for a chaincode that has collections.
collections_flags() {
	[ "$CC_COLLECTIONS" != true ] || echo "--collections-config $(CC_DIR)/collections.json"
}

# cc_state KEY [DEFAULT]: the deployed definition (sequence, version, label, package_id).
cc_state() { cat "$(CC_DIR)/$1" 2>/dev/null || echo "${2:-}"; }

build_chaincode() {
	if [ "$CC_SERVER" != chaincode ]; then
		"$ROOT/scripts/fabric-bin/build.sh" "$CC_NAME"
		[ -x "$(cc_bin)" ] || die "no chaincode server at $(cc_bin): ./chaincode/cmd/$CC_NAME must build"
		return 0
	fi
	if [ -n "${RECV_CC_BIN:-}" ]; then
		[ -x "$RECV_CC_BIN" ] || die "RECV_CC_BIN=$RECV_CC_BIN is not an executable"
		return 0
	fi
	"$ROOT/scripts/fabric-bin/build.sh" chaincode
	[ -x "$(cc_bin)" ] || die "no chaincode server at $(cc_bin): ./chaincode/cmd/receivables must build"
}

# deterministic_tgz OUT DIR FILE...: a tar.gz whose bytes depend only on the files' contents,
# readable by its owner only (the outer package holds the peer's client key).
deterministic_tgz() {
	local out=$1 dir=$2
	shift 2
	(umask 077 && tar -C "$dir" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 --mode=u=rwX,go= \
		--format=gnu -cf - "$@" | gzip -n -9 >"$out")
	chmod 600 "$out"
}

# cc_package LABEL ORG: the path of ORG's package of LABEL.
cc_package() { echo "$(CC_DIR)/$1.$2.tar.gz"; }

# package_chaincode LABEL ORG: writes ORG's package (connection.json to ORG's server, 0600) and
# prints its package id; the ids differ between orgs, whose servers and keys differ.
package_chaincode() {
	local label=$1 org=$2 work
	work=$(mktemp -d)
	mkdir -p "$work/src" "$work/pkg" "$(CC_DIR)"
	chmod 700 "$(CC_DIR)"
	(umask 077 && connection_json "$org" >"$work/src/connection.json")
	deterministic_tgz "$work/pkg/code.tar.gz" "$work/src" connection.json
	printf '{"type":"ccaas","label":"%s"}\n' "$label" >"$work/pkg/metadata.json"
	deterministic_tgz "$(cc_package "$label" "$org")" "$work/pkg" code.tar.gz metadata.json
	rm -rf "$work"
	peer_cli "$org" lifecycle chaincode calculatepackageid "$(cc_package "$label" "$org")"
}

# install_one ORG LABEL: installs ORG's package on ORG's peer; an identical package installed
# before (a repeated deploy) is not an error.
install_one() {
	local out
	out=$(peer_cli "$1" lifecycle chaincode install "$(cc_package "$2" "$1")" 2>&1) && return 0
	echo "$out"
	grep -q "chaincode already successfully installed" <<<"$out"
}

# approve_one ORG VERSION SEQUENCE: the org approves the definition with its own package id
# (CC_PACKAGE_IDS[ORG]); what must match between orgs is the definition, not the package.
approve_one() {
	local org=$1 version=$2 sequence=$3 pkg_id=${CC_PACKAGE_IDS[$1]}
	# shellcheck disable=SC2046
	peer_cli "$org" lifecycle chaincode approveformyorg $(orderer_flags "$org") --channelID "$CHANNEL" \
		--name "$CC_NAME" --version "$version" --package-id "$pkg_id" --sequence "$sequence" \
		--signature-policy "$CC_POLICY" $(collections_flags) --waitForEventTimeout 60s
}

commit_definition() {
	local version=$1 sequence=$2 org peers=()
	for org in "${ORGS[@]}"; do
		peers+=(--peerAddresses "$(addr host "peer0.$org")" --tlsRootCertFiles "$(ca_cert "$org")")
	done
	# shellcheck disable=SC2046
	peer_cli core lifecycle chaincode commit $(orderer_flags core) --channelID "$CHANNEL" --name "$CC_NAME" \
		--version "$version" --sequence "$sequence" --signature-policy "$CC_POLICY" $(collections_flags) "${peers[@]}" \
		--waitForEventTimeout 60s >>"$NET/logs/deploy.core.log" 2>&1 ||
		{ tail -n 20 "$NET/logs/deploy.core.log" >&2; return 1; }
}

committed_sequence() {
	peer_cli "$1" lifecycle chaincode querycommitted --channelID "$CHANNEL" --name "$CC_NAME" 2>/dev/null |
		sed -n 's/.*Sequence: \([0-9]*\),.*/\1/p'
}

# cc_answers ORG: the chaincode answers on the org's peer (its metadata needs no registry).
cc_answers() {
	peer_cli "$1" chaincode query -C "$CHANNEL" -n "$CC_NAME" -c '{"Args":["org.hyperledger.fabric:GetMetadata"]}' >/dev/null
}

# registry_json: the registry InitRegistry seeds, from the network definition: every org with its
# kind, legal name and credit code; an account for every org's admin and named users.
registry_json() {
	local org u first=1 users
	printf '{"orgs":['
	for org in "${ORGS[@]}"; do
		[ $first -eq 1 ] || printf ','
		first=0
		printf '{"mspId":%s,"kind":%s,"name":%s,"creditCode":%s}' "$(json_str "${MSP[$org]}")" \
			"$(json_str "${ORG_KIND[$org]}")" "$(json_str "${ORG_LEGAL_NAME[$org]}")" "$(json_str "${ORG_CREDIT_CODE[$org]}")"
	done
	printf '],"accounts":['
	first=1
	for org in "${ORGS[@]}"; do
		users="admin:admin ${USERS[$org]}"
		for u in $users; do
			[ $first -eq 1 ] || printf ','
			first=0
			printf '{"mspId":%s,"user":%s,"role":%s}' "$(json_str "${MSP[$org]}")" "$(json_str "${u%%:*}")" "$(json_str "${u#*:}")"
		done
	done
	printf ']}\n'
}

# registry_seeded ORG: the chaincode on the org's peer admits the org's admin, so the registry exists.
registry_seeded() {
	peer_cli "$1" chaincode query -C "$CHANNEL" -n "$CC_NAME" -c '{"Args":["GetOrg","CoreMSP"]}' >/dev/null 2>&1
}

# seed_registry: InitRegistry as the core enterprise's admin, endorsed as the chaincode's policy
# asks (the core enterprise and a holder-side org), once: a seeded registry changes only through
# proposals that a majority approves.
seed_registry() {
	registry_seeded core && return 0
	local args
	args='{"Args":["InitRegistry",'$(json_str "$(registry_json)")']}'
	# shellcheck disable=SC2046
	peer_cli core chaincode invoke $(orderer_flags core) -C "$CHANNEL" -n "$CC_NAME" \
		--peerAddresses "$(addr host peer0.core)" --tlsRootCertFiles "$(ca_cert core)" \
		--peerAddresses "$(addr host peer0.supplier)" --tlsRootCertFiles "$(ca_cert supplier)" \
		--waitForEvent --waitForEventTimeout 60s -c "$args" >>"$NET/logs/deploy.core.log" 2>&1 ||
		{ tail -n 20 "$NET/logs/deploy.core.log" >&2; return 1; }
	local org
	for org in "${ORGS[@]}"; do
		wait_until "the registry on peer0.$org" "$CC_SERVER.$org" "$READY_TIMEOUT" registry_seeded "$org"
	done
}

# cc_package_ids: loads CC_PACKAGE_IDS (ORG -> package id) of the deployed definition.
declare -A CC_PACKAGE_IDS=()
cc_package_ids() {
	local org
	for org in "${ORGS[@]}"; do CC_PACKAGE_IDS[$org]=$(cc_state "package_id.$org"); done
}

# deploy_chaincode SEQUENCE: package (one per org), install, serve, approve, commit and check
# SEQUENCE (the chaincode servers are the backend's nodes CC_SERVER.ORG, each started with its
# org's package id CC_PACKAGE_IDS[ORG]).
deploy_chaincode() {
	local sequence=$1 version label org
	version=$sequence
	# The first definition of a seeded chaincode names the registry's SHA-256 in its version: every
	# organisation approves it, and InitRegistry seeds only that registry (no member's admin can
	# seed another one between the commit and seed_registry).
	if [ "$CC_SEED" = true ] && [ "$sequence" = 1 ]; then
		version="1+seed.$(printf '%s' "$(registry_json)" | sha256sum | cut -c1-64)"
	fi
	label="${CC_NAME}_v$sequence"
	# An upgrade of running servers hands over without a failed call (native backend:
	# cc_handover_*): the next servers listen on the other port slot, which the packages name.
	local handover=false CC_SLOT=${CC_SLOT:-}
	if [ "$sequence" -gt 1 ] && [ "$CC_SERVER" = chaincode ] && declare -F cc_handover_start >/dev/null && cc_servers_running; then
		handover=true CC_SLOT=$((1 - $(cc_slot)))
	fi
	for org in "${ORGS[@]}"; do
		CC_PACKAGE_IDS[$org]=$(package_chaincode "$label" "$org")
		say "    package of $org: ${CC_PACKAGE_IDS[$org]}"
	done
	per_org deploy "installing the chaincode" "${ORGS[*]}" install_one "$label"
	if [ $handover = true ]; then
		say "    next servers beside the running ones (port slot $CC_SLOT), the peers switch at the commit"
		cc_handover_start
	else
		# shellcheck disable=SC2046
		start_and_wait $(cc_servers)
	fi
	[ "$CC_COLLECTIONS" != true ] || collections_json >"$(CC_DIR)/collections.json"
	per_org deploy "approving the definition" "${ORGS[*]}" approve_one "$version" "$sequence"
	commit_definition "$version" "$sequence"
	# The commit waited for the definition's block on every peer it names (all five).
	local committed
	committed=$(committed_sequence core)
	[ "$committed" = "$sequence" ] || die "peer0.core reports sequence '$committed' after committing $sequence"
	# Committed: the state folder records the definition in force at once (a later wait that fails
	# leaves it true), and every peer now runs the new packages, so an upgrade's old servers serve
	# nobody: the handover finishes here, whatever follows.
	echo "$sequence" >"$(CC_DIR)/sequence"
	echo "$version" >"$(CC_DIR)/version"
	echo "$label" >"$(CC_DIR)/label"
	for org in "${ORGS[@]}"; do echo "${CC_PACKAGE_IDS[$org]}" >"$(CC_DIR)/package_id.$org"; done
	echo "$CC_POLICY" >"$(CC_DIR)/policy"
	[ $handover = false ] || cc_handover_finish
	for org in "${ORGS[@]}"; do
		wait_until "chaincode sequence $sequence to answer on peer0.$org" "$CC_SERVER.$org" "$READY_TIMEOUT" cc_answers "$org"
	done
	[ "$CC_SEED" != true ] || seed_registry
}

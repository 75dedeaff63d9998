#!/usr/bin/env bash
# The recv network with docker compose: the native network's topology (a CA per org, 3 Raft
# orderers, 5 peers, the chaincode as a service, a gateway per org) in containers on one private
# network, from images built here (never pulled). Compose file: network/docker/compose.yaml.
#
#   docker.sh images            build the images (only those whose inputs changed), tag :VERSION
#   docker.sh up                images, CAs, identities, orderers, peers, channel, chaincode, gateways
#   docker.sh down              remove the project's containers, networks and volumes, and its state
#   docker.sh status            each container: state, health, block height
#   docker.sh logs NODE [-f]    a container's log (NODE: ca.core, orderer1, peer0.bank1, chaincode, gateway.core, ...)
#   docker.sh env ORG [USER]    shell exports for the peer CLI on this host as that identity (default admin)
#   docker.sh compose ARGS...   docker compose with this network's project, file and settings
#
# Environment: RECV_DOCKER_DIR (state on the host, default .recv-docker), RECV_DOCKER_PROJECT
# (compose project name, default recv), RECV_DOCKER_PORT_OFFSET (added to the native default ports
# for what is published on 127.0.0.1, default 2000), RECV_COMPOSE (the compose command, default
# `docker compose` when present, else docker-compose), RECV_READY_TIMEOUT, RECV_BATCH_TIMEOUT,
# RECV_BATCH_MAX_MESSAGES, RECV_CC_POLICY, RECV_TLS_EXTRA_HOSTS as for network.sh.
# See docs/network.md, "The compose network".
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# The compose network has its own state folder and ports: never those of a native network
# that the caller's RECV_NET_DIR / RECV_PORT_OFFSET may name.
RECV_NET_DIR=$(realpath -m "${RECV_DOCKER_DIR:-$here/../.recv-docker}")
# The compose project and port offset a state folder was made with are recorded in its env file,
# so that later commands on that folder (status, down, a sweep after a killed test) need only
# RECV_DOCKER_DIR; asking for other values than the recorded ones is an error.
recorded() { sed -n "s/^$1=//p" "$RECV_NET_DIR/compose.env" 2>/dev/null || true; }
RECORDED_PROJECT=$(recorded COMPOSE_PROJECT_NAME)
RECORDED_OFFSET=$(recorded RECV_DOCKER_PORT_OFFSET)
PROJECT=${RECV_DOCKER_PROJECT:-${RECORDED_PROJECT:-recv}}
RECV_PORT_OFFSET=${RECV_DOCKER_PORT_OFFSET:-${RECORDED_OFFSET:-2000}}
[[ $PROJECT =~ ^[a-z0-9][a-z0-9_-]*$ ]] || { echo "docker: RECV_DOCKER_PROJECT=$PROJECT: use lower-case letters, digits, - and _" >&2; exit 2; }
[[ $RECV_PORT_OFFSET =~ ^[0-9]+$ ]] || { echo "docker: RECV_DOCKER_PORT_OFFSET=$RECV_PORT_OFFSET is not a number" >&2; exit 2; }
if [ -n "$RECORDED_PROJECT" ] && [ "$RECORDED_PROJECT" != "$PROJECT" ]; then
	echo "docker: $RECV_NET_DIR belongs to the compose project $RECORDED_PROJECT, not $PROJECT (RECV_DOCKER_PROJECT)" >&2
	exit 1
fi
if [ -n "$RECORDED_OFFSET" ] && [ "$RECORDED_OFFSET" != "$RECV_PORT_OFFSET" ]; then
	echo "docker: $RECV_NET_DIR was made with RECV_DOCKER_PORT_OFFSET=$RECORDED_OFFSET, not $RECV_PORT_OFFSET" >&2
	exit 1
fi
# Peers reach the chaincode server by its container name; mutual TLS as natively; peers and
# orderers do not require client certificates (RECV_CLIENT_AUTH is a native-only option).
RECV_CC_ADDRESS=chaincode.recv.local:7900
RECV_CC_TLS=true
RECV_CLIENT_AUTH=false
export RECV_NET_DIR RECV_PORT_OFFSET RECV_CC_ADDRESS RECV_CC_TLS RECV_CLIENT_AUTH
unset RECV_CC_BIN

lib=$here/lib
# shellcheck source=lib/net-common.sh
. "$lib/net-common.sh"
# shellcheck source=lib/net-crypto.sh
. "$lib/net-crypto.sh"
# shellcheck source=lib/net-nodes.sh
. "$lib/net-nodes.sh"
# shellcheck source=lib/net-chaincode.sh
. "$lib/net-chaincode.sh"
# shellcheck source=lib/net-json.sh
. "$lib/net-json.sh"

DOCKER_DIR=$ROOT/network/docker
COMPOSE_FILE=$DOCKER_DIR/compose.yaml
VERSION=$(tr -d ' \n' <"$DOCKER_DIR/VERSION")
IMAGES=(ca orderer peer chaincode gateway)
STATIC=$BIN/static
ENV_FILE=$NET/compose.env
MARKER=.recv-docker-state

usage() {
	sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
	exit 2
}

# ---------------------------------------------------------------------------------------------
# Names, ports and the channel's view of the nodes

# in_port FN ARG: the port FN gives without the offset: the port inside the container.
in_port() {
	local OFFSET=0
	"$@"
}

# The channel configuration names the containers (net-nodes.sh, create_channel).
channel_orderer_host() { orderer_host "$1"; }
channel_orderer_port() { in_port orderer_port "$1"; }
channel_peer_host() { peer_host "$1"; }
channel_peer_port() { in_port peer_port "$1"; }

# services: every compose service in start order.
services() {
	local o
	for o in orderer "${ORGS[@]}"; do echo "ca.$o"; done
	for o in "${ORDERERS[@]}"; do echo "$o"; done
	for o in "${ORGS[@]}"; do echo "peer0.$o"; done
	echo chaincode
	for o in "${ORGS[@]}"; do echo "gateway.$o"; done
}

# ---------------------------------------------------------------------------------------------
# Compose

COMPOSE=()
find_compose() {
	[ ${#COMPOSE[@]} -eq 0 ] || return 0
	if [ -n "${RECV_COMPOSE:-}" ]; then
		read -r -a COMPOSE <<<"$RECV_COMPOSE"
	elif docker compose version >/dev/null 2>&1; then
		COMPOSE=(docker compose)
	elif command -v docker-compose >/dev/null 2>&1; then
		COMPOSE=(docker-compose)
	else
		die "neither 'docker compose' nor docker-compose is installed"
	fi
}

# write_env [FILE]: the variables compose.yaml takes: state folder, image version, user, ports,
# chaincode package id. Every compose call uses the same values, so compose never recreates a
# container whose configuration did not change.
write_env() {
	local out=${1:-$ENV_FILE} org o up
	{
		echo "# Written by scripts/docker.sh: the variables of network/docker/compose.yaml."
		echo "COMPOSE_PROJECT_NAME=$PROJECT"
		echo "RECV_DOCKER_PORT_OFFSET=$OFFSET"
		echo "RECV_DOCKER_DIR=$NET"
		echo "RECV_VERSION=$VERSION"
		echo "RECV_UID=$(id -u)"
		echo "RECV_GID=$(id -g)"
		echo "RECV_CC_PACKAGE_ID=$(cc_state package_id not-deployed)"
		for org in orderer "${ORGS[@]}"; do echo "RECV_PORT_CA_${org^^}=$(ca_port "$org")"; done
		for o in "${ORDERERS[@]}"; do
			up=${o^^}
			echo "RECV_PORT_$up=$(orderer_port "$o")"
			echo "RECV_PORT_${up}_ADMIN=$(orderer_admin_port "$o")"
			echo "RECV_PORT_${up}_OPS=$(orderer_ops_port "$o")"
		done
		for org in "${ORGS[@]}"; do
			echo "RECV_PORT_PEER_${org^^}=$(peer_port "$org")"
			echo "RECV_PORT_PEER_${org^^}_OPS=$(peer_ops_port "$org")"
			echo "RECV_PORT_GATEWAY_${org^^}=$(gateway_port "$org")"
		done
	} >"$out"
}

# compose ARGS...: compose with this network's project, file and env file. When the state folder
# is gone (down after a partial run), a temporary env file with the same names serves.
compose() {
	find_compose
	local env=$ENV_FILE tmp=""
	if [ ! -f "$env" ]; then
		tmp=$(mktemp)
		write_env "$tmp"
		env=$tmp
	fi
	local rc=0
	"${COMPOSE[@]}" --env-file "$env" -p "$PROJECT" -f "$COMPOSE_FILE" "$@" || rc=$?
	[ -z "$tmp" ] || rm -f "$tmp"
	return $rc
}

# project_containers [SERVICE]: "service id" of the project's containers (of one service), by the
# labels both compose versions set; much quicker than a compose call.
project_containers() {
	local filter=(--filter "label=com.docker.compose.project=$PROJECT")
	[ -z "${1:-}" ] || filter+=(--filter "label=com.docker.compose.service=$1")
	docker ps -a "${filter[@]}" --format '{{.Label "com.docker.compose.service"}} {{.ID}}'
}

# cid SERVICE: the service's container id (empty when it has none).
cid() { project_containers "$1" | awk 'NR == 1 { print $2 }'; }

# container_state SERVICE: "<status> <health>", e.g. "running healthy", or "absent -".
container_state() {
	local id
	id=$(cid "$1")
	[ -n "$id" ] || { echo "absent -"; return; }
	docker inspect -f '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}-{{end}}' "$id" 2>/dev/null ||
		echo "absent -"
}

running() { [ "$(container_state "$1" | cut -d' ' -f1)" = running ]; }

# wait_service DESCRIPTION SERVICE TIMEOUT CMD...: polls CMD every 0.2 s; fails early when the
# service's container stopped, and shows its log.
wait_service() {
	local what=$1 svc=$2 timeout=$3
	shift 3
	local deadline=$((SECONDS + timeout))
	until "$@" >/dev/null 2>&1; do
		if ! running "$svc"; then
			say "$svc is not running while waiting for $what; its last log lines:" >&2
			compose logs --no-color --tail 30 "$svc" >&2 || true
			return 1
		fi
		if [ $SECONDS -ge $deadline ]; then
			say "timed out after ${timeout}s waiting for $what; last log lines of $svc:" >&2
			compose logs --no-color --tail 30 "$svc" >&2 || true
			return 1
		fi
		sleep 0.2
	done
}

# ---------------------------------------------------------------------------------------------
# Images

# build_static: the binaries the images need beyond bin/: the CA server linked statically (it
# needs cgo for sqlite), the gateway/CLI and the tools (probe, ccaas builder) with CGO_ENABLED=0.
build_static() {
	mkdir -p "$STATIC"
	(
		exec 8>"$STATIC/.build.lock"
		flock 8
		local ca_mod=$ROOT/scripts/fabric-bin/ca want have
		local tags=netgo,osusergo,sqlite_omit_load_extension
		local ldflags="-s -w -linkmode external -extldflags -static -X github.com/hyperledger/fabric-ca/lib/metadata.Version=1.5.15"
		want="$(cat "$ca_mod/go.mod" "$ca_mod/go.sum" | sha256sum | cut -c1-16) $(go env GOVERSION) $tags"
		have=$(cat "$STATIC/.ca.stamp" 2>/dev/null || true)
		if [ "$want" != "$have" ] || [ ! -x "$STATIC/fabric-ca-server" ]; then
			command -v gcc >/dev/null 2>&1 || apt-get install -y gcc libc6-dev >/dev/null
			say "    static fabric-ca-server (cgo, -extldflags -static): building, about a minute"
			(cd "$ca_mod" && GOWORK=off CGO_ENABLED=1 go build -trimpath -tags "$tags" -ldflags "$ldflags" \
				-o "$STATIC/" github.com/hyperledger/fabric-ca/cmd/fabric-ca-server)
			echo "$want" >"$STATIC/.ca.stamp"
		fi
		# Incremental: quick when nothing changed, and the outputs are reproducible (-trimpath).
		(cd "$ROOT/gateway" && GOWORK=off CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$STATIC/recv" ./cmd/recv)
		(cd "$DOCKER_DIR/tools" && GOWORK=off CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$STATIC/" \
			./cmd/probe ./cmd/ccaas-builder)
	)
}

# image_files NAME: "source path" of the binaries in the image's root file system.
image_files() {
	echo "$STATIC/probe usr/local/bin/probe"
	case $1 in
	ca) echo "$STATIC/fabric-ca-server usr/local/bin/fabric-ca-server" ;;
	orderer) echo "$BIN/orderer usr/local/bin/orderer" ;;
	peer)
		echo "$BIN/peer usr/local/bin/peer"
		local step
		for step in detect build release; do echo "$STATIC/ccaas-builder opt/recv/builder/bin/$step"; done
		;;
	chaincode) echo "$BIN/receivables-cc usr/local/bin/receivables-cc" ;;
	gateway) echo "$STATIC/recv usr/local/bin/recv" ;;
	esac
}

# image_dirs NAME: "mode path" of the folders of the image's root file system: /tmp (the peer's
# external builder and Go's temporary files need it) and the data folder, writable by any user
# (the containers run as the invoking user's id; a new named volume takes the folder's mode).
image_dirs() {
	echo "1777 tmp"
	case $1 in
	ca) echo "0777 var/hyperledger/fabric-ca-server" ;;
	orderer) echo "0777 var/hyperledger/production/orderer" ;;
	peer)
		echo "0777 var/hyperledger/production"
		echo "0755 etc/hyperledger/fabric"
		;;
	gateway) echo "0777 var/recv/gateway" ;;
	esac
}

# stage_context NAME DIR: the build context: the Dockerfile and rootfs/ (the folders and the
# binaries, hard links to bin/ where possible), copied by one COPY into one layer.
stage_context() {
	local name=$1 ctx=$2 src dst mode dir
	rm -rf "$ctx"
	mkdir -p "$ctx/rootfs"
	cp "$DOCKER_DIR/images/$name.Dockerfile" "$ctx/Dockerfile"
	while read -r src dst; do
		[ -x "$src" ] || die "image $name: $src is missing"
		mkdir -p "$ctx/rootfs/$(dirname "$dst")"
		ln "$src" "$ctx/rootfs/$dst" 2>/dev/null || cp "$src" "$ctx/rootfs/$dst"
	done < <(image_files "$name")
	while read -r mode dir; do
		mkdir -p "$ctx/rootfs/$dir"
		chmod "$mode" "$ctx/rootfs/$dir"
	done < <(image_dirs "$name")
}

# context_hash DIR: a hash of every path, mode and file content of the build context.
context_hash() {
	(
		cd "$1"
		find . -printf '%p %m %y\n' | LC_ALL=C sort
		find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
	) | sha256sum | cut -c1-32
}

image_ref() { echo "recv/$1:$VERSION"; }

# build_image NAME: builds recv/NAME:VERSION unless an image with the same inputs exists.
build_image() {
	local name=$1 ctx=$STATIC/context/$1 ref hash have old
	ref=$(image_ref "$name")
	stage_context "$name" "$ctx"
	hash=$(context_hash "$ctx")
	have=$(docker image inspect -f '{{index .Config.Labels "recv.inputs"}}' "$ref" 2>/dev/null || true)
	if [ "$have" = "$hash" ]; then
		say "    $ref: up to date"
		return 0
	fi
	old=$(docker image inspect -f '{{.Id}}' "$ref" 2>/dev/null || true)
	local t0=$SECONDS
	if ! docker build --pull=false --build-arg "VERSION=$VERSION" --build-arg "INPUTS=$hash" -t "$ref" "$ctx" \
		>"$ctx.log" 2>&1; then
		tail -n 30 "$ctx.log" >&2
		die "docker build of $ref failed (log: $ctx.log)"
	fi
	say "    $ref: built in $((SECONDS - t0))s ($(docker image inspect -f '{{.Size}}' "$ref" | awk '{ printf "%.0f MB", $1 / 1e6 }'))"
	# The previous build of this tag, now untagged: removed unless a container still uses it
	# (then `down` removes it).
	if [ -n "$old" ] && [ "$old" != "$(docker image inspect -f '{{.Id}}' "$ref")" ]; then
		docker image rm "$old" >/dev/null 2>&1 || true
	fi
}

# prune_old_images: removes untagged earlier builds of the recv images (only images with this
# script's recv.inputs label) that no container uses any more.
prune_old_images() { docker image prune -f --filter label=recv.inputs >/dev/null 2>&1 || true; }

cmd_images() {
	command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1 || die "no Docker engine (docker info fails)"
	step "images: binaries (pinned Fabric, static CA, chaincode, gateway, tools)"
	"$ROOT/scripts/fabric-bin/build.sh" fabric
	"$ROOT/scripts/fabric-bin/build.sh" ca
	"$ROOT/scripts/fabric-bin/build.sh" chaincode
	[ -x "$BIN/receivables-cc" ] || die "no chaincode server at $BIN/receivables-cc"
	build_static
	step_done
	step "images: recv/{${IMAGES[*]}}:$VERSION (FROM scratch, built only when their inputs changed)"
	# One build at a time (make images, a test suite's up): they share bin/static/context/.
	(
		flock 7
		local name
		for name in "${IMAGES[@]}"; do build_image "$name"; done
	) 7>"$STATIC/.images.lock"
	step_done
}

# ---------------------------------------------------------------------------------------------
# Configuration inside the containers

# write_orderer_config O: orderer.yaml as the container sees it (node files under /etc/recv/node).
write_orderer_config() {
	local o=$1 dir
	dir=$(org_dir orderer)/$o
	local ORDERER_LISTEN_HOST=0.0.0.0 ORDERER_PORT TLS_KEY=/etc/recv/node/tls/key.pem
	local TLS_CERT=/etc/recv/node/tls/cert.pem TLS_CA=/etc/recv/node/tls/ca.pem
	local TLS_ROOT_BUNDLE=/etc/recv/tls-bundle.pem MSP_DIR=/etc/recv/node/msp MSP_ID=OrdererMSP
	local ORDERER_DATA=/var/hyperledger/production/orderer OPS_LISTEN ADMIN_LISTEN
	ORDERER_PORT=$(in_port orderer_port "$o")
	OPS_LISTEN=0.0.0.0:$(in_port orderer_ops_port "$o")
	ADMIN_LISTEN=0.0.0.0:$(in_port orderer_admin_port "$o")
	mkdir -p "$dir/container"
	render "$TEMPLATES/orderer.yaml" "$dir/container/orderer.yaml" ORDERER_LISTEN_HOST ORDERER_PORT TLS_KEY \
		TLS_CERT TLS_CA TLS_ROOT_BUNDLE MSP_DIR MSP_ID ORDERER_DATA OPS_LISTEN ADMIN_LISTEN CLIENT_AUTH
}

# write_peer_config ORG VIEW: core.yaml for the container (VIEW container: peer0/container/) or
# for the peer CLI on this host (VIEW host: peer0/config/, the FABRIC_CFG_PATH of peer_cli).
write_peer_config() {
	local org=$1 view=$2 dir host_builder=$BUILDER_DIR
	dir=$(org_dir "$org")/peer0
	local PEER_ID PEER_LISTEN PEER_ADDRESS PEER_CC_LISTEN PEER_CC_ADDRESS GOSSIP_BOOTSTRAP GOSSIP_EXTERNAL
	local TLS_CERT TLS_KEY TLS_ROOT_BUNDLE PEER_DATA MSP_DIR MSP_ID=${MSP[$org]} OPS_LISTEN BUILDER_DIR out
	PEER_ID=$(peer_host "$org")
	PEER_ADDRESS=$(peer_host "$org"):$(in_port peer_port "$org")
	PEER_CC_ADDRESS=$(peer_host "$org"):$(in_port peer_cc_port "$org")
	GOSSIP_BOOTSTRAP=$PEER_ADDRESS
	GOSSIP_EXTERNAL=$PEER_ADDRESS
	if [ "$view" = container ]; then
		PEER_LISTEN=0.0.0.0:$(in_port peer_port "$org")
		PEER_CC_LISTEN=0.0.0.0:$(in_port peer_cc_port "$org")
		TLS_CERT=/etc/recv/node/tls/cert.pem TLS_KEY=/etc/recv/node/tls/key.pem
		TLS_ROOT_BUNDLE=/etc/recv/tls-bundle.pem PEER_DATA=/var/hyperledger/production
		MSP_DIR=/etc/recv/node/msp OPS_LISTEN=0.0.0.0:$(in_port peer_ops_port "$org")
		BUILDER_DIR=/opt/recv/builder
		out=$dir/container
	else
		PEER_LISTEN=$HOST:$(peer_port "$org")
		PEER_CC_LISTEN=$HOST:$(peer_cc_port "$org")
		TLS_CERT=$dir/tls/cert.pem TLS_KEY=$dir/tls/key.pem TLS_ROOT_BUNDLE=$(tls_bundle)
		PEER_DATA=$dir/cli-data MSP_DIR=$dir/msp OPS_LISTEN=$HOST:$(peer_ops_port "$org")
		BUILDER_DIR=$host_builder
		out=$dir/config
	fi
	mkdir -p "$out"
	render "$TEMPLATES/core.yaml" "$out/core.yaml" PEER_ID PEER_LISTEN PEER_ADDRESS PEER_CC_LISTEN \
		PEER_CC_ADDRESS GOSSIP_BOOTSTRAP GOSSIP_EXTERNAL TLS_CERT TLS_KEY TLS_ROOT_BUNDLE PEER_DATA MSP_DIR \
		MSP_ID OPS_LISTEN BUILDER_DIR CLIENT_AUTH
}

# write_gateway_json ORG: the network.json a gateway container reads: its org only, with the
# paths and addresses it sees (peer, CA and users by container name and mount point).
write_gateway_json() {
	local org=$1 dir u first=1
	dir=$(org_dir "$org")/gateway
	mkdir -p "$dir"
	local ca=/etc/recv/org/ca-cert.pem
	{
		printf '{\n  "channel": %s, "chaincode": %s,\n  "orderers": [],\n  "orgs": {\n' \
			"$(json_str "$CHANNEL")" "$(json_str "$CC_NAME")"
		printf '    %s: {\n      "name": %s,\n' "$(json_str "${MSP[$org]}")" "$(json_str "$org")"
		printf '      "peer": {"name": %s, "address": %s, "serverName": %s, "tlsCACert": %s, "operations": %s},\n' \
			"$(json_str "peer0.$org")" "$(json_str "$(peer_host "$org"):$(in_port peer_port "$org")")" \
			"$(json_str "$(peer_host "$org")")" "$(json_str "$ca")" \
			"$(json_str "$(peer_host "$org"):$(in_port peer_ops_port "$org")")"
		printf '      "ca": {"url": %s, "name": %s, "tlsCACert": %s, "adminCert": %s, "adminKey": %s},\n' \
			"$(json_str "https://ca.$org.$DOMAIN:$(in_port ca_port "$org")")" "$(json_str "ca.$org")" "$(json_str "$ca")" \
			"$(json_str /etc/recv/org/registrar/msp/signcerts/cert.pem)" "$(json_str /etc/recv/org/registrar/msp/keystore/key.pem)"
		printf '      "gateway": {"address": %s},\n      "users": {' "$(json_str "0.0.0.0:$(in_port gateway_port "$org")")"
		for u in ${USERS[$org]} admin:admin; do
			[ $first -eq 1 ] || printf ','
			first=0
			printf '\n        %s: {"role": %s, "cert": %s, "key": %s}' "$(json_str "${u%%:*}")" "$(json_str "${u#*:}")" \
				"$(json_str "/etc/recv/org/users/${u%%:*}/msp/signcerts/cert.pem")" \
				"$(json_str "/etc/recv/org/users/${u%%:*}/msp/keystore/key.pem")"
		done
		printf '\n      }\n    }\n  }\n}\n'
	} >"$dir/network.json"
}

# ---------------------------------------------------------------------------------------------
# Steps of `up`

# fetch_ca_cert ORG: copies the CA's self-signed root out of its container (the root every
# client of the org trusts) and checks the CA answers over TLS with it.
fetch_ca_cert() {
	local org=$1 id
	id=$(cid "ca.$org")
	[ -n "$id" ] || return 1
	mkdir -p "$(org_dir "$org")/ca"
	docker cp "$id:/var/hyperledger/fabric-ca-server/ca-cert.pem" "$(ca_cert "$org")" >/dev/null 2>&1 || return 1
	ca_ready "$org"
}

start_cas() {
	local org svcs=()
	for org in orderer "${ORGS[@]}"; do
		write_ca_config "$org" 0.0.0.0 "$(in_port ca_port "$org")" "0.0.0.0:$(in_port ca_ops_port "$org")"
		svcs+=("ca.$org")
	done
	compose up -d --no-deps "${svcs[@]}" >>"$NET/logs/compose.log" 2>&1 || { tail -n 20 "$NET/logs/compose.log" >&2; return 1; }
	for org in orderer "${ORGS[@]}"; do
		wait_service "ca.$org to serve" "ca.$org" "$READY_TIMEOUT" fetch_ca_cert "$org"
	done
	say "    CAs ready in $((SECONDS - STEP_STARTED))s"
}

start_nodes_docker() {
	local o org svcs=()
	for o in "${ORDERERS[@]}"; do
		write_orderer_config "$o"
		svcs+=("$o")
	done
	for org in "${ORGS[@]}"; do
		write_peer_config "$org" container
		write_peer_config "$org" host
		svcs+=("peer0.$org")
	done
	compose up -d --no-deps "${svcs[@]}" >>"$NET/logs/compose.log" 2>&1 || { tail -n 20 "$NET/logs/compose.log" >&2; return 1; }
	for o in "${ORDERERS[@]}"; do
		wait_service "$o /healthz" "$o" "$READY_TIMEOUT" orderer_healthy "$o"
	done
	for org in "${ORGS[@]}"; do
		wait_service "peer0.$org /healthz" "peer0.$org" "$READY_TIMEOUT" peer_healthy "$org"
	done
}

# deploy_docker: the chaincode as natively (deterministic package, install everywhere, approve
# by every org, commit), served by the chaincode container with the package id.
deploy_docker() {
	local sequence=1 version=1 label pkg_id org
	label="${CC_NAME}_v$version"
	pkg_id=$(package_chaincode "$label")
	say "    package $pkg_id"
	install_everywhere "$(CC_DIR)/$label.tar.gz" "$pkg_id"
	echo "$pkg_id" >"$(CC_DIR)/package_id"
	write_env
	compose up -d --no-deps chaincode >>"$NET/logs/compose.log" 2>&1 || { tail -n 20 "$NET/logs/compose.log" >&2; return 1; }
	approve_everywhere "$version" "$sequence" "$pkg_id"
	commit_definition "$version" "$sequence"
	local committed
	committed=$(committed_sequence core)
	[ "$committed" = "$sequence" ] || die "peer0.core reports sequence '$committed' after committing $sequence"
	for org in "${ORGS[@]}"; do
		wait_service "chaincode sequence $sequence to answer on peer0.$org" chaincode "$READY_TIMEOUT" cc_answers "$org"
	done
	echo "$sequence" >"$(CC_DIR)/sequence"
	echo "$version" >"$(CC_DIR)/version"
	echo "$label" >"$(CC_DIR)/label"
}

gateway_ready() { curl -fsS --max-time 3 "http://$HOST:$(gateway_port "$1")/readyz" >/dev/null 2>&1; }

start_gateways() {
	local org svcs=()
	for org in "${ORGS[@]}"; do
		write_gateway_json "$org"
		mkdir -p "$NET/gateways/$org"
		chmod 700 "$NET/gateways/$org"
		svcs+=("gateway.$org")
	done
	compose up -d --no-deps "${svcs[@]}" >>"$NET/logs/compose.log" 2>&1 || { tail -n 20 "$NET/logs/compose.log" >&2; return 1; }
	for org in "${ORGS[@]}"; do
		wait_service "gateway.$org /readyz" "gateway.$org" "$READY_TIMEOUT" gateway_ready "$org"
	done
	wait_until "every container's Docker health check to pass" "" "$READY_TIMEOUT" all_docker_healthy ||
		{ states >&2; return 1; }
}

# states: "service status health" of every container of the project, in one docker call.
states() {
	project_containers | awk '{ print $2 }' | xargs -r docker inspect -f \
		'{{index .Config.Labels "com.docker.compose.service"}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}-{{end}}' 2>/dev/null
}

# all_docker_healthy: every service's container runs and Docker's health check passed (what
# `status` shows; a container's first check runs one interval after its start).
all_docker_healthy() {
	local -A st=()
	local svc state health
	while read -r svc state health; do st[$svc]="$state $health"; done < <(states)
	while read -r svc; do [ "${st[$svc]:-}" = "running healthy" ] || return 1; done < <(services)
}

# all_up: every container runs and every node answers (network.json written last by `up`).
all_up() {
	[ -f "$NET/network.json" ] && [ -n "$(cc_state sequence)" ] || return 1
	local svc o org
	while read -r svc; do running "$svc" || return 1; done < <(services)
	for org in orderer "${ORGS[@]}"; do ca_ready "$org" || return 1; done
	for o in "${ORDERERS[@]}"; do orderer_healthy "$o" || return 1; done
	for org in "${ORGS[@]}"; do peer_healthy "$org" && gateway_ready "$org" || return 1; done
}

# restart_stopped: when a complete network's containers all exist but some are stopped (compose
# stop, a reboot), starts them again: their ledgers are in the volumes. Fails when it is not such a
# network or it does not come back.
restart_stopped() {
	[ -f "$NET/network.json" ] && [ -n "$(cc_state sequence)" ] || return 1
	local svc
	local -A have=()
	while read -r svc _; do have[$svc]=1; done < <(project_containers)
	while read -r svc; do [ -n "${have[$svc]:-}" ] || return 1; done < <(services)
	say "starting the stopped containers of project $PROJECT (ledgers and CA databases kept in their volumes)"
	local t0=$SECONDS
	compose start >>"$NET/logs/compose.log" 2>&1 || return 1
	if wait_until "the restarted network to answer" "" "$READY_TIMEOUT" all_up &&
		wait_until "every container's Docker health check to pass" "" "$READY_TIMEOUT" all_docker_healthy; then
		say "compose network up again in $((SECONDS - t0))s ($NET/network.json)"
		return 0
	fi
	say "the restarted network does not answer"
	return 1
}

check_state_dir() {
	if [ -e "$NET" ] && [ ! -e "$NET/$MARKER" ] && [ -n "$(ls -A "$NET" 2>/dev/null)" ]; then
		die "$NET exists and is not a recv docker state folder; refusing to touch it"
	fi
}

# on_up_exit: when `up` fails part way, say which step, keep the containers' logs in the state
# folder and remove the containers and volumes this run created.
on_up_exit() {
	local rc=$?
	[ $rc -eq 0 ] && return
	printf '\ndocker: step "%s" failed (exit %s)\n' "$STEP" "$rc" >&2
	if [ -d "$NET/logs" ]; then
		compose logs --no-color >"$NET/logs/containers.log" 2>&1 || true
		printf 'docker: container logs in %s/logs/containers.log; removing the containers\n' "$NET" >&2
	fi
	compose down -v --remove-orphans >/dev/null 2>&1 || true
	exit $rc
}

cmd_up() {
	check_state_dir
	command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1 || die "no Docker engine (docker info fails)"
	find_compose
	if [ -e "$NET/$MARKER" ] && all_up; then
		say "already up: every container runs and answers ($NET/network.json); 'docker.sh down' first to start afresh"
		return 0
	fi
	if [ -e "$NET/$MARKER" ] && restart_stopped; then
		return 0
	fi
	if [ -e "$NET/$MARKER" ] || [ -n "$(project_containers)" ]; then
		say "a previous compose network ($PROJECT, $NET) is incomplete: removing it and starting afresh"
		cmd_down
	fi
	ensure_tool envsubst gettext-base
	ensure_tool curl curl
	cmd_images

	trap on_up_exit EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	local t0=$SECONDS
	mkdir -p "$NET/logs"
	touch "$NET/$MARKER"
	write_env

	step "certificate authorities (6 containers) and identities, enrolled from this host"
	start_cas
	enroll_orgs
	step_done

	step "orderers (3 x Raft) and peers (5 orgs) in containers"
	start_nodes_docker
	step_done

	step "channel $CHANNEL: genesis block naming the containers, orderers join (osnadmin), peers join"
	create_channel
	step_done

	step "chaincode $CC_NAME: package, install, serve (container), approve x5, commit"
	deploy_docker
	step_done

	step "gossip: every peer sees the other orgs' peers (discovery can plan endorsements)"
	local org
	for org in "${ORGS[@]}"; do
		wait_service "peer0.$org to know the other peers" "peer0.$org" "$READY_TIMEOUT" gossip_complete "$org"
	done
	step_done

	step "gateways (one per org), Docker health checks"
	start_gateways
	step_done

	write_network_json
	trap - EXIT INT TERM
	say ""
	say "compose network up in $((SECONDS - t0))s (images ready; whole command $((SECONDS - RUN_STARTED))s), project $PROJECT"
	say "network.json: $NET/network.json; CLI: RECV_NET_DIR=$NET bin/recv --as SupplierMSP/supplier-a list --holder SupplierMSP/supplier-a"
}

cmd_down() {
	check_state_dir
	if ! command -v docker >/dev/null 2>&1 || ! docker info >/dev/null 2>&1; then
		[ -e "$NET" ] && rm -rf "$NET"
		say "no Docker engine; removed $NET"
		return 0
	fi
	compose down -v --remove-orphans --timeout 15 2>&1 | grep -v '^$' || true
	prune_old_images
	rm -rf "$NET"
	say "removed project $PROJECT (containers, network, volumes) and $NET"
}

cmd_status() {
	[ -e "$NET/$MARKER" ] || { say "no compose network in $NET"; return 1; }
	local svc state health height bad=0
	local -A st=()
	while read -r svc state health; do st[$svc]="$state $health"; done < <(states)
	printf '%-16s %-10s %-10s %s\n' NODE STATE HEALTH HEIGHT
	while read -r svc; do
		read -r state health <<<"${st[$svc]:-absent -}"
		height=-
		if [ "$state" = running ]; then
			case $svc in
			orderer[0-9]) height=$(orderer_height "$svc" || true) ;;
			peer0.*) height=$(peer_height "${svc#peer0.}" || true) ;;
			chaincode) height="seq $(cc_state sequence -)" ;;
			esac
		fi
		[ "$state" = running ] && [ "$health" = healthy ] || bad=1
		printf '%-16s %-10s %-10s %s\n' "$svc" "$state" "$health" "${height:--}"
	done < <(services)
	return $bad
}

cmd_logs() {
	local n=${1:-} follow=${2:-}
	[ -n "$n" ] || die "usage: docker.sh logs NODE [-f]; nodes: $(services | paste -sd' ')"
	if [ "$follow" = -f ]; then
		compose logs --no-color --tail 100 -f "$n"
	else
		compose logs --no-color "$n"
	fi
}

cmd_env() {
	local org=${1:-} user=${2:-admin} dir
	[ -n "$org" ] && [ -n "${MSP[$org]:-}" ] || die "usage: docker.sh env ORG [USER]; orgs: ${ORGS[*]}"
	dir=$(org_dir "$org")
	[ -d "$dir/users/$user/msp" ] || die "no identity $user in $org"
	cat <<EOF
export FABRIC_CFG_PATH=$dir/peer0/config
export CORE_PEER_LOCALMSPID=${MSP[$org]}
export CORE_PEER_MSPCONFIGPATH=$dir/users/$user/msp
export CORE_PEER_ADDRESS=$HOST:$(peer_port "$org")
export CORE_PEER_TLS_ENABLED=true
export CORE_PEER_TLS_ROOTCERT_FILE=$(ca_cert "$org")
export ORDERER_ADDRESS=$HOST:$(orderer_port orderer1)
export ORDERER_CA=$(ca_cert orderer)
export ORDERER_CLIENT_CERT=$dir/users/admin/tls/cert.pem
export ORDERER_CLIENT_KEY=$dir/users/admin/tls/key.pem
EOF
}

case ${1:-} in
images) cmd_images ;;
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
logs) cmd_logs "${2:-}" "${3:-}" ;;
env) cmd_env "${2:-}" "${3:-}" ;;
compose)
	shift
	compose "$@"
	;;
*) usage ;;
esac

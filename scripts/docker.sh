#!/usr/bin/env bash
# The recv network with docker compose: the native network's topology (a CA per org, 3 Raft
# orderers, 5 peers, the chaincode as a service, a gateway per org) in containers on one private
# network, from images built here (never pulled). Compose file: network/docker/compose.yaml.
#
#   docker.sh images            build the images (only those whose inputs changed), tag :VERSION
#   docker.sh up                images, CAs, identities, orderers, peers, channel, chaincode, gateways
#   docker.sh down              remove the project's containers, networks and volumes, and its state
#   docker.sh stop [NODE...]    stop the containers (or only NODEs), keep them and their volumes
#                               (ledgers, CA databases)
#   docker.sh start [NODE...]   start a stopped network's containers (or only NODEs) again and wait
#                               until they answer
#   docker.sh status            each container: state, health, block height
#   docker.sh logs NODE [-f]    a container's log (NODE: ca.core, orderer1, peer0.bank1, chaincode.bank1, gateway.core, ...)
#   docker.sh env ORG [USER]    shell exports for the peer CLI on this host as that identity (default admin)
#   docker.sh compose ARGS...   docker compose with this network's project, file and settings
#   docker.sh add-org NAME [LEGAL_NAME] [CREDIT_CODE]
#                               a bank joins the running compose network (as network.sh add-org): its
#                               CA, peer and gateway containers (compose.orgs.yaml in the state folder)
#   docker.sh revoke-user ORG NAME [REASON]
#                               revoke a user at its CA and on the channel (as network.sh revoke-user)
#   docker.sh renew gateway.ORG the gateway's HTTPS pair reissued by its CA and put in place; the
#                               running gateway serves it from its next handshake (no restart)
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
# Mutual TLS to the chaincode servers and on the peers' and orderers' main listeners, as natively
# by default; the chaincode servers are the image's (RECV_CC_BIN is a
# native-only option).
RECV_CC_TLS=true
RECV_CLIENT_AUTH=true
export RECV_NET_DIR RECV_PORT_OFFSET RECV_CC_TLS RECV_CLIENT_AUTH
unset RECV_CC_BIN

# shellcheck source=lib/net.sh
. "$here/lib/net.sh" compose

DOCKER_DIR=$ROOT/network/docker
VERSION=$(tr -d ' \n' <"$DOCKER_DIR/VERSION")
IMAGES=(ca orderer peer chaincode gateway)
STATIC=$BIN/static

have_docker() { command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; }

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
		local ldflags="-s -w -linkmode external -extldflags -static -X github.com/hyperledger/fabric-ca/lib/metadata.Version=1.5.21"
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
	have_docker || die "no Docker engine (docker info fails)"
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
# Commands

# start_gateways: a gateway container per org, each reading its own network.json.
start_gateways() {
	local org svcs=()
	for org in "${ORGS[@]}"; do
		write_network_json "$org"
		mkdir -p "$NET/gateways/$org"
		chmod 700 "$NET/gateways/$org"
		svcs+=("gateway.$org")
	done
	start_and_wait "${svcs[@]}"
	wait_until "every container's Docker health check to pass" "" "$READY_TIMEOUT" all_docker_healthy ||
		{ states >&2; return 1; }
}

# restart_stopped: when a complete network's containers all exist but some are stopped (compose
# stop, a reboot), starts them again: their ledgers are in the volumes. Fails when it is not such a
# network or it does not come back.
restart_stopped() {
	[ -f "$NET/network.json" ] && [ -n "$(cc_state sequence)" ] || return 1
	local svc
	local -A have=()
	while read -r svc _; do have[$svc]=1; done < <(project_containers)
	while read -r svc; do [ -n "${have[$svc]:-}" ] || return 1; done < <(nodes)
	say "starting the stopped containers of project $PROJECT (ledgers and CA databases kept in their volumes)"
	local t0=$SECONDS
	compose start >>"$NET/logs/compose.log" 2>&1 || return 1
	if wait_until "the restarted network to answer" "" "$READY_TIMEOUT" network_complete &&
		wait_until "every container's Docker health check to pass" "" "$READY_TIMEOUT" all_docker_healthy; then
		say "compose network up again in $((SECONDS - t0))s ($NET/network.json)"
		return 0
	fi
	say "the restarted network does not answer"
	return 1
}

cmd_up() {
	check_state_dir
	have_docker || die "no Docker engine (docker info fails)"
	find_compose
	if [ -e "$NET/$MARKER" ] && network_complete; then
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

	guard_up
	local t0=$SECONDS
	mkdir -p "$NET/logs"
	touch "$NET/$MARKER"
	write_env
	bring_up

	step "gateways (one per org), Docker health checks"
	start_gateways
	step_done

	write_network_json
	unguard_up
	say ""
	say "compose network up in $((SECONDS - t0))s (images ready; whole command $((SECONDS - RUN_STARTED))s), project $PROJECT"
	say "network.json: $NET/network.json; CLI: RECV_NET_DIR=$NET bin/recv --as SupplierMSP/supplier-a list --holder SupplierMSP/supplier-a"
}

cmd_down() {
	check_state_dir
	if ! have_docker; then
		[ -e "$NET" ] && rm -rf "$NET"
		say "no Docker engine; removed $NET"
		return 0
	fi
	compose down -v --remove-orphans --timeout 15 2>&1 | grep -v '^$' || true
	prune_old_images
	rm -rf "$NET"
	say "removed project $PROJECT (containers, network, volumes) and $NET"
}

# cmd_stop [NODE...]: every container, or the named ones (an operator's node-level stop), kept
# with their volumes.
cmd_stop() {
	[ -e "$NET/$MARKER" ] || die "no compose network in $NET"
	have_docker || die "no Docker engine (docker info fails)"
	find_compose
	known_nodes "$@"
	compose stop --timeout 15 "$@" >>"$NET/logs/compose.log" 2>&1 || die "compose stop failed; log: $NET/logs/compose.log"
	if [ $# -gt 0 ]; then
		say "stopped $* ('docker.sh start $*' starts them again)"
		return
	fi
	say "stopped project $PROJECT; containers and volumes kept ('docker.sh start' resumes, 'docker.sh down' removes)"
}

# cmd_start [NODE...]: a stopped network, or the named nodes, started and waited for.
cmd_start() {
	[ -e "$NET/$MARKER" ] || die "no compose network in $NET"
	have_docker || die "no Docker engine (docker info fails)"
	find_compose
	if [ $# -gt 0 ]; then
		known_nodes "$@"
		cc_package_ids
		start_and_wait "$@"
		say "started $*"
		return
	fi
	restart_stopped || die "project $PROJECT in $NET is no complete stopped network: 'docker.sh down', then 'up'"
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
		[ "$state" != running ] || height=$(node_height "$svc")
		[ "$state" = running ] && [ "$health" = healthy ] || bad=1
		printf '%-16s %-10s %-10s %s\n' "$svc" "$state" "$health" "${height:--}"
	done < <(nodes)
	return $bad
}

# org_gateway_up ORG: the org's gateway container, reading its own network.json.
org_gateway_up() {
	write_network_json "$1"
	mkdir -p "$NET/gateways/$1"
	chmod 700 "$NET/gateways/$1"
	start_and_wait "gateway.$1"
	wait_until "every container's Docker health check to pass" "" "$READY_TIMEOUT" all_docker_healthy ||
		{ states >&2; return 1; }
}

cmd_add_org() {
	[ -n "${1:-}" ] || die "usage: $SCRIPT add-org NAME [LEGAL_NAME] [CREDIT_CODE], e.g. add-org bank3"
	have_docker || die "no Docker engine (docker info fails)"
	[ -f "$NET/network.json" ] && [ -n "$(cc_state sequence)" ] || die "no running compose network in $NET: run 'docker.sh up'"
	ensure_tool jq jq
	"$ROOT/scripts/fabric-bin/build.sh" fabric
	local recv=${RECV_BIN:-$ROOT/bin/recv}
	# The recv CLI: its kit makes the join's files (a bin/recv older than the kit has no such verbs).
	[ -n "${RECV_BIN:-}" ] || (cd "$ROOT/gateway" && GOWORK=off go build -o "$recv" ./cmd/recv)
	add_org "$@"
}

cmd_revoke_user() {
	[ -n "${1:-}" ] && [ -n "${2:-}" ] || die "usage: $SCRIPT revoke-user ORG NAME [REASON]"
	[ -f "$NET/network.json" ] || die "no compose network in $NET: run 'docker.sh up'"
	ensure_tool jq jq
	revoke_user "$@"
}

# cmd_renew gateway.ORG: the gateway's HTTPS pair reissued by ORG's CA (a new key) and put in
# place in its folder, which the container mounts; the gateway reads it again at its next
# handshake (chaincode/tlsfiles), so it does not restart and open connections go on. Checked: the
# gateway presents the new certificate on a new connection, else the former pair is put back.
cmd_renew() {
	local node=${1:-} org dir bak old t0=$SECONDS
	case $node in
	gateway.*) ;;
	*) die "usage: $SCRIPT renew gateway.ORG (a gateway's HTTPS pair; peers, orderers, CAs and chaincode servers: scripts/network.sh renew on the native network)" ;;
	esac
	[ -f "$NET/network.json" ] || die "no compose network in $NET: run 'docker.sh up'"
	known_nodes "$node"
	org=${node#gateway.}
	dir=$(node_dir "$node")
	[ -f "$dir/tls/cert.pem" ] || die "renew: $node serves no HTTPS pair of its own ($dir/tls)"
	old=$(served_cert "$node")
	[ -n "$old" ] || die "renew: $node does not answer a TLS handshake at $(addr host "$node")"
	step "$node: a new HTTPS pair from ca.$org, read by the running gateway at its next handshake"
	bak=$(renew_in_place "$org" "$dir" "$(node_hosts "$node")")
	renew_checked "$node" "$dir" "$bak" served_cert "$node"
	step_done
	say "$node renewed in $((SECONDS - t0))s without a restart (was ${old:0:23}..., now $(cert_fingerprint "$dir/tls/cert.pem" | cut -c1-23)...); replaced pair: $bak"
}

verb=${1:-}
[ $# -eq 0 ] || shift
case $verb in
images | up | down | status) no_args "$verb" "$@" ;;
logs | env) max_args "$verb" 2 "$@" ;;
esac
case $verb in
images) cmd_images ;;
up) cmd_up ;;
down) cmd_down ;;
stop) cmd_stop "$@" ;;
start) cmd_start "$@" ;;
status) cmd_status ;;
logs) cmd_logs "${1:-}" "${2:-}" ;;
env) cmd_env "${1:-}" "${2:-}" ;;
add-org) cmd_add_org "$@" ;;
revoke-user) cmd_revoke_user "$@" ;;
renew)
	max_args renew 1 "$@"
	cmd_renew "$@"
	;;
compose)
	compose "$@"
	;;
*) usage ;;
esac

# shellcheck shell=bash disable=SC2034 # the backend settings are read by lib/net-common.sh
# The compose backend (scripts/docker.sh): every node is a service of network/docker/compose.yaml
# in project $PROJECT. Inside the compose network a node listens on all its interfaces at its default
# port and is reached by its TLS name; on this host only what a user needs is published, on
# 127.0.0.1 at the default port plus RECV_DOCKER_PORT_OFFSET. Each container sees its own node folder
# at /etc/recv/node (read-only), the TLS root bundle and its data in a named volume. The hooks are
# described at the top of lib/net-common.sh. docker.sh sets PROJECT before loading this file.

MARKER=.recv-docker-state
STATE_WHAT="recv docker state folder"
NODE_CONF=container
GATEWAY_NODES=1
# The CAs' operations endpoints are not published: their containers' healthchecks probe them.
CA_OPS_FROM_HOST=0
COMPOSE_FILE=$ROOT/network/docker/compose.yaml
ENV_FILE=$NET/compose.env
# The services of the organisations that joined later (add-org): written by compose_org_overlay.
ORGS_COMPOSE_FILE=$NET/compose.orgs.yaml

# node_host FROM NODE: published on 127.0.0.1 (all but the chaincode server); the TLS name inside
# the network; a container's listeners bind all its interfaces.
node_host() {
	case $1:$2 in
	host:chaincode.*) echo "" ;;
	host:*) echo "$HOST" ;;
	self:*) echo 0.0.0.0 ;;
	net:*) tls_name "$2" ;;
	esac
}

# port_offset FROM: only the published ports have the offset.
port_offset() { if [ "$1" = host ]; then echo "$OFFSET"; else echo 0; fi; }

# node_path NODE PATH: the mounts of compose.yaml. A path the container does not see is an error.
node_path() {
	local node=$1 path=$2 dir org
	dir=$(node_dir "$node")
	case $node:$path in
	*:"$(tls_bundle)") echo /etc/recv/tls-bundle.pem ;;
	peer0.*:"$BUILDER_DIR") echo /opt/recv/builder ;;
	peer0.*:"$dir/data") echo /var/hyperledger/production ;;
	orderer*:"$dir/data") echo /var/hyperledger/production/orderer ;;
	peer0.*:"$dir"/* | orderer*:"$dir"/*) echo "/etc/recv/node/${path#"$dir"/}" ;;
	gateway.*)
		org=${node#gateway.}
		case $path in
		"$(ca_cert "$org")") echo /etc/recv/org/ca-cert.pem ;;
		"$dir"/*) echo "/etc/recv/gateway/${path#"$dir"/}" ;;
		"$(org_dir "$org")"/users/* | "$(org_dir "$org")"/registrar/*) echo "/etc/recv/org/${path#"$(org_dir "$org")"/}" ;;
		*) die "$path is not mounted into $node (network/docker/compose.yaml)" ;;
		esac
		;;
	*) die "$path is not mounted into $node (network/docker/compose.yaml)" ;;
	esac
}

# node_start NAME...: (re)creates the services with the current compose.env (the chaincode
# servers' package ids are CC_PACKAGE_IDS once deploy_chaincode set them).
node_start() {
	compose_org_overlay
	write_env
	compose up -d --no-deps "$@" >>"$NET/logs/compose.log" 2>&1 || { tail -n 20 "$NET/logs/compose.log" >&2; return 1; }
}

node_running() { [ "$(container_state "$1" | cut -d' ' -f1)" = running ]; }

node_log() {
	case $2 in
	all) compose logs --no-color "$1" ;;
	-f) compose logs --no-color --tail 100 -f "$1" ;;
	*) compose logs --no-color --tail "$2" "$1" ;;
	esac
}

# ca_root ORG: copies the CA's self-signed root out of its container (its home is a volume).
ca_root() {
	local org=$1 id
	id=$(cid "ca.$org")
	[ -n "$id" ] || return 1
	mkdir -p "$(org_dir "$org")/ca"
	docker cp "$id:/var/hyperledger/fabric-ca-server/ca-cert.pem" "$(ca_cert "$org")" >/dev/null 2>&1
}

# abort_up: keeps the containers' logs in the state folder and removes the containers and volumes.
abort_up() {
	if [ -d "$NET/logs" ]; then
		compose logs --no-color >"$NET/logs/containers.log" 2>&1 || true
		printf 'docker: container logs in %s/logs/containers.log; removing the containers\n' "$NET" >&2
	fi
	compose down -v --remove-orphans >/dev/null 2>&1 || true
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
		for org in "${ORGS[@]}"; do
			echo "RECV_CC_PACKAGE_ID_${org^^}=${CC_PACKAGE_IDS[$org]:-$(cc_state "package_id.$org" not-deployed)}"
		done
		echo "RECV_LOG_SPEC=$LOG_SPEC"
		echo "RECV_BEACON_INTERVAL=${RECV_BEACON_INTERVAL:-60s}"
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
	local rc=0 files=(-f "$COMPOSE_FILE")
	[ ! -f "$ORGS_COMPOSE_FILE" ] || files+=(-f "$ORGS_COMPOSE_FILE")
	"${COMPOSE[@]}" --env-file "$env" -p "$PROJECT" "${files[@]}" "$@" || rc=$?
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
	while read -r svc; do [ "${st[$svc]:-}" = "running healthy" ] || return 1; done < <(nodes)
}

# compose_org_overlay: ORGS_COMPOSE_FILE with the CA, peer, chaincode server and gateway services (and their volumes)
# of every organisation in ADDED_ORGS_FILE, made from the template of a bank of compose.yaml
# (bank2's services: the same images, mounts, health checks) with the name, MSP ID and ports of
# each. compose.yaml's x- anchors are repeated, as a second file cannot refer to the first's.
compose_org_overlay() {
	local org tmp t=bank2 services="" volumes=""
	[ -f "$ADDED_ORGS_FILE" ] || return 0
	tmp=$(mktemp "$NET/.compose.orgs.XXXXXX")
	for org in "${ORGS[@]}"; do
		grep -q "^$org	" "$ADDED_ORGS_FILE" || continue
		services+=$(awk -v t="$t" '
			/^  [a-z]/ { keep = ($1 == "ca." t ":" || $1 == "peer0." t ":" || $1 == "chaincode." t ":" || $1 == "gateway." t ":") }
			/^[a-z]/ && !/^services:/ { keep = 0 }
			keep' "$COMPOSE_FILE" |
			sed -e "s/\b${MSP[$t]}\b/${MSP[$org]}/g" -e "s/${t^^}/${org^^}/g" -e "s/\b$t\b/$org/g" \
				-e "s/\b$(node_port "peer0.$t")\b/$(node_port "peer0.$org")/g" \
				-e "s/\b$(node_port "peer0.$t" ops)\b/$(node_port "peer0.$org" ops)/g" \
				-e "s/\b$(node_port "ca.$t")\b/$(node_port "ca.$org")/g" \
				-e "s/\b$(node_port "ca.$t" ops)\b/$(node_port "ca.$org" ops)/g" \
				-e "s/\b$(node_port "chaincode.$t")\b/$(node_port "chaincode.$org")/g" \
				-e "s/\b$(node_port "gateway.$t")\b/$(node_port "gateway.$org")/g")$'\n'
		volumes+="  ca-$org: {}"$'\n'"  ledger-peer0.$org: {}"$'\n'
	done
	{
		echo "# Written by scripts/docker.sh add-org: the services of the organisations that joined later,"
		echo "# from the template of ${t}'s in network/docker/compose.yaml."
		sed -n '/^x-node:/,/^services:/p' "$COMPOSE_FILE" | sed '$d'
		echo "services:"
		printf '%s' "$services"
		echo "volumes:"
		printf '%s' "$volumes"
	} >"$tmp"
	mv "$tmp" "$ORGS_COMPOSE_FILE"
}

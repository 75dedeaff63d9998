# shellcheck shell=bash
# Orderers, peers and the channel of scripts/network.sh.

start_orderer() {
	local o=$1 dir
	dir=$(org_dir orderer)/$o
	local ORDERER_LISTEN_HOST=$HOST ORDERER_PORT TLS_KEY=$dir/tls/key.pem TLS_CERT=$dir/tls/cert.pem
	local TLS_CA=$dir/tls/ca.pem TLS_ROOT_BUNDLE MSP_DIR=$dir/msp MSP_ID=OrdererMSP ORDERER_DATA=$dir/data
	local OPS_LISTEN ADMIN_LISTEN
	ORDERER_PORT=$(orderer_port "$o")
	TLS_ROOT_BUNDLE=$(tls_bundle)
	OPS_LISTEN="$HOST:$(orderer_ops_port "$o")"
	ADMIN_LISTEN="$HOST:$(orderer_admin_port "$o")"
	mkdir -p "$dir/config" "$ORDERER_DATA"
	render "$TEMPLATES/orderer.yaml" "$dir/config/orderer.yaml" ORDERER_LISTEN_HOST ORDERER_PORT TLS_KEY \
		TLS_CERT TLS_CA TLS_ROOT_BUNDLE MSP_DIR MSP_ID ORDERER_DATA OPS_LISTEN ADMIN_LISTEN CLIENT_AUTH
	start_node "$o" env FABRIC_CFG_PATH="$dir/config" "$BIN/orderer"
}

start_peer() {
	local org=$1 dir
	dir=$(org_dir "$org")/peer0
	local PEER_ID PEER_LISTEN PEER_ADDRESS PEER_CC_LISTEN PEER_CC_ADDRESS GOSSIP_BOOTSTRAP GOSSIP_EXTERNAL
	local TLS_CERT=$dir/tls/cert.pem TLS_KEY=$dir/tls/key.pem TLS_ROOT_BUNDLE PEER_DATA=$dir/data
	local MSP_DIR=$dir/msp MSP_ID=${MSP[$org]} OPS_LISTEN
	PEER_ID=$(peer_host "$org")
	PEER_LISTEN="$HOST:$(peer_port "$org")"
	PEER_ADDRESS=$PEER_LISTEN
	PEER_CC_LISTEN="$HOST:$(peer_cc_port "$org")"
	PEER_CC_ADDRESS=$PEER_CC_LISTEN
	GOSSIP_BOOTSTRAP=$PEER_ADDRESS
	GOSSIP_EXTERNAL=$PEER_ADDRESS
	TLS_ROOT_BUNDLE=$(tls_bundle)
	OPS_LISTEN="$HOST:$(peer_ops_port "$org")"
	mkdir -p "$dir/config" "$PEER_DATA"
	render "$TEMPLATES/core.yaml" "$dir/config/core.yaml" PEER_ID PEER_LISTEN PEER_ADDRESS PEER_CC_LISTEN \
		PEER_CC_ADDRESS GOSSIP_BOOTSTRAP GOSSIP_EXTERNAL TLS_CERT TLS_KEY TLS_ROOT_BUNDLE PEER_DATA MSP_DIR \
		MSP_ID OPS_LISTEN BUILDER_DIR CLIENT_AUTH
	start_node "peer0.$org" env FABRIC_CFG_PATH="$dir/config" "$BIN/peer" node start
}

orderer_healthy() { healthy "$HOST:$(orderer_ops_port "$1")" "$(ca_cert orderer)"; }
peer_healthy() { healthy "$HOST:$(peer_ops_port "$1")" "$(ca_cert "$1")"; }

start_nodes() {
	local o org
	for o in "${ORDERERS[@]}"; do start_orderer "$o"; done
	for org in "${ORGS[@]}"; do start_peer "$org"; done
	for o in "${ORDERERS[@]}"; do
		wait_until "$o /healthz" "$o" "$READY_TIMEOUT" orderer_healthy "$o"
	done
	for org in "${ORGS[@]}"; do
		wait_until "peer0.$org /healthz" "peer0.$org" "$READY_TIMEOUT" peer_healthy "$org"
	done
}

# osn ORDERER ARGS...: osnadmin against the orderer's admin endpoint with the orderer admin's
# TLS client certificate (the admin endpoint requires mutual TLS).
osn() {
	local o=$1 admin
	shift
	admin=$(org_dir orderer)/users/admin/tls
	"$BIN/osnadmin" channel "$@" -o "$HOST:$(orderer_admin_port "$o")" --ca-file "$(ca_cert orderer)" \
		--client-cert "$admin/cert.pem" --client-key "$admin/key.pem"
}

# peer_cli ORG ARGS...: the peer CLI as the org's admin against the org's peer.
peer_cli() {
	local org=$1
	shift
	local dir
	dir=$(org_dir "$org")
	env FABRIC_CFG_PATH="$dir/peer0/config" CORE_PEER_LOCALMSPID="${MSP[$org]}" \
		CORE_PEER_MSPCONFIGPATH="$dir/users/admin/msp" CORE_PEER_ADDRESS="$HOST:$(peer_port "$org")" \
		CORE_PEER_TLS_ENABLED=true CORE_PEER_TLS_ROOTCERT_FILE="$(ca_cert "$org")" \
		CORE_PEER_TLS_CLIENTAUTHREQUIRED="$CLIENT_AUTH" CORE_PEER_TLS_CLIENTCERT_FILE="$dir/users/admin/tls/cert.pem" \
		CORE_PEER_TLS_CLIENTKEY_FILE="$dir/users/admin/tls/key.pem" \
		FABRIC_LOGGING_SPEC=warning "$BIN/peer" "$@"
}

# orderer_flags ORG: the CLI flags to reach orderer1 with the org admin's TLS client certificate.
orderer_flags() {
	local tls
	tls=$(org_dir "$1")/users/admin/tls
	echo -o "$HOST:$(orderer_port orderer1)" --tls \
		--cafile "$(ca_cert orderer)" --clientauth --certfile "$tls/cert.pem" --keyfile "$tls/key.pem"
}

# ops_metrics HOSTPORT ORG: a node's Prometheus metrics; /metrics requires a TLS client
# certificate, the org admin's.
ops_metrics() {
	local tls
	tls=$(org_dir "$2")/users/admin/tls
	curl -sf --max-time 5 --cacert "$(tls_bundle)" --cert "$tls/cert.pem" --key "$tls/key.pem" "https://$1/metrics"
}

# raft_leader_known: some orderer reports itself the Raft leader of the channel.
raft_leader_known() {
	local o metrics
	for o in "${ORDERERS[@]}"; do
		metrics=$(ops_metrics "$HOST:$(orderer_ops_port "$o")" orderer) || continue
		grep -qE "^consensus_etcdraft_is_leader\\{channel=\"$CHANNEL\"\\} 1" <<<"$metrics" && return 0
	done
	return 1
}

# gossip_complete ORG: the org's peer knows the other four peers on the channel, so discovery
# can form cross-org endorsement plans.
gossip_complete() {
	local n
	n=$(ops_metrics "$HOST:$(peer_ops_port "$1")" "$1" |
		sed -n "s/^gossip_membership_total_peers_known{channel=\"$CHANNEL\"} \\([0-9]*\\)$/\\1/p")
	[ "${n:-0}" -ge $((${#ORGS[@]} - 1)) ]
}

# channel_orderer_host ORDERER, channel_orderer_port ORDERER, channel_peer_host ORG and
# channel_peer_port ORG: the addresses the channel configuration gives the nodes (Raft consenters,
# orderer endpoints, anchor peers): where the other nodes reach them. Natively that is this host's
# loopback; scripts/docker.sh redefines them with the containers' names and ports.
channel_orderer_host() { echo "$HOST"; }
channel_orderer_port() { orderer_port "$1"; }
channel_peer_host() { echo "$HOST"; }
channel_peer_port() { peer_port "$1"; }

create_channel() {
	local ORGS_DIR="$NET/orgs" BATCH_TIMEOUT BATCH_MAX_MESSAGES o org i
	local ORDERER1_HOST ORDERER2_HOST ORDERER3_HOST ORDERER1_PORT ORDERER2_PORT ORDERER3_PORT
	local ORDERER1_ENDPOINT ORDERER2_ENDPOINT ORDERER3_ENDPOINT
	local CORE_PEER_HOST SUPPLIER_PEER_HOST BANK1_PEER_HOST BANK2_PEER_HOST AUDITOR_PEER_HOST
	local CORE_PEER_PORT SUPPLIER_PEER_PORT BANK1_PEER_PORT BANK2_PEER_PORT AUDITOR_PEER_PORT
	BATCH_TIMEOUT=${RECV_BATCH_TIMEOUT:-150ms}
	BATCH_MAX_MESSAGES=${RECV_BATCH_MAX_MESSAGES:-100}
	for i in 1 2 3; do
		printf -v "ORDERER${i}_HOST" '%s' "$(channel_orderer_host "orderer$i")"
		printf -v "ORDERER${i}_PORT" '%s' "$(channel_orderer_port "orderer$i")"
		printf -v "ORDERER${i}_ENDPOINT" '%s' "$(channel_orderer_host "orderer$i"):$(channel_orderer_port "orderer$i")"
	done
	for org in "${ORGS[@]}"; do
		printf -v "${org^^}_PEER_HOST" '%s' "$(channel_peer_host "$org")"
		printf -v "${org^^}_PEER_PORT" '%s' "$(channel_peer_port "$org")"
	done
	local dir=$NET/channel
	mkdir -p "$dir"
	render "$TEMPLATES/configtx.yaml" "$dir/configtx.yaml" ORGS_DIR BATCH_TIMEOUT BATCH_MAX_MESSAGES \
		ORDERER1_HOST ORDERER2_HOST ORDERER3_HOST ORDERER1_PORT ORDERER2_PORT ORDERER3_PORT \
		ORDERER1_ENDPOINT ORDERER2_ENDPOINT ORDERER3_ENDPOINT \
		CORE_PEER_HOST SUPPLIER_PEER_HOST BANK1_PEER_HOST BANK2_PEER_HOST AUDITOR_PEER_HOST \
		CORE_PEER_PORT SUPPLIER_PEER_PORT BANK1_PEER_PORT BANK2_PEER_PORT AUDITOR_PEER_PORT
	"$BIN/configtxgen" -configPath "$dir" -profile ReceivablesChannel -channelID "$CHANNEL" \
		-outputBlock "$dir/$CHANNEL.block" >"$NET/logs/configtxgen.log" 2>&1 ||
		{ tail -n 20 "$NET/logs/configtxgen.log" >&2; return 1; }

	for o in "${ORDERERS[@]}"; do
		osn "$o" join --channelID "$CHANNEL" --config-block "$dir/$CHANNEL.block" >>"$NET/logs/channel.log" 2>&1 ||
			{ tail -n 20 "$NET/logs/channel.log" >&2; return 1; }
	done
	wait_until "a Raft leader on $CHANNEL" "" "$READY_TIMEOUT" raft_leader_known

	local pids=()
	for org in "${ORGS[@]}"; do
		peer_cli "$org" channel join -b "$dir/$CHANNEL.block" >>"$NET/logs/channel.$org.log" 2>&1 &
		pids+=($!)
	done
	i=0
	for org in "${ORGS[@]}"; do
		wait "${pids[$i]}" || { say "peer0.$org could not join:" >&2; tail -n 20 "$NET/logs/channel.$org.log" >&2; return 1; }
		i=$((i + 1))
	done
}

# peer_height ORG: the block height of the channel on the org's peer.
peer_height() {
	peer_cli "$1" channel getinfo -c "$CHANNEL" 2>/dev/null | sed -n 's/.*"height":\([0-9]*\).*/\1/p'
}

# orderer_height ORDERER: the block height of the channel on the orderer.
orderer_height() {
	osn "$1" list --channelID "$CHANNEL" 2>/dev/null | tr -d ' \n' | sed -n 's/.*"height":\([0-9]*\).*/\1/p'
}

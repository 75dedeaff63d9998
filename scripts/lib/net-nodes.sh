# shellcheck shell=bash disable=SC2034 # render reads the upper-case locals through envsubst
# Orderers, peers and the channel (both backends).

# render_orderer O: O's orderer.yaml in its folder's $NODE_CONF/, as the orderer sees its files
# and listeners.
render_orderer() {
	local o=$1 dir
	dir=$(node_dir "$o")
	local ORDERER_LISTEN_HOST ORDERER_PORT TLS_KEY TLS_CERT TLS_CA TLS_ROOT_BUNDLE MSP_DIR MSP_ID=OrdererMSP
	local ORDERER_DATA OPS_LISTEN ADMIN_LISTEN OPS_CLIENT_CA
	ORDERER_LISTEN_HOST=$(node_host self "$o")
	ORDERER_PORT=$(port self "$o")
	TLS_KEY=$(node_path "$o" "$dir/tls/key.pem")
	TLS_CERT=$(node_path "$o" "$dir/tls/cert.pem")
	TLS_CA=$(node_path "$o" "$dir/tls/ca.pem")
	TLS_ROOT_BUNDLE=$(node_path "$o" "$(tls_bundle)")
	MSP_DIR=$(node_path "$o" "$dir/msp")
	ORDERER_DATA=$(node_path "$o" "$dir/data")
	# The operations endpoint's client root: the orderer organisation's operations CA only.
	copy_ops_client_ca "$o" orderer
	OPS_CLIENT_CA=$(node_path "$o" "$dir/ops-client-ca.pem")
	OPS_LISTEN=$(addr self "$o" ops)
	ADMIN_LISTEN=$(addr self "$o" admin)
	mkdir -p "$dir/$NODE_CONF"
	render "$TEMPLATES/orderer.yaml" "$dir/$NODE_CONF/orderer.yaml" ORDERER_LISTEN_HOST ORDERER_PORT TLS_KEY \
		TLS_CERT TLS_CA TLS_ROOT_BUNDLE MSP_DIR MSP_ID ORDERER_DATA OPS_LISTEN OPS_CLIENT_CA ADMIN_LISTEN CLIENT_AUTH
}

# render_peer ORG VIEW: the peer's core.yaml as VIEW sees it: "self" (the peer, into $NODE_CONF/)
# or "host" (the peer CLI on this host, into config/; natively the same file).
render_peer() {
	local org=$1 view=$2 node=peer0.$1 dir
	dir=$(node_dir "$node")
	local PEER_ID PEER_LISTEN PEER_ADDRESS PEER_CC_LISTEN PEER_CC_ADDRESS GOSSIP_BOOTSTRAP GOSSIP_EXTERNAL
	local TLS_CERT TLS_KEY TLS_ROOT_BUNDLE PEER_DATA MSP_DIR MSP_ID=${MSP[$org]} OPS_LISTEN BUILDER_DIR=$BUILDER_DIR
	local OPS_CLIENT_CA
	local listen=self seen=net out=$dir/$NODE_CONF path=node_path
	if [ "$view" = host ]; then
		listen=host seen=host out=$dir/config path=host_path
	fi
	PEER_ID=$(tls_name "$node")
	PEER_LISTEN=$(addr "$listen" "$node")
	PEER_ADDRESS=$(addr "$seen" "$node")
	PEER_CC_LISTEN=$(addr "$listen" "$node" cc)
	PEER_CC_ADDRESS=$(addr "$seen" "$node" cc)
	GOSSIP_BOOTSTRAP=$PEER_ADDRESS
	GOSSIP_EXTERNAL=$PEER_ADDRESS
	TLS_CERT=$($path "$node" "$dir/tls/cert.pem")
	TLS_KEY=$($path "$node" "$dir/tls/key.pem")
	TLS_ROOT_BUNDLE=$($path "$node" "$(tls_bundle)")
	# The operations endpoint's client root: the peer's own organisation's operations CA only, whose
	# one leaf is the org's operator's certificate (not the org's CA, which issues every user's).
	copy_ops_client_ca "$node" "$org"
	OPS_CLIENT_CA=$($path "$node" "$dir/ops-client-ca.pem")
	PEER_DATA=$($path "$node" "$dir/data")
	MSP_DIR=$($path "$node" "$dir/msp")
	OPS_LISTEN=$(addr "$listen" "$node" ops)
	BUILDER_DIR=$($path "$node" "$BUILDER_DIR")
	mkdir -p "$out"
	render "$TEMPLATES/core.yaml" "$out/core.yaml" PEER_ID PEER_LISTEN PEER_ADDRESS PEER_CC_LISTEN \
		PEER_CC_ADDRESS GOSSIP_BOOTSTRAP GOSSIP_EXTERNAL TLS_CERT TLS_KEY TLS_ROOT_BUNDLE PEER_DATA MSP_DIR \
		MSP_ID OPS_LISTEN OPS_CLIENT_CA BUILDER_DIR CLIENT_AUTH
}

# start_nodes: orderers and peers configured, started, and each healthy.
start_nodes() {
	local o org names=()
	for o in "${ORDERERS[@]}"; do
		render_orderer "$o"
		names+=("$o")
	done
	for org in "${ORGS[@]}"; do
		render_peer "$org" self
		[ "$NODE_CONF" = config ] || render_peer "$org" host
		names+=("peer0.$org")
	done
	start_and_wait "${names[@]}"
}

# osn ORDERER ARGS...: osnadmin against the orderer's admin endpoint with the orderer admin's
# TLS client certificate (the admin endpoint requires mutual TLS).
osn() {
	local o=$1 admin
	shift
	admin=$(org_dir orderer)/users/admin/tls
	"$BIN/osnadmin" channel "$@" -o "$(addr host "$o" admin)" --ca-file "$(ca_cert orderer)" \
		--client-cert "$admin/cert.pem" --client-key "$admin/key.pem"
}

# peer_cli ORG ARGS...: the peer CLI as the org's admin against the org's peer.
peer_cli() {
	local org=$1
	shift
	local dir cfg
	dir=$(org_dir "$org")
	cfg=$dir/peer0/config
	# An organisation without a peer (the ordering organisation, signing a configuration update)
	# borrows a member peer's CLI settings; its own MSP and TLS pair still sign and connect.
	[ -d "$cfg" ] || cfg=$(org_dir "${ORGS[0]}")/peer0/config
	env FABRIC_CFG_PATH="$cfg" CORE_PEER_LOCALMSPID="${MSP[$org]}" \
		CORE_PEER_MSPCONFIGPATH="$dir/users/admin/msp" CORE_PEER_ADDRESS="$(addr host "peer0.$org")" \
		CORE_PEER_TLS_ENABLED=true CORE_PEER_TLS_ROOTCERT_FILE="$(ca_cert "$org")" \
		CORE_PEER_TLS_CLIENTAUTHREQUIRED="$CLIENT_AUTH" CORE_PEER_TLS_CLIENTCERT_FILE="$dir/users/admin/tls/cert.pem" \
		CORE_PEER_TLS_CLIENTKEY_FILE="$dir/users/admin/tls/key.pem" \
		FABRIC_LOGGING_SPEC=warning "$BIN/peer" "$@"
}

# orderer_flags ORG: the CLI flags to reach orderer1 with the org admin's TLS client certificate.
orderer_flags() {
	local tls
	tls=$(org_dir "$1")/users/admin/tls
	echo -o "$(addr host orderer1)" --tls \
		--cafile "$(ca_cert orderer)" --clientauth --certfile "$tls/cert.pem" --keyfile "$tls/key.pem"
}

# ops_metrics HOSTPORT ORG: a node's Prometheus metrics, read as ORG's operator (ops/operator: the
# node's own organisation's, the orderer organisation's for an orderer), the only client
# certificate /metrics serves.
ops_metrics() {
	local op
	op=$(ops_dir "$2")/operator
	curl -sf --max-time 5 --cacert "$(tls_bundle)" --cert "$op/cert.pem" --key "$op/key.pem" "https://$1/metrics"
}

# raft_leader: prints the orderer that reports itself the Raft leader of the channel; fails when
# none does.
raft_leader() {
	local o metrics
	for o in "${ORDERERS[@]}"; do
		metrics=$(ops_metrics "$(addr host "$o" ops)" orderer) || continue
		if grep -qE "^consensus_etcdraft_is_leader\\{channel=\"$CHANNEL\"\\} 1" <<<"$metrics"; then
			echo "$o"
			return 0
		fi
	done
	return 1
}

# raft_leader_known: some orderer reports itself the Raft leader of the channel.
raft_leader_known() { raft_leader >/dev/null; }

# gossip_complete ORG: the org's peer knows the other four peers on the channel, so discovery
# can form cross-org endorsement plans.
gossip_complete() {
	local n
	n=$(ops_metrics "$(addr host "peer0.$1" ops)" "$1" |
		sed -n "s/^gossip_membership_total_peers_known{channel=\"$CHANNEL\"} \\([0-9]*\\)$/\\1/p")
	[ "${n:-0}" -ge $((${#ORGS[@]} - 1)) ]
}

# configtx_org ORG: the org's entry in configtx.yaml's Organizations (a YAML list item with the
# anchor &MSPID): its MSP folder, its member/admin/peer policies, its peer as anchor peer.
configtx_org() {
	local org=$1 msp=${MSP[$1]}
	cat <<EOF
  - &$msp
    Name: $msp
    ID: $msp
    MSPDir: $NET/orgs/$org/msp
    Policies:
      Readers: {Type: Signature, Rule: "OR('$msp.admin', '$msp.peer', '$msp.client')"}
      Writers: {Type: Signature, Rule: "OR('$msp.admin', '$msp.client')"}
      Admins: {Type: Signature, Rule: "OR('$msp.admin')"}
      Endorsement: {Type: Signature, Rule: "OR('$msp.peer')"}
    AnchorPeers:
      - {Host: $(node_host net "peer0.$org"), Port: $(port net "peer0.$org")}
EOF
}

# veto_orgs: the organisations every change of the channel's application configuration and every
# chaincode definition needs (docs/security.md): the core enterprise and every bank.
veto_orgs() {
	local org
	for org in "${ORGS[@]}"; do
		case ${ORG_KIND[$org]} in core | bank) echo "$org" ;; esac
	done
}

# veto_rule ROLE: AND('CoreMSP.ROLE', 'Bank1MSP.ROLE', ...) over veto_orgs.
veto_rule() {
	local org rule=""
	for org in $(veto_orgs); do rule+="${rule:+, }'${MSP[$org]}.$1'"; done
	echo "AND($rule)"
}

# render_configtx DIR: DIR/configtx.yaml from the template and the current network definition
# (every org in ORGS, the veto policies over them).
render_configtx() {
	local dir=$1 ORGS_DIR="$NET/orgs" BATCH_TIMEOUT BATCH_MAX_MESSAGES org i
	local ORDERER1_HOST ORDERER2_HOST ORDERER3_HOST ORDERER1_PORT ORDERER2_PORT ORDERER3_PORT
	local ORDERER1_ENDPOINT ORDERER2_ENDPOINT ORDERER3_ENDPOINT PEER_ORGS="" PEER_ORG_REFS="" VETO_ADMINS VETO_PEERS
	BATCH_TIMEOUT=${RECV_BATCH_TIMEOUT:-150ms}
	BATCH_MAX_MESSAGES=${RECV_BATCH_MAX_MESSAGES:-100}
	for i in 1 2 3; do
		printf -v "ORDERER${i}_HOST" '%s' "$(node_host net "orderer$i")"
		printf -v "ORDERER${i}_PORT" '%s' "$(port net "orderer$i")"
		printf -v "ORDERER${i}_ENDPOINT" '%s' "$(addr net "orderer$i")"
	done
	for org in "${ORGS[@]}"; do
		PEER_ORGS+="$(configtx_org "$org")"$'\n\n'
		PEER_ORG_REFS+="        - *${MSP[$org]}"$'\n'
	done
	VETO_ADMINS=$(veto_rule admin)
	VETO_PEERS=$(veto_rule peer)
	mkdir -p "$dir"
	render "$TEMPLATES/configtx.yaml" "$dir/configtx.yaml" ORGS_DIR BATCH_TIMEOUT BATCH_MAX_MESSAGES \
		ORDERER1_HOST ORDERER2_HOST ORDERER3_HOST ORDERER1_PORT ORDERER2_PORT ORDERER3_PORT \
		ORDERER1_ENDPOINT ORDERER2_ENDPOINT ORDERER3_ENDPOINT PEER_ORGS PEER_ORG_REFS VETO_ADMINS VETO_PEERS
}

create_channel() {
	local dir=$NET/channel o
	render_configtx "$dir"
	"$BIN/configtxgen" -configPath "$dir" -profile ReceivablesChannel -channelID "$CHANNEL" \
		-outputBlock "$dir/$CHANNEL.block" >"$NET/logs/configtxgen.log" 2>&1 ||
		{ tail -n 20 "$NET/logs/configtxgen.log" >&2; return 1; }

	for o in "${ORDERERS[@]}"; do
		osn "$o" join --channelID "$CHANNEL" --config-block "$dir/$CHANNEL.block" >>"$NET/logs/channel.log" 2>&1 ||
			{ tail -n 20 "$NET/logs/channel.log" >&2; return 1; }
	done
	wait_until "a Raft leader on $CHANNEL" "" "$READY_TIMEOUT" raft_leader_known

	per_org channel "joining $CHANNEL" "${ORGS[*]}" peer_cli channel join -b "$dir/$CHANNEL.block"
}

# peer_height ORG: the block height of the channel on the org's peer.
peer_height() {
	peer_cli "$1" channel getinfo -c "$CHANNEL" 2>/dev/null | sed -n 's/.*"height":\([0-9]*\).*/\1/p'
}

# orderer_height ORDERER: the block height of the channel on the orderer.
orderer_height() {
	osn "$1" list --channelID "$CHANNEL" 2>/dev/null | tr -d ' \n' | sed -n 's/.*"height":\([0-9]*\).*/\1/p'
}

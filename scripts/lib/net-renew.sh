# shellcheck shell=bash
# Certificate renewal on the running network (scripts/network.sh renew; docs/operations.md,
# "Renewing certificates"). A node's enrollment and TLS pairs are reissued by its organisation's
# CA (a reenrollment signed with the node's current pair: no secret is needed, the CA's one-time
# secrets were spent at the first enrollment), for new keys except an orderer's TLS key (Raft
# knows the orderer by it: renew_new_pairs), the pairs they replace
# are kept in the node's folder's renewed/STAMP/ for a rollback, and the node is restarted.
#
#   renew_new_pairs NODE WORK   the new pairs into WORK/msp and WORK/tls (nothing else changes)
#   renew_install NODE WORK     the replaced pairs copied to renewed/STAMP/, the new ones in place
#   renew_restore NODE BACKUP   the pairs of renewed/STAMP/ back in place
#   consenter_update O CERT     the orderer's entry in the channel's consenter set with CERT as its
#                               client and server TLS certificate (Raft pins them), by a
#                               configuration update the ordering organisation's admin signs
#   orderer_rejoined O          O is back in Raft (see below)
#   served_cert NODE            the fingerprint of the certificate NODE's TLS listener presents
#   renew_in_place ORG DIR HOSTS  a server's TLS pair (DIR/tls) reissued and put in place for a
#                               server that reads it again when the files change (a chaincode
#                               server, a compose gateway): no restart
#   renew_checked NAME DIR BACKUP SERVED...  the server presents the new pair, else the old is back
#   cc_served_cert ORG          the fingerprint ORG's chaincode server presents to its peer
#
# A peer's certificates are in no channel configuration (its organisation's CA root is what the
# others trust), so a peer's renewal is a restart; an orderer's TLS certificate is in its consenter
# entry, updated before the restart (the Raft leader hands its leadership over first when the
# entry is its own). The CA issues them for its profiles' lifetime (a year; RECV_CERT_EXPIRY when
# the network was made), from now.

# node_org NODE: the organisation whose CA issued NODE's certificates.
node_org() {
	case $1 in
	orderer[0-9]) echo orderer ;;
	*.*) echo "${1#*.}" ;;
	esac
}

# reenroll ORG CERT KEY OUT PROFILE HOSTS [REUSE]: the identity whose pair is CERT and KEY (its
# enrollment pair, or a TLS pair the CA issued it) reenrolled at ORG's CA, signed with that pair,
# from CA profile PROFILE (empty: the CA's default, the enrollment certificates'), for HOSTS:
# OUT/cert.pem and OUT/key.pem; a new key, or with REUSE the same key.
reenroll() {
	local org=$1 cert=$2 key=$3 out=$4 profile=$5 hosts=$6 reuse=${7:-} tmp new
	tmp=$out/.msp
	mkdir -p "$tmp/signcerts" "$tmp/keystore"
	cp "$cert" "$tmp/signcerts/cert.pem"
	# The client finds the signing key by its public key, whatever the file's name.
	cp "$key" "$tmp/keystore/enrollment_sk"
	ca_client "$org" reenroll -u "https://$(addr host "ca.$org")" --mspdir "$tmp" --csr.names "$(csr_names "$org")" \
		--csr.hosts "$hosts" ${profile:+--enrollment.profile "$profile"} ${reuse:+--csr.keyrequest.reusekey} ||
		{ say "ca.$org did not reenroll $cert:" >&2; tail -n 5 "$NET/logs/enroll.$org.log" >&2; return 1; }
	if [ -n "$reuse" ]; then
		new=$tmp/keystore/enrollment_sk
	else
		rm -f "$tmp/keystore/enrollment_sk"
		new=$(find "$tmp/keystore" -name '*_sk' -print -quit)
	fi
	[ -n "$new" ] && [ -s "$tmp/signcerts/cert.pem" ] || { say "ca.$org reenrolled $cert but wrote no pair" >&2; return 1; }
	mv "$tmp/signcerts/cert.pem" "$out/cert.pem"
	mv "$new" "$out/key.pem"
	chmod 600 "$out/key.pem"
	rm -rf "$tmp"
}

# renew_new_pairs NODE WORK: NODE's new enrollment pair in WORK/msp, its new TLS pair in WORK/tls,
# for the names its TLS certificate has now; new keys, except an orderer's TLS key (below).
renew_new_pairs() {
	local node=$1 work=$2 org dir hosts
	org=$(node_org "$node")
	dir=$(node_dir "$node")
	hosts=$(node_hosts "$node")
	mkdir -p "$work/msp" "$work/tls"
	reenroll "$org" "$dir/msp/signcerts/cert.pem" "$dir/msp/keystore/key.pem" "$work/msp" "" "$hosts"
	case $node in
	orderer[0-9])
		# Raft knows a consenter by its TLS certificate's public key (Fabric compares keys, not
		# certificates): with the same key the orderer stays a member whether or not it has the
		# update's block when it restarts. With a new key, one that missed the block (cut off by
		# the others as soon as they applied it) restarts as a stranger to its own channel and
		# only pulls blocks until it finds itself: over a minute here.
		reenroll "$org" "$dir/tls/cert.pem" "$dir/tls/key.pem" "$work/tls" tls "$hosts" reuse
		;;
	*) reenroll "$org" "$dir/msp/signcerts/cert.pem" "$dir/msp/keystore/key.pem" "$work/tls" tls "$hosts" ;;
	esac
}

# The files of a node's pairs, each beside its place in WORK (renew_new_pairs).
RENEW_FILES=("msp/signcerts/cert.pem msp/cert.pem" "msp/keystore/key.pem msp/key.pem" "tls/cert.pem tls/cert.pem"
	"tls/key.pem tls/key.pem")

# renew_install NODE WORK: prints the backup folder (renewed/STAMP in NODE's folder) after
# copying NODE's pairs there and putting the new ones of WORK in their place.
renew_install() {
	local node=$1 work=$2 dir bak pair file new
	dir=$(node_dir "$node")
	bak=$dir/$RENEWED/$(date -u +%Y%m%dT%H%M%SZ)
	for pair in "${RENEW_FILES[@]}"; do
		read -r file new <<<"$pair"
		mkdir -p "$(dirname "$bak/$file")"
		cp -p "$dir/$file" "$bak/$file"
	done
	for pair in "${RENEW_FILES[@]}"; do
		read -r file new <<<"$pair"
		cp "$work/$new" "$dir/$file.new"
		mv "$dir/$file.new" "$dir/$file"
	done
	echo "$bak"
}

# renew_restore NODE BACKUP: the pairs kept in BACKUP back in NODE's folder.
renew_restore() {
	local node=$1 bak=$2 dir pair file
	dir=$(node_dir "$node")
	for pair in "${RENEW_FILES[@]}"; do
		read -r file _ <<<"$pair"
		cp -p "$bak/$file" "$dir/$file"
	done
}

# consenter_edit IN OUT HOST PORT CERT: the configuration with the consenter HOST:PORT's client and
# server TLS certificates replaced by CERT (a PEM file); fails unless exactly one entry matches.
consenter_edit() {
	local in=$1 out=$2 host=$3 port=$4 cert=$5 path='.channel_group.groups.Orderer.values.ConsensusType.value.metadata.consenters'
	[ "$(jq --arg h "$host" --argjson p "$port" "[$path[] | select(.host == \$h and .port == \$p)] | length" "$in")" = 1 ] ||
		{ say "no single consenter $host:$port in the channel configuration" >&2; return 1; }
	jq --arg h "$host" --argjson p "$port" --arg c "$(base64 -w0 "$cert")" \
		"($path[] | select(.host == \$h and .port == \$p)) |= (.client_tls_cert = \$c | .server_tls_cert = \$c)" "$in" >"$out"
}

# consenter_update O CERT: O's consenter entry with CERT, signed and submitted by the ordering
# organisation's admin (the Orderer group's Admins policy).
consenter_update() {
	local o=$1 cert=$2
	config_change "tls-$o" orderer consenter_edit "$(node_host net "$o")" "$(port net "$o")" "$cert"
}

# orderer_rejoined O: O is back in Raft: its height is the other orderers' (read before it) and the
# leader's heartbeat it received counts every orderer active (consensus_etcdraft_active_nodes).
orderer_rejoined() {
	local o=$1 other h ref=0 active
	for other in "${ORDERERS[@]}"; do
		[ "$other" != "$o" ] || continue
		h=$(orderer_height "$other")
		[ "${h:-0}" -le "$ref" ] || ref=$h
	done
	h=$(orderer_height "$o")
	[ "${h:-0}" -ge "$ref" ] || return 1
	active=$(ops_metrics "$(addr host "$o" ops)" orderer |
		sed -n "s/^consensus_etcdraft_active_nodes{channel=\"$CHANNEL\"} \\([0-9]*\\)$/\\1/p")
	[ "${active:-0}" -eq ${#ORDERERS[@]} ]
}

# served_cert NODE: the SHA-256 fingerprint of the certificate NODE's main TLS listener presents
# (a peer, an orderer or a CA, ca.ORG), empty when there is no handshake. Peers and orderers require
# a client certificate: the one of their organisation's admin is presented; a CA asks for none.
served_cert() {
	local client=()
	case $1 in
	ca.*) ;;
	*)
		local tls
		tls=$(org_dir "$(node_org "$1")")/users/admin/tls
		client=(-cert "$tls/cert.pem" -key "$tls/key.pem")
		;;
	esac
	{ openssl s_client -connect "$(addr host "$1")" -servername "$(tls_name "$1")" "${client[@]}" </dev/null 2>/dev/null || true; } |
		{ openssl x509 -noout -fingerprint -sha256 2>/dev/null || true; } | sed 's/^.*=//'
}

# renew_in_place ORG DIR HOSTS: the TLS pair in DIR/tls (a server that reads its pair again when
# the files change: a chaincode server, a gateway) reissued by ORG's CA for HOSTS with a new key and
# put in place, key first (between the two moves the files do not match, and the server keeps
# serving the old pair); prints the folder DIR/renewed/STAMP that keeps the replaced pair.
renew_in_place() {
	local org=$1 dir=$2 hosts=$3 work bak f
	work=$(mktemp -d "$dir/.renew.XXXXXX")
	reenroll "$org" "$dir/tls/cert.pem" "$dir/tls/key.pem" "$work" tls "$hosts" || { rm -rf "$work"; return 1; }
	bak=$dir/$RENEWED/$(date -u +%Y%m%dT%H%M%SZ)
	mkdir -p "$bak"
	for f in cert.pem key.pem; do
		cp -p "$dir/tls/$f" "$bak/$f"
		cp -p "$work/$f" "$dir/tls/$f.new"
	done
	mv "$dir/tls/key.pem.new" "$dir/tls/key.pem"
	mv "$dir/tls/cert.pem.new" "$dir/tls/cert.pem"
	rm -rf "$work"
	echo "$bak"
}

# renew_checked NAME DIR BACKUP SERVED...: after renew_in_place, SERVED (a command printing the
# fingerprint the server presents on a new connection) must print the new certificate's; else the
# pair of BACKUP is put back and the command fails.
renew_checked() {
	local name=$1 dir=$2 bak=$3 new
	shift 3
	new=$("$@")
	if [ -z "$new" ] || [ "$new" != "$(cert_fingerprint "$dir/tls/cert.pem")" ]; then
		cp -p "$bak/key.pem" "$dir/tls/key.pem"
		cp -p "$bak/cert.pem" "$dir/tls/cert.pem"
		die "$name does not present its new TLS certificate (it presents ${new:-nothing}): the former pair is back in place"
	fi
}

# A chaincode server's pair (ccaas/server/tls, what the peer verifies against ORG's CA root in its
# package) is renewed in place: the server reads it again on its next handshake
# (chaincode/tlsfiles), so it does not restart and the peer's open connection goes on. The client
# pair the peer presents (ccaas/client) is in the package's connection.json: a new package (make
# upgrade) renews it.

# cc_served_cert ORG: the SHA-256 fingerprint of the certificate ORG's running chaincode server
# presents to its peer's client pair (the one its package names), empty without a handshake.
cc_served_cert() {
	local tls
	tls=$(cc_tls_dir "$1")/client/tls
	{ openssl s_client -connect "$(cc_address host "$CC_SERVER.$1")" -servername "$(tls_name "chaincode.$1")" \
		-cert "$tls/cert.pem" -key "$tls/key.pem" </dev/null 2>/dev/null || true; } |
		{ openssl x509 -noout -fingerprint -sha256 2>/dev/null || true; } | sed 's/^.*=//'
}

# cert_fingerprint FILE: the SHA-256 fingerprint of the certificate in FILE.
cert_fingerprint() { cert_info "$1" | cut -f3; }

# renew_ca ORG: the CA's own TLS pair renewed. With no TLS certificate configured, the CA issues
# itself one (tls-cert.pem, signed by its root, a new key in its keystore) when it starts without
# one: the current one is kept in the CA's renewed/STAMP/, removed, and the CA restarted. Its
# clients trust its root (ca-cert.pem), so nothing else changes; no transaction goes through a
# CA (only registrations and enrollments wait the second it restarts). A CA that does not come
# back is started again with its former certificate.
renew_ca() {
	local org=$1 home bak old new t0=$SECONDS
	home=$(node_dir "ca.$org")
	[ -s "$home/tls-cert.pem" ] || die "renew: ca.$org has no TLS certificate of its own at $home/tls-cert.pem"
	old=$(served_cert "ca.$org")
	step "ca.$org: a new TLS pair, which the CA issues itself as it restarts (the replaced one in $RENEWED/)"
	bak=$home/$RENEWED/$(date -u +%Y%m%dT%H%M%SZ)
	mkdir -p "$bak"
	chmod 700 "$home/$RENEWED" "$bak"
	cp -p "$home/tls-cert.pem" "$bak/tls-cert.pem"
	stop_nodes "ca.$org"
	rm -f "$home/tls-cert.pem"
	if ! (start_and_wait "ca.$org"); then
		say "ca.$org did not come back with a new TLS pair: starting it with its former certificate" >&2
		stop_nodes "ca.$org"
		cp -p "$bak/tls-cert.pem" "$home/tls-cert.pem"
		start_and_wait "ca.$org"
		die "ca.$org was not renewed (its former TLS certificate is back)"
	fi
	new=$(served_cert "ca.$org")
	[ -n "$new" ] && [ "$new" != "$old" ] && [ "$new" = "$(cert_fingerprint "$home/tls-cert.pem")" ] ||
		die "ca.$org does not present a new TLS certificate (it presents ${new:-nothing})"
	openssl verify -CAfile "$(ca_cert "$org")" "$home/tls-cert.pem" >/dev/null ||
		die "ca.$org's new TLS certificate does not chain to its root"
	step_done
	say "ca.$org renewed in $((SECONDS - t0))s: its TLS listener presents the new certificate (was $old, now $new), valid until $(date -u -d "@$(cert_info "$home/tls-cert.pem" | cut -f1)" '+%F %H:%M')"
}

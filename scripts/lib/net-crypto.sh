# shellcheck shell=bash disable=SC2034 # render reads the upper-case locals through envsubst
# Identities of scripts/network.sh: one Fabric CA per org (it issues enrollment certificates and,
# with the "tls" profile, TLS certificates), then nodes, admins and named users with recv.role.

# write_ca_config ORG: renders the CA's config into its home (orgs/ORG/ca) with a fresh random
# bootstrap password and the org's identities (secrets in secrets/, 0600), listening where the
# backend says the CA binds.
write_ca_config() {
	local org=$1 home
	home=$(org_dir "$org")/ca
	mkdir -p "$home" "$NET/secrets"
	chmod 700 "$NET/secrets"
	local secret_file="$NET/secrets/ca.$org.registrar"
	(umask 077 && rand_secret >"$secret_file")
	local CA_PORT CA_LISTEN_HOST CA_NAME="ca.$org" CA_ADMIN=registrar CA_ADMIN_PASSWORD
	local CA_AFFILIATION=$org CA_HOST ORG_DOMAIN="$org.$DOMAIN" ORG_NAME=${MSP[$org]}
	local CA_OPS_LISTEN CERT_EXPIRY=${RECV_CERT_EXPIRY:-8760h}
	CA_HOST=$(tls_name "ca.$org")
	CA_LISTEN_HOST=$(node_host self "ca.$org")
	CA_PORT=$(port self "ca.$org")
	CA_OPS_LISTEN=$(addr self "ca.$org" ops)
	CA_ADMIN_PASSWORD=$(cat "$secret_file")
	local CA_IDENTITIES="" name type role
	: >"$NET/secrets/ca.$org.ids"
	while read -r name type role; do
		local secret
		secret=$(rand_secret)
		echo "$name $secret" >>"$NET/secrets/ca.$org.ids"
		CA_IDENTITIES+="    - name: $name
      pass: $secret
      type: $type
      affiliation: \"\"
      attrs:
        hf.EnrollmentID: \"$name:ecert\"
        hf.Type: \"$type:ecert\"
        hf.Affiliation: \":ecert\"
"
		[ "$role" = - ] || CA_IDENTITIES+="        recv.role: \"$role:ecert\"
"
	done < <(org_identities "$org")
	chmod 600 "$NET/secrets/ca.$org.ids"
	(umask 077 && render "$TEMPLATES/fabric-ca-server-config.yaml" "$home/fabric-ca-server-config.yaml" \
		CA_PORT CA_LISTEN_HOST CA_NAME CA_ADMIN CA_ADMIN_PASSWORD CA_AFFILIATION CA_HOST ORG_DOMAIN ORG_NAME \
		CA_OPS_LISTEN CA_IDENTITIES CERT_EXPIRY)
}

# write_ca_ops_tls ORG: the key pair of the CA's operations listener, in its home's ops-tls/ (the
# config names it there), made before the CA's first start: a self-signed ECDSA P-256 certificate
# for the CA's TLS name, localhost and 127.0.0.1, which clients of /healthz trust by itself
# (ca_ops_healthy). The CA cannot serve its operations endpoint over the TLS certificate it issues
# itself, which it writes only after that endpoint has started.
write_ca_ops_tls() {
	local org=$1 dir
	dir=$(node_dir "ca.$org")/ops-tls
	mkdir -p "$dir"
	[ -s "$dir/cert.pem" ] && [ -s "$dir/key.pem" ] && return 0
	local name
	name=$(tls_name "ca.$org")
	(umask 077 && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
		-keyout "$dir/key.pem" -out "$dir/cert.pem" -subj "/O=$org.$DOMAIN/CN=$name operations" \
		-addext "subjectAltName=DNS:$name,DNS:localhost,IP:127.0.0.1" \
		-addext "extendedKeyUsage=serverAuth" >/dev/null 2>&1) || { say "openssl: no key pair for ca.$org operations" >&2; return 1; }
	chmod 700 "$dir"
	chmod 600 "$dir/key.pem"
}

# ca_ops_healthy ORG: the CA's operations endpoint answers /healthz over TLS; true without a check
# when the backend does not publish it on this host (CA_OPS_FROM_HOST=0: compose checks it inside
# the container, network/docker/compose.yaml).
ca_ops_healthy() {
	local org=$1
	[ "${CA_OPS_FROM_HOST:-1}" = 1 ] || return 0
	healthy "$(addr host "ca.$org" ops)" "$(node_dir "ca.$org")/ops-tls/cert.pem"
}

# ops_dir ORG: the org's operations identities (docs/network.md, "Operations endpoints"): ca/cert.pem,
# the operations client CA its peer and orderers trust on their operations listeners, and
# operator/{cert,key}.pem, that CA's one leaf: the org's operator's TLS client pair for /metrics
# and /logspec (the scripts' metric reads use it; so will a Prometheus of the org).
ops_dir() { echo "$(org_dir "$1")/ops"; }

# write_ops_identities ORG: the org's operations client CA, separate from the org's Fabric CA (whose
# users' certificates must not reach the operations endpoints, and Fabric filters them by root
# only), and the operator's client certificate it signs: a self-signed P-256 CA certificate, a
# P-256 leaf with extendedKeyUsage clientAuth. The CA's key is deleted once the leaf is signed, so
# the operator's certificate is and stays the CA's only leaf; a new one means a new CA (remove
# ops/, then render and restart the org's nodes). Kept when both exist (add-org run again).
write_ops_identities() {
	local org=$1 dir
	dir=$(ops_dir "$org")
	[ -s "$dir/ca/cert.pem" ] && [ -s "$dir/operator/cert.pem" ] && [ -s "$dir/operator/key.pem" ] && return 0
	rm -rf "$dir"
	mkdir -p "$dir/ca" "$dir/operator"
	chmod 700 "$dir" "$dir/ca" "$dir/operator"
	(
		umask 077
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
			-keyout "$dir/ca/key.pem" -out "$dir/ca/cert.pem" -subj "/O=$org.$DOMAIN/OU=operations/CN=ops-ca.$org.$DOMAIN" \
			-addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign"
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/operator/key.pem" \
			-subj "/O=$org.$DOMAIN/OU=operations/CN=operator.$org.$DOMAIN" |
			openssl x509 -req -CA "$dir/ca/cert.pem" -CAkey "$dir/ca/key.pem" -set_serial "0x$(openssl rand -hex 16)" \
				-days 3650 -out "$dir/operator/cert.pem" -extfile <(printf '%s\n' "basicConstraints=critical,CA:FALSE" \
				"keyUsage=critical,digitalSignature" "extendedKeyUsage=clientAuth" "authorityKeyIdentifier=keyid")
	) >/dev/null 2>&1 || { say "openssl: no operations identities for $org" >&2; return 1; }
	rm -f "$dir/ca/key.pem"
	[ -s "$dir/operator/cert.pem" ] || { say "openssl: no operator certificate for $org" >&2; return 1; }
}

# copy_ops_client_ca NODE ORG: ORG's operations client CA (ops/ca/cert.pem) into the peer's or
# orderer's folder as ops-client-ca.pem, the root its operations listener trusts (a container sees
# its own folder only).
copy_ops_client_ca() {
	cp "$(ops_dir "$2")/ca/cert.pem" "$(node_dir "$1")/ops-client-ca.pem"
}

# org_identities ORG: "name type role" per identity the org's CA registers at first start.
org_identities() {
	local org=$1 o u
	if [ "$org" = orderer ]; then
		for o in "${ORDERERS[@]}"; do echo "$o orderer -"; done
	else
		echo "peer0 peer -"
		echo "ccaas-server client -"
		echo "ccaas-client client -"
		! gateway_tls || echo "gateway-server client -"
	fi
	echo "admin admin admin"
	for u in ${USERS[$org]}; do echo "${u%%:*} client ${u#*:}"; done
}

ca_ready() {
	local org=$1
	[ -s "$(ca_cert "$org")" ] &&
		curl -sf --max-time 5 --cacert "$(ca_cert "$org")" "https://$(addr host "ca.$org")/cainfo" >/dev/null
}

# ca_client ORG ARGS...: fabric-ca-client against the org's CA over TLS.
ca_client() {
	local org=$1
	shift
	"$BIN/fabric-ca-client" "$@" --home "$(org_dir "$org")/ca-client" \
		--tls.certfiles "$(ca_cert "$org")" >>"$NET/logs/enroll.$org.log" 2>&1
}

ca_url() { echo "https://$1@$(addr host "ca.$2")"; }

# tidy_msp DIR ORG: stable file names (cacerts/ca.pem, keystore/key.pem) and the NodeOU config.
tidy_msp() {
	local dir=$1 org=$2
	rm -rf "$dir/cacerts" "$dir/tlscacerts" "$dir/intermediatecerts"
	mkdir -p "$dir/cacerts" "$dir/tlscacerts"
	cp "$(ca_cert "$org")" "$dir/cacerts/ca.pem"
	cp "$(ca_cert "$org")" "$dir/tlscacerts/ca.pem"
	local key
	key=$(find "$dir/keystore" -name '*_sk' -print -quit)
	[ -n "$key" ] && mv "$key" "$dir/keystore/key.pem"
	chmod 600 "$dir/keystore/key.pem"
	write_nodeous "$dir"
}

write_nodeous() {
	cat >"$1/config.yaml" <<'EOF'
NodeOUs:
  Enable: true
  ClientOUIdentifier:
    Certificate: cacerts/ca.pem
    OrganizationalUnitIdentifier: client
  PeerOUIdentifier:
    Certificate: cacerts/ca.pem
    OrganizationalUnitIdentifier: peer
  AdminOUIdentifier:
    Certificate: cacerts/ca.pem
    OrganizationalUnitIdentifier: admin
  OrdererOUIdentifier:
    Certificate: cacerts/ca.pem
    OrganizationalUnitIdentifier: orderer
EOF
}

# csr_names ORG: the subject names of every certificate request of ORG's identities (the CA adds
# the OU of the identity's type).
csr_names() { echo "C=CN,ST=Shanghai,L=Shanghai,O=$1.$DOMAIN"; }

# node_hosts NODE: the names and addresses in a peer's or orderer's TLS certificate.
node_hosts() {
	case $1 in
	orderer[0-9]) echo "$(orderer_host "$1"),$1,localhost,$HOST$(extra_hosts)" ;;
	peer0.*) echo "$(peer_host "${1#peer0.}"),$1,localhost,$HOST$(extra_hosts)" ;;
	chaincode.*) echo "$(tls_name "$1"),$1,localhost,$HOST$(extra_hosts)" ;;
	esac
}

# enroll_identity ORG NAME DIR [HOSTS [TLS_ONLY]]: enrolls NAME (registered by the CA's config)
# into DIR/msp (unless TLS_ONLY); with HOSTS, also a TLS certificate into DIR/tls (cert.pem,
# key.pem, ca.pem). The secret enrolls once (the CAs' maxenrollments is 1): the TLS certificate of
# an identity that has an enrollment certificate comes from a reenrollment signed with it.
enroll_identity() {
	local org=$1 name=$2 dir=$3 hosts=${4:-} tls_only=${5:-}
	local secret
	secret=$(awk -v n="$name" '$1 == n { print $2 }' "$NET/secrets/ca.$org.ids")
	[ -n "$secret" ] || { say "no secret for $name at ca.$org" >&2; return 1; }
	local csr_names
	csr_names=$(csr_names "$org")
	if [ -z "$tls_only" ]; then
		ca_client "$org" enroll -u "$(ca_url "$name:$secret" "$org")" --mspdir "$dir/msp" --csr.names "$csr_names" \
			--csr.hosts "${hosts:-$name}"
		tidy_msp "$dir/msp" "$org"
	fi
	if [ -n "$hosts" ] && [ -z "$tls_only" ]; then
		rm -rf "$dir/tls-msp"
		cp -r "$dir/msp" "$dir/tls-msp"
		rm -f "$dir/tls-msp/keystore/"*
		cp "$dir/msp/keystore/key.pem" "$dir/tls-msp/keystore/enrollment_sk"
		ca_client "$org" reenroll -u "https://$(addr host "ca.$org")" --mspdir "$dir/tls-msp" \
			--enrollment.profile tls --csr.names "$csr_names" --csr.hosts "$hosts"
		rm -f "$dir/tls-msp/keystore/enrollment_sk"
	elif [ -n "$hosts" ]; then
		ca_client "$org" enroll -u "$(ca_url "$name:$secret" "$org")" --mspdir "$dir/tls-msp" \
			--enrollment.profile tls --csr.names "$csr_names" --csr.hosts "$hosts"
	fi
	if [ -n "$hosts" ]; then
		mkdir -p "$dir/tls"
		cp "$dir/tls-msp/signcerts/cert.pem" "$dir/tls/cert.pem"
		cp "$(find "$dir/tls-msp/keystore" -name '*_sk' -print -quit)" "$dir/tls/key.pem"
		chmod 600 "$dir/tls/key.pem"
		cp "$(ca_cert "$org")" "$dir/tls/ca.pem"
		rm -rf "$dir/tls-msp"
	fi
}

extra_hosts() { [ -n "${RECV_TLS_EXTRA_HOSTS:-}" ] && printf ',%s' "$RECV_TLS_EXTRA_HOSTS"; true; }

# enroll_org ORG: the registrar, the org MSP for the channel, the nodes, admin and users, and the
# operations identities (write_ops_identities).
enroll_org() {
	local org=$1 dir
	dir=$(org_dir "$org")
	: >"$NET/logs/enroll.$org.log"
	ca_client "$org" enroll -u "$(ca_url "registrar:$(cat "$NET/secrets/ca.$org.registrar")" "$org")" \
		--mspdir "$dir/registrar/msp"
	tidy_msp "$dir/registrar/msp" "$org"

	mkdir -p "$dir/msp"
	rm -rf "$dir/msp/cacerts" "$dir/msp/tlscacerts"
	mkdir -p "$dir/msp/cacerts" "$dir/msp/tlscacerts"
	cp "$(ca_cert "$org")" "$dir/msp/cacerts/ca.pem"
	cp "$(ca_cert "$org")" "$dir/msp/tlscacerts/ca.pem"
	write_nodeous "$dir/msp"

	local o
	if [ "$org" = orderer ]; then
		for o in "${ORDERERS[@]}"; do
			enroll_identity orderer "$o" "$dir/$o" "$(node_hosts "$o")"
		done
	else
		enroll_identity "$org" peer0 "$dir/peer0" "$(node_hosts "peer0.$org")"
		# The org's own chaincode server's TLS certificate, and the client certificate the org's
		# peer presents to it (it travels in the org's package's connection.json, as CCaaS
		# prescribes); both from the org's CA.
		enroll_identity "$org" ccaas-server "$dir/ccaas/server" "$(node_hosts "chaincode.$org")" tls-only
		enroll_identity "$org" ccaas-client "$dir/ccaas/client" "ccaas-client.$org.$DOMAIN" tls-only
		# A gateway node's HTTPS pair (gateway node folder's tls/), from the org's CA, for its TLS
		# name and this host's published address.
		! gateway_tls || enroll_identity "$org" gateway-server "$(node_dir "gateway.$org")" \
			"$(tls_name "gateway.$org"),gateway.$org,localhost,$HOST$(extra_hosts)" tls-only
	fi
	# The admin also gets a TLS client certificate: for osnadmin and, with RECV_CLIENT_AUTH, the
	# peers and orderers (the operations endpoints refuse it: they take the operator's, ops/).
	enroll_identity "$org" admin "$dir/users/admin" "admin.$org.$DOMAIN"
	local u
	for u in ${USERS[$org]}; do
		enroll_identity "$org" "${u%%:*}" "$dir/users/${u%%:*}"
	done
	write_ops_identities "$org"
}

# forget_secrets ORG: once every identity of the org's CA config is enrolled, the secrets are
# gone: the secrets files are removed and the CA's config keeps no password (the CA registered the
# identities in its database at its first start and never reads them from the config again).
forget_secrets() {
	local org=$1
	rm -f "$NET/secrets/ca.$org.ids" "$NET/secrets/ca.$org.registrar"
	sed -i '/^[[:space:]]*pass:/d' "$(org_dir "$org")/ca/fabric-ca-server-config.yaml"
}

# setup_identities: every CA started and ready, every org enrolled (orgs in parallel).
setup_identities() {
	local org cas=()
	for org in orderer "${ORGS[@]}"; do
		write_ca_config "$org"
		write_ca_ops_tls "$org"
		cas+=("ca.$org")
	done
	start_and_wait "${cas[@]}"
	say "    CAs ready in $((SECONDS - STEP_STARTED))s"
	enroll_orgs
}

# enroll_orgs: every org enrolled at its (running) CA, orgs in parallel, then the TLS root bundle.
enroll_orgs() {
	local org
	per_org enroll "enrolling the identities" "orderer ${ORGS[*]}" enroll_org
	for org in orderer "${ORGS[@]}"; do forget_secrets "$org"; done
	: >"$(tls_bundle)"
	for org in orderer "${ORGS[@]}"; do cat "$(ca_cert "$org")" >>"$(tls_bundle)"; done
}

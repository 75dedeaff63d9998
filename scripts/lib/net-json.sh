# shellcheck shell=bash
# network.json (docs/interfaces.md section 2): what the gateways and the tests read (both backends).

# json_str S: S as a JSON string (paths and names here hold no control characters).
json_str() {
	local s=${1//\\/\\\\}
	printf '"%s"' "${s//\"/\\\"}"
}

# write_network_json [ORG]: without ORG, $NET/network.json: every org and orderer as this host
# sees them (published addresses, host paths). With ORG, the network.json the org's gateway node
# reads (orgs/ORG/gateway/network.json): its org only, no orderers, the peer and CA as the other
# nodes see them, paths as the gateway sees them, its own listener.
write_network_json() {
	# reader: who reads the file (host, or the gateway node); from: where it sees the nodes from;
	# P: how it sees a path; gw_from: how it sees the gateway's listener.
	local reader=host from=host gw_from=host P=host_path out=$NET/network.json
	local tmp o org u first orgs=("${ORGS[@]}") orderers=("${ORDERERS[@]}")
	if [ -n "${1:-}" ]; then
		reader=gateway.$1 from=net gw_from=self P=node_path orgs=("$1") orderers=()
		out=$(node_dir "$reader")/network.json
		mkdir -p "$(dirname "$out")"
	fi
	tmp=$(mktemp "$(dirname "$out")/.network.json.XXXXXX")
	{
		printf '{\n  "channel": %s, "chaincode": %s,\n  "orderers": [' "$(json_str "$CHANNEL")" "$(json_str "$CC_NAME")"
		first=1
		for o in "${orderers[@]}"; do
			[ $first -eq 1 ] || printf ','
			first=0
			printf '\n    {"name": %s, "address": %s, "serverName": %s, "tlsCACert": %s, "admin": %s, "operations": %s}' \
				"$(json_str "$o")" "$(json_str "$(addr "$from" "$o")")" "$(json_str "$(tls_name "$o")")" \
				"$(json_str "$($P "$reader" "$(ca_cert orderer)")")" "$(json_str "$(addr "$from" "$o" admin)")" \
				"$(json_str "$(addr "$from" "$o" ops)")"
		done
		[ $first -eq 1 ] || printf '\n  '
		printf '],\n  "orgs": {'
		first=1
		for org in "${orgs[@]}"; do
			local dir
			dir=$(org_dir "$org")
			[ $first -eq 1 ] || printf ','
			first=0
			printf '\n    %s: {\n      "name": %s,\n' "$(json_str "${MSP[$org]}")" "$(json_str "$org")"
			# The org's software (gateway, tests) presents the org admin's TLS pair to the peer.
			printf '      "peer": {"name": %s, "address": %s, "serverName": %s, "tlsCACert": %s, "operations": %s,\n' \
				"$(json_str "peer0.$org")" "$(json_str "$(addr "$from" "peer0.$org")")" "$(json_str "$(peer_host "$org")")" \
				"$(json_str "$($P "$reader" "$(ca_cert "$org")")")" "$(json_str "$(addr "$from" "peer0.$org" ops)")"
			printf '        "tlsClientCert": %s, "tlsClientKey": %s},\n' \
				"$(json_str "$($P "$reader" "$dir/users/admin/tls/cert.pem")")" "$(json_str "$($P "$reader" "$dir/users/admin/tls/key.pem")")"
			printf '      "ca": {"url": %s, "name": %s, "tlsCACert": %s, "adminCert": %s, "adminKey": %s},\n' \
				"$(json_str "https://$(addr "$from" "ca.$org")")" "$(json_str "ca.$org")" "$(json_str "$($P "$reader" "$(ca_cert "$org")")")" \
				"$(json_str "$($P "$reader" "$dir/registrar/msp/signcerts/cert.pem")")" "$(json_str "$($P "$reader" "$dir/registrar/msp/keystore/key.pem")")"
			# A gateway that serves HTTPS: the root its certificate chains to, as the reader sees it.
			local gw_tls=""
			! gateway_tls || gw_tls=", \"tlsCACert\": $(json_str "$($P "$reader" "$(ca_cert "$org")")")"
			printf '      "gateway": {"address": %s%s},\n      "users": {' "$(json_str "$(addr "$gw_from" "gateway.$org")")" "$gw_tls"
			local ufirst=1
			for u in ${USERS[$org]} admin:admin; do
				[ $ufirst -eq 1 ] || printf ','
				ufirst=0
				printf '\n        %s: {"role": %s, "cert": %s, "key": %s}' "$(json_str "${u%%:*}")" "$(json_str "${u#*:}")" \
					"$(json_str "$($P "$reader" "$dir/users/${u%%:*}/msp/signcerts/cert.pem")")" \
					"$(json_str "$($P "$reader" "$dir/users/${u%%:*}/msp/keystore/key.pem")")"
			done
			printf '\n      }\n    }'
		done
		printf '\n  }\n}\n'
	} >"$tmp"
	mv "$tmp" "$out"
}

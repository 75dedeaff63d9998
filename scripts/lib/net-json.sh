# shellcheck shell=bash
# network.json (docs/interfaces.md section 2): what the gateways and the tests read.

# json_str S: S as a JSON string (paths and names here hold no control characters).
json_str() {
	local s=${1//\\/\\\\}
	printf '"%s"' "${s//\"/\\\"}"
}

write_network_json() {
	local out=$NET/network.json tmp o org u first
	tmp=$(mktemp "$NET/.network.json.XXXXXX")
	{
		printf '{\n  "channel": %s, "chaincode": %s,\n  "orderers": [' "$(json_str "$CHANNEL")" "$(json_str "$CC_NAME")"
		first=1
		for o in "${ORDERERS[@]}"; do
			[ $first -eq 1 ] || printf ','
			first=0
			printf '\n    {"name": %s, "address": %s, "serverName": %s, "tlsCACert": %s, "admin": %s, "operations": %s}' \
				"$(json_str "$o")" "$(json_str "$HOST:$(orderer_port "$o")")" "$(json_str "$(orderer_host "$o")")" \
				"$(json_str "$(ca_cert orderer)")" "$(json_str "$HOST:$(orderer_admin_port "$o")")" \
				"$(json_str "$HOST:$(orderer_ops_port "$o")")"
		done
		printf '\n  ],\n  "orgs": {'
		first=1
		for org in "${ORGS[@]}"; do
			local dir
			dir=$(org_dir "$org")
			[ $first -eq 1 ] || printf ','
			first=0
			printf '\n    %s: {\n      "name": %s,\n' "$(json_str "${MSP[$org]}")" "$(json_str "$org")"
			printf '      "peer": {"name": %s, "address": %s, "serverName": %s, "tlsCACert": %s, "operations": %s},\n' \
				"$(json_str "peer0.$org")" "$(json_str "$HOST:$(peer_port "$org")")" "$(json_str "$(peer_host "$org")")" \
				"$(json_str "$(ca_cert "$org")")" "$(json_str "$HOST:$(peer_ops_port "$org")")"
			printf '      "ca": {"url": %s, "name": %s, "tlsCACert": %s, "adminCert": %s, "adminKey": %s},\n' \
				"$(json_str "https://$HOST:$(ca_port "$org")")" "$(json_str "ca.$org")" "$(json_str "$(ca_cert "$org")")" \
				"$(json_str "$dir/registrar/msp/signcerts/cert.pem")" "$(json_str "$dir/registrar/msp/keystore/key.pem")"
			printf '      "gateway": {"address": %s},\n      "users": {' "$(json_str "$HOST:$(gateway_port "$org")")"
			local users="${USERS[$org]} admin:admin" ufirst=1
			for u in $users; do
				[ $ufirst -eq 1 ] || printf ','
				ufirst=0
				printf '\n        %s: {"role": %s, "cert": %s, "key": %s}' "$(json_str "${u%%:*}")" "$(json_str "${u#*:}")" \
					"$(json_str "$dir/users/${u%%:*}/msp/signcerts/cert.pem")" "$(json_str "$dir/users/${u%%:*}/msp/keystore/key.pem")"
			done
			printf '\n      }\n    }'
		done
		printf '\n  }\n}\n'
	} >"$tmp"
	mv "$tmp" "$out"
}

# shellcheck shell=bash
# Channel configuration updates (both backends): the one place that fetches the channel's
# configuration, changes it, computes the update, collects the admins' signatures the channel's
# policies require, submits it and waits until every peer has the new configuration block.
#
#   config_change WHAT SUBMITTER EDIT [ARGS...]
#       the whole update: EDIT is a function called as `EDIT IN.json OUT.json ARGS...` that writes
#       the changed configuration (jq over the decoded config); the signers are the admins the
#       policy of every changed group names (config_signers), SUBMITTER submits (its signature is
#       added by the submit). Says so and changes nothing when EDIT changed nothing. CONFIG_SIGNERS
#       (org names) replaces the computed signers: to show that fewer admins are refused.
#
# The pieces, for callers with other needs:
#   config_fetch ORG OUT.json         the channel's current config (decoded), fetched by ORG's admin
#   config_compute IN OUT ENV.pb      the update from IN to OUT as a signed-config envelope; 1 when empty
#   config_signers IN ENV.pb          the organisations whose admins must sign ENV.pb (see below)
#   config_sign ENV.pb ORG...         each ORG's admin adds its signature (peer channel signconfigtx)
#   config_submit ENV.pb ORG          ORG's admin submits it (peer channel update) to orderer1
#   config_wait_peers                 every peer's height reaches the orderer's
#   org_crl_update ORG CRL            a CA's revocation list into ORG's channel MSP (revoke-user)
#
# configtxlator is built from the pinned Fabric module (scripts/fabric-bin/build.sh) and used as a
# command (proto_decode, proto_encode, compute_update); the JSON work is jq.

config_dir() { echo "$NET/channel/updates"; }

ctl() { "$BIN/configtxlator" "$@"; }

# config_fetch ORG OUT: the latest configuration block, fetched from orderer1 as ORG's admin,
# decoded to the Config JSON (the block's first envelope's config).
config_fetch() {
	local org=$1 out=$2 block
	mkdir -p "$(config_dir)"
	block=$(mktemp "$(config_dir)/config.XXXXXX.pb")
	# shellcheck disable=SC2046
	peer_cli "$org" channel fetch config "$block" -c "$CHANNEL" $(orderer_flags "$org") >>"$NET/logs/config.log" 2>&1 ||
		{ tail -n 20 "$NET/logs/config.log" >&2; rm -f "$block"; return 1; }
	ctl proto_decode --input "$block" --type common.Block | jq '.data.data[0].payload.data.config' >"$out"
	rm -f "$block"
	[ -s "$out" ] && [ "$(jq -r 'type' "$out")" = object ] || { say "no configuration in the fetched block" >&2; return 1; }
}

# config_compute IN OUT ENV: the update that turns config IN into config OUT, wrapped in a
# CONFIG_UPDATE envelope for the channel (unsigned). Returns 1 (and writes nothing) when OUT does
# not differ from IN.
config_compute() {
	local in=$1 out=$2 env=$3 work
	work=$(mktemp -d "$(config_dir)/compute.XXXXXX")
	ctl proto_encode --input "$in" --type common.Config --output "$work/in.pb"
	ctl proto_encode --input "$out" --type common.Config --output "$work/out.pb"
	if ! ctl compute_update --channel_id "$CHANNEL" --original "$work/in.pb" --updated "$work/out.pb" \
		--output "$work/update.pb" 2>"$work/err"; then
		if grep -q 'no differences detected' "$work/err"; then
			rm -rf "$work"
			return 1
		fi
		cat "$work/err" >&2
		rm -rf "$work"
		return 2
	fi
	ctl proto_decode --input "$work/update.pb" --type common.ConfigUpdate >"$work/update.json"
	jq -n --arg ch "$CHANNEL" --slurpfile u "$work/update.json" \
		'{payload: {header: {channel_header: {channel_id: $ch, type: 2}}, data: {config_update: $u[0]}}}' >"$work/env.json"
	ctl proto_encode --input "$work/env.json" --type common.Envelope --output "$env"
	rm -rf "$work"
}

# policy_msps CONFIG PATH: the MSP IDs a policy at PATH (a jq path to a ConfigPolicy, e.g.
# .channel_group.groups.Application.policies.Admins) names: the principals of a signature policy,
# or, for an implicit-meta policy, every organisation of the group it refers to (each may be needed).
policy_msps() {
	local cfg=$1 path=$2
	jq -r "($path).policy as \$p | if \$p.type == 1 then \$p.value.identities[].principal.msp_identifier
		else empty end" "$cfg"
}

# config_signers IN ENV: the organisations whose admins sign an update: for every group the update
# writes (a changed group is modified under its mod_policy, "Admins" for every group here), the
# MSP IDs its Admins policy names: for the Application group the explicit policy of the core
# enterprise and every bank; for one organisation's group that organisation's admin; for an
# implicit-meta policy (MAJORITY Admins) every organisation of the group; for the Orderer group
# (BatchTimeout, BatchSize: `network.sh config-update`) the ordering organisation's admin.
# Printed as org names.
config_signers() {
	local cfg=$1 env=$2 groups msps="" g
	groups=$(ctl proto_decode --input "$env" --type common.Envelope | jq -r '
		def ver(x): (x.version // "0");
		def differs(w; r; kind): [(w[kind] // {}) | to_entries[] | select(ver(.value) != ver(r[kind][.key] // {version: "-"}))] | length > 0;
		def changed(w; r): r == null or ver(w) != ver(r) or differs(w; r; "policies") or differs(w; r; "values");
		.payload.data.config_update as $u | ($u.write_set.groups.Application // null) as $w |
		($u.read_set.groups.Application // {}) as $r |
		($u.write_set.groups.Orderer // null) as $ow | ($u.read_set.groups.Orderer // {}) as $ordr |
		(if $w == null then empty else
			(if changed($w; $r) then "Application" else empty end),
			(($w.groups // {}) | to_entries[] | select(changed(.value; $r.groups[.key] // null)) | "Application/" + .key)
		end),
		(if $ow != null and changed($ow; $ordr) then "Orderer" else empty end)')
	for g in $groups; do
		case $g in
		Application)
			if [ "$(jq -r '.channel_group.groups.Application.policies.Admins.policy.type' "$cfg")" = 1 ]; then
				msps+=" $(policy_msps "$cfg" .channel_group.groups.Application.policies.Admins)"
			else
				msps+=" $(jq -r '.channel_group.groups.Application.groups | keys[]' "$cfg")"
			fi
			;;
		Orderer)
			# Block cutting and consensus values: the ordering organisation's admins (MAJORITY).
			msps+=" $(jq -r '.channel_group.groups.Orderer.groups | keys[]' "$cfg")"
			;;
		Application/*)
			# A new organisation's group is added under the Application group's policy (above); an
			# existing one's is changed by its own admins.
			if jq -e --arg o "${g#Application/}" '.channel_group.groups.Application.groups[$o] != null' "$cfg" >/dev/null; then
				msps+=" ${g#Application/}"
			fi
			;;
		esac
	done
	local m org
	for m in $(tr ' ' '\n' <<<"$msps" | sed '/^$/d' | sort -u); do
		org=$(org_of_msp "$m") || { say "no organisation with MSP $m in this network" >&2; return 1; }
		echo "$org"
	done
}

# org_of_msp MSPID: the network's org name for an MSP ID (the ordering organisation's included).
org_of_msp() {
	local org
	for org in "${ORGS[@]}" orderer; do
		[ "${MSP[$org]}" = "$1" ] && { echo "$org"; return 0; }
	done
	return 1
}

# config_sign ENV ORG...: each ORG's admin signs ENV in place.
config_sign() {
	local env=$1 org
	shift
	for org in "$@"; do
		peer_cli "$org" channel signconfigtx -f "$env" >>"$NET/logs/config.log" 2>&1 ||
			{ tail -n 20 "$NET/logs/config.log" >&2; return 1; }
	done
}

# config_submit ENV ORG: ORG's admin submits the signed update (adding its own signature).
config_submit() {
	local env=$1 org=$2 out
	# shellcheck disable=SC2046
	out=$(peer_cli "$org" channel update -f "$env" -c "$CHANNEL" $(orderer_flags "$org") 2>&1) || {
		echo "$out" >>"$NET/logs/config.log"
		say "the orderer refused the configuration update: $(grep -oE '(Error|error).*' <<<"$out" | tail -n 1)" >&2
		return 1
	}
	echo "$out" >>"$NET/logs/config.log"
}

# peers_at_height H: every running peer's channel height is at least H (a joining org's peer that
# is not started yet is not waited for).
peers_at_height() {
	local org h
	for org in "${ORGS[@]}"; do
		node_running "peer0.$org" || continue
		h=$(peer_height "$org")
		[ "${h:-0}" -ge "$1" ] || return 1
	done
}

# config_wait_peers: every running peer has every block orderer1 has.
config_wait_peers() {
	local h
	h=$(orderer_height orderer1)
	[ -n "$h" ] || { say "orderer1 does not report the channel's height" >&2; return 1; }
	wait_until "every peer at height $h" "" "$READY_TIMEOUT" peers_at_height "$h"
}

# config_change WHAT SUBMITTER EDIT [ARGS...]: see the top of this file. The update's files stay in
# $NET/channel/updates/ (the envelope as signed) for the record.
config_change() {
	local what=$1 submitter=$2 edit=$3
	shift 3
	local dir name signers org
	dir=$(config_dir)
	mkdir -p "$dir"
	name=$(date -u +%Y%m%dT%H%M%S)-${what//[^A-Za-z0-9_-]/-}
	config_fetch "$submitter" "$dir/$name.before.json"
	"$edit" "$dir/$name.before.json" "$dir/$name.after.json" "$@"
	local rc=0
	config_compute "$dir/$name.before.json" "$dir/$name.after.json" "$dir/$name.pb" || rc=$?
	case $rc in
	0) ;;
	1) say "    $what: the channel configuration already says so; nothing to update"; return 0 ;;
	*) return 1 ;;
	esac
	signers=${CONFIG_SIGNERS:-$(config_signers "$dir/$name.before.json" "$dir/$name.pb")}
	[ -n "$signers" ] || { say "no admin signs this update: nothing the configuration's policies name" >&2; return 1; }
	say "    $what: signed by the admins of $(echo "$signers" | paste -sd' '), submitted by $submitter's"
	local others=()
	for org in $signers; do [ "$org" = "$submitter" ] || others+=("$org"); done
	config_sign "$dir/$name.pb" "${others[@]}"
	config_submit "$dir/$name.pb" "$submitter"
	config_wait_peers
}

# jq_edit IN OUT FILTER: the configuration changed by a jq filter (network.sh config-update).
jq_edit() { jq "$3" "$1" >"$2"; }

# crl_edit IN OUT ORG CRL: ORG's MSP in the channel configuration with CRL (a PEM file: the CA's
# whole current list) as its revocation list.
crl_edit() {
	jq --arg m "${MSP[$3]}" --arg crl "$(base64 -w0 "$4")" \
		'.channel_group.groups.Application.groups[$m].values.MSP.value.config.revocation_list = [$crl]' "$1" >"$2"
}

# org_crl_update ORG CRL: the CRL into ORG's channel MSP (a change of ORG's own group: its admin
# signs and submits), and into the local MSPs of its peer and users (crls/) for their next start.
# Every peer refuses the revoked certificates once it has the configuration block.
org_crl_update() {
	local org=$1 crl=$2 dir
	config_change "crl-${MSP[$org]}" "$org" crl_edit "$org" "$crl"
	for dir in "$(org_dir "$org")/msp" "$(org_dir "$org")/peer0/msp"; do
		[ -d "$dir" ] || continue
		mkdir -p "$dir/crls"
		cp "$crl" "$dir/crls/crl.pem"
	done
}

# revoke_user ORG NAME [REASON]: NAME's certificates revoked at ORG's CA through ORG's gateway
# (recv user revoke, as ORG's admin), and the CA's CRL into ORG's channel MSP (org_crl_update).
revoke_user() {
	local org=$1 name=$2 reason=${3:-} crl
	[ -n "${MSP[$org]:-}" ] || die "no organisation $org; orgs: ${ORGS[*]}"
	crl=$(mktemp "$NET/channel/crl.XXXXXX")
	recv_as "${MSP[$org]}/admin" user revoke "$name" ${reason:+--reason "$reason"} --crl-out "$crl"
	org_crl_update "$org" "$crl"
	rm -f "$crl"
}

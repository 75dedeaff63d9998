# shellcheck shell=bash
# A bank joins the running network (both backends' `add-org`; docs/network.md, "A bank joins the
# running network"). The steps, each a function of its own:
#   define_org NAME ...   the network definition gains the org (ADDED_ORGS_FILE, lib/net-common.sh),
#                         so status, down, network.json and the gateways treat it as a member
#   org_identities_up     its CA (config rendered like the others'), started; its identities enrolled
#   org_channel_update    the channel configuration update: the org's group, and the veto policies
#                         (Admins, LifecycleEndorsement) with the org in them; signed by the admins
#                         the current Admins policy names (the core enterprise and every bank)
#   org_peer_up           its peer, joined from the genesis block; it catches up with the orderers
#   (deploy_chaincode)    a new definition sequence (endorsement policy and, with them, the private
#                         data collections from the org list) approved by every org and committed
#   org_registered        the set-org proposal: the core enterprise's admin proposes, every bank's
#                         admin approves (each holds a veto, as on the channel), then the others'
#                         until a majority applies it; the new org's admin then opens its users'
#                         accounts
# add_org runs them all; each backend's script says how its gateways start (org_gateway_up).

# credit_code_check FIRST17: the GB 32100-2015 check character of a unified social credit code
# (the chaincode's receivable.CreditCodeCheck).
credit_code_check() {
	local chars=0123456789ABCDEFGHJKLMNPQRTUWXY weights=(1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28)
	local s=$1 sum=0 i c v
	for ((i = 0; i < 17; i++)); do
		c=${s:i:1}
		v=${chars%%"$c"*}
		[ ${#v} -lt ${#chars} ] || return 1
		sum=$((sum + ${#v} * weights[i]))
	done
	echo "${chars:$(((31 - sum % 31) % 31)):1}"
}

# define_org NAME KIND [LEGAL_NAME] [CREDIT_CODE]: records the org in ADDED_ORGS_FILE at the next
# free index (its ports follow from it) with MSP ID NameMSP and the kind's named users, and loads
# it. The legal name defaults to "Name Commercial Bank Co., Ltd.", the credit code to a valid one
# made from the index.
define_org() {
	local name=$1 kind=$2 legal=${3:-} code=${4:-} index=0 o users
	case $name in
	[a-z]*) ;;
	*) die "add-org: NAME must start with a lower-case letter: '$name'" ;;
	esac
	[[ $name =~ ^[a-z][a-z0-9]{1,14}$ ]] || die "add-org: NAME must be 2-15 lower-case letters and digits: '$name'"
	if [ -n "${MSP[$name]:-}" ]; then
		grep -q "^$name	" "$ADDED_ORGS_FILE" 2>/dev/null || die "add-org: $name is already an organisation of this network"
		say "$name joined before (or half-way): every step that is done is skipped"
		return 0
	fi
	[ "$kind" = bank ] || die "add-org: only a bank can join (kind '$kind')"
	for o in "${!ORG_INDEX[@]}"; do [ "${ORG_INDEX[$o]}" -lt $index ] || index=$((ORG_INDEX[$o] + 1)); done
	# Port layout (lib/net-common.sh, node_port): 100 per index from 7051 stays below 8000 up to 8.
	[ $index -le 8 ] || die "add-org: no free port block for another organisation (index $index)"
	legal=${legal:-${name^} Commercial Bank Co., Ltd.}
	if [ -z "$code" ]; then
		code=91310000MA1K3B$(printf '%03d' "$index")
		code+=$(credit_code_check "$code")
	fi
	users="officer:financier"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$index" "${name^}MSP" "$kind" "$code" "$users" "$legal" >>"$ADDED_ORGS_FILE"
	load_added_orgs
	CC_POLICY=${RECV_CC_POLICY:-$(cc_policy)}
}

# org_identities_up ORG: the org's CA started and ready, its identities enrolled, the TLS root
# bundle rewritten with its root (nodes started from now on trust it; the running ones learn it
# from the channel configuration).
org_identities_up() {
	local org=$1
	if node_running "ca.$org" && [ -s "$(org_dir "$org")/users/admin/msp/signcerts/cert.pem" ]; then
		say "    ca.$org runs and the identities are enrolled"
		write_ops_identities "$org"
		return 0
	fi
	write_ca_config "$org"
	write_ca_ops_tls "$org"
	start_and_wait "ca.$org"
	per_org enroll "enrolling the identities" "$org" enroll_org
	forget_secrets "$org"
	local o
	: >"$(tls_bundle)"
	for o in orderer "${ORGS[@]}"; do cat "$(ca_cert "$o")" >>"$(tls_bundle)"; done
}

# org_channel_update ORG: the update that makes ORG a member of the channel, made and signed from
# files as separate members exchange them (recv kit; docs/operations.md, "Joining as a member"):
# ORG's public definition from its MSP folder; the configuration block the core enterprise's admin
# fetches and the update it makes (ORG's group; a bank also into the veto policies); each other
# vetoing admin's signature, made with that admin's own key; the envelope the core enterprise's
# admin submits (peer channel update adds its signature). The files stay in
# $NET/channel/updates/add-MSP/ for the record.
org_channel_update() {
	local org=$1 msp=${MSP[$1]} dir o rc=0 veto= sigs=()
	dir=$(config_dir)/add-$msp
	mkdir -p "$dir"
	kit_cli definition --msp-id "$msp" --msp-dir "$(org_dir "$org")/msp" \
		--anchor "$(node_host net "peer0.$org"):$(port net "peer0.$org")" --out "$dir/$msp.json"
	# shellcheck disable=SC2046
	peer_cli core channel fetch config "$dir/config.block" -c "$CHANNEL" $(orderer_flags core) >>"$NET/logs/config.log" 2>&1 ||
		{ tail -n 20 "$NET/logs/config.log" >&2; return 1; }
	case ${ORG_KIND[$org]} in core | bank) veto=--veto ;; esac
	kit_cli add-org --config "$dir/config.block" --definition "$dir/$msp.json" $veto --out "$dir/update.pb" || rc=$?
	case $rc in
	0) ;;
	5) say "    $msp is a member of the channel already"; return 0 ;;
	*) return 1 ;;
	esac
	for o in $(veto_orgs); do
		[ "$o" != core ] && [ "$o" != "$org" ] || continue
		kit_cli sign "$dir/update.pb" --msp-id "${MSP[$o]}" --cert "$(org_dir "$o")/users/admin/msp/signcerts/cert.pem" \
			--key "$(org_dir "$o")/users/admin/msp/keystore/key.pem" --out "$dir/${MSP[$o]}.sig"
		sigs+=(--signature "$dir/${MSP[$o]}.sig")
	done
	kit_cli envelope "$dir/update.pb" "${sigs[@]}" --out "$dir/update.tx"
	say "    add-$msp: signed by the admins of $(veto_orgs | grep -vx "$org" | sort | paste -sd' '), submitted by core's"
	config_submit "$dir/update.tx" core
	config_wait_peers
}

# kit_cli ARGS...: recv kit (the member kit's file verbs), its report into the config log.
kit_cli() {
	local out rc=0
	out=$("${RECV_BIN:-$ROOT/bin/recv}" kit "$@" 2>&1) || rc=$?
	echo "$out" >>"$NET/logs/config.log"
	[ $rc -eq 0 ] || [ $rc -eq 5 ] || say "recv kit $1: $out" >&2
	return $rc
}

# org_peer_up ORG: the org's peer configured, started, joined to the channel from its genesis block,
# at the orderers' height, and known to the other peers (gossip).
org_peer_up() {
	local org=$1
	if ! node_running "peer0.$org"; then
		render_peer "$org" self
		[ "$NODE_CONF" = config ] || render_peer "$org" host
		start_and_wait "peer0.$org"
	fi
	# A container's published port may reset the first connections right after it turned healthy.
	wait_until "peer0.$org to join $CHANNEL" "peer0.$org" "$READY_TIMEOUT" org_joined "$org" ||
		{ tail -n 20 "$NET/logs/channel.log" >&2; return 1; }
	config_wait_peers
	local o
	for o in "${ORGS[@]}"; do
		wait_until "peer0.$o to know the other peers" "peer0.$o" "$READY_TIMEOUT" gossip_complete "$o"
	done
}

# org_joined ORG: the org's peer has the channel, joining it from the genesis block when not.
org_joined() {
	[ -n "$(peer_height "$1")" ] && return 0
	peer_cli "$1" channel join -b "$NET/channel/$CHANNEL.block" >>"$NET/logs/channel.log" 2>&1
}

# proposal_status ID: a governance proposal's status, read through the core enterprise's gateway.
proposal_status() { recv_as CoreMSP/admin proposal show "$1" | sed -n 's/^status: *//p'; }

# proposal_applied ID: the proposal is APPLIED on the core enterprise's peer.
proposal_applied() { [ "$(proposal_status "$1")" = APPLIED ]; }

# recv_as ACCOUNT ARGS...: the recv CLI as MSP/user through its organisation's gateway.
recv_as() {
	local who=$1
	shift
	"${RECV_BIN:-$ROOT/bin/recv}" --as "$who" "$@"
}

# org_registered ORG: the org is a bank in the on-ledger registry (the governed set-org proposal,
# proposed by the core enterprise's admin and approved by every other core enterprise's and bank's
# admin, whose approval it needs whatever the count, then by the others' until a majority applies
# it; it opens the org's admin account) and its named users' accounts are open. Needs the existing
# orgs' gateways and the new org's.
org_registered() {
	local org=$1 msp=${MSP[$1]} id u o status
	if recv_as "$msp/admin" -o json org show "$msp" >/dev/null 2>&1; then
		say "    $msp is in the registry already"
	else
		id="add-$msp-$(date -u +%Y%m%d%H%M%S)"
		recv_as CoreMSP/admin proposal create --id "$id" --add-org "$msp" --kind "${ORG_KIND[$org]}" \
			--name "${ORG_LEGAL_NAME[$org]}" --credit-code "${ORG_CREDIT_CODE[$org]}" \
			--note "$msp joins the channel (add-org)" >/dev/null
		# The vetoing organisations first (the newcomer is not a member yet), then the others. The
		# status is read through the core enterprise's peer, which may not have committed the last
		# approval yet: an approval refused because that approval applied the proposal is the end.
		local out
		for o in $(veto_orgs) $(orgs_of_kind supplier auditor); do
			[ "$o" != core ] && [ "$o" != "$org" ] || continue
			status=$(recv_as CoreMSP/admin -o json proposal show "$id" | jq -r .status)
			[ "$status" = OPEN ] || break
			out=$(recv_as "${MSP[$o]}/admin" proposal approve "$id" 2>&1) && continue
			grep -q "is APPLIED" <<<"$out" && break
			say "$out" >&2
			return 1
		done
		wait_until "the set-org proposal $id to be APPLIED on peer0.core" "" "$READY_TIMEOUT" proposal_applied "$id" ||
			die "the set-org proposal $id is $(proposal_status "$id"), not APPLIED"
		say "    proposal $id applied: $msp is a ${ORG_KIND[$org]} in the registry"
	fi
	for u in ${USERS[$org]}; do
		recv_as "$msp/admin" -o json account show "$msp/${u%%:*}" >/dev/null 2>&1 && continue
		recv_as "$msp/admin" account open "${u%%:*}" --role "${u#*:}" >/dev/null
	done
}

# add_org NAME [LEGAL_NAME] [CREDIT_CODE]: the whole join, for both scripts; the calling script
# defines org_gateway_up ORG (how its gateways run), which starts the new org's gateway (and the
# others' when they are not running: the registry step needs them).
add_org() {
	local name=$1 t0=$SECONDS
	define_org "$name" bank "${2:-}" "${3:-}"
	add_org_network "$name"
	write_network_json
	step "$name: gateway, and ${MSP[$name]} in the registry (set-org proposal, approved by the core enterprise, every bank and a majority of the admins)"
	org_gateway_up "$name"
	org_registered "$name"
	step_done
	say ""
	say "${MSP[$name]} joined in $((SECONDS - t0))s: peer0.$name at $(addr host "peer0.$name"), gateway at $(addr host "gateway.$name")"
}

# add_org_network ORG: every step above up to the chaincode definition.
add_org_network() {
	local org=$1
	step "$org: CA and identities (${MSP[$org]})"
	org_identities_up "$org"
	step_done

	step "$org: channel configuration update (the org, and the veto policies with it)"
	org_channel_update "$org"
	step_done

	step "$org: peer0.$org joins $CHANNEL from the genesis block and catches up"
	org_peer_up "$org"
	step_done

	if definition_names "${MSP[$org]}"; then
		say "    the chaincode definition (sequence $(cc_state sequence)) already names ${MSP[$org]}"
		return 0
	fi
	local next=$(($(cc_state sequence 0) + 1))
	step "chaincode $CC_NAME: definition sequence $next with ${MSP[$org]} (policy, collections), approved by every org, committed"
	deploy_chaincode "$next"
	step_done
}

# definition_names MSPID: the committed chaincode definition's endorsement policy names MSPID.
definition_names() {
	local seq
	seq=$(cc_state sequence)
	[ -n "$seq" ] && [ "$(committed_sequence core)" = "$seq" ] && [ -f "$(CC_DIR)/policy" ] && grep -qF "'$1.peer'" "$(CC_DIR)/policy"
}

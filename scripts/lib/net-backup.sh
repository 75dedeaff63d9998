# shellcheck shell=bash
# Backup and restore of one organisation of the native network (scripts/network.sh backup,
# restore-peer, restore-ca; docs/operations.md, "Backup and restore"). A backup is one folder an
# operator can copy off the host:
#
#   BACKUP/ca/                   the CA's home: its config, root and TLS pairs, signing and Idemix keys,
#                                and fabric-ca-server.db (every identity, enrollment and revocation),
#                                copied by SQLite's online backup while the CA runs
#   BACKUP/org.tar               the organisation's folder but its ledger and its CA: the channel MSP,
#                                the peer's enrollment and TLS pairs and config, admin and users,
#                                chaincode server and client pairs, operations identities; and the
#                                gateway's folder (wallet, tokens, records)
#   BACKUP/snapshot/             a ledger snapshot of the channel from the org's own peer (Fabric's
#                                `peer snapshot submitrequest`): public state, private data hashes,
#                                transaction ids, collection configuration; no private data
#   BACKUP/SHA256SUMS            every file's SHA-256 (restore checks them)
#   BACKUP/backup.env            what was backed up, when, at which height
#
# Everything in it is secret (keys) and stays owner-only.

# backup_root: where backups go unless a folder is named: beside the state folder, so that
# `network.sh down` (which removes the state folder) leaves them.
backup_root() { echo "${RECV_BACKUP_DIR:-$NET.backups}"; }

# latest_backup ORG: the newest backup of ORG under backup_root.
latest_backup() {
	local d
	d=$(find "$(backup_root)/$1" -mindepth 1 -maxdepth 1 -type d -name '20*' 2>/dev/null | sort | tail -n1)
	[ -n "$d" ] || die "no backup of $1 under $(backup_root)/$1: 'network.sh backup $1' makes one"
	echo "$d"
}

# peer_snapshot_dir ORG: where the org's peer writes completed snapshots of the channel
# (core.yaml's ledger.snapshots.rootDir).
peer_snapshot_dir() { echo "$(node_dir "peer0.$1")/data/snapshots/completed/$CHANNEL"; }

# snapshot_pending ORG: the org's peer still has a snapshot request pending.
snapshot_pending() {
	local out
	out=$(peer_cli "$1" snapshot listpending -c "$CHANNEL" --peerAddress "$(addr host "peer0.$1")" \
		--tlsRootCertFile "$(ca_cert "$1")" 2>&1) || return 0
	grep -q 'Successfully got pending snapshot requests: \[\]' <<<"$out" && return 1
	return 0
}

# take_snapshot ORG DEST: a snapshot of the channel at the peer's last committed block, moved into
# DEST (the peer does not use a completed snapshot again, Fabric's docs say: it may be moved);
# prints its last block number.
take_snapshot() {
	local org=$1 dest=$2 dir before after
	dir=$(peer_snapshot_dir "$org")
	before=$(find "$dir" -mindepth 1 -maxdepth 1 -type d 2>/dev/null | sort)
	peer_cli "$org" snapshot submitrequest -c "$CHANNEL" -b 0 --peerAddress "$(addr host "peer0.$org")" \
		--tlsRootCertFile "$(ca_cert "$org")" >>"$NET/logs/backup.$org.log" 2>&1 ||
		{ tail -n 5 "$NET/logs/backup.$org.log" >&2; return 1; }
	wait_until "peer0.$org to finish its snapshot" "peer0.$org" "$READY_TIMEOUT" snapshot_done "$org" "$before"
	after=$(comm -13 <(echo "$before") <(find "$dir" -mindepth 1 -maxdepth 1 -type d | sort) | tail -n1)
	[ -n "$after" ] && [ -s "$after/_snapshot_signable_metadata.json" ] || die "peer0.$org wrote no snapshot in $dir"
	mv "$after" "$dest"
	basename "$after"
}

# snapshot_done ORG BEFORE: no request pending and a completed snapshot that was not in BEFORE.
snapshot_done() {
	local dir
	dir=$(peer_snapshot_dir "$1")
	! snapshot_pending "$1" &&
		[ -n "$(comm -13 <(echo "$2") <(find "$dir" -mindepth 1 -maxdepth 1 -type d 2>/dev/null | sort))" ]
}

# backup_ca ORG DEST: the CA's home into DEST, its database by SQLite's online backup (a copy of
# the file while the CA writes could be torn).
backup_ca() {
	local home
	home=$(node_dir "ca.$1")
	mkdir -p "$2"
	tar -C "$home" --exclude=./fabric-ca-server.db --exclude='./fabric-ca-server.db-*' -cf - . | tar -C "$2" -xf -
	sqlite3 "$home/fabric-ca-server.db" ".backup '$2/fabric-ca-server.db'"
	[ "$(sqlite3 "$2/fabric-ca-server.db" 'PRAGMA integrity_check;')" = ok ] || die "the copy of ca.$1's database is not intact"
}

# cmd_backup ORG [DEST]: the org's CA, MSP and identities, gateway folder and a ledger snapshot
# into DEST (default: a new dated folder under backup_root/ORG).
cmd_backup() {
	local org=${1:-} dest=${2:-}
	[ -n "$org" ] && [ -n "${MSP[$org]:-}" ] || die "usage: $SCRIPT backup ORG [DEST]; orgs: orderer ${ORGS[*]}"
	[ -f "$NET/network.json" ] || die "no network in $NET: run 'network.sh up'"
	[ "$org" = orderer ] || node_running "peer0.$org" || die "peer0.$org is not running: a snapshot is taken by the running peer"
	node_running "ca.$org" || die "ca.$org is not running: its database is copied while it runs"
	ensure_tool sqlite3 sqlite3
	local stamp t0=$SECONDS
	stamp=$(date -u +%Y%m%dT%H%M%SZ)
	dest=$(realpath -m "${dest:-$(backup_root)/$org/$stamp}")
	[ ! -e "$dest" ] || [ -z "$(ls -A "$dest")" ] || die "$dest is not empty"
	mkdir -p "$dest"
	chmod 700 "$dest"
	step "backup of $org into $dest"
	# The ordering organisation has no peer: its CA and MSP only (its orderers' ledgers are the
	# channel's blocks, which every other orderer holds).
	local height=-
	[ "$org" = orderer ] || height=$(take_snapshot "$org" "$dest/snapshot")
	backup_ca "$org" "$dest/ca"
	local parts=("orgs/$org")
	[ ! -d "$NET/gateways/$org" ] || parts+=("gateways/$org")
	tar -C "$NET" --exclude="orgs/$org/ca" --exclude="orgs/$org/peer0/data" --exclude="orgs/$org/peer0/data.*" \
		-cf "$dest/org.tar" "${parts[@]}"
	cat >"$dest/backup.env" <<EOF
ORG=$org
MSP_ID=${MSP[$org]}
TAKEN=$stamp
CHANNEL=$CHANNEL
SNAPSHOT_LAST_BLOCK=$height
CHAINCODE_LABEL=$(cc_state label)
EOF
	(cd "$dest" && find . -type f ! -name SHA256SUMS -print0 | sort -z | xargs -0 sha256sum >SHA256SUMS)
	step_done
	local what="a snapshot at block $height"
	[ "$height" != - ] || what="no snapshot (no peer)"
	say "backup of $org: $what, CA database, MSP and identities; $(du -sh "$dest" | cut -f1) in $dest ($((SECONDS - t0))s)"
}

# check_backup DIR ORG: DIR is a complete, unaltered backup of ORG.
check_backup() {
	local dir=$1 org=$2
	[ -f "$dir/backup.env" ] && [ -f "$dir/SHA256SUMS" ] || die "$dir is no backup (no backup.env or SHA256SUMS)"
	grep -qx "ORG=$org" "$dir/backup.env" || die "$dir is a backup of $(sed -n 's/^ORG=//p' "$dir/backup.env"), not of $org"
	(cd "$dir" && sha256sum --quiet -c SHA256SUMS) >&2 || die "$dir does not match its SHA256SUMS: altered or incomplete"
}

# restore_org_files ORG BACKUP: files of the org's folder that are missing are taken from the
# backup; existing files are kept (a restore of one peer does not roll back the rest).
restore_org_files() {
	local org=$1 backup=$2
	tar -C "$NET" --skip-old-files -xf "$backup/org.tar" "orgs/$org"
}

# orderers_height: the channel's height on the first orderer that answers.
orderers_height() {
	local o h
	for o in "${ORDERERS[@]}"; do
		h=$(orderer_height "$o") && [ -n "$h" ] && { echo "$h"; return 0; }
	done
	return 1
}

# snapshot_joinable ORG: the org's peer can join the channel from a snapshot. Fabric 2.5.0's peer
# panics while it imports a snapshot's private data hashes when its organisation is not a member
# of every collection of the chaincode (its membership check evaluates the collection's policy
# with the identity deserializer of a channel it has not created yet; fixed in Fabric 2.5.2,
# "Make AmMemberOf to use only the mspIDs in collection policy"): here only the organisations in
# every terms_<supplier>_<bank> collection (the auditor; a supplier organisation while it is the
# only one) can, the core enterprise and the banks cannot. Sets SNAPSHOT_REFUSAL when not.
SNAPSHOT_REFUSAL=""
snapshot_joinable() {
	local msp=${MSP[$1]} file
	file=$(CC_DIR)/collections.json
	[ -s "$file" ] || return 0
	ensure_tool jq jq
	local outside
	outside=$(jq -r --arg p "'$msp.member'" '[.[] | select(.policy | contains($p) | not) | .name] | join(", ")' "$file")
	[ -n "$outside" ] || return 0
	SNAPSHOT_REFUSAL="$msp is not a member of the collections $outside, and Fabric 2.5.0's peer crashes importing a snapshot's private data hashes of a collection its organisation is not in (fixed in Fabric 2.5.2)"
	return 1
}

# cmd_restore_peer ORG [BACKUP] [--genesis]: the org's peer rebuilt: stopped, its ledger folder
# moved aside (data.replaced.<time>; remove it once the peer is back), its identity files taken
# from the backup (default: the latest) where missing, started empty, joined to the channel from
# the backup's snapshot or, with --genesis, from the channel's genesis block (every block again,
# from the orderers), the org's chaincode package installed again, and waited for until it is at
# the orderers' height. A snapshot holds no private data: the peer pulls what its organisation's
# collections hold from the other members' peers (reconciliation), and it serves no block and no
# key history from before the snapshot.
cmd_restore_peer() {
	local org=${1:-} genesis=false arg backup="" from=""
	[ -n "$org" ] && [ -n "${MSP[$org]:-}" ] && [ "$org" != orderer ] ||
		die "usage: $SCRIPT restore-peer ORG [BACKUP] [--genesis]; orgs: ${ORGS[*]}"
	shift
	for arg in "$@"; do
		case $arg in
		--genesis) genesis=true ;;
		-*) die "restore-peer: unknown option $arg (--genesis)" ;;
		*) [ -z "$from" ] || die "restore-peer: one backup folder only ($from, $arg)"; from=$arg ;;
		esac
	done
	[ -f "$NET/network.json" ] || die "no network in $NET"
	local node=peer0.$org dir t0=$SECONDS
	dir=$(node_dir "$node")
	if [ -n "$from" ] || [ $genesis = false ] || [ ! -s "$dir/tls/key.pem" ]; then
		backup=$(realpath -m "${from:-$(latest_backup "$org")}")
		check_backup "$backup" "$org"
	fi
	[ $genesis = true ] || snapshot_joinable "$org" ||
		die "peer0.$org cannot join from a snapshot: $SNAPSHOT_REFUSAL; nothing was changed. 'network.sh restore-peer $org --genesis' rebuilds it from the orderers' blocks (its private data from the other members' peers)"
	local source="the genesis block"
	[ $genesis = true ] || source="the snapshot at block $(sed -n 's/^SNAPSHOT_LAST_BLOCK=//p' "$backup/backup.env") in $backup"
	step "restoring $node from $source"
	stop_nodes "$node"
	if [ -d "$dir/data" ]; then
		local aside
		aside="$dir/data.replaced.$(date -u +%Y%m%dT%H%M%SZ)"
		mv "$dir/data" "$aside"
		say "    the ledger folder it had is kept in $aside (remove it once the peer is back)"
	fi
	[ -z "$backup" ] || restore_org_files "$org" "$backup"
	[ -s "$dir/msp/signcerts/cert.pem" ] && [ -s "$dir/tls/key.pem" ] ||
		die "$node has no enrollment or TLS pair in $dir and the backup has none: nothing to start it with"
	render_peer "$org" self
	[ "$NODE_CONF" = config ] || render_peer "$org" host
	start_and_wait "$node"
	local target
	target=$(orderers_height) || die "no orderer answers: the peer would have nothing to catch up with"
	if [ $genesis = false ]; then
		peer_cli "$org" channel joinbysnapshot --snapshotpath "$backup/snapshot" >>"$NET/logs/backup.$org.log" 2>&1 ||
			{ tail -n 20 "$NET/logs/backup.$org.log" >&2; die "peer0.$org did not join from the snapshot"; }
	else
		peer_cli "$org" channel join -b "$NET/channel/$CHANNEL.block" >>"$NET/logs/backup.$org.log" 2>&1 ||
			{ tail -n 20 "$NET/logs/backup.$org.log" >&2; die "peer0.$org did not join from the genesis block"; }
	fi
	local label
	label=$(cc_state label)
	[ -z "$label" ] || install_one "$org" "$label" >>"$NET/logs/backup.$org.log" 2>&1 ||
		{ tail -n 20 "$NET/logs/backup.$org.log" >&2; die "the chaincode package $label could not be installed on $node"; }
	wait_until "$node to reach the orderers' height $target" "$node" "$((READY_TIMEOUT * 10))" peers_at_height "$target"
	wait_until "the chaincode to answer on $node" "$node" "$READY_TIMEOUT" cc_answers "$org"
	local o a
	for o in "${ORGS[@]}"; do
		wait_until "peer0.$o to know the other peers" "peer0.$o" "$READY_TIMEOUT" gossip_complete "$o"
	done
	# The org's gateway, when one serves, answers again through its restored peer.
	a=$(addr host "gateway.$org" 2>/dev/null) && port_open "${a%:*}" "${a##*:}" &&
		wait_until "the $org gateway to use $node" "$node" "$READY_TIMEOUT" gateway_ready "$org"
	step_done
	say "$node restored from $source, at height $(peer_height "$org") (the orderers were at $target) in $((SECONDS - t0))s"
}

# cmd_restore_ca ORG [BACKUP]: the org's CA back from a backup: stopped, its home moved aside
# (ca.replaced.<time>), the backup's home put in its place, started and waited for. It issues
# and revokes as before: the same root and signing key, every identity and revocation it had
# recorded up to the backup (those after it are lost: re-register them).
cmd_restore_ca() {
	local org=${1:-} from=${2:-}
	[ -n "$org" ] && [ -n "${MSP[$org]:-}" ] || die "usage: $SCRIPT restore-ca ORG [BACKUP]; orgs: ${ORGS[*]}"
	[ -f "$NET/network.json" ] || die "no network in $NET"
	local backup home t0=$SECONDS
	backup=$(realpath -m "${from:-$(latest_backup "$org")}")
	check_backup "$backup" "$org"
	home=$(node_dir "ca.$org")
	step "restoring ca.$org from $backup"
	stop_nodes "ca.$org"
	if [ -d "$home" ]; then
		local aside
		aside="$(dirname "$home")/ca.replaced.$(date -u +%Y%m%dT%H%M%SZ)"
		mv "$home" "$aside"
		say "    the CA home it had is kept in $aside"
	fi
	mkdir -p "$home"
	tar -C "$backup/ca" -cf - . | tar -C "$home" -xf -
	start_and_wait "ca.$org"
	step_done
	say "ca.$org restored from $backup in $((SECONDS - t0))s"
}

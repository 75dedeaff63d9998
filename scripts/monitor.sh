#!/usr/bin/env bash
# Monitoring of the native network (docs/operations.md): Prometheus, Alertmanager, node-exporter
# and blackbox-exporter from Debian's packages (installed when missing), run as processes of this
# project on loopback ports, never the system services. State under $RECV_NET_DIR/monitor.
#
#   monitor.sh up       write the configuration from network.json and start what is not running;
#                       when Prometheus runs already it reloads it (an organisation added with
#                       `make add-org` is scraped after `make monitor` again)
#   monitor.sh down     stop the processes `up` started (by their PID files); the data stays
#   monitor.sh status   each process: running, and Prometheus's targets that are down
#   monitor.sh config   write the configuration only (prometheus.yml, blackbox.yml, alertmanager.yml)
#                       into $RECV_NET_DIR/monitor and check prometheus.yml with promtool
#   monitor.sh certs    write the certificate expiry metrics (textfile of node-exporter) once
#   monitor.sh install  install the Debian packages when missing
#
# What is scraped (docs/operations.md, "What is scraped"): every peer's and orderer's operations
# endpoint with its organisation's operator certificate (mutual TLS, the node's TLS CA as server
# root); every gateway's /metrics with its organisation admin's bearer token; every CA's /healthz
# through blackbox-exporter (the CAs' metrics are disabled); node-exporter for the filesystem of the
# state folder and the certificates' expiry (a textfile refreshed every RECV_MONITOR_CERTS_EVERY
# seconds, default 300, by a small loop this script starts).
#
# Ports (+ RECV_PORT_OFFSET, on 127.0.0.1): Prometheus 9090, Alertmanager 9093, node-exporter 9100,
# blackbox-exporter 9115. RECV_MONITOR_SCRAPE (default 10s): scrape and rule evaluation interval.
set -euo pipefail

# shellcheck source=lib/net-common.sh
. "$(cd "$(dirname "$0")" && pwd)/lib/net-common.sh"

MON=$NET/monitor
RULES=$ROOT/network/monitor/alerts.yml
CONSOLES=$ROOT/network/monitor/consoles
SCRAPE=${RECV_MONITOR_SCRAPE:-10s}
CERTS_EVERY=${RECV_MONITOR_CERTS_EVERY:-300}
PROM_PORT=$((9090 + OFFSET))
AM_PORT=$((9093 + OFFSET))
NODE_PORT=$((9100 + OFFSET))
BLACKBOX_PORT=$((9115 + OFFSET))
CONSOLE_LIBS=$ROOT/network/monitor/console_libraries
PROCS=(alertmanager blackbox node-exporter prometheus certs)

die() {
	printf 'monitor: %s\n' "$*" >&2
	exit 1
}

install_packages() {
	local cmd missing=
	for cmd in jq openssl promtool prometheus-alertmanager prometheus-node-exporter prometheus-blackbox-exporter; do
		command -v "$cmd" >/dev/null 2>&1 || missing=1
	done
	[ -n "$missing" ] || return 0
	say "installing Debian's prometheus packages (promtool, alertmanager, node and blackbox exporters)"
	apt-get update >/dev/null || die "apt-get update failed"
	ensure_tool jq jq
	ensure_tool openssl openssl
	ensure_tool promtool prometheus
	ensure_tool prometheus-alertmanager prometheus-alertmanager
	ensure_tool prometheus-node-exporter prometheus-node-exporter
	ensure_tool prometheus-blackbox-exporter prometheus-blackbox-exporter
}

pid_file() { echo "$MON/$1.pid"; }
log_file() { echo "$MON/$1.log"; }

# running NAME: the PID in NAME's PID file is alive and is the process this state folder started
# (tagged RECV_MONITOR=<folder>#NAME in its environment), not a reused PID.
running() {
	local f pid environ
	f=$(pid_file "$1")
	[ -f "$f" ] || return 1
	pid=$(cat "$f")
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
	environ=$(tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null) || return 1
	grep -qxF "RECV_MONITOR=$MON#$1" <<<"$environ"
}

# spawn NAME CMD...: starts CMD in its own session, logging to NAME's log, its PID in NAME's file.
spawn() {
	local name=$1
	shift
	RECV_MONITOR="$MON#$name" setsid "$@" >>"$(log_file "$name")" 2>&1 </dev/null &
	echo $! >"$(pid_file "$name")"
	STARTED+=("$name")
}

# stop NAME: TERM to NAME's process group (the cert loop's sleep too), KILL after 10 s.
stop() {
	local name=$1 pid i
	running "$name" || { rm -f "$(pid_file "$name")"; return 0; }
	pid=$(cat "$(pid_file "$name")")
	kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && kill -KILL -- "-$pid" 2>/dev/null
	rm -f "$(pid_file "$name")"
	say "stopped $name"
}

ready() { curl -fsS --max-time 2 "$1" >/dev/null 2>&1; }

wait_ready() {
	local name=$1 url=$2 i
	for ((i = 0; i < READY_TIMEOUT * 5; i++)); do
		ready "$url" && return 0
		running "$name" || { tail -n 20 "$(log_file "$name")" >&2; die "$name stopped; log: $(log_file "$name")"; }
		sleep 0.2
	done
	die "$name not ready at $url after ${READY_TIMEOUT}s; log: $(log_file "$name")"
}

# y S: S as a YAML double-quoted scalar (JSON string syntax is valid YAML).
y() { jq -Rn --arg s "$1" '$s'; }

# state_mount: the mount point of the filesystem that holds the state folder (ledgers, logs).
state_mount() { df -P "$NET" | awk 'NR == 2 { print $6 }'; }

# scrape_node JOB NAME ORG ADDRESS CA SERVER_NAME OPERATOR_DIR: one peer's or orderer's operations
# endpoint, read as ORG's operator (mutual TLS), the node's TLS CA as server root.
scrape_node() {
	cat <<EOF
  - job_name: $(y "$1/$2")
    scheme: https
    tls_config:
      ca_file: $(y "$5")
      server_name: $(y "$6")
      cert_file: $(y "$7/cert.pem")
      key_file: $(y "$7/key.pem")
    static_configs:
      - targets: [$(y "$4")]
        labels: {node: $(y "$2"), org: $(y "$3")}
    relabel_configs:
      - {target_label: job, replacement: $(y "$1")}
EOF
}

# write_prometheus_yml: prometheus.yml from network.json (every org's peer and gateway, every
# orderer) and the CAs found in the state folder.
write_prometheus_yml() {
	local json=$NET/network.json name addr server ca org msp gw_ca ops
	[ -f "$json" ] || die "no $json: start the network first (make up, make run)"
	{
		cat <<EOF
# Written by scripts/monitor.sh from $(y "$json"); do not edit: \`make monitor\` writes it again.
global:
  scrape_interval: $SCRAPE
  scrape_timeout: 5s
  evaluation_interval: $SCRAPE
rule_files: [$(y "$RULES")]
alerting:
  alertmanagers:
    - static_configs: [{targets: ["127.0.0.1:$AM_PORT"]}]
scrape_configs:
  - job_name: prometheus
    static_configs: [{targets: ["127.0.0.1:$PROM_PORT"]}]
  - job_name: alertmanager
    static_configs: [{targets: ["127.0.0.1:$AM_PORT"]}]
EOF
		while IFS=$'\t' read -r name addr server ca; do
			scrape_node orderer "$name" orderer "$addr" "$ca" "$server" "$NET/orgs/orderer/ops/operator"
		done < <(jq -r '.orderers[] | [.name, .operations, .serverName, .tlsCACert] | @tsv' "$json")
		while IFS=$'\t' read -r msp org name addr server ca; do
			scrape_node peer "$name" "$org" "$addr" "$ca" "$server" "$NET/orgs/$org/ops/operator"
		done < <(jq -r '.orgs | to_entries[] | [.key, .value.name, .value.peer.name, .value.peer.operations,
			.value.peer.serverName, .value.peer.tlsCACert] | @tsv' "$json")
		while IFS=$'\t' read -r msp org addr gw_ca; do
			if [ ! -s "$NET/gateways/$org/tokens/admin.token" ]; then
				say "gateway.$org is not scraped: no admin token yet (make gateways, then make monitor again)" >&2
				continue
			fi
			cat <<EOF
  - job_name: $(y "gateway/gateway.$org")
    scheme: $([ -n "$gw_ca" ] && echo https || echo http)
    authorization:
      credentials_file: $(y "$NET/gateways/$org/tokens/admin.token")
EOF
			[ -z "$gw_ca" ] || printf '    tls_config: {ca_file: %s}\n' "$(y "$gw_ca")"
			cat <<EOF
    static_configs:
      - targets: [$(y "$addr")]
        labels: {node: $(y "gateway.$org"), org: $(y "$org"), msp: $(y "$msp")}
    relabel_configs:
      - {target_label: job, replacement: gateway}
EOF
		done < <(jq -r '.orgs | to_entries[] | [.key, .value.name, .value.gateway.address, (.value.gateway.tlsCACert // "")] | @tsv' "$json")
		local conf
		for conf in "$NET"/orgs/*/ca/fabric-ca-server-config.yaml; do
			[ -f "$conf" ] || continue
			org=$(basename "$(dirname "$(dirname "$conf")")")
			ops=$(sed -n 's/^  listenAddress: *//p' "$conf" | head -n1)
			[ -n "$ops" ] || continue
			cat <<EOF
  - job_name: $(y "ca/ca.$org")
    metrics_path: /probe
    params: {module: [$(y "ca_$org")]}
    static_configs:
      - targets: [$(y "https://$ops/healthz")]
        labels: {node: $(y "ca.$org"), org: $(y "$org")}
    relabel_configs:
      - {target_label: job, replacement: ca}
      - {source_labels: [__address__], target_label: __param_target}
      - {source_labels: [__address__], target_label: instance}
      - {target_label: __address__, replacement: "127.0.0.1:$BLACKBOX_PORT"}
EOF
		done
		cat <<EOF
  - job_name: node
    static_configs:
      - targets: ["127.0.0.1:$NODE_PORT"]
    metric_relabel_configs:
      # The filesystem that holds the state folder (ledgers, CA databases, logs) is the one the
      # disk alerts watch.
      - source_labels: [mountpoint]
        regex: $(y "$(state_mount | sed 's/[][\\.^$*+?(){}|]/\\&/g')")
        target_label: state_folder
        replacement: "true"
EOF
	} >"$MON/prometheus.yml.tmp"
	mv "$MON/prometheus.yml.tmp" "$MON/prometheus.yml"
}

# write_blackbox_yml: one module per CA: its /healthz over TLS, trusting the CA's operations
# listener's own certificate (ops-tls/cert.pem: the CA's API certificate is issued later).
write_blackbox_yml() {
	local dir org
	{
		echo "modules:"
		for dir in "$NET"/orgs/*/ca/ops-tls; do
			[ -f "$dir/cert.pem" ] || continue
			org=$(basename "$(dirname "$(dirname "$dir")")")
			cat <<EOF
  $(y "ca_$org"):
    prober: http
    timeout: 4s
    http:
      valid_status_codes: [200]
      fail_if_not_ssl: true
      tls_config: {ca_file: $(y "$dir/cert.pem")}
EOF
		done
	} >"$MON/blackbox.yml"
}

write_alertmanager_yml() {
	cp "$ROOT/network/monitor/alertmanager.yml" "$MON/alertmanager.yml"
}

# write_cert_metrics: recv_certificate_expiry_timestamp_seconds for every certificate in the state
# folder (every organisation's CA, nodes, users, TLS and operations pairs; the gateways' wallets),
# as node-exporter's textfile collector reads it. A file that holds no certificate is skipped, and
# so are the pairs a renewal replaced (kept in renewed/, they would alert on their old expiry).
write_cert_metrics() {
	local f rel end cn org tmp info
	mkdir -p "$MON/textfile"
	tmp=$(mktemp "$MON/textfile/.certs.XXXXXX")
	{
		echo "# HELP recv_certificate_expiry_timestamp_seconds When a certificate of the state folder expires (notAfter)."
		echo "# TYPE recv_certificate_expiry_timestamp_seconds gauge"
		while IFS= read -r f; do
			info=$(cert_info "$f") || continue
			IFS=$'\t' read -r end cn _ <<<"$info"
			rel=${f#"$NET"/}
			case $rel in
			orgs/* | gateways/*) org=${rel#*/} org=${org%%/*} ;;
			*) org= ;;
			esac
			printf 'recv_certificate_expiry_timestamp_seconds{org="%s",file="%s",cn="%s"} %s\n' \
				"$org" "${rel//\"/}" "${cn//\"/}" "$end"
		done < <(cert_files "$NET/orgs" "$NET/gateways")
	} >"$tmp"
	chmod 644 "$tmp"
	mv "$tmp" "$MON/textfile/recv_certificates.prom"
}

cmd_config() {
	install_packages
	mkdir -p "$MON"
	write_prometheus_yml
	write_blackbox_yml
	write_alertmanager_yml
	promtool check config "$MON/prometheus.yml" >"$MON/check-config.log" 2>&1 ||
		{ cat "$MON/check-config.log" >&2; die "promtool check config failed"; }
	say "configuration in $MON (prometheus.yml checked by promtool)"
}

STARTED=()
cleanup() {
	local rc=$? n
	[ $rc -ne 0 ] || return 0
	for n in "${STARTED[@]}"; do stop "$n" >/dev/null; done
}

cmd_up() {
	cmd_config
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	mkdir -p "$MON/prometheus" "$MON/alertmanager" "$MON/textfile"
	if running alertmanager; then
		kill -HUP "$(cat "$(pid_file alertmanager)")" # alertmanager.yml as written again
	else
		spawn alertmanager prometheus-alertmanager --config.file="$MON/alertmanager.yml" \
			--storage.path="$MON/alertmanager" --web.listen-address="127.0.0.1:$AM_PORT" --cluster.listen-address=
	fi
	if running blackbox; then
		kill -HUP "$(cat "$(pid_file blackbox)")" # the module of a CA added since
	else
		spawn blackbox prometheus-blackbox-exporter --config.file="$MON/blackbox.yml" \
			--web.listen-address="127.0.0.1:$BLACKBOX_PORT"
	fi
	running node-exporter || spawn node-exporter prometheus-node-exporter --web.listen-address="127.0.0.1:$NODE_PORT" \
		--collector.disable-defaults --collector.filesystem --collector.textfile \
		--collector.textfile.directory="$MON/textfile"
	if running prometheus; then
		kill -HUP "$(cat "$(pid_file prometheus)")"
		say "prometheus: configuration reloaded"
	else
		spawn prometheus prometheus --config.file="$MON/prometheus.yml" --storage.tsdb.path="$MON/prometheus" \
			--storage.tsdb.retention.time=15d --web.listen-address="127.0.0.1:$PROM_PORT" \
			--web.console.templates="$CONSOLES" --web.console.libraries="$CONSOLE_LIBS"
	fi
	# The certificates' metrics: written at once by the loop, then every CERTS_EVERY seconds.
	running certs || spawn certs "$0" cert-loop
	wait_ready alertmanager "http://127.0.0.1:$AM_PORT/-/ready"
	wait_ready blackbox "http://127.0.0.1:$BLACKBOX_PORT/metrics"
	wait_ready node-exporter "http://127.0.0.1:$NODE_PORT/metrics"
	wait_ready prometheus "http://127.0.0.1:$PROM_PORT/-/ready"
	STARTED=()
	say "monitoring up ($(jq '[.orgs[]] | length' "$NET/network.json") organisations, $(jq '.orderers | length' "$NET/network.json") orderers):"
	say "  Prometheus    http://127.0.0.1:$PROM_PORT   (alerts: /alerts, dashboard: /consoles/recv.html)"
	say "  Alertmanager  http://127.0.0.1:$AM_PORT   (API: /api/v2/alerts)"
	say "  state and logs in $MON; 'make monitor-down' stops it"
}

cmd_down() {
	local n
	for n in "${PROCS[@]}"; do stop "$n"; done
}

cmd_status() {
	local n
	for n in "${PROCS[@]}"; do
		if running "$n"; then printf '%-14s running, pid %s\n' "$n" "$(cat "$(pid_file "$n")")"; else printf '%-14s stopped\n' "$n"; fi
	done
	running prometheus || return 0
	curl -fsS --max-time 5 "http://127.0.0.1:$PROM_PORT/api/v1/targets?state=active" |
		jq -r '.data.activeTargets[] | "\(.labels.job)\t\(.labels.node // .labels.instance)\t\(.health)\t\(.lastError)"' |
		sort | awk -F'\t' '{ printf "  %-12s %-16s %s %s\n", $1, $2, $3, $4 }'
}

cmd_cert_loop() {
	while :; do
		write_cert_metrics
		sleep "$CERTS_EVERY"
	done
}

case ${1:-} in
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
config) cmd_config ;;
certs) write_cert_metrics ;;
cert-loop) cmd_cert_loop ;;
install) install_packages ;;
*) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# The lifecycle story through the recv CLI, against the native network and its gateways
# (scripts/network.sh up; scripts/gateways.sh up). Each step says who acts and shows the command.
#
# Two receivables, because the chaincode's date rules cannot be bent: a receivable can be
# transferred or financed only before its maturity day, and redeemed only on or after it.
#   A matures in 90 days: asked for by the core enterprise's treasurer (the maker) and confirmed by
#     its approver (the checker), each signing offline with its own key; accepted, split,
#     transferred down three tiers of suppliers, financed at Bank1 by a supplier and an officer who
#     hold their own keys (registered with a key made here), while a financing at Bank2 that
#     would exceed the credit line Bank2 set is refused; a piece is frozen by
#     the auditor on a court order and cannot move until it is unfrozen; its redemption today is
#     refused.
#   B matures today: issued, accepted, split and settled (redeem one leaf, redeem-all the rest),
#     each payment asked by the maker and confirmed by the checker.
# Around them: the membership registry, a financing request to a non-bank refused, the risk view
# of the auditor and of a bank, and a settings change that takes effect only when a majority of the
# organisations' admins, the core enterprise and both banks among them, approve it.
# Ids are unique per run, so the demo can be run again on the same network.
set -euo pipefail
cd "$(dirname "$0")/.."
export RECV_NET_DIR=$(realpath -m "${RECV_NET_DIR:-.recv-net}")
RECV=$(realpath -m "${RECV_BIN:-bin/recv}")
[ -x "$RECV" ] || (cd gateway && GOWORK=off go build -o "$RECV" ./cmd/recv)
[ -f "$RECV_NET_DIR/network.json" ] || { echo "demo: no network; run scripts/network.sh up and scripts/gateways.sh up" >&2; exit 1; }

if [ -t 1 ]; then B=$'\033[1m' C=$'\033[36m' G=$'\033[32m' Y=$'\033[33m' N=$'\033[0m'; else B='' C='' G='' Y='' N=''; fi
n=0
step() { n=$((n + 1)); printf '\n%s%2d. %s%s\n' "$B" "$n" "$*" "$N"; }
say() { printf '    %s\n' "$*"; }
# as WHO ARGS...: run recv as MSP/user, showing the command line.
as() {
	local who=$1
	shift
	printf '%s    $ recv --as %s %s%s\n' "$C" "$who" "$*" "$N"
	"$RECV" --as "$who" "$@" 2>&1 | tee "$docs/last" | sed 's/^/    /'
	return "${PIPESTATUS[0]}"
}
# instruction: the id of the instruction the last maker's request recorded (two-person control).
instruction() { awk '$1 == "instruction:" { print $2; exit }' "$docs/last"; }
# refused CODE WHAT WHO ARGS...: run recv as WHO and require the refusal exit code CODE.
refused() {
	local want=$1 what=$2 code=0
	shift 2
	as "$@" || code=$?
	[ "$code" -eq "$want" ] || { echo "demo: $what: expected exit code $want, got $code" >&2; exit 1; }
	say "${Y}refused with exit code $code: $what${N}"
}

run=$(date -u +%m%d%H%M%S)
today=$(date -u +%F)
later=$(date -u -d '+90 days' +%F)
A=RA-$run
RB=RB-$run
docs=$(mktemp -d -t recv-demo.XXXXXX)
trap 'rm -rf "$docs"' EXIT
: >"$docs/last"
printf 'Purchase contract C-%s: CoreCo buys 1,250,000.00 CNY of parts from Supplier A.\n' "$run" >"$docs/C-$run.txt"
printf 'Invoice INV-%s-1 to CoreCo: 1,250,000.00 CNY\n' "$run" >"$docs/INV-$run-1.txt"
printf 'Purchase contract C-%s-B: CoreCo buys 80,000.00 CNY of packaging.\n' "$run" >"$docs/C-$run-B.txt"
printf 'Invoice INV-%s-B to CoreCo: 80,000.00 CNY\n' "$run" >"$docs/INV-$run-B.txt"
treasurer_key=$("$RECV" netinfo --key CoreMSP/treasurer)
approver_key=$("$RECV" netinfo --key CoreMSP/approver)

printf '%sThe recv lifecycle story%s (network %s, today %s UTC)\n' "$B" "$N" "$RECV_NET_DIR" "$today"

step "Who is who: the membership registry on the ledger (a role is only valid in an organisation of the right kind)"
as AuditorMSP/auditor org list

step "The core enterprise's treasurer (the maker, 经办) asks to issue receivable $A to its tier-1 supplier"
say "The CLI hashes the documents (SHA-256); the treasurer signs the transaction with its own key,"
say "so the gateway prepares it and sends it back to sign (--sign-with): the CLI checks it is this issue, signed by this key, before signing; the key never leaves here."
say "Two-person control is on for the core enterprise: this records a request, nothing is issued yet."
as CoreMSP/treasurer issue --id "$A" --to SupplierMSP/supplier-a --amount 1250000.00 --maturity "$later" \
	--contract-file "$docs/C-$run.txt" --invoice-file "INV-$run-1:1250000.00:$docs/INV-$run-1.txt" --sign-with "$treasurer_key"
IA=$(instruction)
[ -n "$IA" ] || { echo "demo: the issue request recorded no instruction" >&2; exit 1; }

step "The treasurer cannot confirm its own request: only an approver, another identity, can"
refused 4 "forbidden, the maker is not the checker" CoreMSP/treasurer confirm "$IA"

step "The approver (the checker, 复核) reviews the request and confirms it, signing with its own key: $A is issued"
as CoreMSP/approver instruction "$IA"
as CoreMSP/approver confirm "$IA" --sign-with "$approver_key"

step "Supplier A (tier 1) accepts it (签收)"
as SupplierMSP/supplier-a accept "$A"

step "Supplier A splits it in two (拆分)"
as SupplierMSP/supplier-a split "$A" --parts 600000.00,650000.00

step "Supplier A transfers the second part to Supplier B (tier 2), who accepts (流转)"
as SupplierMSP/supplier-a transfer "$A.2" --to SupplierMSP/supplier-b
as SupplierMSP/supplier-b accept "$A.2"

step "Supplier B transfers 200,000.00 of it to Supplier C (tier 3), who accepts"
as SupplierMSP/supplier-b transfer "$A.2" --to SupplierMSP/supplier-c --amount 200000.00
as SupplierMSP/supplier-c accept "$A.2.1"

step "Supplier C asks the core enterprise to finance its piece: refused, CoreMSP is not a bank"
if as SupplierMSP/supplier-c finance request "$A.2.1" --bank CoreMSP; then
	echo "demo: financing at a non-bank was accepted; the registry should refuse it" >&2
	exit 1
fi
say "${Y}refused with exit code 2 (invalid): only a bank organisation finances${N}"

step "Keys held by their owners: the supplier's and Bank1's admins each register a user whose key pair is made here"
say "Only a certificate signing request reaches the gateway, which enrolls it and keeps the certificate,"
say "never the key: the user signs every write itself (--sign-with), after checking that the proposal the"
say "gateway prepared is the operation it asked for (function, arguments, signer, channel)."
sc=sc-$run fo=fo-$run
as SupplierMSP/admin user register "$sc" --role supplier --key-out "$docs/$sc/key.pem" --token-out "$docs/$sc.token"
as Bank1MSP/admin user register "$fo" --role financier --key-out "$docs/$fo/key.pem" --token-out "$docs/$fo.token"
for w in "gateways/supplier/wallet/$sc" "gateways/bank1/wallet/$fo"; do
	[ -f "$RECV_NET_DIR/$w/cert.pem" ] && [ ! -e "$RECV_NET_DIR/$w/key.pem" ] ||
		{ echo "demo: the gateway's wallet entry $w should hold a certificate and no key" >&2; exit 1; }
	say "the gateway's wallet entry $w: $(cd "$RECV_NET_DIR/$w" && ls | paste -sd' ') (no key)"
done
# own SIGNER ARGS...: recv as a user who holds its own key and token.
own() {
	local who=$1
	shift
	as "$who" --token-file "$docs/${who#*/}.token" "$@" --sign-with "$docs/${who#*/}/key.pem"
}

step "Supplier C transfers its piece to its colleague $sc, who accepts it signing with its own key"
as SupplierMSP/supplier-c transfer "$A.2.1" --to "SupplierMSP/$sc"
own "SupplierMSP/$sc" accept "$A.2.1"

step "$sc asks Bank1 to finance the piece; Bank1's officer $fo approves at 4.50% and pays (融资), each signing with its own key"
own "SupplierMSP/$sc" finance request "$A.2.1" --bank Bank1MSP
own "Bank1MSP/$fo" finance approve "$A.2.1" --rate-bps 450
as Bank1MSP/officer get "$A.2.1"

step "Bank2 grants the core enterprise a credit line 300,000.00 above what it already finances on it (授信额度)"
used=$("$RECV" --as Bank2MSP/officer -o json risk --all | tr -d ' \n' |
	{ grep -o '"bank":"Bank2MSP","amount":"[0-9.]*"' || true; } | head -n1 | sed 's/.*"amount":"//; s/"//')
line=$(awk -v u="${used:-0}" 'BEGIN { printf "%.2f", u + 300000 }')
as Bank2MSP/officer credit-line CoreMSP --amount "$line"
as Bank2MSP/officer limits CoreMSP

step "Supplier B asks Bank2 to finance the 450,000.00 it kept: refused, it would exceed Bank2's line on the core enterprise"
as SupplierMSP/supplier-b finance request "$A.2.2" --bank Bank2MSP
refused 5 "conflict, the credit line would be exceeded" Bank2MSP/officer finance approve "$A.2.2" --rate-bps 450
as SupplierMSP/supplier-b finance withdraw "$A.2.2"

step "A court orders a hold on Supplier A's piece: the auditor freezes it (冻结), and it cannot move"
as AuditorMSP/auditor freeze "$A.1" --reason "property preservation order" --reference "(2026)沪0115财保1号"
refused 5 "conflict, the piece is frozen" SupplierMSP/supplier-a transfer "$A.1" --to SupplierMSP/supplier-b
as AuditorMSP/auditor unfreeze "$A.1" --reason "order lifted" --reference "(2026)沪0115财保1号"

step "Supplier A tries to move its piece with Fabric's own peer CLI, endorsed by its organisation's peer and the auditor's only: every peer refuses it at commit, the obligor's peer did not endorse (docs/security.md, 0)"
printf '%s    $ scripts/network.sh invoke supplier/supplier-a supplier,auditor Transfer %s SupplierMSP/supplier-b ""%s\n' "$C" "$A.1" "$N"
if scripts/network.sh invoke supplier/supplier-a supplier,auditor Transfer "$A.1" SupplierMSP/supplier-b "" >"$docs/last" 2>&1; then
	echo "demo: a transfer without the obligor's endorsement committed" >&2
	exit 1
fi
sed 's/^/    /' "$docs/last"
grep -q ENDORSEMENT_POLICY_FAILURE "$docs/last" || { echo "demo: expected ENDORSEMENT_POLICY_FAILURE" >&2; exit 1; }
say "${Y}refused at commit: the piece's own endorsement policy needs CoreMSP and SupplierMSP${N}"
as AuditorMSP/auditor get "$A.1"

step "The core enterprise tries to redeem $A today: refused, it matures on $later"
if as CoreMSP/treasurer redeem-all "$A" --payment-ref "TRF-$run-A"; then
	echo "demo: redemption before maturity was accepted; the chaincode should refuse it" >&2
	exit 1
else
	code=$?
	[ "$code" -eq 5 ] || { echo "demo: expected exit code 5 (conflict), got $code" >&2; exit 1; }
	say "${Y}refused with exit code 5 (conflict), as the rules require${N}"
fi

step "Receivable $RB matures today: issued, accepted and split into two pieces"
as CoreMSP/treasurer issue --id "$RB" --to SupplierMSP/supplier-a --amount 80000.00 --maturity "$today" \
	--contract-file "$docs/C-$run-B.txt" --invoice-file "INV-$run-B:80000.00:$docs/INV-$run-B.txt"
as CoreMSP/approver confirm "$(instruction)"
as SupplierMSP/supplier-a accept "$RB"
as SupplierMSP/supplier-a split "$RB" --parts 30000,50000

step "At maturity the core enterprise pays one leaf, then every remaining live leaf at once (兑付, 清分)"
say "Each payment is asked by the treasurer under its bank transfer's reference and confirmed by the approver."
as CoreMSP/treasurer redeem "$RB.1" --payment-ref "TRF-$run-B1"
as CoreMSP/approver confirm "$(instruction)"
as CoreMSP/treasurer redeem-all "$RB" --payment-ref "TRF-$run-B"
as CoreMSP/approver confirm "$(instruction)"

step "The auditor traces both roots to every piece"
as AuditorMSP/auditor trace "$A"
as AuditorMSP/auditor trace "$RB"

step "The auditor reads the full history of the financed piece"
as AuditorMSP/auditor history "$A.2.1"

step "Risk signals (冒烟指数): the auditor's view of every core enterprise, and Bank2's own view"
as AuditorMSP/auditor risk
as Bank2MSP/officer risk

step "The auditor reconciles the accounts"
as AuditorMSP/auditor totals SupplierMSP/supplier-a
as AuditorMSP/auditor totals SupplierMSP/supplier-c
as AuditorMSP/auditor totals "SupplierMSP/$sc"
as AuditorMSP/auditor totals Bank1MSP/officer

step "A governed change: the core enterprise proposes a 180-day term cap; it applies once both banks approve too (a majority, 3 of 5, with every veto)"
as CoreMSP/admin proposal create --id "P-$run" --set maxTermDays=180 --note "align with the banks' credit policy"
as Bank1MSP/admin proposal approve "P-$run"
as Bank2MSP/admin proposal approve "P-$run"
as AuditorMSP/auditor config get

step "The auditor verifies every block from its own peer, re-executes every transaction's rules and rebuilds every receivable from the blocks (docs/audit.md)"
as AuditorMSP/auditor audit --sign-with "$("$RECV" netinfo --key AuditorMSP/auditor)" \
	--checkpoint-out "$RECV_NET_DIR/audit-checkpoint.json"

printf '\n%sDone.%s %s pieces are live until %s; %s is fully redeemed.\n' "$G" "$N" "$A" "$later" "$RB"

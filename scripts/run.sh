#!/usr/bin/env bash
# The main job: build what is missing, bring the native network up with the chaincode committed,
# start one gateway per organisation and tell the lifecycle story through the recv CLI.
# Everything stays up afterwards so you can explore; `make down` stops it all.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "Fabric binaries, chaincode server and recv CLI (built from pinned Go modules when missing)"
scripts/fabric-bin/build.sh
go build -o bin/recv ./gateway/cmd/recv

step "Native network: CAs, 3 Raft orderers, 5 peer orgs, channel, chaincode"
scripts/network.sh up

step "One gateway per organisation"
scripts/gateways.sh up

step "Lifecycle demo"
scripts/demo.sh

cat <<'MSG'

The network and the gateways are still running:
  make status              each node's health and block height
  bin/recv --as AuditorMSP/auditor list --issuer CoreMSP/treasurer
  make down                stop everything and remove the state
MSG

step "Web console, one per organisation (docs/console.md)"
scripts/gateways.sh console

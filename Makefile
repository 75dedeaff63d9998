# recv: digital receivables on Hyperledger Fabric.
# The two commands a newcomer needs are `make run` (network + chaincode + gateways + demo) and
# `make test` (unit, fuzz regression, integration and end-to-end suites). Everything else is here
# for operators and developers; `make help` lists it.

SHELL := /bin/bash
NODE ?=
NAME ?=
ORG ?=
BACKUP ?=

.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-z][a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

.PHONY: run
run: ## build what is needed, start the native network and a gateway per org, run the demo
	@scripts/run.sh

.PHONY: test
test: ## run every suite: unit + fuzz regression + coverage, native integration, docker end-to-end
	@scripts/test.sh

.PHONY: unit
unit: ## unit tests only (no network)
	@scripts/test.sh unit

.PHONY: bins
bins: ## build the pinned Fabric binaries into bin/ (only when missing or the pin changed)
	@scripts/fabric-bin/build.sh

.PHONY: up down stop start status deploy upgrade
up: ## start the native network and deploy the chaincode
	@scripts/network.sh up
down: ## stop every process the native network started and remove its state
	@scripts/monitor.sh down >/dev/null || true
	@scripts/gateways.sh down || true
	@scripts/network.sh down
stop: ## stop the gateways and every node, keep the state (ledgers, identities, gateways' records)
	@scripts/gateways.sh down
	@scripts/network.sh stop
start: ## start a stopped native network and its gateways again from the state folder
	@scripts/network.sh start
	@scripts/gateways.sh up
status: ## show each node: running, healthy, block height, version, certificates' expiry
	@scripts/network.sh status
deploy: ## deploy the chaincode (package, install, approve, commit)
	@scripts/network.sh deploy
upgrade: ## rebuild the chaincode and upgrade it with a new sequence, new servers beside the running ones (no call fails)
	@scripts/network.sh upgrade

.PHONY: certs renew
certs: ## every certificate of the native network's state folder with its expiry, the first to expire first: make certs [ORG=bank2]
	@scripts/network.sh certs $(ORG)
renew: ## renew a peer's or an orderer's certificates (new pairs from its CA, consenter update, restart), a CA's TLS pair (NODE=ca.bank1) or a chaincode server's (NODE=chaincode.bank1, no restart): make renew NODE=peer0.bank2
	@scripts/network.sh renew $(NODE)

.PHONY: add-org
add-org: ## a bank joins the running native network (CA, peer, channel update, chaincode, registry, gateway): make add-org NAME=bank3
	@scripts/network.sh add-org $(NAME)

.PHONY: docker-add-org
docker-add-org: ## a bank joins the running compose network: make docker-add-org NAME=bank3
	@scripts/docker.sh add-org $(NAME)

.PHONY: monitor monitor-down
monitor: ## Prometheus + Alertmanager (Debian's packages) scraping every node and gateway of the running native network, alert rules, a dashboard (docs/operations.md); again after add-org
	@scripts/monitor.sh up
monitor-down: ## stop the monitoring processes (its data stays in the state folder)
	@scripts/monitor.sh down

.PHONY: backup restore-peer restore-ca
backup: ## back up an org: its CA (keys, database), MSP and identities, gateway folder and a ledger snapshot: make backup ORG=bank1
	@scripts/network.sh backup $(ORG)
restore-peer: ## rebuild an org's peer from its latest backup's snapshot (or BACKUP=folder, or BACKUP=--genesis): make restore-peer ORG=bank1
	@scripts/network.sh restore-peer $(ORG) $(BACKUP)
restore-ca: ## put an org's CA back from its latest backup (or BACKUP=folder): make restore-ca ORG=bank1
	@scripts/network.sh restore-ca $(ORG) $(BACKUP)

.PHONY: logs
logs: ## show a node's log: make logs NODE=peer0.core
	@scripts/network.sh logs $(NODE)

.PHONY: gateways demo
gateways: ## start one gateway per org against the running network
	@scripts/gateways.sh up
demo: ## run the lifecycle story through the recv CLI
	@scripts/demo.sh

.PHONY: images docker-up docker-down docker-stop docker-start docker-status
images: ## build the container images locally (never pulled)
	@scripts/docker.sh images
docker-up: ## start the same network with docker compose
	@scripts/docker.sh up
docker-down: ## remove the compose network's containers, networks and volumes
	@scripts/docker.sh down
docker-stop: ## stop the compose network's containers, keep them and their volumes
	@scripts/docker.sh stop
docker-start: ## start a stopped compose network again
	@scripts/docker.sh start
docker-status: ## each container's health and block height
	@scripts/docker.sh status

.PHONY: bench
bench: ## chaincode benchmarks (go test -bench)
	@cd chaincode && go test -run '^$$' -bench . -benchmem ./...

.PHONY: bench-network soak
bench-network: ## every write transaction and a bare chaincode against the running network, concurrency raised to the knee: table, JSON, PNG in .bench/ (BENCH_ARGS='-workloads Issue,bare-1024')
	@scripts/bench-network.sh bench $(BENCH_ARGS)
soak: ## 10 minutes of mixed load against the running network, the memory of every process sampled and charted (SOAK_ARGS='-duration 3m')
	@scripts/bench-network.sh soak $(SOAK_ARGS)

.PHONY: load
load: ## financing rounds against the running network, SDK and REST side by side: make load LOAD_ARGS='-rounds 300 -concurrency 60'
	@cd test && go run ./load $(LOAD_ARGS)

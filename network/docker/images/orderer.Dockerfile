# recv orderer: the Fabric v2.5.0 orderer (static, CGO_ENABLED=0) on an empty base, with the health
# probe. `scripts/docker.sh images` stages rootfs/ (binaries from bin/, /tmp, the data folder).
FROM scratch
ARG VERSION=dev
ARG INPUTS=unknown
COPY rootfs/ /
ENV PATH=/usr/local/bin FABRIC_CFG_PATH=/etc/hyperledger/fabric
# Block store, Raft WAL and snapshots: mount a volume at /var/hyperledger/production/orderer.
WORKDIR /var/hyperledger/production/orderer
USER 65534:65534
ENTRYPOINT ["/usr/local/bin/orderer"]
LABEL org.opencontainers.image.title="recv-orderer" org.opencontainers.image.version="${VERSION}" recv.inputs="${INPUTS}"

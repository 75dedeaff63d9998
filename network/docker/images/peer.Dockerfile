# recv peer: the Fabric v2.5.0 peer (static, CGO_ENABLED=0) on an empty base, with the project's
# chaincode-as-a-service external builder at /opt/recv/builder (one static Go program under the
# names detect, build and release: no shell needed) and the health probe.
# `scripts/docker.sh images` stages rootfs/ (binaries from bin/, /tmp, the data folder) and passes
# VERSION and INPUTS (a hash of the context: the image is rebuilt only when it changes).
FROM scratch
ARG VERSION=dev
ARG INPUTS=unknown
COPY rootfs/ /
ENV PATH=/usr/local/bin FABRIC_CFG_PATH=/etc/hyperledger/fabric
# Ledgers: mount a volume at /var/hyperledger/production (peer.fileSystemPath).
WORKDIR /var/hyperledger/production
USER 65534:65534
ENTRYPOINT ["/usr/local/bin/peer"]
CMD ["node", "start"]
LABEL org.opencontainers.image.title="recv-peer" org.opencontainers.image.version="${VERSION}" recv.inputs="${INPUTS}"

# recv CA: the Fabric CA v1.5.21 server on an empty base, with the health probe. It needs cgo
# (sqlite), so `scripts/docker.sh images` links it statically (-tags netgo,osusergo,
# -linkmode external -extldflags -static) into bin/static/ and stages rootfs/ from there.
FROM scratch
ARG VERSION=dev
ARG INPUTS=unknown
COPY rootfs/ /
ENV PATH=/usr/local/bin FABRIC_CA_SERVER_HOME=/var/hyperledger/fabric-ca-server
# Home (keys, certificates, sqlite database): mount a volume at /var/hyperledger/fabric-ca-server
# and the rendered fabric-ca-server-config.yaml into it.
WORKDIR /var/hyperledger/fabric-ca-server
USER 65534:65534
ENTRYPOINT ["/usr/local/bin/fabric-ca-server"]
CMD ["start", "--home", "/var/hyperledger/fabric-ca-server"]
LABEL org.opencontainers.image.title="recv-ca" org.opencontainers.image.version="${VERSION}" recv.inputs="${INPUTS}"

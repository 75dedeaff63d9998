# recv gateway: `recv serve`, the REST gateway of one organisation (static, CGO_ENABLED=0; the recv
# CLI is the same binary), on an empty base, with the health probe.
FROM scratch
ARG VERSION=dev
ARG INPUTS=unknown
COPY rootfs/ /
ENV PATH=/usr/local/bin
# State (token hashes, wallet, tokens/): mount a volume or folder at /var/recv/gateway.
WORKDIR /var/recv/gateway
USER 65534:65534
ENTRYPOINT ["/usr/local/bin/recv"]
CMD ["serve", "--state-dir", "/var/recv/gateway"]
LABEL org.opencontainers.image.title="recv-gateway" org.opencontainers.image.version="${VERSION}" recv.inputs="${INPUTS}"

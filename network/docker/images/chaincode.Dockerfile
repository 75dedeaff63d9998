# recv chaincode: the receivables chaincode server (chaincode as a service; static, CGO_ENABLED=0)
# on an empty base, with the health probe. Set CHAINCODE_ID (the installed package id) and, for
# TLS, CHAINCODE_TLS_DISABLED=false, CHAINCODE_TLS_CERT, CHAINCODE_TLS_KEY, CHAINCODE_CLIENT_CA_CERT
# and CHAINCODE_CLIENT_CERT (the only client certificate served: its peer's).
FROM scratch
ARG VERSION=dev
ARG INPUTS=unknown
COPY rootfs/ /
ENV PATH=/usr/local/bin CHAINCODE_SERVER_ADDRESS=0.0.0.0:7900
USER 65534:65534
ENTRYPOINT ["/usr/local/bin/receivables-cc"]
LABEL org.opencontainers.image.title="recv-chaincode" org.opencontainers.image.version="${VERSION}" recv.inputs="${INPUTS}"

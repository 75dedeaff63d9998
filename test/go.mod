module github.com/recv-ledger/recv/test

go 1.26.0

require (
	github.com/hyperledger/fabric-gateway v1.12.0
	github.com/hyperledger/fabric-protos-go-apiv2 v0.3.7
	github.com/recv-ledger/recv/gateway v0.0.0
	github.com/stretchr/testify v1.12.1
	google.golang.org/grpc v1.85.0
	google.golang.org/protobuf v1.36.12
)

require (
	github.com/gobwas/ws v1.4.0
	go.etcd.io/bbolt v1.5.0
	golang.org/x/image v0.41.0
)

require (
	github.com/gobwas/httphead v0.1.0 // indirect
	github.com/gobwas/pool v0.2.1 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
)

require (
	github.com/miekg/pkcs11 v1.1.2 // indirect
	github.com/recv-ledger/recv/chaincode v0.0.0
	golang.org/x/net v0.60.0 // indirect
	golang.org/x/sys v0.48.0 // indirect
	golang.org/x/text v0.42.0 // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20260817212433-ac3dfec99bb1 // indirect
)

replace github.com/recv-ledger/recv/gateway => ../gateway

replace github.com/recv-ledger/recv/chaincode => ../chaincode

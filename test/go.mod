module github.com/recv-ledger/recv/test

go 1.25.0

require (
	github.com/hyperledger/fabric-gateway v1.7.1
	github.com/hyperledger/fabric-protos-go-apiv2 v0.3.4
	github.com/recv-ledger/recv/gateway v0.0.0
	github.com/stretchr/testify v1.10.0
	google.golang.org/grpc v1.69.2
	google.golang.org/protobuf v1.36.1
)

require (
	github.com/gobwas/ws v1.4.0
	go.etcd.io/bbolt v1.4.3
	golang.org/x/image v0.41.0
)

require (
	github.com/gobwas/httphead v0.1.0 // indirect
	github.com/gobwas/pool v0.2.1 // indirect
)

require (
	github.com/davecgh/go-spew v1.1.1 // indirect
	github.com/miekg/pkcs11 v1.1.1 // indirect
	github.com/pmezard/go-difflib v1.0.0 // indirect
	github.com/recv-ledger/recv/chaincode v0.0.0
	golang.org/x/crypto v0.31.0 // indirect
	golang.org/x/net v0.33.0 // indirect
	golang.org/x/sys v0.29.0 // indirect
	golang.org/x/text v0.37.0 // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20241015192408-796eee8c2d53 // indirect
	gopkg.in/yaml.v3 v3.0.1 // indirect
)

replace github.com/recv-ledger/recv/gateway => ../gateway

replace github.com/recv-ledger/recv/chaincode => ../chaincode

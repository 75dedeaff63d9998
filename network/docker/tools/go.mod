module github.com/recv-ledger/recv/network/docker/tools

go 1.24

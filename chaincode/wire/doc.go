// Package wire is the one contract between the chaincode, the gateway, the recv CLI and the test
// tools: the request and response types, the error kinds (one spelling) and the operation table
// (operation -> chaincode transaction, HTTP method and path, arguments). Everything that crosses a
// process boundary is declared here once; the chaincode, the gateway's routes and offline signing,
// the CLI, the REST client and the load tool derive from it. It imports the standard library only,
// so any of them can depend on it. docs/design.md section 4 tells the reasons.
//
// A field that may be absent carries `metadata:",optional"` beside its omitempty, so that the
// chaincode's contract metadata (the JSON schemas Fabric's GetMetadata returns) does not mark it
// required.
package wire

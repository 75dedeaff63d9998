package api

import (
	"context"
	"net/http"
	"strconv"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/fabric"
)

// BlockReader relays the channel's blocks from this organisation's peer, read as the caller
// (fabric.Client implements it). The gateway verifies nothing: a reader that wants to trust no
// one verifies the blocks itself (recv audit, package audit).
type BlockReader interface {
	ChainInfo(ctx context.Context, name string) (*fabric.ChainInfo, error)
	Block(ctx context.Context, name string, number uint64) ([]byte, error)
}

// blocks is the ledger's BlockReader for a caller who may read whole blocks, the organisation's
// auditors and admins: a block carries every deal of the channel, which the chaincode's read checks
// would hide from the other users of the organisation. A ledger that relays no blocks is not found.
func (s *Server) blocks(r *http.Request) (BlockReader, error) {
	br, ok := s.ledger.(BlockReader)
	if !ok {
		return nil, &Failure{Kind: wire.KindNotFound, Stage: "request", Message: "not_found: this gateway relays no blocks"}
	}
	if id, ok := s.ledger.Identity(caller(r)); !ok || (id.Role != wire.RoleAuditor && id.Role != wire.RoleAdmin) {
		return nil, &Failure{Kind: wire.KindForbidden, Stage: "request",
			Message: "forbidden: whole blocks carry every deal of the channel; only an auditor or an admin of the organisation reads them"}
	}
	return br, nil
}

// readBlocks runs read on the caller's BlockReader (blocks) within the request's timeout: read
// writes the answer, an error from either is answered here.
func (s *Server) readBlocks(w http.ResponseWriter, r *http.Request, read func(context.Context, BlockReader) error) {
	br, err := s.blocks(r)
	if err == nil {
		ctx, cancel := s.withTimeout(r)
		defer cancel()
		err = read(ctx, br)
	}
	if err != nil {
		s.writeError(w, r, err)
	}
}

// chain answers GET /v1/chain: the height and last block hash on this organisation's peer.
func (s *Server) chain(w http.ResponseWriter, r *http.Request) {
	s.readBlocks(w, r, func(ctx context.Context, br BlockReader) error {
		info, err := br.ChainInfo(ctx, caller(r))
		if err == nil {
			writeJSON(w, http.StatusOK, info)
		}
		return err
	})
}

// block answers GET /v1/blocks/{number} with the block's protobuf bytes
// (application/octet-stream), exactly as the peer stores it.
func (s *Server) block(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.ParseUint(r.PathValue("number"), 10, 64)
	if err != nil {
		s.writeError(w, r, badRequest("block number must be a non-negative integer, got "+strconv.Quote(r.PathValue("number"))))
		return
	}
	s.readBlocks(w, r, func(ctx context.Context, br BlockReader) error {
		raw, err := br.Block(ctx, caller(r), n)
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", strconv.Itoa(len(raw)))
		_, _ = w.Write(raw)
		return nil
	})
}

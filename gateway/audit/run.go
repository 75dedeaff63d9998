package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"
)

// Source delivers a channel's blocks: the gateway's GET /v1/blocks/{number}, or qscc directly.
type Source interface {
	Height(ctx context.Context) (uint64, error)
	Block(ctx context.Context, number uint64) ([]byte, error)
}

// Run verifies the blocks of src from block 0, or after opts.Start, up to the height src reports
// when it begins, one block in memory at a time; a resumed run first loads the channel's members
// from the latest configuration block the first new block names. When get is not nil it then
// compares every rebuilt receivable with the chaincode's answer. The auditor is returned even on
// failure, with what it checked so far.
func Run(ctx context.Context, src Source, opts Options, get Getter) (*Auditor, error) {
	start := time.Now()
	a, err := New(opts)
	if err != nil {
		return nil, err
	}
	defer func() { a.rep.Seconds = time.Since(start).Seconds() }()
	height, err := src.Height(ctx)
	if err != nil {
		return a, fmt.Errorf("chain height: %w", err)
	}
	if opts.Start != nil {
		if err := recheckChain(ctx, src, a, *opts.Start); err != nil {
			return a, err
		}
	}
	if opts.Start != nil && a.next < height {
		if err := loadLatestConfig(ctx, src, a); err != nil {
			return a, err
		}
	}
	for n := a.next; n < height; n++ {
		raw, err := src.Block(ctx, n)
		if err != nil {
			return a, fmt.Errorf("read block %d: %w", n, err)
		}
		b, err := ParseBlock(raw)
		if err != nil {
			return a, &BlockError{Block: n, Tx: -1, Err: err}
		}
		if err := a.Verify(b); err != nil {
			return a, err
		}
	}
	if get != nil {
		if _, err := a.Compare(ctx, get); err != nil {
			return a, err
		}
	}
	return a, nil
}

// recheckChain re-checks, before a resumed audit goes on, the hash chain of the blocks its
// checkpoint covers: every block's data hash and link from block 0 up to the checkpoint's block,
// whose header hash must be the checkpoint's. A block corrupted on the peer since the checkpoint's
// audit fails here, not only one after it. (Nothing else of those blocks is verified again.)
func recheckChain(ctx context.Context, src Source, a *Auditor, to Position) error {
	var prev []byte
	for n := uint64(0); n <= to.Number; n++ {
		raw, err := src.Block(ctx, n)
		if err != nil {
			return fmt.Errorf("read block %d: %w", n, err)
		}
		b, err := ParseBlock(raw)
		if err != nil {
			return &BlockError{Block: n, Tx: -1, Err: err}
		}
		h := b.GetHeader()
		switch {
		case h.GetNumber() != n:
			return &BlockError{Block: n, Tx: -1, Err: fmt.Errorf("the source answered block %d", h.GetNumber())}
		case !bytes.Equal(DataHash(b.GetData()), h.GetDataHash()):
			return &BlockError{Block: n, Tx: -1, Err: errors.New("data hash does not match its transactions (re-checked before the checkpoint)")}
		case n > 0 && !bytes.Equal(h.GetPreviousHash(), prev):
			return &BlockError{Block: n, Tx: -1, Err: fmt.Errorf("previous hash does not match block %d's header hash (re-checked before the checkpoint)", n-1)}
		}
		prev = HeaderHash(h)
		a.rep.ChainRechecked++
	}
	if !bytes.Equal(prev, to.HeaderHash) {
		return &BlockError{Block: to.Number, Tx: -1, Err: errors.New("header hash is not the checkpoint's: the chain before the checkpoint changed")}
	}
	return nil
}

func loadLatestConfig(ctx context.Context, src Source, a *Auditor) error {
	raw, err := src.Block(ctx, a.next)
	if err != nil {
		return fmt.Errorf("read block %d: %w", a.next, err)
	}
	b, err := ParseBlock(raw)
	if err != nil {
		return err
	}
	idx, err := LastConfigIndex(b)
	if err != nil {
		return err
	}
	if raw, err = src.Block(ctx, idx); err != nil {
		return fmt.Errorf("read configuration block %d: %w", idx, err)
	}
	cfg, err := ParseBlock(raw)
	if err != nil {
		return err
	}
	if err := a.LoadConfig(cfg); err != nil {
		return fmt.Errorf("configuration block %d: %w", idx, err)
	}
	return nil
}

package audit

import (
	"context"
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

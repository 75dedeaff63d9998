package docker_test

import (
	"testing"

	"github.com/recv-ledger/recv/test/internal/story"
)

func TestLifecycle_REST(t *testing.T) { story.REST(t, nw) }

func TestLifecycle_CLI(t *testing.T) { story.CLI(t, nw) }

package notify

import (
	"testing"

	"github.com/switchyard/switchyard/internal/pgtest"
)

// TestMain stops the PostgreSQL server that the benchmarks of several
// replicas start.
func TestMain(m *testing.M) { pgtest.Main(m) }

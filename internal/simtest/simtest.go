// Package simtest is the one toolkit of the end-to-end tests: the AWS and
// Slack simulators seeded and started on loopback, a store in a temporary
// directory, a clock that moves only when told, the sandbox's world, and
// the helpers that read what a channel shows (threads, buttons, texts in
// order, no duplicates) and pin renders in golden files.
//
// Tests settle on what they can observe, never on how long a sleep lasts:
// WaitFor polls a condition until it holds, with a deadline generous
// enough for a loaded machine, since a passing condition returns at once.
package simtest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/awssim"
	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/slacksim"
	"github.com/switchyard/switchyard/store"
)

// Patience is how long WaitFor waits by default: long enough for a
// condition that needs the bot, the simulators and the store to catch up
// on a machine busy with other work (scripts/stress runs the suite three
// times under the race detector beside two busy loops, and there a
// deployment through Slack's tight limits and AWS throttling once took
// longer than a minute to show its id). Only a failing test waits this
// long.
const Patience = 2 * time.Minute

// WaitFor polls cond until it holds, and fails the test with what and
// dump's account of the world if it does not within Patience.
func WaitFor(t testing.TB, what string, cond func() bool, dump func() string) {
	t.Helper()
	WaitWithin(t, Patience, what, cond, dump)
}

// WaitWithin is WaitFor with its own deadline.
func WaitWithin(t testing.TB, within time.Duration, what string, cond func() bool, dump func() string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			msg := "timed out after " + within.String() + " waiting for " + what
			if dump != nil {
				msg += "\n" + dump()
			}
			t.Fatal(msg)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Root is the module's root directory, found from the test's working
// directory.
func Root(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// ReadFile reads a file by its path from the module's root.
func ReadFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(Root(t), path))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The sandbox's world and bot configuration: the seeds most tests share.
const (
	SandboxWorld  = "internal/sandbox/world.yaml"
	SandboxConfig = "internal/sandbox/switchyard.yaml"
)

// Config parses a bot configuration from the module's root.
func Config(t testing.TB, path string) *config.Config {
	t.Helper()
	cfg, err := config.Parse(filepath.Base(path), ReadFile(t, path))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// AWS starts the AWS simulator seeded with the world file at path (from
// the module's root) on loopback, its clock standing at start until the
// test moves it, and closes it when the test ends.
func AWS(t testing.TB, path string, start time.Time) *awssim.Sim {
	t.Helper()
	w, err := awssim.LoadWorld(ReadFile(t, path))
	if err != nil {
		t.Fatal(err)
	}
	sim := awssim.New(w.Options(awssim.Options{Start: start}))
	if err := sim.Seed(w); err != nil {
		t.Fatal(err)
	}
	if err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Close answers DeadlineExceeded when a client left an idle
		// connection open; that is not the test's concern.
		if err := sim.Close(); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("close the AWS simulator: %v", err)
		}
	})
	return sim
}

// Slack starts the Slack simulator on loopback and closes it when the test
// ends.
func Slack(t testing.TB, opts slacksim.Options) *slacksim.Server {
	t.Helper()
	s := slacksim.New(opts)
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// Store opens an embedded store in a temporary directory on clock now and
// closes it when the test ends. It returns the store and its file.
func Store(t testing.TB, now func() time.Time) (*store.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "switchyard.db")
	st, err := store.OpenOptions(context.Background(), path, store.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st, path
}

// Clock is a clock that moves only when told.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock standing at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

package pgtest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// The shared server of a test binary: started by the first test that needs
// it, stopped by Main (or Run) after the last.
var shared struct {
	main atomic.Bool
	once sync.Once
	srv  *Server
	err  error
	n    atomic.Int64
}

// Main runs the package's tests and then stops the shared server, if a test
// started it. Call it from TestMain; it does not return.
func Main(m *testing.M) { os.Exit(Run(m)) }

// Run is Main for a TestMain with more to do after the tests: it runs
// them, stops the shared server and returns the exit code.
func Run(m *testing.M) int {
	shared.main.Store(true)
	code := m.Run()
	if shared.srv != nil {
		if err := shared.srv.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest: stop the server:", err)
		}
	}
	return code
}

// SharedServer returns the package's server, starting it on first use. It
// fails the test, saying what is missing, when the server cannot start.
func SharedServer(t testing.TB) *Server {
	t.Helper()
	if !shared.main.Load() {
		t.Fatal(errNoMain)
	}
	shared.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		shared.srv, shared.err = Start(ctx)
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.srv
}

// Database creates a new, empty database on the shared server and returns
// its URL. The database is dropped when the test ends.
func Database(t testing.TB) string {
	t.Helper()
	srv := SharedServer(t)
	name := fmt.Sprintf("test_%d", shared.n.Add(1))
	u, err := srv.CreateDatabase(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.DropDatabase(context.Background(), name); err != nil {
			t.Error(err)
		}
	})
	return u
}

// logTail keeps the server's last log lines and says when it is ready.
type logTail struct {
	mu      sync.Mutex
	lines   []string
	partial []byte
	ready   chan struct{}
	isReady bool
}

const keepLines = 200

func newLogTail() *logTail { return &logTail{ready: make(chan struct{})} }

func (l *logTail) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.partial = append(l.partial, p...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		line := string(l.partial[:i])
		l.partial = l.partial[i+1:]
		if !l.isReady && strings.Contains(line, readyLine) {
			l.isReady = true
			close(l.ready)
		}
		l.lines = append(l.lines, line)
		if len(l.lines) > keepLines {
			l.lines = l.lines[len(l.lines)-keepLines:]
		}
	}
	return len(p), nil
}

func (l *logTail) String() string {
	if l == nil {
		return ""
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n") + string(l.partial)
}

// Exec runs one SQL statement on the database at url, on a connection of
// its own: what a test does behind the back of the code under test.
func Exec(ctx context.Context, url, sql string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

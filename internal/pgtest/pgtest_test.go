package pgtest

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

func TestMain(m *testing.M) { Main(m) }

func TestDatabaseIsFreshPrivateAndDropped(t *testing.T) {
	ctx := context.Background()
	var name string
	t.Run("use", func(t *testing.T) {
		u := Database(t)
		conn, err := pgx.Connect(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		var addr, listen string
		if err := conn.QueryRow(ctx, `SELECT current_database(), host(inet_server_addr())`).Scan(&name, &addr); err != nil {
			t.Fatal(err)
		}
		if err := conn.QueryRow(ctx, `SHOW listen_addresses`).Scan(&listen); err != nil || listen != "127.0.0.1" || addr != "127.0.0.1" {
			t.Errorf("server listens on %q, connected to %q (%v); want loopback only", listen, addr, err)
		}
		var tables int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&tables); err != nil || tables != 0 {
			t.Errorf("new database has %d tables (%v)", tables, err)
		}
		if other := Database(t); other == u {
			t.Errorf("two databases share the URL %s", u)
		}
	})
	admin, err := pgx.Connect(ctx, SharedServer(t).URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	var left int
	if err := admin.QueryRow(ctx, `SELECT count(*) FROM pg_database WHERE datname = $1`, name).Scan(&left); err != nil || left != 0 {
		t.Errorf("database %q still there after its test (%d, %v)", name, left, err)
	}
}

// The server checks passwords over TCP: the one in the URL works, another
// is refused.
func TestPasswordIsRequired(t *testing.T) {
	ctx := context.Background()
	srv := SharedServer(t)
	cfg, err := pgx.ParseConfig(srv.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Password = "wrong"
	_, err = pgx.ConnectConfig(ctx, cfg)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "28P01" {
		t.Errorf("wrong password: %v; want invalid_password (28P01)", err)
	}
}

// A server of its own, stopped: the port closes, the directory goes, and
// the server ran as the postgres user when the tests run as root.
func TestStartAndStop(t *testing.T) {
	ctx := context.Background()
	srv, err := Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(srv.Dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	owner := fi.Sys().(*syscall.Stat_t).Uid
	if want, _ := serverUser(); want != nil && int(owner) != want.uid {
		t.Errorf("data directory owned by uid %d, want the postgres user's %d", owner, want.uid)
	} else if want == nil && int(owner) != os.Geteuid() {
		t.Errorf("data directory owned by uid %d, want ours", owner)
	}
	if _, err := srv.CreateDatabase(ctx, "x"); err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(srv.Port))
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Errorf("%s still accepts connections after Stop", addr)
	}
	if _, err := os.Stat(srv.Dir); !os.IsNotExist(err) {
		t.Errorf("directory %s left behind: %v", srv.Dir, err)
	}
	if err := srv.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

func TestFindBinaries(t *testing.T) {
	fake := func(dir string, names ...string) {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			if err := os.WriteFile(filepath.Join(dir, n), []byte("#!/bin/sh\n"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	root := t.TempDir()
	fake(filepath.Join(root, "lib", "9.6", "bin"), "initdb", "postgres")
	fake(filepath.Join(root, "lib", "15", "bin"), "initdb", "postgres")
	fake(filepath.Join(root, "lib", "16", "bin"), "initdb") // half installed
	fake(filepath.Join(root, "path"), "postgres")           // no initdb beside it

	got, err := FindBinaries(filepath.Join(root, "path"), []string{filepath.Join(root, "lib")})
	if err != nil || got != filepath.Join(root, "lib", "15", "bin") {
		t.Errorf("FindBinaries = %q, %v; want the newest complete version, 15", got, err)
	}
	fake(filepath.Join(root, "path2"), "initdb", "postgres")
	if got, _ := FindBinaries(filepath.Join(root, "path")+":"+filepath.Join(root, "path2"), []string{filepath.Join(root, "lib")}); got != filepath.Join(root, "path2") {
		t.Errorf("FindBinaries = %q; want the directory on PATH", got)
	}
	_, err = FindBinaries("", []string{filepath.Join(root, "none")})
	if err == nil || !strings.Contains(err.Error(), "apt-get install postgresql") {
		t.Errorf("missing binaries: %v; want the sentence saying what to install", err)
	}
}

func TestLogTail(t *testing.T) {
	l := newLogTail()
	l.Write([]byte("LOG:  starting\nLOG:  database system is ready"))
	select {
	case <-l.ready:
		t.Fatal("ready before the line was complete")
	default:
	}
	l.Write([]byte(" to accept connections\n"))
	<-l.ready
	for range keepLines + 10 {
		l.Write([]byte("x\n"))
	}
	if n := strings.Count(l.String(), "\n") + 1; n != keepLines {
		t.Errorf("kept %d lines, want %d", n, keepLines)
	}
}

func TestExec(t *testing.T) {
	ctx := context.Background()
	u := Database(t)
	if err := Exec(ctx, u, `CREATE TABLE t (x integer)`); err != nil {
		t.Fatal(err)
	}
	if err := Exec(ctx, u, `CREATE TABLE t (x integer)`); err == nil {
		t.Error("the second CREATE TABLE succeeded: Exec ran nothing")
	}
}

// Run as root, the server's user must reach its directory: a TMPDIR that
// only root may enter is passed over for /tmp.
func TestTempRoot(t *testing.T) {
	someone := &credential{uid: 12345, gid: 12345}
	open, private := t.TempDir(), t.TempDir()
	for _, d := range []string{open, filepath.Dir(open)} { // t.TempDir's parent is private too
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(private, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TMPDIR", private)
	if got := tempRoot(someone); got != "/tmp" {
		t.Errorf("private TMPDIR: %q, want /tmp", got)
	}
	if got := tempRoot(nil); got != private {
		t.Errorf("private TMPDIR for this process's own server: %q", got)
	}
	t.Setenv("TMPDIR", open)
	if got := tempRoot(someone); got != open {
		t.Errorf("open TMPDIR: %q, want %q", got, open)
	}
}

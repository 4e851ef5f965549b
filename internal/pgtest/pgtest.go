// Package pgtest starts a throwaway PostgreSQL server for tests: the
// server binaries of Debian's postgresql package, a cluster made by initdb
// in a temporary directory, listening on 127.0.0.1 on a free port with its
// Unix socket in a private directory, stopped and removed when the tests
// end. Nobody has to start a database by hand.
//
// A test package shares one server and takes one fresh database per test:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		url := pgtest.Database(t) // postgres://…, dropped when t ends
//		…
//	}
//
// A test that needs a database outage starts a server of its own (Start)
// and halts it (Halt: a fast shutdown that keeps the data) and resumes it
// on the same port (Resume), instead of stopping the shared one.
//
// When PostgreSQL is not installed, a test that asks for a database fails
// and says what to install; it is never skipped.
//
// initdb and postgres refuse to run as root. Run as root (as CI is), the
// server runs as the postgres user that Debian's package creates, and its
// directories belong to that user.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// Superuser is the role initdb creates; URLs connect as it.
const Superuser = "postgres"

// Install is the sentence that says how to get the server binaries.
const Install = "install Debian's postgresql package (apt-get install postgresql; .ci/run does it when the binaries are missing)"

// readyLine is what the server logs once it accepts connections (the
// server's messages are in English: lc_messages is C).
const readyLine = "database system is ready to accept connections"

// Server is one running PostgreSQL server. Its methods are safe for
// concurrent use.
type Server struct {
	// BinDir holds the initdb and postgres that run it.
	BinDir string
	// Dir is the temporary directory with the cluster and the socket; Stop
	// removes it.
	Dir string
	// Port is the TCP port on 127.0.0.1.
	Port int

	password string
	data     string      // the cluster's directory
	sock     string      // the Unix socket's directory
	owner    *credential // who runs the server

	// proc guards the running server process: Halt and Resume replace it.
	proc    sync.Mutex
	cmd     *exec.Cmd // nil while halted
	log     *logTail
	exited  chan struct{} // closed when the server process has exited
	waitErr error         // the server's exit, valid once exited is closed

	mu    sync.Mutex // serialises CREATE and DROP DATABASE on admin
	admin *pgx.Conn  // nil while halted
	stop  sync.Once
}

// URL is the address of database db on the server, with the superuser's
// password in it.
func (s *Server) URL(db string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(Superuser, s.password),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port)),
		Path:     "/" + db,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// Password is the superuser's password, random per server.
func (s *Server) Password() string { return s.password }

// Start finds the server binaries, makes a cluster in a new temporary
// directory and starts the server. Stop it with Stop.
func Start(ctx context.Context) (*Server, error) {
	bin, err := FindBinaries(os.Getenv("PATH"), DebianRoots)
	if err != nil {
		return nil, err
	}
	return startIn(ctx, bin)
}

func startIn(ctx context.Context, bin string) (_ *Server, err error) {
	owner, err := serverUser()
	if err != nil {
		return nil, err
	}
	base, err := os.MkdirTemp(tempRoot(owner), "pgtest-")
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(base)
		}
	}()
	// The server's user must be able to reach its directories inside.
	if err := os.Chmod(base, 0o755); err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	s := &Server{BinDir: bin, Dir: base, password: randomHex(16),
		data: filepath.Join(base, "data"), sock: filepath.Join(base, "sock"), owner: owner}
	for _, d := range []string{s.data, s.sock} {
		if err := mkdirOwned(d, owner); err != nil {
			return nil, err
		}
	}
	if err := s.initdb(ctx); err != nil {
		return nil, err
	}
	// A port picked free can be taken before the server binds it; try again
	// with another.
	for attempt := 1; ; attempt++ {
		port, perr := freePort()
		if perr != nil {
			return nil, perr
		}
		s.proc.Lock()
		err = s.launch(ctx, port)
		s.proc.Unlock()
		if err == nil || attempt == 3 || !strings.Contains(err.Error(), "could not bind") {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	if err := s.connectAdmin(ctx); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// connectAdmin opens the connection that creates and drops databases.
func (s *Server) connectAdmin(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		return fmt.Errorf("pgtest: connect to the server: %w", err)
	}
	s.mu.Lock()
	s.admin = conn
	s.mu.Unlock()
	return nil
}

// initdb makes the cluster: password authentication over TCP with a
// random superuser password, trust on the private socket, C locale.
func (s *Server) initdb(ctx context.Context) error {
	owner := s.owner
	pwfile := filepath.Join(s.sock, "pw")
	if err := os.WriteFile(pwfile, []byte(s.password+"\n"), 0o600); err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	defer os.Remove(pwfile)
	if err := owner.chown(pwfile); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, filepath.Join(s.BinDir, "initdb"),
		"-D", s.data, "-U", Superuser, "--pwfile", pwfile,
		"--auth-local", "trust", "--auth-host", "scram-sha-256",
		"--encoding", "UTF8", "--locale", "C", "--no-sync")
	cmd.Env = serverEnv()
	cmd.SysProcAttr = owner.procAttr()
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pgtest: initdb failed (%w):\n%s", err, out)
	}
	return nil
}

// launch starts postgres on port and returns once it accepts connections,
// or with its log if it exits first. The caller holds s.proc.
func (s *Server) launch(ctx context.Context, port int) error {
	if s.Port != port { // URL reads it; Resume keeps it
		s.Port = port
	}
	s.log = newLogTail()
	s.exited = make(chan struct{})
	cmd := exec.Command(filepath.Join(s.BinDir, "postgres"),
		"-D", s.data, "-p", strconv.Itoa(port), "-k", s.sock,
		"-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_permissions=0700",
		"-c", "lc_messages=C",
		// Throwaway data: durability only costs time.
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=200", "-c", "shared_buffers=32MB")
	cmd.Env = serverEnv()
	cmd.Stdout, cmd.Stderr = s.log, s.log
	attr := s.owner.procAttr()
	// If the test binary dies without stopping the server, the server
	// shuts down at once instead of outliving it.
	attr.Pdeathsig = syscall.SIGQUIT
	cmd.SysProcAttr = attr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("pgtest: start postgres: %w", err)
	}
	s.cmd = cmd
	exited := s.exited
	go func() {
		s.waitErr = cmd.Wait()
		close(exited)
	}()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	select {
	case <-s.log.ready:
		return nil
	case <-exited:
		s.cmd = nil
		return fmt.Errorf("pgtest: postgres exited before accepting connections (%v):\n%s", s.waitErr, s.log)
	case <-ctx.Done():
		s.signal(syscall.SIGQUIT)
		<-exited
		s.cmd = nil
		return fmt.Errorf("pgtest: postgres did not accept connections in time (%w):\n%s", ctx.Err(), s.log)
	}
}

// Stop shuts the server down (fast shutdown: sessions are cut) and removes
// its directory. It is safe to call more than once.
func (s *Server) Stop() error {
	var err error
	s.stop.Do(func() {
		s.closeAdmin()
		s.proc.Lock()
		s.shutdown()
		s.proc.Unlock()
		err = os.RemoveAll(s.Dir)
	})
	return err
}

// shutdown stops the running server, if any, as a fast shutdown does, and
// waits for it to exit. The caller holds s.proc.
func (s *Server) shutdown() {
	if s.cmd == nil {
		return
	}
	s.signal(syscall.SIGINT)
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		s.signal(syscall.SIGQUIT)
		<-s.exited
	}
	s.cmd = nil
}

func (s *Server) closeAdmin() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.admin != nil {
		s.admin.Close(context.Background())
		s.admin = nil
	}
}

func (s *Server) signal(sig syscall.Signal) {
	if s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(sig)
	}
}

// Log returns the server's latest log lines, for a failing test to show.
func (s *Server) Log() string {
	s.proc.Lock()
	defer s.proc.Unlock()
	return s.log.String()
}

// CreateDatabase creates an empty database and returns its URL.
func (s *Server) CreateDatabase(ctx context.Context, name string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.admin == nil {
		return "", errHalted
	}
	if _, err := s.admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("pgtest: create database %s: %w", name, err)
	}
	return s.URL(name), nil
}

// DropDatabase drops a database, cutting its sessions.
func (s *Server) DropDatabase(ctx context.Context, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.admin == nil {
		return errHalted
	}
	if _, err := s.admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("pgtest: drop database %s: %w", name, err)
	}
	return nil
}

// DebianRoots is where Debian keeps each major version's server binaries
// (/usr/lib/postgresql/15/bin), off PATH.
var DebianRoots = []string{"/usr/lib/postgresql"}

// FindBinaries returns the directory holding both initdb and postgres: the
// first on path (a PATH-style list) that has both, else the newest version
// under the roots. The error says what to install.
func FindBinaries(path string, roots []string) (string, error) {
	for _, dir := range filepath.SplitList(path) {
		if dir != "" && hasServer(dir) {
			return dir, nil
		}
	}
	var found []string
	for _, root := range roots {
		dirs, _ := filepath.Glob(filepath.Join(root, "*", "bin"))
		for _, d := range dirs {
			if hasServer(d) {
				found = append(found, d)
			}
		}
	}
	if len(found) == 0 {
		return "", fmt.Errorf("pgtest: PostgreSQL's server binaries (initdb, postgres) are not on PATH nor in %s: %s",
			strings.Join(globs(roots), ", "), Install)
	}
	sort.Slice(found, func(i, j int) bool { return majorOf(found[i]) > majorOf(found[j]) })
	return found[0], nil
}

func globs(roots []string) []string {
	out := make([]string, len(roots))
	for i, r := range roots {
		out[i] = filepath.Join(r, "*", "bin")
	}
	return out
}

// majorOf reads the version out of …/<version>/bin.
func majorOf(bin string) float64 {
	v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(bin)), 64)
	return v
}

func hasServer(dir string) bool {
	for _, name := range []string{"initdb", "postgres"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return false
		}
	}
	return true
}

// serverEnv is the whole environment of initdb and postgres: nothing from
// the test's own (PGDATA, PGPORT, a locale) leaks into the cluster.
func serverEnv() []string {
	return []string{"PATH=/usr/bin:/bin", "LC_ALL=C", "TZ=UTC"}
}

// tempRoot is where the server's directory goes: the usual temporary
// directory, unless the server's user could not reach into it (a TMPDIR
// private to root), then /tmp.
func tempRoot(owner *credential) string {
	dir := os.TempDir()
	if owner == nil {
		return dir
	}
	for d := dir; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil || fi.Mode().Perm()&0o001 == 0 {
			return "/tmp"
		}
		if d == filepath.Dir(d) {
			return dir
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgtest: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// credential is the user the server runs as; nil means this process's own.
type credential struct {
	uid, gid int
}

// serverUser returns who runs the server: the postgres user when this
// process is root, else nobody in particular (this process's user).
func serverUser() (*credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("pgtest: running as root, and initdb refuses root, but there is no postgres user to run the server as (%v): %s", err, Install)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &credential{uid: uid, gid: gid}, nil
}

func (c *credential) procAttr() *syscall.SysProcAttr {
	if c == nil {
		return &syscall.SysProcAttr{}
	}
	return &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(c.uid), Gid: uint32(c.gid), Groups: []uint32{}}}
}

func (c *credential) chown(path string) error {
	if c == nil {
		return nil
	}
	if err := os.Chown(path, c.uid, c.gid); err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	return nil
}

func mkdirOwned(dir string, c *credential) error {
	if err := os.Mkdir(dir, 0o700); err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	return c.chown(dir)
}

// errNoMain is the failure of a test whose package did not hand its
// TestMain to Main, which is what stops the shared server.
var errNoMain = errors.New("pgtest: the package's TestMain must call pgtest.Main(m) (or pgtest.Run), which stops the shared server when the tests end")

package pgtest

import (
	"context"
	"errors"
	"net"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5"
)

// Halt cuts the sessions and closes the port but keeps the data; Resume
// brings the same server back on the same port with every committed row.
func TestHaltAndResume(t *testing.T) {
	ctx := context.Background()
	srv, err := Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	u, err := srv.CreateDatabase(ctx, "kept")
	if err != nil {
		t.Fatal(err)
	}
	if err := Exec(ctx, u, `CREATE TABLE t (v text); INSERT INTO t VALUES ('before')`); err != nil {
		t.Fatal(err)
	}
	open, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close(ctx)
	port := srv.Port

	if err := srv.Halt(); err != nil {
		t.Fatal(err)
	}
	if _, err := open.Exec(ctx, `SELECT 1`); err == nil {
		t.Error("a session opened before Halt still answers")
	}
	if c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port))); err == nil {
		c.Close()
		t.Error("the port still accepts connections after Halt")
	}
	if _, err := srv.CreateDatabase(ctx, "other"); !errors.Is(err, errHalted) {
		t.Errorf("CreateDatabase while halted: %v, want %v", err, errHalted)
	}
	if err := srv.Halt(); !errors.Is(err, errHalted) {
		t.Errorf("second Halt: %v", err)
	}

	if err := srv.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	if srv.Port != port || srv.URL("kept") != u {
		t.Errorf("resumed on port %d (URL %s), want %d (%s)", srv.Port, srv.URL("kept"), port, u)
	}
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var v string
	if err := conn.QueryRow(ctx, `SELECT v FROM t`).Scan(&v); err != nil || v != "before" {
		t.Errorf("after Resume the row reads %q (%v), want %q", v, err, "before")
	}
	if _, err := srv.CreateDatabase(ctx, "other"); err != nil {
		t.Errorf("CreateDatabase after Resume: %v", err)
	}
	if err := srv.Resume(ctx); err == nil {
		t.Error("Resume of a running server did not fail")
	}
}

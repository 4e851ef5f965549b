package postgres

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/internal/pgtest"
)

// The behaviour every store shares is tested by store/storetest (see
// conformance_test.go); the tests here are about PostgreSQL.

func samplePending() switchyard.Pending {
	return switchyard.Pending{App: "web", Env: "production", Version: "v1.4", RequestedBy: "UALICE",
		Expires: time.Now().Add(time.Hour)}
}

const secret = "s3cr3t-Pässword/with@signs"

// A password never reaches an error: not when the server is down, not when
// it refuses the password, not when the URL is malformed, whether the
// password sits in the user part or in a parameter.
func TestPasswordNeverInErrors(t *testing.T) {
	ctx := context.Background()
	srv := pgtest.SharedServer(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	user := "postgres:" + pgxEscape(secret)
	for name, url := range map[string]string{
		"server down":        "postgres://" + user + "@" + closed + "/db?sslmode=disable&connect_timeout=5",
		"wrong password":     fmt.Sprintf("postgres://%s@127.0.0.1:%d/postgres?sslmode=disable", user, srv.Port),
		"password parameter": fmt.Sprintf("postgresql://postgres@127.0.0.1:%d/postgres?sslmode=disable&password=%s", srv.Port, pgxEscape(secret)),
		"bad port":           "postgres://" + user + "@127.0.0.1:notaport/db",
		"bad option":         "postgres://" + user + "@127.0.0.1/db?sslmode=maybe",
		"unparsable":         "postgres://postgres:" + secret + "@127.0.0.1/db",
	} {
		_, err := Open(ctx, url)
		if err == nil {
			t.Errorf("%s: opened", name)
			continue
		}
		for _, leak := range []string{secret, pgxEscape(secret), "s3cr3t"} {
			if strings.Contains(err.Error(), leak) {
				t.Errorf("%s: the error shows the password: %v", name, err)
			}
		}
		if !strings.Contains(err.Error(), "open store") {
			t.Errorf("%s: %v", name, err)
		}
		t.Logf("%s: %v", name, err)
	}
}

func pgxEscape(s string) string {
	return strings.NewReplacer("/", "%2F", "@", "%40", "ä", "%C3%A4").Replace(s)
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://bot:pw@db.internal:5432/switchyard?sslmode=require": "postgres://bot:xxxxx@db.internal:5432/switchyard?sslmode=require",
		"postgresql://bot@db/switchyard?password=pw&sslmode=disable":    "postgresql://bot@db/switchyard?password=xxxxx&sslmode=disable",
		"postgres://db/switchyard":                                      "postgres://db/switchyard",
		"postgres://bot:p w@db/x%zz":                                    "(a PostgreSQL URL that does not parse)",
		"host=db password=pw":                                           "(a PostgreSQL URL that does not parse)",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

// Only URLs: a keyword=value string, where a password could hide from
// Redact, is refused without being repeated.
func TestOpenRefusesOtherForms(t *testing.T) {
	_, err := Open(context.Background(), "host=127.0.0.1 password="+secret)
	if switchyard.ErrorCode(err) != switchyard.EINVALID || strings.Contains(err.Error(), secret) {
		t.Errorf("keyword=value string: %v", err)
	}
}

// PostgreSQL cannot keep a NUL character in text (SQLite can): the store
// says so as EINVALID instead of failing.
func TestTextWithNUL(t *testing.T) {
	s, _ := openFresh(t)
	p := samplePending()
	p.Reason = "nul\x00byte"
	_, err := s.CreatePending(context.Background(), p)
	if switchyard.ErrorCode(err) != switchyard.EINVALID {
		t.Errorf("NUL in a reason: %v; want EINVALID", err)
	}
}

// The trail refuses every change, even one that matches no row, and
// TRUNCATE, from any connection.
func TestAuditIsAppendOnlyInTheDatabase(t *testing.T) {
	ctx := context.Background()
	s, url := openFresh(t)
	if _, err := s.Audit(ctx, switchyard.AuditEntry{Action: "deploy", Result: switchyard.ResultOK}); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, q := range []string{`UPDATE audit SET detail = 'x' WHERE false`, `DELETE FROM audit WHERE id = -1`, `TRUNCATE audit`} {
		if _, err := conn.Exec(ctx, q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v; want the append-only refusal", q, err)
		}
	}
	if a, _ := s.RecentAudit(ctx, 0); len(a) != 1 {
		t.Errorf("trail = %+v", a)
	}
}

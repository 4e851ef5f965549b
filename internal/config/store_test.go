package config

import (
	"slices"
	"strings"
	"testing"
)

const pw = "hunter2-Secret"

func TestStoreKey(t *testing.T) {
	for _, c := range []struct {
		store string
		want  string // the stored value, or a piece of the refusal
		ok    bool
	}{
		{"", DefaultStore, true},
		{"/var/lib/switchyard/bot.db", "/var/lib/switchyard/bot.db", true},
		{"data/bot.db", "data/bot.db", true},
		{"postgres://switchyard@db.internal:5432/switchyard?sslmode=verify-full", "postgres://switchyard@db.internal:5432/switchyard?sslmode=verify-full", true},
		{"postgresql://db.internal/switchyard", "postgresql://db.internal/switchyard", true},
		{"POSTGRES://db/sy", "POSTGRES://db/sy", true},
		{"postgres://bot:" + pw + "@db/sy", "holds a password; keep it out of the file: set SWITCHYARD_STORE", false},
		{"postgres://bot@db/sy?password=" + pw, "holds a password", false},
		{"postgres://bot:" + pw + "@db:port/sy", "does not parse", false},
		{"postgres://bot:" + pw + "@/sy", "names no host", false},
		{"postgres://db.internal", "for db.internal names no database", false},
		{"postgres://db.internal/", "names no database", false},
		{"postgres://db.internal/a/b", "more than one name", false},
		{"postgres:db/sy", "starts with postgres://", false},
		{"mysql://root:" + pw + "@db/sy", "mysql:// is not a store", false},
		{"host=db password=" + pw + " dbname=sy", "keyword=value strings are not taken", false},
		{"bot.db?mode=ro", "cannot contain ? or #", false},
	} {
		file := "store: " + quote(c.store) + "\n" + valid
		cfg, err := Parse("sy.yaml", []byte(file))
		switch {
		case c.ok && err != nil:
			t.Errorf("store %q refused: %v", c.store, err)
		case c.ok && cfg.Store != c.want:
			t.Errorf("store %q read as %q, want %q", c.store, cfg.Store, c.want)
		case !c.ok && err == nil:
			t.Errorf("store %q accepted", c.store)
		case !c.ok && (!strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "sy.yaml:1: store:")):
			t.Errorf("store %q: %v; want %q on line 1", c.store, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), pw) {
			t.Errorf("store %q: the refusal shows the password: %v", c.store, err)
		}
	}
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// SWITCHYARD_STORE replaces the file's store, password and all, and a
// wrong value is refused without being repeated.
func TestStoreFromEnvironment(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	load := func() *Config {
		cfg, err := Parse("sy.yaml", []byte("store: /data/bot.db\n"+valid))
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}

	cfg := load()
	if err := cfg.ApplyEnv(env(nil)); err != nil || cfg.Store != "/data/bot.db" {
		t.Errorf("without SWITCHYARD_STORE: %q, %v", cfg.Store, err)
	}
	url := "postgres://bot:" + pw + "@db.internal:5432/switchyard"
	if err := cfg.ApplyEnv(env(map[string]string{StoreEnv: " " + url + "\n"})); err != nil || cfg.Store != url {
		t.Errorf("with SWITCHYARD_STORE: %q, %v", cfg.Store, err)
	}
	cfg = load()
	if err := cfg.ApplyEnv(env(map[string]string{StoreEnv: "/elsewhere/bot.db"})); err != nil || cfg.Store != "/elsewhere/bot.db" {
		t.Errorf("a path in SWITCHYARD_STORE: %q, %v", cfg.Store, err)
	}
	for _, bad := range []string{"postgres://bot:" + pw + "@db:port/sy", "postgres://bot:" + pw + "@db", "mysql://bot:" + pw + "@db/sy"} {
		cfg = load()
		err := cfg.ApplyEnv(env(map[string]string{StoreEnv: bad}))
		if err == nil || !strings.HasPrefix(err.Error(), "SWITCHYARD_STORE: ") || strings.Contains(err.Error(), pw) || cfg.Store != "/data/bot.db" {
			t.Errorf("SWITCHYARD_STORE=%q: %v (store now %q)", bad, err, cfg.Store)
		}
	}
}

func TestStoreSecrets(t *testing.T) {
	got := StoreSecrets(func(k string) string {
		return map[string]string{
			StoreEnv:     "postgres://bot:" + pw + "@db/sy?password=other-" + pw,
			"PGPASSWORD": "third-" + pw,
		}[k]
	})
	if want := []string{pw, "other-" + pw, "third-" + pw}; !slices.Equal(got, want) {
		t.Errorf("StoreSecrets = %q, want %q", got, want)
	}
	if got := StoreSecrets(func(string) string { return "" }); len(got) != 0 {
		t.Errorf("StoreSecrets of an empty environment = %q", got)
	}
}

// FuzzCheckStore: no address makes the check panic or repeat the password
// written in it.
func FuzzCheckStore(f *testing.F) {
	for _, s := range []string{"bot.db", "postgres://u:p@h/d", "postgres://u:%zz@h/d", "postgresql://h:99999/d", "postgres://[::1]/d",
		"host=h password=p", "postgres:", "x://", "postgres://u:p@h/d?password=q&password=", "/tmp/a#b", "db.internal", "a/b"} {
		f.Add(s)
	}
	const secret = "Zq9-SECRET-7wQ"
	f.Fuzz(func(t *testing.T, part string) {
		if strings.Contains(part, "SECRET") {
			return
		}
		for _, v := range []string{
			"postgres://u:" + secret + "@" + part + "/d",
			"postgres://u:" + secret + "@h/" + part,
			"postgres://" + part + ":" + secret + "@h/d",
			"postgresql://u@h:" + part + "/d?password=" + secret,
			part + "://u:" + secret + "@h/d",
			part + " password=" + secret,
		} {
			for _, envOK := range []bool{true, false} {
				if msg := checkStore(v, envOK); strings.Contains(msg, "SECRET") {
					t.Fatalf("checkStore(%q) = %q, which shows the password", v, msg)
				}
			}
		}
	})
}

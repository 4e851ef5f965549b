package config

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// StoreEnv names the environment variable that overrides the file's
// store, so that a database password never sits in the file.
const StoreEnv = "SWITCHYARD_STORE"

// DefaultStore is the SQLite file used when the file names no store.
const DefaultStore = "switchyard.db"

var (
	// reScheme finds a URL's scheme: anything written as scheme://.
	reScheme = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9+.-]*)://`)
	// reKeyValue finds libpq's keyword=value form ("host=db dbname=x").
	reKeyValue = regexp.MustCompile(`^\s*[A-Za-z_]+\s*=`)
)

// parseStore reads the store key: the path of a SQLite file or a
// postgres:// URL without a password.
func parseStore(p *problems, m *mapping) string {
	v, n := m.str("store", false)
	if v == "" {
		return DefaultStore
	}
	if msg := checkStore(v, false); msg != "" {
		p.add(n, "store: %s", msg)
	}
	return v
}

// ApplyEnv applies what the environment overrides: the store, from
// SWITCHYARD_STORE, where a URL may carry its password. A wrong value is
// refused with a sentence that does not repeat it.
func (c *Config) ApplyEnv(getenv func(string) string) error {
	v := strings.TrimSpace(getenv(StoreEnv))
	if v == "" {
		return nil
	}
	if msg := checkStore(v, true); msg != "" {
		return fmt.Errorf("%s: %s", StoreEnv, msg)
	}
	c.Store = v
	return nil
}

// checkStore returns what is wrong with a store address, or "". The
// sentence never repeats a URL, which may hold a password; it names only
// the parts that are certainly not secret.
func checkStore(v string, passwordOK bool) string {
	lower := strings.ToLower(v)
	if sm := reScheme.FindStringSubmatch(v); sm != nil {
		scheme := strings.ToLower(sm[1])
		if scheme != "postgres" && scheme != "postgresql" {
			return fmt.Sprintf("%s:// is not a store; give the path of a SQLite file or a postgres:// URL", scheme)
		}
		return checkPostgresURL(v, passwordOK)
	}
	switch {
	case strings.HasPrefix(lower, "postgres:") || strings.HasPrefix(lower, "postgresql:"):
		return "a PostgreSQL URL starts with postgres:// (postgres://user@host:5432/database)"
	case reKeyValue.MatchString(v):
		return "give PostgreSQL as a postgres:// URL (postgres://user@host:5432/database); keyword=value strings are not taken"
	case strings.ContainsAny(v, "?#"):
		return "the path of a SQLite file cannot contain ? or #"
	}
	return ""
}

func checkPostgresURL(v string, passwordOK bool) string {
	const shape = "postgres://user@host:5432/database"
	u, err := url.Parse(v)
	if err != nil {
		// url.Error repeats the URL: say what to check instead.
		return "the PostgreSQL URL does not parse: check the port, and percent-encode any of : / @ ? # % in the user name and password"
	}
	_, hasPW := u.User.Password()
	q := u.Query()
	switch {
	case u.Host == "" || u.Hostname() == "":
		return "the PostgreSQL URL names no host; write it as " + shape
	case strings.Trim(u.Path, "/") == "":
		return fmt.Sprintf("the PostgreSQL URL for %s names no database; write it as %s", u.Hostname(), shape)
	case strings.Contains(strings.Trim(u.Path, "/"), "/"):
		return fmt.Sprintf("the PostgreSQL URL for %s has a path of more than one name; the path is the database: %s", u.Hostname(), shape)
	case !passwordOK && (hasPW || q.Has("password")):
		return "the PostgreSQL URL holds a password; keep it out of the file: set " + StoreEnv +
			" to the whole URL, or PGPASSWORD to the password, in the bot's environment"
	}
	return ""
}

// StoreSecrets returns the secrets of the store address in the
// environment (the password of SWITCHYARD_STORE's URL, PGPASSWORD), for
// the logger to hide wherever they appear.
func StoreSecrets(getenv func(string) string) []string {
	var out []string
	if u, err := url.Parse(strings.TrimSpace(getenv(StoreEnv))); err == nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			out = append(out, pw)
		}
		for _, pw := range u.Query()["password"] {
			if pw != "" {
				out = append(out, pw)
			}
		}
	}
	if pw := getenv("PGPASSWORD"); pw != "" {
		out = append(out, pw)
	}
	return out
}

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/store"
)

func runAudit(ctx context.Context, args []string, e env) error {
	fs := newFlags("audit", "Prints the audit trail, newest first: every command and click, who made it, from which\n"+
		"channel, and what came of it. Reads the store the configuration (or SWITCHYARD_STORE) names.", e)
	cfgPath := fs.String("config", "switchyard.yaml", "path of the configuration file")
	app := fs.String("app", "", "only entries about this app")
	since := fs.String("since", "", "only entries from then on: a duration back from now (90m, 24h, 7d) or a date (2026-12-01, or RFC 3339)")
	limit := fs.Int("limit", 100, "at most this many entries")
	asJSON := fs.Bool("json", false, "one JSON object per line instead of a table")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	from, err := parseSince(*since, time.Now())
	if err != nil {
		return usagef("-since %q: %v", *since, err)
	}
	if *limit <= 0 {
		return usagef("-limit must be above 0")
	}
	cfg, err := loadConfig(*cfgPath, e.getenv)
	if err != nil {
		return err
	}
	if _, ok := cfg.Lookup(*app); *app != "" && !ok {
		return usagef("no app %q in %s (apps: %s)", *app, *cfgPath, strings.Join(cfg.Names(), ", "))
	}
	if !store.IsPostgres(cfg.Store) {
		// Opening a SQLite path creates it; an audit of a store that is
		// not there is a mistake to name, not an empty file to make.
		if _, err := os.Stat(cfg.Store); errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("there is no store at %s: the bot has not run with this configuration here", cfg.Store)
		}
	}
	st, err := store.Open(ctx, cfg.Store)
	if err != nil {
		return err // it names the store, without a password
	}
	defer func() { _ = st.Close() }()
	entries, err := st.ReadAudit(ctx, switchyard.AuditQuery{App: *app, Since: from, Limit: *limit})
	if err != nil {
		return fmt.Errorf("read the audit trail: %w", err)
	}
	if *asJSON {
		return writeAuditJSON(e.stdout, entries)
	}
	if len(entries) == 0 {
		fmt.Fprintln(e.stdout, "no audit entries match")
		return nil
	}
	return writeAuditTable(e.stdout, entries)
}

// parseSince reads -since: empty (no bound), a duration back from now with
// d for days, a date, or an RFC 3339 time.
func parseSince(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n > 0 {
			return now.AddDate(0, 0, -n), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d <= 0 {
			return time.Time{}, errors.New("a duration back from now must be above 0")
		}
		return now.Add(-d), nil
	}
	for _, layout := range []string{"2006-01-02", time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.New("use a duration such as 24h or 7d, a date such as 2026-12-01, or an RFC 3339 time")
}

func writeAuditTable(w io.Writer, entries []switchyard.AuditEntry) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME (UTC)\tUSER\tACTION\tAPP\tENV\tRESULT\tDETAIL")
	for _, a := range entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.At.UTC().Format("2006-01-02 15:04:05"),
			orDash(a.User), orDash(a.Action), orDash(a.App), orDash(a.Env), a.Result, orDash(a.Detail))
	}
	return tw.Flush()
}

func writeAuditJSON(w io.Writer, entries []switchyard.AuditEntry) error {
	enc := json.NewEncoder(w)
	for _, a := range entries {
		if err := enc.Encode(struct {
			ID        int64     `json:"id"`
			At        time.Time `json:"at"`
			User      string    `json:"user,omitempty"`
			Action    string    `json:"action"`
			App       string    `json:"app,omitempty"`
			Env       string    `json:"env,omitempty"`
			Channel   string    `json:"channel,omitempty"`
			MessageTS string    `json:"message_ts,omitempty"`
			Result    string    `json:"result"`
			Detail    string    `json:"detail,omitempty"`
		}{a.ID, a.At.UTC(), a.User, a.Action, a.App, a.Env, a.Channel, a.MessageTS, string(a.Result), a.Detail}); err != nil {
			return err
		}
	}
	return nil
}

// orDash is s made safe for a terminal table, or "-" when empty. Entries
// hold what people typed in Slack: a control character (an escape
// sequence, a tab, a newline) is shown quoted, never sent to the terminal.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	if strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) || r == unicode.ReplacementChar }) >= 0 {
		q := strconv.QuoteToASCII(s)
		return q[1 : len(q)-1]
	}
	return s
}

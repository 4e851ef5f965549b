package main

import (
	"context"
	"errors"
	"flag"
	"io/fs"
	"net"
	"net/url"
	"strings"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/logging"
)

// tokens are the two Slack secrets, read only from the environment, and
// the Web API's address.
type tokens struct {
	app string // xapp-…, Socket Mode
	bot string // xoxb-…, Web API
	// apiURL is SLACK_API_URL: empty for slack.com, https://slack-gov.com/api/
	// for GovSlack, or a local Slack for tests.
	apiURL string
}

// readTokens checks both Slack tokens and names the variable at fault.
func readTokens(getenv func(string) string) (tokens, error) {
	t := tokens{app: strings.TrimSpace(getenv("SLACK_APP_TOKEN")), bot: strings.TrimSpace(getenv("SLACK_BOT_TOKEN"))}
	switch {
	case t.app == "":
		return t, usagef("SLACK_APP_TOKEN is not set: create an app-level token with the connections:write scope (see README) and export it")
	case !strings.HasPrefix(t.app, "xapp-"):
		return t, usagef("SLACK_APP_TOKEN must be an app-level token starting with xapp-; the value set does not")
	case t.bot == "":
		return t, usagef("SLACK_BOT_TOKEN is not set: install the app to the workspace and export its bot token (xoxb-…)")
	case !strings.HasPrefix(t.bot, "xoxb-"):
		return t, usagef("SLACK_BOT_TOKEN must be a bot token starting with xoxb-; the value set does not")
	}
	if u := strings.TrimSpace(getenv("SLACK_API_URL")); u != "" {
		parsed, err := url.Parse(u)
		if err != nil || (parsed.Scheme != "https" && parsed.Scheme != "http") || parsed.Host == "" || !strings.HasSuffix(parsed.Path, "/api/") {
			return t, usagef("SLACK_API_URL must be the Web API's base URL ending in /api/, such as https://slack-gov.com/api/; got %q", u)
		}
		if parsed.Scheme == "http" && !loopback(parsed.Hostname()) {
			return t, usagef("SLACK_API_URL must use https: over http to %s the bot token would travel unencrypted (http is only for a local Slack on 127.0.0.1, ::1 or localhost); got %q",
				parsed.Hostname(), u)
		}
		t.apiURL = u
	}
	return t, nil
}

// loopback reports whether host is this machine: localhost or an address
// in 127.0.0.0/8 or ::1, where a request never leaves the host.
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// loadConfig loads the file, applies what the environment overrides (the
// store: SWITCHYARD_STORE) and turns problems into a usage error (exit 2).
func loadConfig(path string, getenv func(string) string) (*config.Config, error) {
	cfg, err := config.Load(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, usagef("there is no configuration file at %s: copy switchyard.example.yaml to start one, or pass -config", path)
	case err != nil:
		return nil, usagef("invalid configuration:\n%v", err)
	}
	if err := cfg.ApplyEnv(getenv); err != nil {
		return nil, usagef("%v", err)
	}
	return cfg, nil
}

// newLogger builds the root logger with the environment's secrets hidden.
func newLogger(format string, level string, e env) (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(level)
	if err != nil {
		return nil, usagef("-log-level %q: use debug, info, warn or error", level)
	}
	f := logging.JSON
	switch format {
	case "json":
	case "console":
		f = logging.Console
	default:
		return nil, usagef("-log-format %q: use json or console", format)
	}
	return logging.New(logging.Options{Format: f, Level: lvl, Out: e.stderr, Secrets: append(logging.EnvSecrets(e.getenv), config.StoreSecrets(e.getenv)...)}), nil
}

func runBot(ctx context.Context, args []string, e env) error {
	fs := newFlags("run", "Connects to Slack over Socket Mode and to AWS, and serves /deploy.\n"+
		"Needs SLACK_APP_TOKEN (xapp-…) and SLACK_BOT_TOKEN (xoxb-…) in the environment;\n"+
		"AWS credentials come from the default chain. SWITCHYARD_STORE, when set, replaces the\n"+
		"config's store (a SQLite path or a postgres:// URL, which may carry the password).", e)
	cfgPath := fs.String("config", "switchyard.yaml", "path of the configuration file")
	logFormat := fs.String("log-format", "json", "json or console")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	httpAddr := fs.String("http", "", "serve /healthz, /readyz and /metrics on HOST:PORT, such as 127.0.0.1:9090 or :9090\n"+
		"(every interface); when not given, the config's http: key; -http '' serves nothing")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	tok, err := readTokens(e.getenv)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath, e.getenv)
	if err != nil {
		return err
	}
	addr := cfg.HTTP
	if given(fs, "http") {
		addr = *httpAddr
	}
	if addr != "" {
		if err := config.CheckHTTPAddr(addr); err != nil {
			return usagef("-http: %v", err)
		}
	}
	log, err := newLogger(*logFormat, *logLevel, e)
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()
	return serve(ctx, cfg, tok, addr, log)
}

// given reports whether the flag was on the command line, even as "".
func given(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// Command bot is Switchyard: a Slack bot that runs blue/green deployments of
// ECS services through AWS CodeDeploy. See README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/logging"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = ""

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // a runtime failure
	exitUsage   = 2 // bad usage or a bad configuration
)

// usageError means the person typed something wrong or the configuration is
// invalid: exit 2, not 1.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// env is what a subcommand gets from the outside world.
type env struct {
	getenv func(string) string
	stdout io.Writer
	stderr io.Writer
}

type subcommand struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, e env) error
}

func subcommands() []subcommand {
	return []subcommand{
		{"run", "connect to Slack and AWS and serve /deploy", runBot},
		{"setup", "create or verify the EventBridge rule and SQS queue the bot reads", runSetup},
		{"sandbox", "run the whole product locally on the AWS and Slack simulators", runSandbox},
		{"audit", "print the audit trail: every command and click, newest first", runAudit},
		{"healthcheck", "exit 0 if a running bot is ready (GET /readyz), else 1: a container health check", runHealthcheck},
		{"version", "print the version", runVersion},
	}
}

// run is main without the process: it returns the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	// Everything the command says on standard error, its own fatal errors
	// included, passes through the loggers' redaction: an error may wrap a
	// token or a URL with a password.
	stderr = logging.Writer(stderr, append(logging.EnvSecrets(getenv), config.StoreSecrets(getenv)...))
	e := env{getenv: getenv, stdout: stdout, stderr: stderr}
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		printUsage(stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, c := range subcommands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], e)
		var ue usageError
		switch {
		case err == nil, errors.Is(err, flag.ErrHelp):
			return exitOK
		case errors.As(err, &ue):
			fmt.Fprintf(stderr, "bot %s: %v\n", c.name, err)
			return exitUsage
		default:
			fmt.Fprintf(stderr, "bot %s: %v\n", c.name, err)
			return exitFailure
		}
	}
	fmt.Fprintf(stderr, "bot: unknown command %q; run 'bot -h' for the list\n", args[0])
	return exitUsage
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "Switchyard: blue/green ECS deployments, through CodeDeploy or ECS itself, from Slack.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: bot <command> [flags]")
	fmt.Fprintln(w)
	for _, c := range subcommands() {
		fmt.Fprintf(w, "  %-11s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'bot <command> -h' for a command's flags.")
}

// newFlags returns a flag set that prints its usage to e.stdout on -h and
// reports mistakes as usage errors.
func newFlags(name, synopsis string, e env) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintf(e.stdout, "Usage: bot %s [flags]\n\n%s\n\nFlags:\n", name, synopsis)
		fs.SetOutput(e.stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// parseFlags parses args, turning mistakes into usage errors; -h prints
// the usage (once: the flag package calls fs.Usage) and returns
// flag.ErrHelp.
func parseFlags(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return err // the flag package has printed the usage
	case err != nil:
		return usagef("%v (run 'bot %s -h')", err, fs.Name())
	case fs.NArg() > 0:
		return usagef("unexpected argument %q (run 'bot %s -h')", fs.Arg(0), fs.Name())
	}
	return nil
}

func runVersion(_ context.Context, args []string, e env) error {
	fs := newFlags("version", "Prints the version of this build.", e)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "switchyard", buildVersion())
	return nil
}

// buildVersion is the -ldflags version, else the module version or VCS
// revision recorded by the Go toolchain.
func buildVersion() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return "devel-" + s.Value[:12]
		}
	}
	return "devel"
}

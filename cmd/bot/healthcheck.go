package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
	"unicode"
)

// defaultHealthAddr is where `bot healthcheck` asks when -http is not
// given: the address the Dockerfile has `bot run` serve on, seen from
// inside the container.
const defaultHealthAddr = "127.0.0.1:9090"

// runHealthcheck asks a running bot whether it is ready. It is the
// container's health check on an image with no shell and no curl: exit 0
// when ready, 1 for anything else, a bad flag included (Docker reserves 2),
// with one line on standard error either way.
func runHealthcheck(ctx context.Context, args []string, e env) error {
	o, err := healthcheckFlags(e).parse(args)
	if err != nil {
		return err
	}
	path := "/readyz"
	if o.live {
		path = "/healthz"
	}
	url, err := probeURL(o.addr, path)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		if inner := errors.Unwrap(err); inner != nil {
			err = inner // the *url.Error's own text repeats the URL
		}
		return fmt.Errorf("no answer from %s: %v", url, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 1024))
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("not ready: %s answered %d %s", url, res.StatusCode, oneLine(body))
	}
	fmt.Fprintf(e.stderr, "ready: %s answered %d %s\n", url, res.StatusCode, oneLine(body))
	return nil
}

// healthcheckOptions are bot healthcheck's flags.
type healthcheckOptions struct {
	addr    string
	live    bool
	timeout time.Duration
}

// healthcheckSet is bot healthcheck's flag set, apart so that the tests of
// the Dockerfile and the ECS sample can parse their commands with it.
type healthcheckSet struct {
	fs *flag.FlagSet
	o  *healthcheckOptions
}

func healthcheckFlags(e env) healthcheckSet {
	fs := newFlags("healthcheck", "Asks a running 'bot run -http' whether it is ready (GET /readyz: the Slack socket is up and the\n"+
		"store answers) and exits 0 if it answers 200, else 1, with one line on standard error. For container\n"+
		"health checks: the image has no shell and no curl.", e)
	o := &healthcheckOptions{}
	fs.StringVar(&o.addr, "http", defaultHealthAddr, "HOST:PORT that 'bot run -http' serves on; a host of 0.0.0.0, :: or none means this machine")
	fs.BoolVar(&o.live, "live", false, "ask /healthz (the process answers at all) instead of /readyz")
	fs.DurationVar(&o.timeout, "timeout", 3*time.Second, "how long to wait for the answer")
	return healthcheckSet{fs: fs, o: o}
}

// parse reads args; every mistake is a plain error, exit 1, not a usage
// error's 2, which Docker reserves.
func (h healthcheckSet) parse(args []string) (healthcheckOptions, error) {
	if err := parseFlags(h.fs, args); err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			return *h.o, errors.New(ue.msg)
		}
		return *h.o, err
	}
	if h.o.timeout <= 0 {
		return *h.o, errors.New("-timeout must be above 0")
	}
	if _, err := probeURL(h.o.addr, "/"); err != nil {
		return *h.o, err
	}
	return *h.o, nil
}

// probeURL turns a listen address into the URL to ask: a host that means
// every interface is asked on loopback.
func probeURL(addr, path string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("-http %q: write it as HOST:PORT, such as %s", addr, defaultHealthAddr)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + path, nil
}

// oneLine is an answer's body fit for the one line: control characters
// become spaces, and it stops at 200 characters.
func oneLine(b []byte) string {
	s := strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(string(b), "?"))
	r := []rune(strings.TrimSpace(s))
	if len(r) > 200 {
		return string(r[:200]) + "…"
	}
	return string(r)
}

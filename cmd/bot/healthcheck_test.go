package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// bot healthcheck against a server that answers as the test says: exit 0
// on 200 and 1 on anything else, a bad flag included, always with one line
// on standard error and nothing on standard output.
func TestHealthcheck(t *testing.T) {
	var mu sync.Mutex // guards code and body, which each case sets
	var code int
	var body string
	asked := make(chan string, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked <- r.Method + " " + r.URL.Path
		mu.Lock()
		code, body := code, body
		mu.Unlock()
		if code == http.StatusFound {
			http.Redirect(w, r, "/elsewhere", code)
			return
		}
		w.WriteHeader(code)
		_, _ = w.Write([]byte(body))
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	_, port, _ := net.SplitHostPort(addr)

	for _, tc := range []struct {
		name       string
		code       int
		body       string
		args       []string
		wantExit   int
		wantPath   string
		wantStderr string
	}{
		{"ready", 200, `{"ready":true}` + "\n", nil, 0, "/readyz", "ready: http://" + addr + "/readyz answered 200 {\"ready\":true}"},
		{"not ready", 503, `{"ready":false,"socket":"down"}` + "\n", nil, 1, "/readyz",
			"bot healthcheck: not ready: http://" + addr + "/readyz answered 503 {\"ready\":false,\"socket\":\"down\"}"},
		{"live", 200, "ok\n", []string{"-live"}, 0, "/healthz", "ready: http://" + addr + "/healthz answered 200 ok"},
		{"every interface means here", 200, "ok\n", []string{"-live", "-http", ":" + port}, 0, "/healthz",
			"ready: http://127.0.0.1:" + port + "/healthz answered 200 ok"},
		{"a body of several lines stays on one", 500, "line one\nline two\x1b[31m\n", nil, 1, "/readyz",
			"bot healthcheck: not ready: http://" + addr + "/readyz answered 500 line one line two [31m"},
		{"a redirect is not ready", http.StatusFound, "", nil, 1, "/readyz",
			"bot healthcheck: not ready: http://" + addr + "/readyz answered 302 <a href=\"/elsewhere\">Found</a>."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mu.Lock()
			code, body = tc.code, tc.body
			mu.Unlock()
			args := append([]string{"healthcheck", "-http", addr}, tc.args...)
			exit, out, errOut := invoke(t, nil, args...)
			if exit != tc.wantExit || out != "" || errOut != tc.wantStderr+"\n" {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d, %q", exit, out, errOut, tc.wantExit, tc.wantStderr)
			}
			if got := <-asked; got != "GET "+tc.wantPath {
				t.Errorf("asked %s, want GET %s", got, tc.wantPath)
			}
		})
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	exit, _, errOut := invoke(t, nil, "healthcheck", "-http", closed)
	if exit != 1 || !strings.HasPrefix(errOut, "bot healthcheck: no answer from http://"+closed+"/readyz: ") ||
		!strings.Contains(errOut, "connection refused") || strings.Count(errOut, "\n") != 1 {
		t.Errorf("nobody listening: exit %d, %q", exit, errOut)
	}
	for _, args := range [][]string{{"-http", "9090"}, {"-bogus"}, {"-timeout", "0s"}, {"extra"}} {
		exit, _, errOut := invoke(t, nil, append([]string{"healthcheck"}, args...)...)
		if exit != 1 || strings.Count(errOut, "\n") != 1 {
			t.Errorf("healthcheck %v: exit %d, %q; want 1 (Docker reserves 2) and one line", args, exit, errOut)
		}
	}
}

// bot run's -http and the config's http: key: the flag wins, -http "" serves
// nothing, the key is used without the flag, and a bad address is a usage
// error. Slack is unreachable here, so each run stops after the listen.
func TestRunHTTPAddress(t *testing.T) {
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	noSlack, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	slackURL := "http://" + noSlack.Addr().String() + "/api/"
	noSlack.Close()
	example, err := os.ReadFile("../../switchyard.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "sy.yaml")
	if err := os.WriteFile(cfgPath, append([]byte("http: "+held.Addr().String()+"\n"), example...), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"SLACK_APP_TOKEN": "xapp-1-test", "SLACK_BOT_TOKEN": "xoxb-1-test", "SLACK_API_URL": slackURL,
		"SWITCHYARD_STORE": filepath.Join(dir, "bot.db"), "AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "x",
		"AWS_CONFIG_FILE": filepath.Join(dir, "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "none"),
	}
	for k, v := range env {
		t.Setenv(k, v) // the AWS SDK reads the process's environment
	}

	code, _, errOut := invoke(t, env, "run", "-config", cfgPath)
	if code != exitFailure || !strings.Contains(errOut, "listen for /healthz, /readyz and /metrics") || !strings.Contains(errOut, "address already in use") {
		t.Errorf("the config's address, taken: exit %d\n%s", code, errOut)
	}
	code, _, errOut = invoke(t, env, "run", "-config", cfgPath, "-http", "127.0.0.1:0")
	if code != exitFailure || !strings.Contains(errOut, `"msg":"serving /healthz, /readyz and /metrics","addr":"127.0.0.1:`) ||
		strings.Contains(errOut, held.Addr().String()) || !strings.Contains(errOut, "auth.test") {
		t.Errorf("-http 127.0.0.1:0 over the config's: exit %d\n%s", code, errOut)
	}
	code, _, errOut = invoke(t, env, "run", "-config", cfgPath, "-http", "")
	if code != exitFailure || strings.Contains(errOut, "serving /healthz") || !strings.Contains(errOut, "auth.test") {
		t.Errorf("-http '': exit %d\n%s", code, errOut)
	}
	code, _, errOut = invoke(t, env, "run", "-config", cfgPath, "-http", "localhost")
	if code != exitUsage || !strings.Contains(errOut, "-http: ") || !strings.Contains(errOut, "HOST:PORT") {
		t.Errorf("-http localhost: exit %d\n%s", code, errOut)
	}
}

package config

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

var (
	fuzzAppName   = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	fuzzPrincipal = regexp.MustCompile(`^[UWS][A-Z0-9]+$`)
	fuzzChannel   = regexp.MustCompile(`^[CG][A-Z0-9]+$`)
)

// FuzzParseConfig feeds the config parser what an operator's editor (or a
// broken merge) can produce: it always returns, and a file it accepts is
// whole: every app has a valid name, environments with a cluster and a
// service, a default among them, a channel for each, and access lists of
// Slack IDs only.
func FuzzParseConfig(f *testing.F) {
	for _, path := range []string{"../../switchyard.example.yaml", "../sandbox/switchyard.yaml"} {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		"", "{}", "apps: []", "apps:\n  - name: web\n", "region: us-east-1\napps:\n  - name: WEB\n    channels: [C1]\n",
		"apps: &a [*a]",
		"apps:\n  - name: web\n    channels: [C1]\n    environments:\n      - name: production\n        cluster: c\n        service: s\n        container: web\n        codedeploy: {application: a, deployment_group: g}\n    access: {deploy: [\"<!here>\", U1]}\n",
		"store: postgres://u:pw@db/x\n", "approval_timeout: 99999999999h\n", "apps: {name: web}\n",
		strings.Repeat("[", 200) + strings.Repeat("]", 200),
		"a: &a [\"x\",\"x\",\"x\"]\nb: &b [*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b]\nd: [*c,*c,*c,*c]\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg, err := Parse("fuzz.yaml", b)
		if err != nil {
			if cfg != nil {
				t.Errorf("an error and a config: %v", err)
			}
			return
		}
		for _, a := range cfg.Apps {
			if !fuzzAppName.MatchString(a.Name) {
				t.Errorf("app name %q accepted", a.Name)
			}
			if len(a.Environments) == 0 {
				t.Errorf("app %s has no environment", a.Name)
			}
			if _, ok := a.Environments[a.DefaultEnv]; !ok {
				t.Errorf("app %s defaults to %q, which it lacks", a.Name, a.DefaultEnv)
			}
			for name, e := range a.Environments {
				if e.Cluster == "" || e.Service == "" || len(e.Channels) == 0 {
					t.Errorf("%s/%s accepted without cluster, service or channel: %+v", a.Name, name, e)
				}
				for _, c := range e.Channels {
					if !fuzzChannel.MatchString(c) {
						t.Errorf("%s/%s channel %q accepted", a.Name, name, c)
					}
				}
			}
			for _, list := range [][]string{a.Access.Deploy, a.Access.Rollback, a.Access.Approve, a.Access.Lock} {
				for _, id := range list {
					if !fuzzPrincipal.MatchString(id) {
						t.Errorf("%s: access entry %q accepted", a.Name, id)
					}
				}
			}
		}
	})
}

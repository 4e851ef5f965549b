package main

import (
	"strings"
	"testing"
)

// An operator pastes a URL with credentials in it, or a token ends up in
// the wrong variable: whatever error the command dies with, the secret
// must not reach standard error (or the container log that collects it).
func TestFatalErrorsAreRedacted(t *testing.T) {
	const (
		password = "hunter2-correct-horse"
		token    = "xoxb-2222222222-3333333333-SeCrEtSeCrEtSeCrEt"
	)
	base := map[string]string{"SLACK_APP_TOKEN": "xapp-1-A1-1-abcdefgh", "SLACK_BOT_TOKEN": "xoxb-1-2-abcdefgh"}
	cases := []struct {
		name, apiURL, secret string
	}{
		{"password in the Slack URL", "http://bot:" + password + "@slack.example.com/api/", password},
		{"token pasted into the Slack URL", "https://slack.example.com/" + token + "/", token},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := map[string]string{"SLACK_API_URL": c.apiURL}
			for k, v := range base {
				env[k] = v
			}
			code, _, errOut := invoke(t, env, "run", "-config", "testdata/none.yaml")
			if code != exitUsage {
				t.Fatalf("exit %d, want %d; stderr %q", code, exitUsage, errOut)
			}
			if !strings.Contains(errOut, "SLACK_API_URL") {
				t.Errorf("the error no longer names the variable at fault: %q", errOut)
			}
			if strings.Contains(errOut, c.secret) {
				t.Errorf("stderr shows the secret: %q", errOut)
			}
			if !strings.Contains(errOut, "[REDACTED]") {
				t.Errorf("stderr does not say what it hid: %q", errOut)
			}
		})
	}
	// A secret set in the environment is hidden wherever it shows, even
	// when it has no recognisable shape.
	env := map[string]string{"SLACK_APP_TOKEN": "xapp-1-A1-1-abcdefgh", "SLACK_BOT_TOKEN": "plainvalue-no-prefix-777"}
	code, _, errOut := invoke(t, env, "run", "-config", "testdata/none.yaml")
	if code != exitUsage || strings.Contains(errOut, "plainvalue-no-prefix-777") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

package logging

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

const (
	botToken  = "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx"
	appToken  = "xapp-1-A0123456789-1234567890123-abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"
	awsSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	session   = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD6X2AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH=="
	gitSHA    = "0123456789abcdef0123456789abcdef01234567"
)

func TestSecretsNeverReachALine(t *testing.T) {
	for _, f := range []Format{JSON, Console} {
		t.Run(string(f), func(t *testing.T) {
			var out bytes.Buffer
			// The patterns alone must catch them: register no exact values.
			log := New(Options{Format: f, Out: &out, Level: zapcore.DebugLevel}).Named("test")
			log.Info("token in message " + botToken)
			log.Info("fields",
				zap.String("app_token", appToken),
				zap.String("secret", awsSecret),
				zap.Strings("list", []string{session}),
				zap.Error(fmt.Errorf("wrapped: %w", errors.New("auth failed for "+botToken))),
				zap.Any("struct", struct{ Token string }{botToken}),
			)
			log.With(zap.String("ctx", "key="+awsSecret)).Warn("with")
			log.Sugar().Infof("sugar %s %s", appToken, session)
			log.Info("hash is kept", zap.String("sha", gitSHA), zap.String("deployment_id", "d-ABCDEFGHI"))

			got := out.String()
			for _, secret := range []string{botToken, appToken, awsSecret, session, "xoxb-", "xapp-", "wJalrXUtnFEMI"} {
				if strings.Contains(got, secret) {
					t.Errorf("log contains %q:\n%s", secret, got)
				}
			}
			if c := strings.Count(got, Redacted); c < 8 {
				t.Errorf("want at least 8 redactions, got %d:\n%s", c, got)
			}
			for _, kept := range []string{gitSHA, "d-ABCDEFGHI", "hash is kept", `test`} {
				if !strings.Contains(got, kept) {
					t.Errorf("log lost %q:\n%s", kept, got)
				}
			}
		})
	}
}

func TestExactSecretsFromEnvironment(t *testing.T) {
	env := map[string]string{"SLACK_BOT_TOKEN": "plain-looking-value-123", "AWS_SESSION_TOKEN": "short"}
	secrets := EnvSecrets(func(k string) string { return env[k] })
	if len(secrets) != 1 {
		t.Fatalf("secrets = %v", secrets)
	}
	var out bytes.Buffer
	New(Options{Out: &out, Secrets: secrets}).Info("value plain-looking-value-123 here")
	if strings.Contains(out.String(), "plain-looking-value-123") || !strings.Contains(out.String(), Redacted) {
		t.Fatalf("exact secret not hidden: %s", out.String())
	}
}

func TestJSONStaysJSON(t *testing.T) {
	var out bytes.Buffer
	New(Options{Out: &out}).Info("x", zap.String("t", botToken))
	line := out.String()
	if !strings.HasPrefix(line, "{") || !strings.Contains(line, `"t":"[REDACTED]"`) {
		t.Fatalf("line = %s", line)
	}
}

// A database or Slack URL with credentials keeps its scheme, user and host
// but loses its password, in log lines and in the command's own messages.
func TestURLPasswordsAreHidden(t *testing.T) {
	in := "open postgres://switchyard:p4ss@w0rd-x@db.internal:5432/bot?sslmode=require and https://u:tok@slack.example.com/api/"
	got := RedactString(in, nil)
	for _, gone := range []string{"p4ss", "w0rd-x", ":tok@"} {
		if strings.Contains(got, gone) {
			t.Errorf("%q survived: %s", gone, got)
		}
	}
	for _, kept := range []string{"postgres://switchyard:[REDACTED]@db.internal:5432/bot", "https://u:[REDACTED]@slack.example.com/api/"} {
		if !strings.Contains(got, kept) {
			t.Errorf("want %q in %s", kept, got)
		}
	}
	var out bytes.Buffer
	w := Writer(&out, []string{"exact-secret-value"})
	fmt.Fprintf(w, "failed: exact-secret-value and postgres://a:b@c/d\n")
	if s := out.String(); strings.Contains(s, "exact-secret-value") || strings.Contains(s, ":b@") {
		t.Errorf("writer let a secret through: %q", s)
	}
}

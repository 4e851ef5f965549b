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

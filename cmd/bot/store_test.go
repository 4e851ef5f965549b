package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const storePassword = "Hunter2-store-pw"

// bot run with SWITCHYARD_STORE: the URL replaces the file's store (the bot
// tries PostgreSQL, here at a closed port), and its password shows in
// neither the log nor the error, which name the database all the same.
func TestRunStoreFromEnvironmentHidesPassword(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	env := map[string]string{
		"SLACK_APP_TOKEN":  "xapp-1-test",
		"SLACK_BOT_TOKEN":  "xoxb-1-test",
		"SWITCHYARD_STORE": "postgres://bot:" + storePassword + "@" + addr + "/switchyard?sslmode=disable&connect_timeout=5",
	}
	code, _, errOut := invoke(t, env, "run", "-config", "../../switchyard.example.yaml")
	if code != exitFailure {
		t.Errorf("exit %d, want %d\n%s", code, exitFailure, errOut)
	}
	if strings.Contains(errOut, storePassword) {
		t.Errorf("the store's password reached the output:\n%s", errOut)
	}
	// Redact shows the password as xxxxx, and the log's own redaction may
	// hide even that: either way the user, host and database stay.
	shown := "@" + addr + "/switchyard"
	if strings.Count(errOut, "postgres://bot:") < 2 || strings.Count(errOut, shown) < 2 || !strings.Contains(errOut, `"msg":"starting"`) {
		t.Errorf("want the starting line and the error to name %s:\n%s", shown, errOut)
	}
}

// A password in the file, or a store address that is not one, is refused
// at start with a sentence that does not repeat it.
func TestRunRefusesStoreMistakes(t *testing.T) {
	example, err := os.ReadFile("../../switchyard.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(t.TempDir(), "sy.yaml")
	inFile := "store: postgres://bot:" + storePassword + "@db.internal/switchyard\n"
	if err := os.WriteFile(cfgPath, append([]byte(inFile), example...), 0o600); err != nil {
		t.Fatal(err)
	}
	tokens := map[string]string{"SLACK_APP_TOKEN": "xapp-1-test", "SLACK_BOT_TOKEN": "xoxb-1-test"}
	code, _, errOut := invoke(t, tokens, "run", "-config", cfgPath)
	if code != exitUsage || !strings.Contains(errOut, "set SWITCHYARD_STORE") || strings.Contains(errOut, storePassword) {
		t.Errorf("password in the file: exit %d\n%s", code, errOut)
	}

	tokens["SWITCHYARD_STORE"] = "postgres://bot:" + storePassword + "@db.internal:port/switchyard"
	code, _, errOut = invoke(t, tokens, "run", "-config", "../../switchyard.example.yaml")
	if code != exitUsage || !strings.Contains(errOut, "SWITCHYARD_STORE: the PostgreSQL URL does not parse") || strings.Contains(errOut, storePassword) {
		t.Errorf("malformed SWITCHYARD_STORE: exit %d\n%s", code, errOut)
	}
}

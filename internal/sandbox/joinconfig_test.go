package sandbox

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/internal/config"
)

// The written configuration is the sandbox's own, complete for `bot run`:
// it loads, names the same apps, region, queue, rule and store, says what
// to put in the environment, and holds no token.
func TestWriteConfig(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a dir: with odd characters")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	sb, err := Start(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	path, err := sb.WriteConfig()
	if err != nil {
		t.Fatal(err)
	}
	if path != filepath.Join(dir, "switchyard.yaml") {
		t.Errorf("path = %s", path)
	}
	got, err := config.Load(path)
	if err != nil {
		t.Fatalf("the written config does not load:\n%v", err)
	}
	if got.Store != filepath.Join(dir, "switchyard.db") || got.Store != sb.Config.Store {
		t.Errorf("store = %q, want %q", got.Store, sb.Config.Store)
	}
	if got.Events != sb.Config.Events || got.Events.Region != "us-east-1" || got.Events.Queue == "" || got.Events.Rule == "" {
		t.Errorf("events = %+v, want %+v", got.Events, sb.Config.Events)
	}
	if !reflect.DeepEqual(got.Apps, sb.Config.Apps) {
		t.Errorf("apps differ:\n%+v\n%+v", got.Apps, sb.Config.Apps)
	}
	b, _ := os.ReadFile(path)
	text := string(b)
	for _, want := range []string{"SLACK_API_URL=" + sb.Slack.URL(), "AWS_ENDPOINT_URL=" + sb.AWS.URL(), sb.URL() + "/_sim/tokens", "SWITCHYARD_STORE"} {
		if !strings.Contains(text, want) {
			t.Errorf("the header does not say %q:\n%s", want, text)
		}
	}
	for _, secret := range []string{sb.Slack.BotToken(), sb.Slack.AppToken()} {
		if strings.Contains(text, secret) {
			t.Errorf("a token is in the file")
		}
	}
}

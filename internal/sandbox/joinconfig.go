package sandbox

import (
	"fmt"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"
)

// ConfigFile is the name of the configuration WriteConfig writes in the
// sandbox's directory.
const ConfigFile = "switchyard.yaml"

// WriteConfig writes the configuration with which `bot run` processes join
// this sandbox, DIR/switchyard.yaml, and returns its path: the sandbox's
// own switchyard.yaml (region, apps, and the events queue and rule that
// the sandbox's setup made) with the store in the sandbox's directory, as
// an absolute path, so it works from any directory. A header says what
// each process needs in its environment; no token is written: they come
// from GET /_sim/tokens.
func (sb *Sandbox) WriteConfig() (string, error) {
	dir, err := filepath.Abs(sb.dir)
	if err != nil {
		return "", fmt.Errorf("write the sandbox's config: %w", err)
	}
	store, err := filepath.Abs(sb.Config.Store)
	if err != nil {
		return "", fmt.Errorf("write the sandbox's config: %w", err)
	}
	storeLine, err := yaml.Marshal(map[string]string{"store": store})
	if err != nil {
		return "", fmt.Errorf("write the sandbox's config: %w", err)
	}
	header := fmt.Sprintf(`# Written by 'bot sandbox -dir': the configuration of this sandbox's bot, for any number of
#   bot run -config %[1]s
# processes that join it. Each one needs in its environment:
#   SLACK_API_URL=%[2]s
#   SLACK_APP_TOKEN and SLACK_BOT_TOKEN: the app_token and bot_token of GET %[3]s/_sim/tokens
#   AWS_ENDPOINT_URL=%[4]s
#   AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY: any values (the simulator checks no signature)
# and SWITCHYARD_STORE=postgres://... to share a PostgreSQL database instead of the SQLite file below.
# Give each process its own -http HOST:PORT to serve /healthz, /readyz and /metrics.
`, filepath.Join(dir, ConfigFile), sb.Slack.URL(), sb.URL(), sb.AWS.URL())
	path := filepath.Join(dir, ConfigFile)
	body := append(append([]byte(header), storeLine...), configYAML...)
	if err := os.WriteFile(path, body, 0o644); err != nil {
		return "", fmt.Errorf("write the sandbox's config: %w", err)
	}
	return path, nil
}

package main

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/switchyard/switchyard/commands"
	"github.com/switchyard/switchyard/deployer"
	"github.com/switchyard/switchyard/notify"
)

// methods lists the methods of the interface type of v (a nil pointer to it).
func methods(prefix string, v any) []string {
	t := reflect.TypeOf(v).Elem()
	var out []string
	for i := 0; i < t.NumMethod(); i++ {
		out = append(out, prefix+":"+t.Method(i).Name)
	}
	return out
}

// What notify reads from AWS besides its queue comes from the deployer.
var (
	_ notify.Describer   = (*deployer.Deployer)(nil)
	_ notify.AlarmReader = (*deployer.Deployer)(nil)
)

// TestOnlyTheDeployerCallsAWS checks the imports of commands and notify: an
// AWS service client there would be a call TestIAMPolicyCoversEveryCall
// cannot see. notify may read its SQS queue; nothing else.
func TestOnlyTheDeployerCallsAWS(t *testing.T) {
	const service = "github.com/aws/aws-sdk-go-v2/service/"
	allowed := map[string]string{"commands": "", "notify": service + "sqs"}
	for dir, ok := range allowed {
		files, err := filepath.Glob(filepath.Join("../..", dir, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("%s: no Go files (%v)", dir, err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			file, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range file.Imports {
				path, _ := strconv.Unquote(imp.Path.Value)
				if strings.HasPrefix(path, service) && (ok == "" || path != ok && !strings.HasPrefix(path, ok+"/")) {
					t.Errorf("%s imports %s: call AWS through the deployer", f, path)
				}
			}
		}
	}
}

// TestSlackManifest checks the manifest against what the bot needs: Socket
// Mode, interactivity, /deploy, and exactly the scopes it uses.
func TestSlackManifest(t *testing.T) {
	b, err := os.ReadFile("../../slack-app-manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Features struct {
			AppHome struct {
				Home bool `yaml:"home_tab_enabled"`
			} `yaml:"app_home"`
			Shortcuts []struct {
				Type       string `yaml:"type"`
				CallbackID string `yaml:"callback_id"`
			} `yaml:"shortcuts"`
			BotUser       map[string]any `yaml:"bot_user"`
			SlashCommands []struct {
				Name         string `yaml:"command"`
				URL          string `yaml:"url"`
				Hint         string `yaml:"usage_hint"`
				ShouldEscape bool   `yaml:"should_escape"`
			} `yaml:"slash_commands"`
		}
		OAuth struct {
			Scopes struct{ Bot []string } `yaml:"scopes"`
		} `yaml:"oauth_config"`
		Settings struct {
			SocketMode bool `yaml:"socket_mode_enabled"`
			Events     struct {
				Bot []string `yaml:"bot_events"`
			} `yaml:"event_subscriptions"`
			Interactivity struct {
				Enabled bool `yaml:"is_enabled"`
			}
		}
	}
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatalf("manifest: %v", err)
	}
	if !m.Settings.SocketMode || !m.Settings.Interactivity.Enabled || m.Features.BotUser == nil {
		t.Errorf("manifest must enable socket mode, interactivity and a bot user: %+v", m.Settings)
	}
	if len(m.Features.SlashCommands) != 1 || m.Features.SlashCommands[0].Name != "/deploy" || m.Features.SlashCommands[0].Hint == "" ||
		m.Features.SlashCommands[0].URL != "" || m.Features.SlashCommands[0].ShouldEscape {
		t.Errorf("manifest must declare /deploy with a usage hint, no URL (Socket Mode) and should_escape false: %+v", m.Features.SlashCommands)
	}
	// The Home tab is published on app_home_opened; the Deploy… shortcut
	// opens the deploy modal by its callback_id.
	if !m.Features.AppHome.Home || !slices.Contains(m.Settings.Events.Bot, "app_home_opened") {
		t.Errorf("manifest must enable the Home tab and subscribe to app_home_opened: %+v %v", m.Features.AppHome, m.Settings.Events.Bot)
	}
	if len(m.Features.Shortcuts) != 1 || m.Features.Shortcuts[0].Type != "global" || m.Features.Shortcuts[0].CallbackID != commands.ShortcutDeploy {
		t.Errorf("manifest must declare the global shortcut %q: %+v", commands.ShortcutDeploy, m.Features.Shortcuts)
	}
	want := []string{"chat:write", "chat:write.public", "commands", "usergroups:read", "users:read"}
	got := slices.Sorted(slices.Values(m.OAuth.Scopes.Bot))
	if !slices.Equal(got, want) {
		t.Errorf("bot scopes = %v, want exactly %v", got, want)
	}
}

// Every fuzz target in the tree runs in CI: .ci/run names each, with its
// package, so a new parser's target cannot be left out by accident.
func TestCIRunsEveryFuzzTarget(t *testing.T) {
	ci, err := os.ReadFile("../../.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	decl := regexp.MustCompile(`(?m)^func (Fuzz\w+)\(`)
	found := 0
	err = filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range decl.FindAllStringSubmatch(string(src), -1) {
			found++
			pkg := "./" + filepath.ToSlash(filepath.Dir(strings.TrimPrefix(path, "../../")))
			if want := `"` + pkg + " " + m[1] + `"`; !strings.Contains(string(ci), want) {
				t.Errorf(".ci/run does not run %s (want the line %s in fuzz_targets)", m[1], want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found < 9 {
		t.Errorf("found %d fuzz targets; the walk missed some", found)
	}
}

// No source file outgrows what a person reads in one sitting: past 500
// lines it is split by what its parts do.
func TestNoSourceFileOver500Lines(t *testing.T) {
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if n := strings.Count(string(src), "\n"); n > 500 {
			t.Errorf("%s has %d lines; split it", strings.TrimPrefix(path, "../../"), n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

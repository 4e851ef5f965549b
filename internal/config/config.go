// Package config loads and validates Switchyard's YAML configuration: the
// apps, where each one runs, and who may touch it. Every mistake is refused
// at start with the file, the line and a sentence, all of them at once.
package config

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/switchyard/switchyard"
)

// Config is the whole validated configuration.
type Config struct {
	// Path is the file it was read from.
	Path string
	// Store is where the bot keeps its state: the path of a SQLite file,
	// or a postgres:// URL for several replicas on PostgreSQL. The file's
	// URL has no password; SWITCHYARD_STORE (see ApplyEnv) may carry one,
	// so show it only through store.Redact.
	Store string
	// HTTP is where `bot run` serves /healthz, /readyz and /metrics
	// (HOST:PORT, see CheckHTTPAddr); empty means no server. The -http
	// flag, when given, wins.
	HTTP string
	// Events names the SQS queue and EventBridge rule that `bot setup`
	// creates and `bot run` reads.
	Events Events
	// ApprovalTimeout is how long a confirmation card waits for a click.
	ApprovalTimeout time.Duration
	// GroupCacheTTL is how long user-group members are cached.
	GroupCacheTTL time.Duration
	// CustomConfigs are deployment configs created in the account with
	// CreateDeploymentConfig, which apps may name besides the predefined ones.
	CustomConfigs []string
	// RoleSessionDuration is how long a session of an environment's role
	// lasts (default one hour, a role's default maximum); the bot asks STS
	// for a new one shortly before it ends.
	RoleSessionDuration time.Duration
	Apps                []App
	// QueueTimeout is how long a deploy waits in the queue for its app to
	// be free before it expires.
	QueueTimeout time.Duration
	// Freezes are the config's freeze windows (freezes.go).
	Freezes []switchyard.FreezeWindow
}

// Events is the event path from EventBridge to the bot: the queue and its
// rules in the bot's own account and Region, and in every other account
// and Region the config names, rules of the same names that forward
// events to the bot's default event bus.
type Events struct {
	Region string
	Queue  string
	Rule   string
	// ForwardRole is the name of the role, in each account that forwards
	// events, that EventBridge assumes to put them on the bot's bus
	// (default switchyard-events-forward; see iam/).
	ForwardRole string
}

// App is one app with its environments and access rules.
type App struct {
	switchyard.App
	Access Access
	// LockOnRollback locks the app after a rollback so that nobody
	// redeploys the bad version by mistake.
	LockOnRollback bool
}

// Access lists, per action, the Slack user IDs (U…/W…) and user-group IDs
// (S…) allowed to do it.
type Access struct {
	Deploy   []string
	Rollback []string
	Approve  []string
	Lock     []string
}

// PredefinedConfigs lists CodeDeploy's predefined ECS deployment configs.
// Each call returns a new slice, so no caller can change another's.
func PredefinedConfigs() []string {
	return []string{
		"CodeDeployDefault.ECSAllAtOnce",
		"CodeDeployDefault.ECSLinear10PercentEvery1Minutes",
		"CodeDeployDefault.ECSLinear10PercentEvery3Minutes",
		"CodeDeployDefault.ECSCanary10Percent5Minutes",
		"CodeDeployDefault.ECSCanary10Percent15Minutes",
	}
}

var (
	reName      = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	reUserOrGrp = regexp.MustCompile(`^[UWS][A-Z0-9]{2,20}$`)
	reChannel   = regexp.MustCompile(`^[CG][A-Z0-9]{2,20}$`)
	reRegion    = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$`)
	reAWSName   = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,255}$`)
	reLambdaARN = regexp.MustCompile(`^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9_$-]{1,128})?$`)
	reLambdaFn  = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	reClusterID = regexp.MustCompile(`^([A-Za-z0-9_-]{1,255}|arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:cluster/[A-Za-z0-9_-]{1,255})$`)
)

// Load reads and validates the file at path.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(path, b)
}

// Parse validates the YAML in b as if read from file name. The error, when
// not nil, lists every problem on its own line as "file:line: sentence".
func Parse(name string, b []byte) (*Config, error) {
	p := &problems{file: name}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: not valid YAML: %s", name, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if len(doc.Content) == 0 {
		return nil, fmt.Errorf("%s:1: the file is empty; see switchyard.example.yaml", name)
	}
	c := parseRoot(p, &doc)
	c.Path = name
	if len(p.list) > 0 {
		return nil, errors.New(strings.Join(p.sorted(), "\n"))
	}
	return c, nil
}

func parseRoot(p *problems, doc *yaml.Node) *Config {
	m := newMapping(p, doc, "the top level")
	c := &Config{}
	c.Store = parseStore(p, m)
	c.HTTP = parseHTTP(p, m)
	region, regionNode := m.str("region", false)
	if region != "" && !reRegion.MatchString(region) {
		p.add(regionNode, "%q is not an AWS region such as us-east-1", region)
	}
	if n := m.get("events"); n != nil {
		em := newMapping(p, n, "events")
		c.Events.Queue, _ = em.str("queue", false)
		c.Events.Rule, _ = em.str("rule", false)
		r, rn := em.str("region", false)
		if r != "" && !reRegion.MatchString(r) {
			p.add(rn, "%q is not an AWS region such as us-east-1", r)
		}
		c.Events.Region = r
		c.Events.ForwardRole = parseForwardRole(p, em)
		em.done()
	}
	if c.Events.Queue == "" {
		c.Events.Queue = "switchyard-events"
	}
	if c.Events.Rule == "" {
		c.Events.Rule = "switchyard-deployments"
	}
	if c.Events.ForwardRole == "" {
		c.Events.ForwardRole = DefaultForwardRole
	}
	c.RoleSessionDuration = parseSessionDuration(p, m)
	if c.Events.Region == "" {
		c.Events.Region = region
	}
	c.ApprovalTimeout = m.duration("approval_timeout", 15*time.Minute)
	c.GroupCacheTTL = m.duration("group_cache", 5*time.Minute)
	c.QueueTimeout = m.duration("queue_timeout", 4*time.Hour)
	c.CustomConfigs = m.strings("custom_deployment_configs", reAWSName, "a deployment config name")
	known := append(PredefinedConfigs(), c.CustomConfigs...)

	apps := m.list("apps")
	if m.get("apps") == nil {
		p.add(m.node, "the top level is missing %q: list at least one app", "apps")
	}
	names := map[string]int{} // name or alias → line first seen
	for _, an := range apps {
		a := parseApp(p, an, region, known)
		for _, n := range append([]string{a.Name}, a.Aliases...) {
			if n == "" {
				continue
			}
			if line, dup := names[n]; dup {
				p.add(an, "app name or alias %q is already used on line %d", n, line)
				continue
			}
			names[n] = an.Line
		}
		c.Apps = append(c.Apps, a)
	}
	c.Freezes = parseFreezes(p, m, c.Apps)
	m.done()
	if c.Events.Region == "" && len(c.Apps) > 0 {
		for _, e := range c.Apps[0].Environments {
			c.Events.Region = e.Region
			break
		}
	}
	return c
}

func parseApp(p *problems, n *yaml.Node, region string, configs []string) App {
	m := newMapping(p, n, "an app")
	var a App
	name, nameNode := m.str("name", true)
	if name != "" && !reName.MatchString(name) {
		p.add(nameNode, "app name %q must be lower-case letters, digits and dashes", name)
	}
	if name == "all" {
		p.add(nameNode, "app name %q is taken: /deploy freeze all means every app", name)
	}
	a.Name = name
	m.where = fmt.Sprintf("app %q", name)
	a.Aliases = m.strings("aliases", reName, "an alias of lower-case letters, digits and dashes")
	channels := m.strings("channels", reChannel, "a Slack channel ID such as C0123ABCD (names are not accepted: they change)")
	approval := m.boolean("require_approval")
	a.LockOnRollback = m.boolean("lock_on_rollback")
	appRole := parseRole(p, m, role{})
	if an := m.get("access"); an != nil {
		am := newMapping(p, an, fmt.Sprintf("the access of app %q", name))
		what := "a Slack user ID (U…/W…) or user-group ID (S…)"
		a.Access.Deploy = am.strings("deploy", reUserOrGrp, what)
		a.Access.Rollback = am.strings("rollback", reUserOrGrp, what)
		a.Access.Approve = am.strings("approve", reUserOrGrp, what)
		a.Access.Lock = am.strings("lock", reUserOrGrp, what)
		am.done()
	} else {
		p.add(m.node, "app %q is missing %q: say who may deploy, roll back, approve and lock", name, "access")
	}
	envs := m.list("environments")
	if m.get("environments") == nil {
		p.add(m.node, "app %q is missing %q", name, "environments")
	}
	a.Environments = map[string]switchyard.Environment{}
	for i, en := range envs {
		e := parseEnv(p, en, name, region, configs, appRole)
		if len(e.Channels) == 0 {
			e.Channels = channels
		}
		e.RequireApproval = e.RequireApproval || approval
		if len(e.Channels) == 0 {
			p.add(en, "environment %q of app %q has no channels: list the Slack channel IDs it is deployed from", e.Name, name)
		}
		if _, dup := a.Environments[e.Name]; dup {
			p.add(en, "app %q has environment %q twice", name, e.Name)
		}
		a.Environments[e.Name] = e
		if i == 0 {
			a.DefaultEnv = e.Name
		}
	}
	if def, defNode := m.str("default_environment", false); def != "" {
		if _, ok := a.Environments[def]; !ok {
			p.add(defNode, "default_environment %q is not one of app %q's environments", def, name)
		}
		a.DefaultEnv = def
	}
	m.done()
	return a
}

// parseEnv reads an environment. Two backends share the format: with a
// codedeploy section (application, deployment_group, deployment_config)
// and optional hooks, CodeDeploy deploys the service; without one, ECS
// deploys it itself (deployment controller ECS, strategy BLUE_GREEN,
// LINEAR or CANARY), and hooks are refused. Which one really deploys it
// the deployer reads from the service; the file only says what each needs.
func parseEnv(p *problems, n *yaml.Node, app, region string, configs []string, appRole role) switchyard.Environment {
	m := newMapping(p, n, fmt.Sprintf("an environment of app %q", app))
	var e switchyard.Environment
	name, nameNode := m.str("name", true)
	if name != "" && !reName.MatchString(name) {
		p.add(nameNode, "environment name %q must be lower-case letters, digits and dashes", name)
	}
	e.Name = name
	m.where = fmt.Sprintf("environment %q of app %q", name, app)
	r, rn := m.str("region", false)
	switch {
	case r != "" && !reRegion.MatchString(r):
		p.add(rn, "%q is not an AWS region such as us-east-1", r)
	case r == "" && region == "":
		p.add(m.node, "%s has no region, and there is no top-level region", m.where)
	case r == "":
		r = region
	}
	e.Region = r
	var cn *yaml.Node
	e.Cluster, cn = m.str("cluster", true)
	if e.Cluster != "" && !reClusterID.MatchString(e.Cluster) {
		p.add(cn, "cluster %q is neither a cluster name nor a well-formed cluster ARN (arn:aws:ecs:REGION:ACCOUNT:cluster/NAME)", e.Cluster)
	}
	var sn *yaml.Node
	e.Service, sn = m.str("service", true)
	if e.Service != "" && !reAWSName.MatchString(e.Service) {
		p.add(sn, "service %q is not an ECS service name", e.Service)
	}
	e.Container, _ = m.str("container", true)
	if port, ok := m.integer("container_port", 1, 65535); ok {
		e.ContainerPort = port
	}
	cdn := m.get("codedeploy")
	if cdn != nil {
		cm := newMapping(p, cdn, "the codedeploy section of "+m.where)
		var an, gn, dn *yaml.Node
		e.Application, an = cm.str("application", true)
		e.DeploymentGroup, gn = cm.str("deployment_group", true)
		e.DeploymentConfig, dn = cm.str("deployment_config", false)
		for _, v := range []struct {
			val  string
			node *yaml.Node
		}{{e.Application, an}, {e.DeploymentGroup, gn}} {
			if v.val != "" && !reAWSName.MatchString(v.val) {
				p.add(v.node, "%q is not a CodeDeploy name (letters, digits, . _ -)", v.val)
			}
		}
		if e.DeploymentConfig != "" && !slices.Contains(configs, e.DeploymentConfig) {
			p.add(dn, "unknown deployment config %q: use one of %s, or list a custom one under custom_deployment_configs",
				e.DeploymentConfig, strings.Join(PredefinedConfigs(), ", "))
		}
		cm.done()
	}
	// Without a codedeploy section ECS deploys the service itself, and
	// what only CodeDeploy reads has no place.
	hn := m.get("hooks")
	if hn != nil && cdn == nil {
		p.add(hn, "hooks in %s are AppSpec hooks, which only CodeDeploy runs: an environment without a codedeploy section is deployed by ECS itself, "+
			"which runs the lifecycle hooks of the service's deploymentConfiguration (or add the codedeploy section if CodeDeploy deploys it)", m.where)
		hn = nil
	}
	if hn != nil {
		hm := newMapping(p, hn, "the hooks of "+m.where)
		e.Hooks = map[string]string{}
		for _, stage := range switchyard.HookStages() {
			fn, fnode := hm.str(stage, false)
			if fn == "" {
				continue
			}
			if strings.HasPrefix(fn, "arn:") && !reLambdaARN.MatchString(fn) {
				p.add(fnode, "hook %s: %q is a malformed Lambda ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME)", stage, fn)
				continue
			}
			if !strings.HasPrefix(fn, "arn:") && !reLambdaFn.MatchString(fn) {
				p.add(fnode, "hook %s: %q is neither a Lambda function name nor its ARN", stage, fn)
				continue
			}
			e.Hooks[stage] = fn
		}
		hm.done()
	}
	e.Channels = m.strings("channels", reChannel, "a Slack channel ID such as C0123ABCD (names are not accepted: they change)")
	e.RequireApproval = m.boolean("require_approval")
	er := parseRole(p, m, appRole)
	e.App, e.RoleARN, e.ExternalID = app, er.arn, er.externalID
	checkEnvAccount(p, m, e)
	m.done()
	return e
}

// Lookup finds an app by name or alias, ignoring case.
func (c *Config) Lookup(name string) (*App, bool) {
	name = strings.ToLower(name)
	for i := range c.Apps {
		a := &c.Apps[i]
		if a.Name == name || slices.Contains(a.Aliases, name) {
			return a, true
		}
	}
	return nil, false
}

// Names lists every app name and alias, sorted, for suggestions.
func (c *Config) Names() []string {
	var out []string
	for _, a := range c.Apps {
		out = append(out, a.Name)
		out = append(out, a.Aliases...)
	}
	sort.Strings(out)
	return out
}

// Env returns the environment called name, or the app's default when name is "".
func (a *App) Env(name string) (switchyard.Environment, bool) {
	if name == "" {
		name = a.DefaultEnv
	}
	e, ok := a.Environments[name]
	return e, ok
}

// EnvNames lists the app's environments, sorted.
func (a *App) EnvNames() []string {
	var out []string
	for n := range a.Environments {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

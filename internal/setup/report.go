package setup

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"unicode"
)

// What setup tells a person: one section per account and region, one
// sentence per resource (an event pattern in words, never its JSON), and a
// warning for each environment whose events will not arrive, with what to
// do. Text that came from AWS (patterns, ARNs, error messages) is stripped
// of control characters before it reaches a terminal.

// Report is what a run did, or in a dry run would do.
type Report struct {
	// Account and Region are the bot's own: where the queue is and the
	// events arrive. Account is "" when the run stopped before it knew.
	Account, Region string
	DryRun          bool
	// Home names the environments in the bot's own account and region,
	// "app env"; Places are the other accounts and regions.
	Home   []string
	Places []Place
	Steps  []Step
	// Warnings name each environment whose events will not arrive.
	Warnings []Warning
}

// Warning is an environment whose deployment events will not reach the
// bot after this run, why, and what to do about it.
type Warning struct {
	App, Env        string
	Account, Region string
	Why             string // a clause: what is wrong
	Fix             string // sentences: what to do, and what happens meanwhile
}

func (w Warning) String() string {
	return fmt.Sprintf("The events of %s %s (account %s, %s) will not arrive: %s. To fix it, %s", w.App, w.Env, w.Account, w.Region, w.Why, w.Fix)
}

func (r *run) reportOf() Report {
	rep := Report{Account: r.account, Region: r.cfg.Events.Region, DryRun: r.dry, Places: r.places, Steps: r.steps, Warnings: r.warnings}
	for _, e := range r.home {
		rep.Home = append(rep.Home, e.env.App+" "+e.env.Name)
	}
	return rep
}

// Changes counts the steps that changed something (in a dry run, that
// would).
func (r Report) Changes() int {
	n := 0
	for _, s := range r.Steps {
		if s.Outcome == Created || s.Outcome == Changed {
			n++
		}
	}
	return n
}

// Write prints the report for a person.
func (r Report) Write(w io.Writer) {
	type section struct {
		account, region, title string
	}
	var sections []section
	if r.Account != "" || len(r.Steps) > 0 {
		title := fmt.Sprintf("In account %s, %s, where the bot's events arrive", r.Account, r.Region)
		if len(r.Home) > 0 {
			title += " (" + strings.Join(r.Home, ", ") + ")"
		}
		sections = append(sections, section{r.Account, r.Region, title})
	}
	for _, p := range r.Places {
		through := "with the bot's own credentials"
		if p.RoleARN != "" {
			through = "through role " + p.RoleARN
		}
		sections = append(sections, section{p.Account, p.Region,
			fmt.Sprintf("In account %s, %s, %s (%s)", p.Account, p.Region, through, strings.Join(p.Environments(), ", "))})
	}
	for i, sec := range sections {
		var lines []string
		for _, s := range r.Steps {
			if s.Account == sec.account && s.Region == sec.region {
				lines = append(lines, "  "+s.Sentence())
			}
		}
		if len(lines) == 0 {
			continue
		}
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintln(w, sec.title+":")
		fmt.Fprintln(w, strings.Join(lines, "\n"))
	}
	if len(r.Warnings) > 0 {
		fmt.Fprintln(w)
	}
	for _, wa := range r.Warnings {
		fmt.Fprintln(w, "Warning: "+wa.String())
	}
}

// Sentence says what setup did, or would do, to the resource.
func (s Step) Sentence() string {
	subject := s.subject()
	does := ""
	if s.Does != "" {
		does = ", " + s.Does
	}
	switch s.Outcome {
	case Found:
		return "Already in place: " + subject + does + "."
	case Created:
		return s.verb("Created", "Would create") + " " + subject + does + "."
	case Changed:
		return s.verb("Updated", "Would update") + " " + subject + does + " (" + s.Detail + ")."
	case Missing:
		return "Not set up: " + subject + ", as " + s.Detail + " (see the warnings)."
	}
	return string(s.Outcome) + ": " + subject + does + "."
}

func (s Step) verb(done, planned string) string {
	if s.Planned {
		return planned
	}
	return done
}

func (s Step) subject() string {
	switch s.Resource {
	case "queue":
		return "the SQS queue " + s.Name
	case "rule":
		return "the rule " + s.Name
	case "queue policy":
		return "the policy of the queue " + s.Name
	case "target":
		return "the target of the rule " + s.Name
	case "bus policy":
		return "the statement " + s.Name + " of the event bus policy"
	case "forwarding":
		return "the forwarding to the bot's event bus"
	}
	return s.Resource + " " + s.Name
}

// Event patterns in words.
const (
	codeDeployType = "CodeDeploy Deployment State-change Notification"
	ecsType        = "ECS Service Action"
)

// ecsTypes are the kinds of ECS events setup's rule matches, in words.
var ecsTypes = map[string]string{
	ecsType:                       "service actions",
	"ECS Deployment State Change": "deployment state changes",
	"ECS Hook State Change":       "hook state changes",
}

// describePattern says what an event pattern of a rule in account and
// region matches: the kind of event, then the applications or resources.
// It reads the patterns setup writes and says of anything else that it is
// there, so that a rule changed by hand shows as such.
func describePattern(p map[string]any, account, region string) string {
	if len(p) == 0 {
		return "an event pattern setup cannot read"
	}
	sources, types := words(p["source"]), words(p["detail-type"])
	var out string
	switch {
	case slices.Equal(sources, []string{"aws.codedeploy"}) && slices.Equal(types, []string{codeDeployType}):
		out = "CodeDeploy deployment state changes"
	case slices.Equal(sources, []string{"aws.ecs"}) && len(types) > 0 && allECS(types):
		var kinds []string
		for _, t := range types {
			kinds = append(kinds, ecsTypes[t])
		}
		out = "ECS " + andList(kinds)
	case len(types) == 0:
		out = "every event"
		if len(sources) > 0 {
			out += " from " + andList(sources)
		}
	default:
		out = "events of type " + andList(quoted(types))
		if len(sources) > 0 {
			out += " from " + andList(sources)
		}
	}
	var others []string
	for _, k := range sortedKeys(p) {
		v := p[k]
		switch k {
		case "source", "detail-type":
		case "resources":
			out += " of " + resources(v, account, region)
		case "detail":
			d, _ := v.(map[string]any)
			for _, dk := range sortedKeys(d) {
				dv := d[dk]
				if dk == "application" {
					out += " of " + plural(len(words(dv)), "the application ", "the applications ") + andList(words(dv))
				} else {
					others = append(others, "detail."+clean(dk))
				}
			}
		default:
			others = append(others, clean(k))
		}
	}
	if len(others) > 0 {
		sort.Strings(others)
		out += ", with conditions on " + andList(others)
	}
	return out
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// words are the values of a pattern's list, each made safe to print; a
// value other than a string (a content filter) is named as such.
func words(v any) []string {
	list, ok := v.([]any)
	if !ok {
		if v == nil {
			return nil
		}
		list = []any{v}
	}
	var out []string
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, clean(s))
		} else {
			out = append(out, "a content filter")
		}
	}
	return out
}

func allECS(types []string) bool {
	for _, t := range types {
		if ecsTypes[t] == "" {
			return false
		}
	}
	return true
}

// resources says which resources a pattern names: ECS services by their
// ARNs, and their service deployments by the prefix of theirs.
func resources(v any, account, region string) string {
	list, _ := v.([]any)
	var arns, deployed, other []string
	for _, x := range list {
		if s, ok := x.(string); ok {
			arns = append(arns, clean(s))
			continue
		}
		m, _ := x.(map[string]any)
		prefix, _ := m["prefix"].(string)
		if svc, ok := strings.CutSuffix(strings.Replace(prefix, ":service-deployment/", ":service/", 1), "/"); ok && len(m) == 1 &&
			strings.Contains(prefix, ":service-deployment/") {
			deployed = append(deployed, clean(svc))
			continue
		}
		other = append(other, "a content filter")
	}
	var parts []string
	if names := services(arns, account, region); len(names) > 0 {
		parts = append(parts, plural(len(names), "the service ", "the services ")+andList(names))
	}
	switch {
	case len(deployed) > 0 && len(arns) > 0 && slices.Equal(uniqueSorted(slices.Clone(deployed)), uniqueSorted(slices.Clone(arns))):
		parts[0] += plural(len(arns), " and its deployments", " and their deployments")
	case len(deployed) > 0:
		parts = append(parts, "the deployments of "+andList(services(deployed, account, region)))
	}
	return andList(append(parts, other...))
}

// services shortens ECS service ARNs to cluster/service, those of
// account and region first, then those elsewhere with theirs.
func services(arns []string, account, region string) []string {
	var here, there []string
	for _, a := range arns {
		f := strings.SplitN(a, ":", 6)
		switch {
		case len(f) != 6 || f[2] != "ecs" || !strings.HasPrefix(f[5], "service/"):
			there = append(there, a)
		case f[4] != account || f[3] != region:
			there = append(there, strings.TrimPrefix(f[5], "service/")+" in "+f[4]+" "+f[3])
		default:
			here = append(here, strings.TrimPrefix(f[5], "service/"))
		}
	}
	return append(here, there...)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func quoted(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = "“" + s + "”"
	}
	return out
}

// andList joins "a", "a and b", "a, b and c".
func andList(ss []string) string {
	switch len(ss) {
	case 0:
		return "nothing"
	case 1:
		return ss[0]
	}
	return strings.Join(ss[:len(ss)-1], ", ") + " and " + ss[len(ss)-1]
}

// clean drops control characters from text that came from AWS, so that it
// cannot move a terminal's cursor or hide what follows.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
}

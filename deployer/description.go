package deployer

import (
	"regexp"

	"github.com/switchyard/switchyard"
	"strings"
	"unicode/utf8"
)

// description is what the bot writes into a deployment's description: a
// sentence for people who look in the console, and a bracketed trailer
// with the task definitions involved, so that a later Rollback or Describe
// (even after a restart) knows what ran before without more AWS calls.
//
//	Deployed by alice from Slack #deploys: myapp v1.4 [switchyard td=myapp:13 prev=myapp:12 req=p-1a2b3c4d]
//	Rolled back by bob: myapp to v1.3, undoing d-ABCDEFGHI [switchyard td=myapp:12 prev=myapp:13 undoes=d-ABCDEFGHI]
type description struct {
	Rollback bool
	Who      string
	Where    string
	App      string
	Version  string
	TaskDef  string // family:revision deployed
	Previous string // family:revision that ran before
	Undoes   string // deployment id a rollback undoes
	Request  string // the deploy request that started it
}

// maxDescription keeps the description inside CodeDeploy's limit, which
// AWS does not document (DescriptionTooLongException); 256 is the smallest
// we have seen assumed.
const maxDescription = 256

func describeStart(by switchyard.Actor, p *switchyard.Plan) description {
	return description{Who: by.User, Where: by.Channel, App: p.App, Version: p.Version, Undoes: p.RollbackOf,
		Rollback: p.RollbackOf != "", Request: by.Request}
}

// String renders the description. The trailer is kept whole; the sentence
// is shortened when the two do not fit.
func (d description) String() string {
	var b strings.Builder
	if d.Rollback {
		b.WriteString("Rolled back by ")
	} else {
		b.WriteString("Deployed by ")
	}
	b.WriteString(clip(oneLine(d.Who), 40))
	if d.Where != "" {
		b.WriteString(" from Slack " + clip(strings.ReplaceAll(oneLine(d.Where), " ", "-"), 40))
	}
	b.WriteString(": " + clip(oneLine(d.App), 40) + " ")
	if d.Rollback {
		b.WriteString("to ")
	}
	b.WriteString(clip(d.Version, 64))
	if d.Undoes != "" {
		b.WriteString(", undoing " + d.Undoes)
	}
	var t []string
	for _, kv := range [][2]string{{"td", d.TaskDef}, {"prev", d.Previous}, {"undoes", d.Undoes}, {"req", d.Request}} {
		if kv[1] != "" {
			t = append(t, kv[0]+"="+kv[1])
		}
	}
	trailer := ""
	if len(t) > 0 {
		trailer = " [switchyard " + strings.Join(t, " ") + "]"
	}
	if len(trailer) > maxDescription/2 {
		trailer = ""
	}
	return clip(b.String(), maxDescription-len(trailer)) + trailer
}

var (
	trailerPattern  = regexp.MustCompile(`\s*\[switchyard ([^\]]*)\]$`)
	sentencePattern = regexp.MustCompile(`^(Deployed|Rolled back) by (.+?)(?: from Slack (\S+))?: (\S+) (?:to )?(\S+?)(?:, undoing (d-[A-Z0-9]+))?$`)
)

var (
	// taskDefPattern is a task definition's family:revision.
	taskDefPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}:[0-9]{1,9}$`)
	// requestPattern is the id of a deploy request in the store.
	requestPattern = regexp.MustCompile(`^p-[0-9a-f]{8,32}$`)
)

// parseDescription reads a description in the bot's shape; ok is false for
// deployments described some other way. Anyone who may create deployments
// can write any description, so a value that is not well formed (a task
// definition, a deployment id) is dropped, and callers take nothing from
// the result that decides what runs or who asked.
func parseDescription(s string) (d description, ok bool) {
	m := trailerPattern.FindStringSubmatchIndex(s)
	if m == nil {
		return description{}, false
	}
	for _, kv := range strings.Fields(s[m[2]:m[3]]) {
		k, v, _ := strings.Cut(kv, "=")
		switch {
		case k == "td" && taskDefPattern.MatchString(v):
			d.TaskDef = v
		case k == "prev" && taskDefPattern.MatchString(v):
			d.Previous = v
		case k == "undoes" && validDeploymentID(v):
			d.Undoes = v
		case k == "req" && requestPattern.MatchString(v):
			d.Request = v
		}
	}
	sm := sentencePattern.FindStringSubmatch(s[:m[0]])
	if sm == nil {
		return d, true
	}
	d.Rollback = sm[1] == "Rolled back"
	d.Who, d.Where, d.App, d.Version = sm[2], sm[3], sm[4], sm[5]
	return d, true
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// clip shortens s to at most n bytes without cutting a character.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

package deployer

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseDescription feeds the description parser what anyone who may
// create deployments can write: whatever it is, parsing returns, keeps only
// well-formed task definitions and deployment ids, and never invents text
// that is not in the input. A description the bot writes reads back as it
// was written.
func FuzzParseDescription(f *testing.F) {
	for _, s := range []string{
		"Deployed by alice from Slack #deploys: myapp v1.4 [switchyard td=myapp:13 prev=myapp:12]",
		"Rolled back by bob: myapp to v1.3, undoing d-ABCDEFGHI [switchyard td=myapp:12 prev=myapp:13 undoes=d-ABCDEFGHI]",
		"ci pipeline run 812",
		"",
		"[switchyard]",
		"Deployed by U0ALICE from Slack #deploys: myapp <!here> [switchyard td=evil:1 prev=evil:1]",
		"Deployed by <@U0BOB>: <https://evil.example.com|v1.4> [switchyard td=x:1\nprev=../../etc:2]",
		"[switchyard td=web:1 td=web:2 prev= undoes=d-abc undoes=d-ABCDEFGHIJ]",
		"Deployed by \u202ealice\u202c: web v1.4 [switchyard td=web:99999999999 prev=web:-1]",
		strings.Repeat("[switchyard td=a:1] ", 40),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := parseDescription(s)
		if !ok {
			if d != (description{}) {
				t.Errorf("%q not the bot's, yet parsed as %+v", s, d)
			}
			return
		}
		for _, v := range []string{d.TaskDef, d.Previous} {
			if v != "" && !taskDefPattern.MatchString(v) {
				t.Errorf("%q gave task definition %q", s, v)
			}
		}
		if d.Undoes != "" && !validDeploymentID(d.Undoes) {
			t.Errorf("%q gave deployment id %q", s, d.Undoes)
		}
		for _, v := range []string{d.Who, d.Where, d.App, d.Version, d.TaskDef, d.Previous, d.Undoes} {
			if !strings.Contains(s, v) {
				t.Errorf("%q gave %q, which it does not contain", s, v)
			}
		}
		// What the bot would write from it reads back the same, within
		// CodeDeploy's limit.
		if !utf8.ValidString(s) || strings.ContainsAny(d.Who+d.Where+d.App+d.Version, "\n\r\t") || d.TaskDef+d.Previous+d.Undoes == "" {
			return // nothing the trailer would carry
		}
		out := d.String()
		if len(out) > maxDescription {
			t.Errorf("%+v renders %d bytes", d, len(out))
		}
		back, ok := parseDescription(out)
		if !ok || back.TaskDef != d.TaskDef || back.Previous != d.Previous || back.Undoes != d.Undoes {
			t.Errorf("%+v rendered as %q reads back as %+v", d, out, back)
		}
	})
}

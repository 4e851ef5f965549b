package blocks

import (
	"encoding/json"
	"strings"
	"testing"

	sy "github.com/switchyard/switchyard"
)

// hostile is a deployment whose every piece of AWS text was written by
// someone who wants the channel pinged or a link slipped in: an image
// (any task definition), a config name, an alarm, a stage, an error, an id.
func hostile() sy.Deployment {
	return sy.Deployment{
		ID: "d-<!here>|x", App: "myapp", Env: "production", Version: "<!channel>",
		ImageBefore: "repo/x:<https://evil.example.com|v1.3>", ImageAfter: "repo/x:<@U0EVIL>",
		Config: "<!subteam^S0ALL>", Status: sy.StatusFailed, RollbackID: "<!everyone>",
		Stages: []sy.Stage{{Name: "<!here>Install", Status: sy.StageFailed, Start: t0, End: now,
			Diagnostic: "see <https://evil.example.com|the runbook>"}},
		Alarms:    []sy.Alarm{{Name: "<!channel> 5xx", State: "ALARM"}},
		ErrorCode: "HOOK_EXECUTION_FAILURE", ErrorText: "<@U0EVIL> says hi",
		Created: t0, Completed: now, Region: "us-east-1", RequestedBy: "U0ALICE",
	}
}

// Every renderer that shows a deployment shows AWS's text as text: no
// special mention, user mention or link that the bot did not write.
func TestAWSTextNeverBecomesMarkup(t *testing.T) {
	d := hostile()
	outputs := map[string]string{}
	add := func(name string, v any) {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		outputs[name] = string(b)
	}
	card := DeploymentCard(d, now)
	add("card blocks", card.Blocks)
	outputs["card text"] = card.Text
	outputs["final reply"] = FinalReply(d)
	outputs["stage reply"] = StageReply(d.Stages[0], now)
	outputs["failure reason"] = FailureReason(d)
	add("history", History("myapp", []sy.Deployment{d}, now).Blocks)
	add("status", Status("myapp", []EnvStatus{{App: "myapp", Env: "production", Last: &d}}, now).Blocks)
	c := confirmation()
	c.ImageBefore, c.ImageAfter, c.Config, c.Alarms = d.ImageBefore, d.ImageAfter, d.Config, d.Alarms
	add("confirmation", ConfirmCard(c).Blocks)

	for name, out := range outputs {
		// Go's JSON encoder writes < as \u003c; read it back as Slack will.
		out = strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(out)
		for _, bad := range []string{"<!here>", "<!channel>", "<!everyone>", "<!subteam", "<@U0EVIL>", "<https://evil"} {
			if !strings.Contains(out, bad) {
				continue
			}
			// The header is plain text, which Slack shows as it is and
			// never reads as markup.
			if name == "card blocks" && headerOnly(card, bad) {
				continue
			}
			t.Errorf("%s carries live %q:\n%s", name, bad, out)
		}
	}
	if !strings.Contains(outputs["card blocks"], `\u0026lt;!channel\u0026gt;`) {
		t.Errorf("the card no longer shows the hostile version as text:\n%s", outputs["card blocks"])
	}
}

// headerOnly reports whether bad appears in m only inside its plain-text
// header.
func headerOnly(m Message, bad string) bool {
	for _, b := range m.Blocks[1:] {
		raw, _ := json.Marshal(b)
		s := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(raw))
		if strings.Contains(s, bad) {
			return false
		}
	}
	return true
}

package blocks

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	sy "github.com/switchyard/switchyard"
)

// plannedRequest is a deploy of myapp v1.4 as a person asked for it and the
// deployer planned it.
func plannedRequest() (sy.Pending, *sy.Plan) {
	p := sy.Pending{ID: "p-42", App: "myapp", Env: "production", Version: "v1.4", RequestedBy: "U0ALICE001",
		Reason: "testing the cache", Created: t0, Expires: t0.Add(15 * time.Minute)}
	plan := &sy.Plan{App: "myapp", Version: "v1.4", Env: sy.Environment{Name: "production"},
		ImageNow:  "123456789012.dkr.ecr.us-east-1.amazonaws.com/myapp:v1.3",
		ImageNext: "123456789012.dkr.ecr.us-east-1.amazonaws.com/myapp:v1.4",
		Image:     sy.ImageCheck{ECR: true, Checked: true, Repository: "myapp"},
		Config:    "CodeDeployDefault.ECSLinear10PercentEvery1Minutes",
		Traffic:   sy.TrafficShape{Type: sy.RoutingLinear, Percent: 10, IntervalMinutes: 1},
		Alarms:    []sy.Alarm{{Name: "myapp-5xx", State: sy.AlarmOK}},
	}
	return p, plan
}

// confirmButton is the card's Confirm or Approve button, or nil.
func confirmButton(m Message) *slack.ButtonBlockElement {
	for _, b := range m.Blocks {
		a, ok := b.(*slack.ActionBlock)
		if !ok {
			continue
		}
		for _, el := range a.Elements.ElementSet {
			if btn, ok := el.(*slack.ButtonBlockElement); ok && (btn.ActionID == ActionConfirm || btn.ActionID == ActionApprove) {
				return btn
			}
		}
	}
	return nil
}

// firstSection is the text of the first block after the header.
func firstSection(m Message) string {
	if len(m.Blocks) < 2 {
		return ""
	}
	if s, ok := m.Blocks[1].(*slack.SectionBlock); ok && s.Text != nil {
		return s.Text.Text
	}
	return ""
}

// A firing alarm or another deployment in the group leads the card, above
// the facts; Confirm turns red for a risk and goes away when AWS would
// refuse the start.
func TestConfirmWarningsLead(t *testing.T) {
	p, plan := plannedRequest()
	calm := ConfirmCard(ConfirmationOf(p, plan))
	if btn := confirmButton(calm); btn == nil || btn.Style != slack.StylePrimary {
		t.Fatalf("a calm card's Confirm = %+v, want a green one", btn)
	}

	plan.Alarms = []sy.Alarm{{Name: "myapp-5xx", State: sy.AlarmFiring}, {Name: "myapp-p99", State: sy.AlarmOK}}
	firing := ConfirmCard(ConfirmationOf(p, plan))
	golden(t, "confirm_alarm_firing", firing)
	if lead := firstSection(firing); !strings.HasPrefix(lead, ":warning: *Alarm `myapp-5xx` is firing:*") {
		t.Errorf("the card does not lead with the alarm: %q", lead)
	}
	if btn := confirmButton(firing); btn == nil || btn.Style != slack.StyleDanger {
		t.Errorf("Confirm under a firing alarm = %+v, want a red one", btn)
	}
	if b, _ := json.Marshal(firing.Blocks); strings.Contains(string(b), "[myapp-5xx]") {
		t.Error("the card prints the alarms as a Go slice")
	}

	approval := p
	approval.Override = "the fix for the incident"
	plan.Env.RequireApproval = true
	if btn := confirmButton(ConfirmCard(ConfirmationOf(approval, plan))); btn == nil || btn.ActionID != ActionApprove || btn.Style != slack.StyleDanger {
		t.Errorf("Approve under a firing alarm = %+v, want a red one", btn)
	}
	plan.Env.RequireApproval = false

	plan.Alarms = []sy.Alarm{{Name: "myapp-5xx", State: sy.AlarmOK}}
	plan.ActiveDeployment = "d-RUNNING01"
	busy := ConfirmCard(ConfirmationOf(p, plan))
	golden(t, "confirm_group_busy", busy)
	if lead := firstSection(busy); !strings.HasPrefix(lead, ":no_entry: Deployment d-RUNNING01 is still running here, and a second one cannot start") {
		t.Errorf("the card does not lead with the running deployment: %q", lead)
	}
	if btn := confirmButton(busy); btn != nil {
		t.Errorf("a card AWS would refuse has %s", btn.ActionID)
	}
	if !hasButton(busy, ActionCancel) {
		t.Error("a blocked card cannot be cancelled")
	}
}

// blocksText is m's blocks as JSON, without HTML escaping, for reading.
func blocksText(m Message) string {
	var buf strings.Builder
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(m.Blocks)
	return strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(buf.String())
}

func hasButton(m Message, action string) bool {
	b, _ := json.Marshal(m.Blocks)
	return strings.Contains(string(b), `"action_id":"`+action+`"`)
}

// A start AWS refused says so in a sentence, and nobody is said to have
// confirmed a deployment that never was.
func TestConfirmRefusedStart(t *testing.T) {
	p, plan := plannedRequest()
	c := ConfirmationOf(p, plan)
	c.State, c.ActedBy, c.ActedAt, c.Failure = ConfirmFailed, "U0ALICE001", t0.Add(time.Minute), GroupBusy("d-RUNNING01")
	m := ConfirmCard(c)
	golden(t, "confirm_refused_busy", m)
	s := blocksText(m)
	if strings.Contains(s, "Confirmed by") {
		t.Errorf("a card that deployed nothing claims a confirmation: %s", s)
	}
	for _, want := range []string{"Nothing was deployed.", "Deployment d-RUNNING01 is still running here, and a second one cannot start", "<@U0ALICE001> pressed Confirm"} {
		if !strings.Contains(s, want) {
			t.Errorf("the refused card lacks %q: %s", want, s)
		}
	}
	if hasButton(m, ActionConfirm) {
		t.Error("a refused card still has Confirm")
	}
}

// The audit answer shows what people typed as text, and a long trail
// spreads over sections without a line cut short.
func TestAuditTrailIsSafeAndWhole(t *testing.T) {
	var entries []sy.AuditEntry
	for i := range 50 {
		entries = append(entries, sy.AuditEntry{ID: int64(i), At: t0, User: "U0ALICE001", Action: "deploy", App: "myapp",
			Env: "production", Result: sy.ResultRefused, Detail: "<!channel> " + strings.Repeat("x", 400)})
	}
	m := AuditTrail("myapp", entries)
	s := blocksText(m)
	if strings.Contains(s, "<!channel>") {
		t.Fatal("a detail reached mrkdwn unescaped")
	}
	lines := 0
	for _, b := range m.Blocks {
		sec, ok := b.(*slack.SectionBlock)
		if !ok {
			continue
		}
		if n := len(sec.Text.Text); n > 3000 {
			t.Errorf("a section of %d characters", n)
		}
		for _, l := range strings.Split(sec.Text.Text, "\n") {
			if !strings.HasPrefix(l, "• ") || !strings.HasSuffix(l, "…") {
				t.Errorf("a line is cut or run together: %q", l)
			}
			lines++
		}
	}
	if lines != 50 || len(m.Blocks) > 50 {
		t.Errorf("%d lines in %d blocks, want 50 lines", lines, len(m.Blocks))
	}
}

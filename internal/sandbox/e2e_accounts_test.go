package sandbox

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/internal/awssim"
	"github.com/switchyard/switchyard/store"
)

// The sandbox's two accounts: production in the bot's own, staging in
// another account and Region, each reached through its role.
const (
	prodAccount    = "123456789012"
	stagingAccount = "210987654321"
	stagingRole    = "arn:aws:iam::210987654321:role/switchyard-deploy"
)

// From one bot, a deploy to staging and one to production each land in
// their own account and Region and go live on their cards; CloudTrail in
// each account, read with the AWS CLI, names the person who confirmed the
// writes, and the person who clicked Rollback for the stop.
func TestE2EAccountsEachChangeUnderThePersonsName(t *testing.T) {
	e := newE2E(t, Options{})
	staging, prod := e.envNamed("myapp", "staging"), e.envNamed("myapp", "production")

	sts := e.request("U0ALICE", "myapp v1.4 to staging", "Deploy myapp v1.4 to staging?")
	e.mustClick("U0ALICE", sts, "confirm")
	sid := e.deploymentID(sts)
	pts := e.request("U0ALICE", "myapp v1.4", "Deploy myapp v1.4 to production?")
	e.mustClick("U0ALICE", pts, "confirm")
	pid := e.deploymentID(pts)

	for _, d := range []struct {
		env    switchyard.Environment
		id, ts string
	}{{staging, sid, sts}, {prod, pid, pts}} {
		for step := 0; ; step++ {
			got := e.settleIn(d.env, d.id, d.ts)
			if got.Status.Done() {
				if got.Status != switchyard.StatusSucceeded {
					t.Fatalf("%s in %s: AWS says %s", d.id, d.env.Name, got.Status)
				}
				break
			}
			if step == 200 {
				t.Fatalf("%s in %s not done after 200 steps:\n%s", d.id, d.env.Name, e.dump())
			}
			e.sb.AWS.Advance(15 * time.Second)
		}
		if card := e.message(d.ts); !strings.Contains(card.Text, "succeeded") || !strings.Contains(card.Text, d.env.Name) {
			t.Errorf("the %s card reads %q", d.env.Name, card.Text)
		}
	}

	// Each deployment exists in its own account and Region only.
	for _, c := range []struct {
		account, region, mine, other string
	}{{stagingAccount, "eu-west-1", sid, pid}, {prodAccount, "us-east-1", pid, sid}} {
		var list struct{ Deployments []string }
		e.cli(c.account, c.region, &list, "deploy", "list-deployments")
		if !slices.Contains(list.Deployments, c.mine) || slices.Contains(list.Deployments, c.other) {
			t.Errorf("deployments in %s/%s = %v; want %s and not %s", c.account, c.region, list.Deployments, c.mine, c.other)
		}
	}

	// Bob rolls production back from the card mid-shift.
	rts := e.request("U0ALICE", "myapp v1.5", "Deploy myapp v1.5 to production?")
	e.mustClick("U0ALICE", rts, "confirm")
	rid := e.deploymentID(rts)
	e.advanceUntil("myapp", rid, rts, 10*time.Second, 10*time.Minute, func(d switchyard.Deployment) bool { return d.Traffic.Green >= 20 })
	e.mustClick("U0BOB", rts, "rollback")
	e.waitFor("the card to say bob rolled back", func() bool {
		return strings.Contains(string(e.message(rts).Blocks), "Rolled back by <@U0BOB>")
	})

	want := map[string]map[string][]string{ // account → event → source identities, newest first
		stagingAccount: {"RegisterTaskDefinition": {"U0ALICE"}, "CreateDeployment": {"U0ALICE"}},
		prodAccount: {"RegisterTaskDefinition": {"U0ALICE", "U0ALICE"}, "CreateDeployment": {"U0ALICE", "U0ALICE"},
			"StopDeployment": {"U0BOB"}},
	}
	region := map[string]string{stagingAccount: "eu-west-1", prodAccount: "us-east-1"}
	for account, events := range want {
		for name, who := range events {
			if got := e.sourceIdentities(account, region[account], name); !slices.Equal(got, who) {
				t.Errorf("%s in %s by %v, want %v", name, account, got, who)
			}
		}
	}

	// Bob's session in production is tagged with who he is, in which
	// workspace, for which app and environment.
	want2 := map[string]string{"SlackUser": "U0BOB", "SlackTeam": "T0SANDBOX", "App": "myapp", "Environment": "production"}
	if got := e.sessionTags(prodAccount, "us-east-1", "U0BOB"); !maps.Equal(got, want2) {
		t.Errorf("Bob's session in production is tagged %v, want %v", got, want2)
	}
}

// sessionTags is the session tags of the AssumeRole call CloudTrail
// recorded in account and region for the source identity who.
func (e *e2e) sessionTags(account, region, who string) map[string]string {
	e.t.Helper()
	var out struct {
		Events []struct{ CloudTrailEvent string }
	}
	e.cli(account, region, &out, "cloudtrail", "lookup-events", "--lookup-attributes", "AttributeKey=EventName,AttributeValue=AssumeRole")
	for _, ev := range out.Events {
		var rec struct {
			RequestParameters struct {
				SourceIdentity string `json:"sourceIdentity"`
				Tags           []struct{ Key, Value string }
			} `json:"requestParameters"`
		}
		if err := json.Unmarshal([]byte(ev.CloudTrailEvent), &rec); err != nil {
			e.t.Fatalf("a CloudTrail event that is not JSON: %v", err)
		}
		if rec.RequestParameters.SourceIdentity == who {
			tags := map[string]string{}
			for _, t := range rec.RequestParameters.Tags {
				tags[t.Key] = t.Value
			}
			return tags
		}
	}
	e.t.Fatalf("no AssumeRole with source identity %s in %s/%s", who, account, region)
	return nil
}

// A role AWS will not let the bot assume for a person is told in Slack in
// one sentence naming the role and the environment; nothing is started in
// that account, and the attempt is audited.
func TestE2EAccountsRoleRefusals(t *testing.T) {
	for _, tc := range []struct {
		name  string
		trust map[string]any
	}{
		{"trust policy names another account", trustPolicy("arn:aws:iam::999999999999:user/someone", nil)},
		{"requires a source identity the bot does not send", trustPolicy("arn:aws:iam::123456789012:user/switchyard",
			map[string]any{"StringLike": map[string]any{"sts:SourceIdentity": "admin-*"}})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newE2E(t, Options{})
			// The plan reads through the bot's own session, which the role
			// still trusts; the refusal comes at Confirm, for alice.
			ts := e.request("U0ALICE", "myapp v1.4 to staging", "Deploy myapp v1.4 to staging?")
			if _, err := e.sb.AWS.Partition(stagingAccount, "eu-west-1").PutRole(awssim.RoleSeed{
				Name: "switchyard-deploy", TrustPolicy: tc.trust}); err != nil {
				t.Fatal(err)
			}
			e.mustClick("U0ALICE", ts, "confirm")
			// The confirmation card, which everyone in the channel sees,
			// says why nothing started.
			var card string
			e.waitFor("the card to say the role refused", func() bool {
				card = string(e.message(ts).Blocks)
				return strings.Contains(card, stagingRole)
			})
			if !strings.Contains(card, "staging") {
				t.Errorf("the card does not name the environment: %s", card)
			}
			// STS's own message (who is not authorized to do what) stays
			// in the log; its error code may be named.
			if strings.Contains(card, "not authorized") || strings.Contains(card, "api error") || deploymentIDPattern.MatchString(card) {
				t.Errorf("STS's own words, or a deployment, on the card: %s", card)
			}
			var list struct{ Deployments []string }
			e.cli(stagingAccount, "eu-west-1", &list, "deploy", "list-deployments")
			if len(list.Deployments) != 0 {
				t.Errorf("deployments started in staging: %v", list.Deployments)
			}
			if got := e.sourceIdentities(stagingAccount, "eu-west-1", "RegisterTaskDefinition"); len(got) != 0 {
				t.Errorf("task definitions registered in staging by %v", got)
			}
			st, err := store.Open(context.Background(), e.sb.Config.Store)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			audit, err := st.ReadAudit(context.Background(), switchyard.AuditQuery{App: "myapp"})
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, a := range audit {
				found = found || (a.User == "U0ALICE" && a.Env == "staging" && a.Result == switchyard.ResultFailed && strings.Contains(a.Detail, stagingRole))
			}
			if !found {
				t.Errorf("the refusal is not audited: %+v", audit)
			}
		})
	}
}

// trustPolicy lets principal assume the role with a source identity and
// session tags, under condition when not nil.
func trustPolicy(principal string, condition map[string]any) map[string]any {
	st := map[string]any{
		"Effect":    "Allow",
		"Principal": map[string]any{"AWS": principal},
		"Action":    []string{"sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"},
	}
	if condition != nil {
		st["Condition"] = condition
	}
	return map[string]any{"Version": "2012-10-17", "Statement": []any{st}}
}

// cli runs the AWS CLI as account in region against the sandbox and
// decodes its JSON output into v.
func (e *e2e) cli(account, region string, v any, args ...string) {
	e.t.Helper()
	if _, err := exec.LookPath("aws"); err != nil {
		e.t.Fatal("the AWS CLI (aws) is not on PATH; the machine image ships it")
	}
	cmd := exec.Command("aws", append([]string{"--output", "json"}, args...)...)
	cmd.Env = e.sb.AWS.Partition(account, region).Environ(os.Environ())
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		e.t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	if err := json.Unmarshal(out, v); err != nil {
		e.t.Fatalf("aws %s printed no JSON: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// sourceIdentities lists, newest first, the source identity of each call
// of name CloudTrail recorded in account and region, as the AWS CLI reads
// it.
func (e *e2e) sourceIdentities(account, region, name string) []string {
	e.t.Helper()
	var out struct {
		Events []struct {
			EventName       string
			CloudTrailEvent string
		}
	}
	e.cli(account, region, &out, "cloudtrail", "lookup-events", "--lookup-attributes", "AttributeKey=EventName,AttributeValue="+name)
	var who []string
	for _, ev := range out.Events {
		var rec struct {
			UserIdentity struct {
				SessionContext struct {
					SourceIdentity string `json:"sourceIdentity"`
				} `json:"sessionContext"`
			} `json:"userIdentity"`
		}
		if err := json.Unmarshal([]byte(ev.CloudTrailEvent), &rec); err != nil {
			e.t.Fatalf("a CloudTrail event that is not JSON: %v", err)
		}
		who = append(who, rec.UserIdentity.SessionContext.SourceIdentity)
	}
	return who
}

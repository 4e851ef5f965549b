package deployer_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard"
)

// One bot deploys to staging and to production, each in its own account
// and region through its role, and CloudTrail in each account names the
// person who confirmed, and for a rollback the person who clicked.
func TestDeploysInTwoAccountsUnderThePersonsName(t *testing.T) {
	a := newAccounts(t)
	ctx := context.Background()

	staging := a.deploy(shopStaging, "v2", "U0ALICE")
	prod := a.deploy(shopProd, "v2", "U0BOB")

	// Each deployment is in its own account and region, not the other's.
	if got := a.deployments(shopStaging); !slices.Equal(got, []string{staging}) {
		t.Errorf("staging (210987654321, eu-west-1) has deployments %v, want [%s]", got, staging)
	}
	if got := a.deployments(shopProd); !slices.Equal(got, []string{prod}) {
		t.Errorf("production (123456789012, us-east-1) has deployments %v, want [%s]", got, prod)
	}

	for _, c := range []struct {
		env                   switchyard.Environment
		account, region, user string
		role                  string
	}{
		{shopStaging, stagingAccount, "eu-west-1", "U0ALICE", stagingRole},
		{shopProd, prodAccount, "us-east-1", "U0BOB", prodRole},
	} {
		for _, event := range []string{"RegisterTaskDefinition", "CreateDeployment"} {
			recs := a.trail(c.env, event)
			if len(recs) != 1 {
				t.Fatalf("%s: %d %s records, want 1", c.env.Name, len(recs), event)
			}
			r := recs[0]
			sc := r.UserIdentity.SessionContext
			if r.UserIdentity.Type != "AssumedRole" || sc == nil || sc.SourceIdentity != c.user ||
				sc.SessionIssuer.ARN != c.role || r.Recipient != c.account || r.AWSRegion != c.region ||
				!strings.HasSuffix(r.UserIdentity.ARN, "/switchyard-deploy/"+c.user) {
				t.Errorf("%s %s in %s: %+v (session %+v), want %s through %s in %s", c.env.Name, event, c.account,
					r.UserIdentity, sc, c.user, c.role, c.region)
			}
		}
	}

	// Carol clicks Rollback on the staging deployment while it waits to
	// end (blue is kept 30 minutes): the stop is hers.
	a.sim.Advance(5 * time.Minute)
	res, err := a.d.Rollback(ctx, shopStaging, switchyard.Deployment{ID: staging, App: "shop", Env: "staging"},
		switchyard.Actor{User: "U0CAROL", Channel: "C0DEPLOYS"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Kind != switchyard.StoppedWithRollback {
		t.Fatalf("rollback = %+v", res)
	}
	if got := a.sourceIdentities(shopStaging, "StopDeployment"); !slices.Equal(got, []string{"U0CAROL"}) {
		t.Errorf("StopDeployment in staging by %v, want [U0CAROL]", got)
	}
	if got := a.sourceIdentities(shopProd, "StopDeployment"); len(got) != 0 {
		t.Errorf("StopDeployment in production: %v", got)
	}

	// The AWS CLI reads the same history: the person's session name is
	// CloudTrail's Username.
	if _, err := exec.LookPath("aws"); err != nil {
		t.Fatal("the AWS CLI is not on PATH")
	}
	cmd := exec.Command("aws", "cloudtrail", "lookup-events", "--output", "json",
		"--lookup-attributes", "AttributeKey=Username,AttributeValue=U0ALICE")
	cmd.Env = a.sim.Partition(stagingAccount, "eu-west-1").Environ(os.Environ())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("aws cloudtrail lookup-events: %v", err)
	}
	var cli struct {
		Events []struct{ EventName, Username string }
	}
	if err := json.Unmarshal(out, &cli); err != nil {
		t.Fatalf("aws output: %v\n%s", err, out)
	}
	var names []string
	for _, e := range cli.Events {
		names = append(names, e.EventName)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"CreateDeployment", "RegisterTaskDefinition"}) {
		t.Errorf("the CLI finds U0ALICE's calls in staging: %v", names)
	}
}

// Continue and the redeploy that rolls back a finished deployment are the
// clicking person's too.
func TestContinueAndRedeployAreThePersons(t *testing.T) {
	a := newAccounts(t)
	ctx := context.Background()

	// Bob ends staging's termination wait early.
	staging := a.deploy(shopStaging, "v2", "U0ALICE")
	for range 30 {
		st, err := a.d.Describe(ctx, shopStaging, staging)
		if err != nil {
			t.Fatal(err)
		}
		if st.Waiting == switchyard.WaitTermination {
			break
		}
		a.sim.Advance(time.Minute)
	}
	if err := a.d.Continue(ctx, shopStaging, staging, switchyard.WaitTermination, switchyard.Actor{User: "U0BOB"}); err != nil {
		t.Fatal(err)
	}
	if got := a.sourceIdentities(shopStaging, "ContinueDeployment"); !slices.Equal(got, []string{"U0BOB"}) {
		t.Errorf("ContinueDeployment in staging by %v, want [U0BOB]", got)
	}

	// Dave rolls production back after it succeeded: the previous revision
	// is deployed again, in his name, nothing registered.
	p, err := a.d.Plan(ctx, shopProd, "v2", switchyard.PlanOptions{App: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	prod, err := a.d.Start(ctx, p, switchyard.Actor{User: "U0ALICE"})
	if err != nil {
		t.Fatal(err)
	}
	a.finish(shopProd, prod)
	res, err := a.d.Rollback(ctx, shopProd, switchyard.Deployment{ID: prod, App: "shop", Env: "production",
		PreviousTaskDefinition: p.TaskDefinition}, switchyard.Actor{User: "W0DAVE"})
	if err != nil || res.Kind != switchyard.Redeployed {
		t.Fatalf("rollback = %+v, %v", res, err)
	}
	if got := a.sourceIdentities(shopProd, "CreateDeployment"); !slices.Equal(got, []string{"W0DAVE", "U0ALICE"}) {
		t.Errorf("CreateDeployment in production by %v (newest first), want [W0DAVE U0ALICE]", got)
	}
	if got := a.sourceIdentities(shopProd, "RegisterTaskDefinition"); !slices.Equal(got, []string{"U0ALICE"}) {
		t.Errorf("RegisterTaskDefinition in production by %v, want [U0ALICE]", got)
	}
}

// Every session comes from the bot's own credentials, never from another
// session: CloudTrail in the bot's account shows each AssumeRole made by
// its IAM user.
func TestSessionsAreNeverChained(t *testing.T) {
	a := newAccounts(t)
	a.deploy(shopStaging, "v2", "U0ALICE")
	a.deploy(shopProd, "v2", "U0BOB")
	recs := a.trail(shopProd, "AssumeRole")
	if len(recs) < 4 {
		t.Fatalf("%d AssumeRole records in the bot's account, want one per person and role and one per role for reads", len(recs))
	}
	for _, r := range recs {
		if r.UserIdentity.Type != "IAMUser" || r.UserIdentity.ARN != "arn:aws:iam::123456789012:user/switchyard" {
			t.Errorf("AssumeRole of %v by %+v, want the bot's own user", r.RequestParameters["roleSessionName"], r.UserIdentity)
		}
	}
}

// A person's session is asked of STS once per role and app environment
// however many times they act, and reads share one session for nobody.
func TestOneSessionPerPersonAndRole(t *testing.T) {
	a := newAccounts(t)
	for range 3 {
		id := a.deploy(shopStaging, "v2", "U0ALICE")
		a.finish(shopStaging, id)
		id = a.deploy(shopStaging, "v3", "U0ALICE")
		a.finish(shopStaging, id)
	}
	id := a.deploy(shopStaging, "v2", "U0BOB")
	a.finish(shopStaging, id)
	a.sts.mu.Lock()
	defer a.sts.mu.Unlock()
	if a.sts.calls != 3 || a.sts.names["U0ALICE"] != 1 || a.sts.names["U0BOB"] != 1 || a.sts.names["switchyard"] != 1 {
		t.Errorf("AssumeRole calls = %d by session %v; want one for alice, one for bob, one for reads", a.sts.calls, a.sts.names)
	}
}

// Roles AWS will not let the bot assume: each is refused in one sentence
// naming the role and the environment, and nothing is started.
func TestRoleThatCannotBeAssumedIsRefusedInWords(t *testing.T) {
	a := newAccounts(t)
	ctx := context.Background()
	plan, err := a.d.Plan(ctx, shopStaging, "v2", switchyard.PlanOptions{App: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, role, externalID string
	}{
		{"trust policy names another account", "arn:aws:iam::210987654321:role/closed", ""},
		{"no sts:SetSourceIdentity", "arn:aws:iam::210987654321:role/no-source-identity", ""},
		{"wrong external id", stagingRole, "not-shop-staging"},
		{"no external id", stagingRole, ""},
		{"a source identity the bot does not send", "arn:aws:iam::210987654321:role/ops-only", ""},
		{"no such role", "arn:aws:iam::210987654321:role/missing", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := *plan
			p.Env.RoleARN, p.Env.ExternalID = c.role, c.externalID
			_, err := a.d.Start(ctx, &p, switchyard.Actor{User: "U0ALICE", Channel: "C0DEPLOYS"})
			se := errorCode(t, err, switchyard.EFORBIDDEN)
			msg := se.Message
			if !strings.Contains(msg, c.role) || !strings.Contains(msg, "environment staging") ||
				!strings.Contains(msg, "nothing was done") || strings.Count(msg, ". ") > 0 {
				t.Errorf("message %q: want one sentence naming %s and staging, saying nothing was done", msg, c.role)
			}
			leaks := []string{"user/switchyard", "not authorized", "User:"}
			if c.externalID != "" {
				leaks = append(leaks, c.externalID)
			}
			for _, leak := range leaks {
				if strings.Contains(msg, leak) {
					t.Errorf("message %q repeats STS's words or the external id (%q)", msg, leak)
				}
			}
			_, err = a.d.Rollback(ctx, p.Env, switchyard.Deployment{ID: "d-AAAAAAAAA"}, switchyard.Actor{User: "U0ALICE"})
			errorCode(t, err, switchyard.EFORBIDDEN)
			err = a.d.Continue(ctx, p.Env, "d-AAAAAAAAA", switchyard.WaitReady, switchyard.Actor{User: "U0ALICE"})
			errorCode(t, err, switchyard.EFORBIDDEN)
		})
	}
	if got := a.deployments(shopStaging); len(got) != 0 {
		t.Errorf("staging has deployments %v after refusals", got)
	}
	for _, event := range []string{"RegisterTaskDefinition", "CreateDeployment", "StopDeployment", "ContinueDeployment"} {
		if recs := a.trail(shopStaging, event); len(recs) != 0 {
			t.Errorf("%d %s records in staging after refusals", len(recs), event)
		}
	}
	// A refused read says so, too.
	_, err = a.d.Describe(ctx, switchyard.Environment{Name: "qa", RoleARN: "arn:aws:iam::210987654321:role/closed",
		Region: "eu-west-1", Application: "shop", DeploymentGroup: "shop-staging"}, "d-AAAAAAAAA")
	if se := errorCode(t, err, switchyard.EFORBIDDEN); !strings.Contains(se.Message, "environment qa") ||
		!strings.Contains(se.Message, "cannot read it") {
		t.Errorf("read refusal: %q", se.Message)
	}
}

// A role acts only for a Slack user: anything else is refused before STS
// is asked, so nobody passes for the bot's own session.
func TestRoleActsOnlyForASlackUser(t *testing.T) {
	a := newAccounts(t)
	ctx := context.Background()
	for _, user := range []string{"", "switchyard", "alice", "U0ALICE/../x", "U" + strings.Repeat("A", 64)} {
		err := a.d.Continue(ctx, shopStaging, "d-AAAAAAAAA", switchyard.WaitReady, switchyard.Actor{User: user})
		if se := errorCode(t, err, switchyard.EINVALID); !strings.Contains(se.Message, "environment staging") {
			t.Errorf("user %q: %q", user, se.Message)
		}
	}
	if n := a.sts.count(); n != 0 {
		t.Errorf("STS was asked %d times for no Slack user", n)
	}
}

// An environment without a role works as it always did: the bot's own
// credentials, no STS.
func TestEnvironmentWithoutRoleUsesTheBotsCredentials(t *testing.T) {
	a := newAccounts(t)
	env := shopProd
	env.RoleARN = ""
	id := a.deploy(env, "v2", "alice") // any name: no session is made
	if n := a.sts.count(); n != 0 {
		t.Errorf("STS asked %d times", n)
	}
	recs := a.trail(env, "CreateDeployment")
	if len(recs) != 1 || recs[0].UserIdentity.Type != "IAMUser" || recs[0].RequestParameters["deploymentGroupName"] != "shop-prod" {
		t.Errorf("CreateDeployment %s: %+v", id, recs)
	}
}

// Two accounts each have their own shop:1: what the deployer remembers of
// one task definition is never taken for the other's, whichever it read
// first.
func TestSameTaskDefinitionNameInTwoAccounts(t *testing.T) {
	for _, first := range []switchyard.Environment{shopProd, shopStaging} {
		a := newAccounts(t)
		ctx := context.Background()
		if _, err := a.d.Plan(ctx, first, "v2", switchyard.PlanOptions{App: "shop"}); err != nil {
			t.Fatal(err)
		}
		for env, want := range map[string]string{
			shopProd.Name:    "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop:v1",
			shopStaging.Name: "210987654321.dkr.ecr.eu-west-1.amazonaws.com/shop:v1",
		} {
			e := shopProd
			if env == shopStaging.Name {
				e = shopStaging
			}
			vs, err := a.d.Versions(ctx, e)
			if err != nil {
				t.Fatalf("%s first, versions of %s: %v", first.Name, env, err)
			}
			if vs.Running != want || len(vs.Images) == 0 {
				t.Errorf("%s first: %s runs %q with %d images, want %q", first.Name, env, vs.Running, len(vs.Images), want)
			}
		}
	}
}

package deployer_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard"
)

// tillProd is a service of testdata/accounts.yaml that ECS deploys itself,
// reached through the production role.
var tillProd = switchyard.Environment{
	Name: "production", App: "till", Region: "us-east-1", Cluster: "prod", Service: "till", Container: "web", RoleARN: prodRole,
}

// Every write of the ECS backend runs in the session of the person it is
// made for, as CodeDeploy's do: CloudTrail names who registered, updated
// the service, answered the pause and rolled back; the bot's own session
// only reads.
func TestECSWritesAreThePersons(t *testing.T) {
	a := newAccounts(t)
	ctx := context.Background()
	id := a.deploy(tillProd, "v2", "U0ALICE")
	var pause switchyard.PauseHook
	for range 60 {
		st, err := a.d.Describe(ctx, tillProd, id)
		if err != nil {
			t.Fatal(err)
		}
		if st.Waiting == switchyard.WaitPause {
			pause = st.Pause
			break
		}
		a.sim.Advance(5 * time.Second)
	}
	if pause.ID == "" {
		t.Fatal("never paused")
	}
	if err := a.d.ContinueHook(ctx, tillProd, id, pause.ID, switchyard.Actor{User: "U0BOB"}); err != nil {
		t.Fatal(err)
	}
	res, err := a.d.Rollback(ctx, tillProd, switchyard.Deployment{ID: id}, switchyard.Actor{User: "W0DAVE"})
	if err != nil || res.Kind != switchyard.StoppedWithRollback {
		t.Fatalf("rollback %+v, %v", res, err)
	}
	for event, want := range map[string][]string{
		"RegisterTaskDefinition":    {"U0ALICE"},
		"UpdateService":             {"U0ALICE"},
		"ContinueServiceDeployment": {"U0BOB"},
		"StopServiceDeployment":     {"W0DAVE"},
	} {
		if got := a.sourceIdentities(tillProd, event); !slices.Equal(got, want) {
			t.Errorf("%s by %v, want %v", event, got, want)
		}
	}
	for _, r := range a.trail(tillProd, "UpdateService") {
		if r.UserIdentity.Type != "AssumedRole" || r.UserIdentity.SessionContext.SessionIssuer.ARN != prodRole {
			t.Errorf("UpdateService made as %s %s", r.UserIdentity.Type, r.UserIdentity.ARN)
		}
	}
}

// The same family:revision in two accounts is two task definitions: what
// the bot remembers of one never stands for the other.
func TestTaskDefinitionsOfTwoAccountsAreKeptApart(t *testing.T) {
	a := newAccounts(t)
	ctx := context.Background()
	for range 2 {
		staging, err := a.d.Versions(ctx, shopStaging)
		if err != nil {
			t.Fatal(err)
		}
		prod, err := a.d.Versions(ctx, shopProd)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(prod.Running, "123456789012.dkr.ecr.us-east-1") || !strings.HasPrefix(staging.Running, "210987654321.dkr.ecr.eu-west-1") {
			t.Fatalf("production runs %s, staging %s", prod.Running, staging.Running)
		}
	}
}

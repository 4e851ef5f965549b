package awssim

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// deployIn starts a deployment of web v2 in one partition through the Go
// SDK, with that partition's own credentials, and returns its client and
// the deployment ID.
func deployIn(t *testing.T, p *Sim) (*codedeploy.Client, string) {
	t.Helper()
	ctx := context.Background()
	td, err := ecs.NewFromConfig(p.Config()).RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family: aws.String("web"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("web"), Image: aws.String("web:v2"),
			PortMappings: []ecstypes.PortMapping{{ContainerPort: aws.Int32(8080)}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	cd := codedeploy.NewFromConfig(p.Config())
	out, err := cd.CreateDeployment(ctx, &codedeploy.CreateDeploymentInput{ApplicationName: aws.String("web"),
		DeploymentGroupName: aws.String("web-prod"), Revision: contentRevision(appSpecYAML(aws.ToString(td.TaskDefinition.TaskDefinitionArn)))})
	if err != nil {
		t.Fatal(err)
	}
	return cd, aws.ToString(out.DeploymentId)
}

func deploymentInfo(t *testing.T, cd *codedeploy.Client, id string) *cdtypes.DeploymentInfo {
	t.Helper()
	out, err := cd.GetDeployment(context.Background(), &codedeploy.GetDeploymentInput{DeploymentId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	return out.DeploymentInfo
}

func TestAdvancePlaysEveryPartition(t *testing.T) {
	w := oneServiceWorld()
	staging := oneServiceWorld()
	staging.Account, staging.Region = stagingAccount, "eu-west-1"
	w.Accounts = []World{staging}
	sim := New(Options{Start: cdEpoch})
	if err := sim.Seed(w); err != nil {
		t.Fatal(err)
	}
	if err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	stg := sim.Partition(stagingAccount, "eu-west-1")
	if parts := sim.Partitions(); len(parts) != 2 || parts[0] != sim || parts[1] != stg {
		t.Fatalf("Partitions() = %v", parts)
	}
	prodCD, prodID := deployIn(t, sim)
	sim.Advance(7 * time.Second) // the two deployments interleave: staging starts later
	stgCD, stgID := deployIn(t, stg)
	stg.Advance(2 * time.Hour) // any partition's Advance moves them all
	prod, staged := deploymentInfo(t, prodCD, prodID), deploymentInfo(t, stgCD, stgID)
	if prod.Status != cdtypes.DeploymentStatusSucceeded || staged.Status != cdtypes.DeploymentStatusSucceeded {
		t.Fatalf("status: production %s, staging %s", prod.Status, staged.Status)
	}
	if d := aws.ToTime(staged.CompleteTime).Sub(aws.ToTime(prod.CompleteTime)); d != 7*time.Second {
		t.Errorf("staging completed %v after production, want the 7s it started later", d)
	}
	if !sim.Clock().Now().Equal(cdEpoch.Add(7*time.Second + 2*time.Hour)) {
		t.Errorf("clock at %v", sim.Clock().Now())
	}
	// Each partition's events carry its own account and region and exact times.
	for _, c := range []struct {
		p               *Sim
		account, region string
		start           time.Time
	}{{sim, prodAccount, "us-east-1", cdEpoch.Add(time.Second)}, {stg, stagingAccount, "eu-west-1", cdEpoch.Add(8 * time.Second)}} {
		evs := c.p.Events()
		if len(evs) == 0 {
			t.Fatalf("%s has no events", c.account)
		}
		e, _ := decodeEvent(evs[0])
		if e["account"] != c.account || e["region"] != c.region || e["time"] != c.start.Format(time.RFC3339) {
			t.Errorf("first event of %s: %s", c.account, evs[0])
		}
	}
	if _, err := prodCD.GetDeployment(context.Background(), &codedeploy.GetDeploymentInput{DeploymentId: aws.String(stgID)}); err == nil {
		t.Error("production sees staging's deployment")
	}
}

// TestPartitionEnginesRunWithTheClock: at a positive speed each partition,
// also one made after Start, plays its deployments by itself.
func TestPartitionEnginesRunWithTheClock(t *testing.T) {
	sim := New(Options{Start: cdEpoch, Speed: 3600})
	if err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	stg := sim.Partition(stagingAccount, "eu-west-1")
	if err := stg.Seed(oneServiceWorld()); err != nil {
		t.Fatal(err)
	}
	cd, id := deployIn(t, stg)
	waitFor(t, "the staging deployment to succeed", func() bool {
		return deploymentInfo(t, cd, id).Status == cdtypes.DeploymentStatusSucceeded
	})
}

func TestSeedAccountsAndRoles(t *testing.T) {
	for _, c := range []struct{ name, yaml, err string }{
		{"nested accounts", "accounts:\n  - {account: \"210987654321\", region: eu-west-1, accounts: [{account: \"333333333333\", region: us-east-1}]}\n", "lists accounts of its own"},
		{"account not 12 digits", "accounts:\n  - {account: \"21098\", region: eu-west-1}\n", "a 12-digit account and a region are needed"},
		{"no region", "accounts:\n  - {account: \"210987654321\"}\n", "a 12-digit account and a region are needed"},
		{"role without trust", "roles:\n  - {name: deploy}\n", "role deploy: trust policy: missing"},
		{"trust not JSON", "roles:\n  - {name: deploy, trustPolicy: '{nope'}\n", "role deploy: trust policy"},
		{"trust not for STS", "roles:\n  - name: deploy\n    trustPolicy: {Statement: [{Effect: Allow, Principal: '*', Action: 's3:GetObject'}]}\n", "is not an sts action"},
		{"session too long", "roles:\n  - {name: deploy, maxSessionDuration: 50000, trustPolicy: {Statement: {Effect: Allow, Principal: '*', Action: 'sts:AssumeRole'}}}\n", "not between 3600 and 43200"},
		{"bad role name", "roles:\n  - {name: 'a b', trustPolicy: {Statement: {Effect: Allow, Principal: '*', Action: 'sts:AssumeRole'}}}\n", "a name of 1 to 64 characters"},
		{"service clash in another account", "accounts:\n  - account: \"210987654321\"\n    region: eu-west-1\n    clusters: [{name: c, services: [{name: s}]}]\n", "(in account 210987654321, region eu-west-1)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			w, err := LoadWorld([]byte(c.yaml))
			if err != nil {
				t.Fatal(err)
			}
			err = New(Options{}).Seed(w)
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("Seed error %v, want it to contain %q", err, c.err)
			}
		})
	}
	if _, err := LoadWorld([]byte("accounts:\n  - {account: \"210987654321\", region: eu-west-1, clusterz: []}\n")); err == nil {
		t.Error("a misspelled key inside accounts was accepted")
	}

	sim := New(Options{})
	arn, err := sim.Partition(stagingAccount, "eu-west-1").PutRole(RoleSeed{Name: "deploy", Path: "/ci/",
		TrustPolicy: `{"Statement":{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"}}`})
	if err != nil || arn != "arn:aws:iam::210987654321:role/ci/deploy" {
		t.Errorf("PutRole = %s, %v", arn, err)
	}
}

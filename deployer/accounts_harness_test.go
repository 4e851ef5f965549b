package deployer_test

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/deployer"
	"github.com/switchyard/switchyard/internal/awssim"
)

const (
	prodAccount    = "123456789012"
	stagingAccount = "210987654321"
	prodRole       = "arn:aws:iam::123456789012:role/switchyard-deploy"
	stagingRole    = "arn:aws:iam::210987654321:role/switchyard-deploy"
)

// The environments of testdata/accounts.yaml: one app, shop, in two
// accounts and regions, each through its role.
var (
	shopProd = switchyard.Environment{
		Name: "production", App: "shop", Region: "us-east-1", Cluster: "prod", Service: "shop", Container: "web",
		Application: "shop", DeploymentGroup: "shop-prod", RoleARN: prodRole,
	}
	shopStaging = switchyard.Environment{
		Name: "staging", App: "shop", Region: "eu-west-1", Cluster: "staging", Service: "shop", Container: "web",
		Application: "shop", DeploymentGroup: "shop-staging", RoleARN: stagingRole, ExternalID: "shop-staging",
	}
)

// accounts is a simulator of two accounts and a deployer that reaches both
// through roles, with the bot's own key (the user switchyard of
// 123456789012), counting what it asks of STS.
type accounts struct {
	t   testing.TB
	sim *awssim.Sim
	sts *countingSTS
	d   *deployer.Deployer
}

func newAccounts(t testing.TB) *accounts {
	t.Helper()
	sim, transport := startWorld(t, "deployer/testdata/accounts.yaml")
	cfg := sim.Config()
	cfg.HTTPClient = &http.Client{Transport: transport}

	counter := &countingSTS{next: sts.NewFromConfig(cfg), names: map[string]int{}}
	var log *zap.Logger
	if tt, ok := t.(*testing.T); ok {
		log = zaptest.NewLogger(tt, zaptest.Level(zap.WarnLevel))
	}
	sessions := deployer.NewSessions(cfg, deployer.SessionOptions{STS: counter})
	return &accounts{t: t, sim: sim, sts: counter,
		d: deployer.NewFromConfig(cfg, log, deployer.Options{Now: sim.Clock().Now, Sessions: sessions})}
}

// countingSTS passes AssumeRole on and counts the calls, per session name.
type countingSTS struct {
	next *sts.Client

	mu    sync.Mutex
	calls int
	names map[string]int
}

func (c *countingSTS) AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, opts ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	c.mu.Lock()
	c.calls++
	c.names[aws.ToString(in.RoleSessionName)]++
	c.mu.Unlock()
	return c.next.AssumeRole(ctx, in, opts...)
}

func (c *countingSTS) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls
}

// partition is the simulator's partition of an environment.
func (a *accounts) partition(env switchyard.Environment) *awssim.Sim {
	if env.RoleARN == stagingRole {
		return a.sim.Partition(stagingAccount, env.Region)
	}
	return a.sim
}

// deploy plans version of env as the bot and starts it for user.
func (a *accounts) deploy(env switchyard.Environment, version, user string) string {
	a.t.Helper()
	ctx := context.Background()
	p, err := a.d.Plan(ctx, env, version, switchyard.PlanOptions{App: env.App})
	if err != nil {
		a.t.Fatalf("plan %s %s: %v", env.Name, version, err)
	}
	id, err := a.d.Start(ctx, p, switchyard.Actor{User: user, Channel: "C0DEPLOYS", Team: "T0SHOP"})
	if err != nil {
		a.t.Fatalf("start %s %s for %s: %v", env.Name, version, user, err)
	}
	return id
}

// record is the part of a CloudTrail record the tests read.
type record struct {
	EventName    string `json:"eventName"`
	AWSRegion    string `json:"awsRegion"`
	Recipient    string `json:"recipientAccountId"`
	UserIdentity struct {
		Type           string `json:"type"`
		ARN            string `json:"arn"`
		AccountID      string `json:"accountId"`
		SessionContext *struct {
			SourceIdentity string `json:"sourceIdentity"`
			SessionIssuer  struct {
				ARN string `json:"arn"`
			} `json:"sessionIssuer"`
		} `json:"sessionContext"`
	} `json:"userIdentity"`
	RequestParameters map[string]any `json:"requestParameters"`
}

// trail reads, with LookupEvents through the real SDK client, the records
// of an event name in env's account and region.
func (a *accounts) trail(env switchyard.Environment, event string) []record {
	a.t.Helper()
	ct := cloudtrail.NewFromConfig(a.partition(env).Config())
	out, err := ct.LookupEvents(context.Background(), &cloudtrail.LookupEventsInput{
		LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String(event)}},
	})
	if err != nil {
		a.t.Fatalf("lookup %s in %s: %v", event, env.Name, err)
	}
	var recs []record
	for _, e := range out.Events {
		var r record
		if err := json.Unmarshal([]byte(aws.ToString(e.CloudTrailEvent)), &r); err != nil {
			a.t.Fatalf("record of %s: %v", event, err)
		}
		recs = append(recs, r)
	}
	return recs
}

// sourceIdentities lists, newest first, the source identities of the
// records of event in env.
func (a *accounts) sourceIdentities(env switchyard.Environment, event string) []string {
	var out []string
	for _, r := range a.trail(env, event) {
		si := ""
		if r.UserIdentity.SessionContext != nil {
			si = r.UserIdentity.SessionContext.SourceIdentity
		}
		out = append(out, si)
	}
	return out
}

// deployments lists the deployments of env's group, as its account sees.
func (a *accounts) deployments(env switchyard.Environment) []string {
	a.t.Helper()
	cd := codedeploy.NewFromConfig(a.partition(env).Config())
	out, err := cd.ListDeployments(context.Background(), &codedeploy.ListDeploymentsInput{
		ApplicationName: aws.String(env.Application), DeploymentGroupName: aws.String(env.DeploymentGroup),
	})
	if err != nil {
		a.t.Fatalf("list deployments of %s: %v", env.Name, err)
	}
	return out.Deployments
}

// finish plays deployment id of env to its end.
func (a *accounts) finish(env switchyard.Environment, id string) {
	a.t.Helper()
	for range 120 {
		st, err := a.d.Describe(context.Background(), env, id)
		if err != nil {
			a.t.Fatalf("describe %s: %v", id, err)
		}
		if st.Status.Done() {
			return
		}
		a.sim.Advance(time.Minute)
	}
	a.t.Fatalf("deployment %s of %s never ended", id, env.Name)
}

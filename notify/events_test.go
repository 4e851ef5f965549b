package notify

import (
	"strings"
	"testing"

	"github.com/switchyard/switchyard/internal/config"
)

// The same CodeDeploy application and group names in three accounts (the
// usual shape: dev in the bot's own account, staging and production in one
// account each): an event goes to the environment of the account and region
// it came from, whatever the order of the names, and an event from a
// region or a role's account no environment there names goes nowhere.
func TestEventsFindTheirEnvironmentByAccountAndRegion(t *testing.T) {
	cfg, err := config.Parse("switchyard.yaml", []byte(`
region: us-east-1
apps:
  - name: myapp
    channels: [C0DEPLOYS]
    access: {deploy: [U0ALICE]}
    environments:
      - name: dev
        cluster: main
        service: myapp
        container: web
        codedeploy: {application: myapp, deployment_group: myapp}
      - name: staging
        region: eu-west-1
        role_arn: arn:aws:iam::111111111111:role/switchyard-deploy
        cluster: main
        service: myapp
        container: web
        codedeploy: {application: myapp, deployment_group: myapp}
      - name: production
        role_arn: arn:aws:iam::222222222222:role/switchyard-deploy
        cluster: main
        service: myapp
        container: web
        codedeploy: {application: myapp, deployment_group: myapp}
`))
	if err != nil {
		t.Fatal(err)
	}
	n := &Notifier{cfg: cfg}
	event := func(account, region string) string {
		return `{"version":"0","id":"e1","detail-type":"CodeDeploy Deployment State-change Notification","source":"aws.codedeploy",` +
			`"account":"` + account + `","time":"2026-12-07T09:00:00Z","region":"` + region + `","resources":[],` +
			`"detail":{"region":"` + region + `","deploymentId":"d-ABCDEFGHI","instanceGroupId":"x","deploymentGroup":"myapp","state":"START","application":"myapp"}}`
	}
	for _, c := range []struct {
		account, region, want string
	}{
		{"111111111111", "eu-west-1", "staging"},
		{"222222222222", "us-east-1", "production"},
		{"222222222222", "eu-west-1", ""},
		// dev has no role: it is in the bot's own account, which is
		// neither staging's nor production's.
		{"333333333333", "us-east-1", "dev"},
		{"111111111111", "us-east-1", ""},
	} {
		ref, ok, err := parseEvent(event(c.account, c.region))
		if !ok || err != nil {
			t.Fatalf("%s/%s: not read: %v", c.account, c.region, err)
		}
		app, env, found := n.groupEnv(ref)
		if got := env.Name; got != c.want || found != (c.want != "") || (found && app != "myapp") {
			t.Errorf("an event from %s in %s went to %q %q (%v), want %q", c.account, c.region, app, got, found, c.want)
		}
	}
	if _, ok, err := parseEvent(strings.Replace(event("222222222222", "us-east-1"), `"account":"222222222222"`, `"account":"<!here>"`, 1)); ok || err == nil {
		t.Error("an event whose account is not an account ID was read")
	}
}

package notify

import (
	"strings"
	"testing"

	"github.com/switchyard/switchyard/internal/config"
)

// The same CodeDeploy application and group names in three accounts (the
// usual shape: dev in the bot's own account, staging and production in one
// account each, and ops through a role in the bot's own account): an event
// goes to the environment of the account and region it came from, whatever
// the order of the names, and one from where no environment is goes
// nowhere.
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
      - name: ops
        role_arn: arn:aws:iam::333333333333:role/switchyard-deploy
        cluster: main
        service: myapp-ops
        container: web
        codedeploy: {application: myapp, deployment_group: myapp-ops}
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
	event := func(account, region, group string) string {
		return `{"version":"0","id":"e1","detail-type":"CodeDeploy Deployment State-change Notification","source":"aws.codedeploy",` +
			`"account":"` + account + `","time":"2026-12-07T09:00:00Z","region":"` + region + `","resources":[],` +
			`"detail":{"region":"` + region + `","deploymentId":"d-ABCDEFGHI","instanceGroupId":"x","deploymentGroup":"` + group + `","state":"START","application":"myapp"}}`
	}
	for _, c := range []struct {
		own                          string // the bot's own account, "" unknown
		account, region, group, want string
	}{
		{"333333333333", "111111111111", "eu-west-1", "myapp", "staging"},
		{"333333333333", "222222222222", "us-east-1", "myapp", "production"},
		{"333333333333", "222222222222", "eu-west-1", "myapp", ""},
		// dev has no role: it is in the bot's own account.
		{"333333333333", "333333333333", "us-east-1", "myapp", "dev"},
		{"333333333333", "111111111111", "us-east-1", "myapp", ""},
		{"333333333333", "444444444444", "us-east-1", "myapp", ""},
		// ops has a role in the bot's own account, beside dev.
		{"333333333333", "333333333333", "us-east-1", "myapp-ops", "ops"},
		// Not knowing its own account, the bot gives dev what no role's
		// environment claims.
		{"", "222222222222", "us-east-1", "myapp", "production"},
		{"", "444444444444", "us-east-1", "myapp", "dev"},
		{"", "111111111111", "us-east-1", "myapp", "dev"},
	} {
		n := &Notifier{cfg: cfg, opts: Options{Account: c.own}}
		ref, ok, err := parseEvent(event(c.account, c.region, c.group))
		if !ok || err != nil {
			t.Fatalf("%s/%s: not read: %v", c.account, c.region, err)
		}
		app, env, found := n.groupEnv(ref)
		if got := env.Name; got != c.want || found != (c.want != "") || (found && app != "myapp") {
			t.Errorf("own account %q: an event from %s in %s for %s went to %q %q (%v), want %q", c.own, c.account, c.region, c.group, app, got, found, c.want)
		}
	}
	if _, ok, err := parseEvent(strings.Replace(event("222222222222", "us-east-1", "myapp"), `"account":"222222222222"`, `"account":"<!here>"`, 1)); ok || err == nil {
		t.Error("an event whose account is not an account ID was read")
	}
}

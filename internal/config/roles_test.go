package config

import (
	"strings"
	"testing"
	"time"
)

// twoAccounts is valid with an app-level role, one environment that names
// its own, and one in the bot's own account with none.
const twoAccounts = `region: us-east-1
role_session_duration: 2h
events:
  forward_role: events-to-bot
apps:
  - name: shop
    channels: [C0DEPLOYS1]
    role_arn: arn:aws:iam::123456789012:role/switchyard-deploy
    external_id: shop-prod
    access:
      deploy: [U0ALICE001]
    environments:
      - name: production
        cluster: prod
        service: shop
        container: web
        codedeploy: {application: shop, deployment_group: shop-prod}
      - name: staging
        region: eu-west-1
        role_arn: arn:aws:iam::210987654321:role/path/switchyard-deploy
        cluster: arn:aws:ecs:eu-west-1:210987654321:cluster/staging
        service: shop
        container: web
        codedeploy: {application: shop, deployment_group: shop-staging}
  - name: tools
    channels: [C0DEPLOYS1]
    access:
      deploy: [U0ALICE001]
    environments:
      - name: production
        cluster: prod
        service: tools
        container: web
        codedeploy: {application: tools, deployment_group: tools-prod}
`

func TestRolesPerEnvironmentAndApp(t *testing.T) {
	c, err := Parse("s.yaml", []byte(twoAccounts))
	if err != nil {
		t.Fatal(err)
	}
	if c.RoleSessionDuration != 2*time.Hour || c.Events.ForwardRole != "events-to-bot" {
		t.Errorf("globals: %v, %q", c.RoleSessionDuration, c.Events.ForwardRole)
	}
	shop, _ := c.Lookup("shop")
	prod, staging := shop.Environments["production"], shop.Environments["staging"]
	if prod.RoleARN != "arn:aws:iam::123456789012:role/switchyard-deploy" || prod.ExternalID != "shop-prod" || prod.App != "shop" {
		t.Errorf("production takes the app's role: %+v", prod)
	}
	// An environment's own role comes without the app's external ID.
	if staging.RoleARN != "arn:aws:iam::210987654321:role/path/switchyard-deploy" || staging.ExternalID != "" {
		t.Errorf("staging: %q %q", staging.RoleARN, staging.ExternalID)
	}
	if RoleAccount(staging.RoleARN) != "210987654321" || RoleAccount("arn:aws:iam::2109:role/x") != "" {
		t.Errorf("account %q", RoleAccount(staging.RoleARN))
	}
	tools, _ := c.Lookup("tools")
	if e := tools.Environments["production"]; e.RoleARN != "" || e.App != "tools" {
		t.Errorf("tools has no role: %+v", e)
	}

	d, err := Parse("s.yaml", []byte(valid))
	if err != nil {
		t.Fatal(err)
	}
	if d.RoleSessionDuration != time.Hour || d.Events.ForwardRole != DefaultForwardRole {
		t.Errorf("defaults: %v, %q", d.RoleSessionDuration, d.Events.ForwardRole)
	}
}

func TestRoleRefusals(t *testing.T) {
	for _, c := range []struct{ name, old, new, want string }{
		{"not a role ARN", "role_arn: arn:aws:iam::210987654321:role/path/switchyard-deploy",
			"role_arn: arn:aws:iam::210987654321:user/alice",
			`s.yaml:20: role_arn "arn:aws:iam::210987654321:user/alice" in environment "staging" of app "shop" is not an IAM role ARN`},
		{"short account", "role_arn: arn:aws:iam::123456789012:role/switchyard-deploy",
			"role_arn: arn:aws:iam::1234:role/switchyard-deploy", `s.yaml:8: role_arn "arn:aws:iam::1234:role/switchyard-deploy" in app "shop"`},
		{"external id too short", "external_id: shop-prod", "external_id: x",
			`s.yaml:9: external_id in app "shop" must be 2 to 1224 letters, digits or +=,.@:/-`},
		{"external id with a space", "external_id: shop-prod", `external_id: "shop prod"`, `external_id in app "shop" must be`},
		{"external id without a role", "    role_arn: arn:aws:iam::123456789012:role/switchyard-deploy\n", "",
			`s.yaml:8: app "shop" has an external_id but no role_arn to go with it`},
		{"cluster in another account", "cluster: arn:aws:ecs:eu-west-1:210987654321:cluster/staging",
			"cluster: arn:aws:ecs:eu-west-1:999999999999:cluster/staging",
			`the cluster arn:aws:ecs:eu-west-1:999999999999:cluster/staging is in account 999999999999 but role_arn is in account 210987654321`},
		{"session too long", "role_session_duration: 2h", "role_session_duration: 13h", `s.yaml:2: role_session_duration must be from 15m to 12h`},
		{"session too short", "role_session_duration: 2h", "role_session_duration: 5m", `role_session_duration must be from 15m to 12h`},
		{"forward role", "forward_role: events-to-bot", "forward_role: events/to/bot", `s.yaml:4: forward_role "events/to/bot" is not an IAM role name`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(twoAccounts, c.old) {
				t.Fatalf("the case's line %q is not in the file", c.old)
			}
			_, err := Parse("s.yaml", []byte(strings.Replace(twoAccounts, c.old, c.new, 1)))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v\nwant %q", err, c.want)
			}
		})
	}
}

package setup

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

// The rules, wherever they are: in the bot's own account they send to the
// queue, elsewhere they forward to the bot's event bus. Both have the same
// names, so that one policy names them everywhere.

// rule is one EventBridge rule setup wants.
type rule struct {
	name    string
	pattern map[string]any
}

// wantedRules lists the rules that match the deployments of envs:
// CodeDeploy state changes of their applications, and ECS's own events of
// their services (named by ARN, so only where the account is known):
// service actions and deployment state changes, whose resources name the
// service, and hook state changes, whose resources name the service
// deployment (matched by the prefix of its ARN).
func (r *run) wantedRules(envs []envAt) []rule {
	var apps, services, deployments []string
	for _, e := range envs {
		if e.env.Application != "" {
			apps = append(apps, e.env.Application)
		}
		if e.account != "" {
			cluster := lastSegment(e.env.Cluster)
			services = append(services, fmt.Sprintf("arn:aws:ecs:%s:%s:service/%s/%s", e.env.Region, e.account, cluster, e.env.Service))
			deployments = append(deployments, fmt.Sprintf("arn:aws:ecs:%s:%s:service-deployment/%s/%s/", e.env.Region, e.account, cluster, e.env.Service))
		}
	}
	apps, services, deployments = uniqueSorted(apps), uniqueSorted(services), uniqueSorted(deployments)
	var rules []rule
	if len(apps) > 0 {
		rules = append(rules, rule{
			name: r.cfg.Events.Rule,
			pattern: map[string]any{
				"source":      []any{"aws.codedeploy"},
				"detail-type": []any{"CodeDeploy Deployment State-change Notification"},
				"detail":      map[string]any{"application": toAny(apps)},
			},
		})
	}
	if len(services) > 0 {
		resources := toAny(services)
		for _, d := range deployments {
			resources = append(resources, map[string]any{"prefix": d})
		}
		rules = append(rules, rule{
			name: r.cfg.Events.Rule + "-ecs",
			pattern: map[string]any{
				"source":      []any{"aws.ecs"},
				"detail-type": []any{"ECS Service Action", "ECS Deployment State Change", "ECS Hook State Change"},
				"resources":   resources,
			},
		})
	}
	return rules
}

// where is an account and region with the client that acts there.
type where struct {
	account, region string
	eb              Rules
	// what the rules are for, in their description
	purpose string
}

// ensureRules makes the rules in w as wanted and returns their ARNs.
func (r *run) ensureRules(ctx context.Context, w where, wanted []rule) ([]string, error) {
	var arns []string
	for _, want := range wanted {
		body, _ := json.Marshal(want.pattern)
		arn := fmt.Sprintf("arn:aws:events:%s:%s:rule/%s", w.region, w.account, want.name)
		got, err := w.eb.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String(want.name)})
		outcome := Found
		detail := ""
		switch {
		case err != nil && !isCode(err, "ResourceNotFoundException"):
			return nil, explain(err, "look up the EventBridge rule "+want.name+" in "+w.account+" "+w.region)
		case err != nil:
			outcome, detail = Created, "matching "+summary(want.pattern)
		default:
			arn = aws.ToString(got.Arn)
			var have map[string]any
			_ = json.Unmarshal([]byte(aws.ToString(got.EventPattern)), &have)
			switch {
			case !reflect.DeepEqual(have, normalise(want.pattern)):
				outcome, detail = Changed, "its event pattern was stale; now matching "+summary(want.pattern)
			case got.State != ebtypes.RuleStateEnabled:
				outcome, detail = Changed, "it was "+string(got.State)+"; now ENABLED"
			}
		}
		if outcome != Found && !r.dry {
			out, err := w.eb.PutRule(ctx, &eventbridge.PutRuleInput{
				Name:         aws.String(want.name),
				EventPattern: aws.String(string(body)),
				State:        ebtypes.RuleStateEnabled,
				Description:  aws.String("Switchyard: deployment state changes " + w.purpose),
			})
			if err != nil {
				return nil, explain(err, "write the EventBridge rule "+want.name+" in "+w.account+" "+w.region)
			}
			arn = aws.ToString(out.RuleArn)
		}
		arns = append(arns, arn)
		r.report(w.account, w.region, "rule", want.name, outcome, detail)
	}
	return arns, nil
}

// ensureTargets makes target the target of each rule in w; label names
// the target in the report ("queue", "bot's bus").
func (r *run) ensureTargets(ctx context.Context, w where, wanted []rule, target ebtypes.Target, label string) error {
	for _, want := range wanted {
		var have []ebtypes.Target
		out, err := w.eb.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String(want.name)})
		if err != nil && !isCode(err, "ResourceNotFoundException") {
			return explain(err, "list the targets of the EventBridge rule "+want.name+" in "+w.account+" "+w.region)
		}
		if out != nil {
			have = out.Targets
		}
		outcome, detail := Created, ""
		for _, t := range have {
			if aws.ToString(t.Id) != aws.ToString(target.Id) {
				continue
			}
			outcome, detail = Changed, "it sent to "+describeTarget(t)+"; now to "+describeTarget(target)
			if aws.ToString(t.Arn) == aws.ToString(target.Arn) && aws.ToString(t.RoleArn) == aws.ToString(target.RoleArn) &&
				t.Input == nil && t.InputPath == nil && t.InputTransformer == nil {
				outcome, detail = Found, ""
			}
		}
		if outcome != Found && !r.dry {
			out, err := w.eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(want.name), Targets: []ebtypes.Target{target}})
			if err != nil {
				return explain(err, "add the "+label+" as a target of the rule "+want.name+" in "+w.account+" "+w.region)
			}
			if out.FailedEntryCount > 0 && len(out.FailedEntries) > 0 {
				f := out.FailedEntries[0]
				return fmt.Errorf("EventBridge refused the %s as a target of %s in %s %s: %s (%s)", label, want.name, w.account, w.region,
					aws.ToString(f.ErrorMessage), aws.ToString(f.ErrorCode))
			}
		}
		r.report(w.account, w.region, "target", want.name+" → "+label, outcome, detail)
	}
	return nil
}

// describeTarget says where a target sends events, for the report.
func describeTarget(t ebtypes.Target) string {
	out := aws.ToString(t.Arn)
	if t.RoleArn != nil {
		out += " as " + aws.ToString(t.RoleArn)
	}
	if t.Input != nil || t.InputPath != nil || t.InputTransformer != nil {
		out += ", rewritten"
	}
	return out
}

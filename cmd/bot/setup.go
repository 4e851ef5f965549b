package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/switchyard/switchyard/deployer"
	"github.com/switchyard/switchyard/internal/setup"
)

func runSetup(ctx context.Context, args []string, e env) error {
	fs := newFlags("setup", "Creates or verifies the event path that carries CodeDeploy and ECS state changes to the bot:\n"+
		"in the bot's own account and events region the SQS queue, its policy, the EventBridge rules, their\n"+
		"targets and the event bus policy; in every other account and region the config names, reached\n"+
		"through the environment's role, rules forwarding those events to the bot's bus. Safe to run again:\n"+
		"it changes only what differs, and says per account and region what it created, found or changed.\n"+
		"AWS credentials come from the default chain; AWS_ENDPOINT_URL points it at another endpoint.", e)
	cfgPath := fs.String("config", "switchyard.yaml", "path of the configuration file")
	dry := fs.Bool("dry-run", false, "print the plan and change nothing")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath, e.getenv)
	if err != nil {
		return err
	}
	if cfg.Events.Region == "" {
		return usagef("%s names no region: set region or events.region", *cfgPath)
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(cfg.Events.Region))
	if err != nil {
		return fmt.Errorf("load AWS credentials: %w", err)
	}
	// Who setup is: the account of these credentials is the bot's own, where
	// the queue goes. GetCallerIdentity needs no permission.
	who, err := sts.NewFromConfig(awsCfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return fmt.Errorf("AWS did not accept these credentials (sts:GetCallerIdentity): %w", err)
	}
	fmt.Fprintf(e.stdout, "setting up as %s, account %s, events in %s\n", aws.ToString(who.Arn), aws.ToString(who.Account), cfg.Events.Region)

	sessions := deployer.NewSessions(awsCfg, deployer.SessionOptions{Duration: cfg.RoleSessionDuration})
	steps, err := setup.Run(ctx, cfg, eventbridge.NewFromConfig(awsCfg), sqs.NewFromConfig(awsCfg), setup.Options{
		DryRun:  *dry,
		Account: aws.ToString(who.Account),
		Reach:   setup.RoleReach(awsCfg, sessions),
	})
	for _, s := range steps {
		fmt.Fprintln(e.stdout, s)
	}
	if err != nil {
		return err
	}
	if *dry {
		fmt.Fprintln(e.stdout, "dry run: nothing was changed")
	} else {
		fmt.Fprintf(e.stdout, "event path ready: %s → %s%s\n", cfg.Events.Rule, cfg.Events.Queue, forwardedFrom(steps, aws.ToString(who.Account), cfg.Events.Region))
	}
	return nil
}

// forwardedFrom names the other accounts and regions in steps.
func forwardedFrom(steps []setup.Step, account, region string) string {
	var places []string
	for _, s := range steps {
		if p := s.Account + " " + s.Region; (s.Account != account || s.Region != region) && !slices.Contains(places, p) {
			places = append(places, p)
		}
	}
	if len(places) == 0 {
		return ""
	}
	return ", with events forwarded from " + strings.Join(places, ", ")
}

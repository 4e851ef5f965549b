package main

import (
	"context"
	"fmt"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/switchyard/switchyard/internal/setup"
)

func runSetup(ctx context.Context, args []string, e env) error {
	fs := newFlags("setup", "Creates or verifies the SQS queue, its policy, the EventBridge rules and their targets\n"+
		"that carry CodeDeploy state changes to the bot. Safe to run again: it changes only what differs.\n"+
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
	steps, err := setup.Run(ctx, cfg, eventbridge.NewFromConfig(awsCfg), sqs.NewFromConfig(awsCfg), setup.Options{DryRun: *dry})
	for _, s := range steps {
		fmt.Fprintln(e.stdout, s)
	}
	if err != nil {
		return err
	}
	if *dry {
		fmt.Fprintln(e.stdout, "dry run: nothing was changed")
	} else {
		fmt.Fprintf(e.stdout, "event path ready: %s → %s\n", cfg.Events.Rule, cfg.Events.Queue)
	}
	return nil
}

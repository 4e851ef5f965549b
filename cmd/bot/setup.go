package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/switchyard/switchyard/deployer"
	"github.com/switchyard/switchyard/internal/setup"
)

func runSetup(ctx context.Context, args []string, e env) error {
	fs := newFlags("setup", "Creates or verifies the event path that carries CodeDeploy and ECS state changes to the bot:\n"+
		"in the bot's own account and events region the SQS queue, its policy, the EventBridge rules, their\n"+
		"targets and the event bus policy; in every other account and region the config names, reached\n"+
		"through the environment's role, rules forwarding those events to the bot's bus. Safe to run again:\n"+
		"it changes only what differs, and says per account and region what it created, found or changed,\n"+
		"with a warning for each environment whose events will not arrive (then it exits 1).\n"+
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
		return stsError(err)
	}
	fmt.Fprintf(e.stdout, "Setting up as %s, in account %s; events arrive in %s.\n\n", aws.ToString(who.Arn), aws.ToString(who.Account), cfg.Events.Region)

	sessions := deployer.NewSessions(awsCfg, deployer.SessionOptions{Duration: cfg.RoleSessionDuration})
	rep, err := setup.Run(ctx, cfg, eventbridge.NewFromConfig(awsCfg), sqs.NewFromConfig(awsCfg), setup.Options{
		DryRun:  *dry,
		Account: aws.ToString(who.Account),
		Reach:   setup.RoleReach(awsCfg, sessions),
	})
	rep.Write(e.stdout)
	fmt.Fprintln(e.stdout)
	if na, ok := errors.AsType[*setup.NotArrivingError](err); ok {
		// The warnings above said why and what to do; the causes again
		// would only repeat them.
		fmt.Fprintln(e.stdout, outcome(rep, cfg.Events.Queue))
		return fmt.Errorf("the events of %s will not arrive yet: the warnings above say why and what to do", andList(na.Environments))
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, outcome(rep, cfg.Events.Queue))
	return nil
}

// outcome is setup's last line: what it changed, or would change, and
// whose events reach the queue.
func outcome(rep setup.Report, queue string) string {
	n := rep.Changes()
	changes := fmt.Sprintf("%d changes", n)
	if n == 1 {
		changes = "1 change"
	}
	if rep.DryRun {
		if n == 0 {
			return "Dry run: nothing was changed, and nothing needs to be."
		}
		return "Dry run: nothing was changed. " + changes + " to make: run bot setup without -dry-run to make them."
	}
	var missing []string
	for _, w := range rep.Warnings {
		missing = append(missing, w.App+" "+w.Env)
	}
	arrive := slices.DeleteFunc(slices.Clone(rep.Home), func(e string) bool { return slices.Contains(missing, e) })
	for _, p := range rep.Places {
		arrive = append(arrive, slices.DeleteFunc(p.Environments(), func(e string) bool { return slices.Contains(missing, e) })...)
	}
	done := "Nothing to change"
	if n > 0 {
		done = "Done, " + changes
	}
	if len(arrive) == 0 {
		return done + "; no environment's events reach the queue " + queue + "."
	}
	return done + ": the events of " + andList(arrive) + " reach the queue " + queue + "."
}

// andList joins "a", "a and b", "a, b and c".
func andList(ss []string) string {
	if len(ss) < 2 {
		return strings.Join(ss, "")
	}
	return strings.Join(ss[:len(ss)-1], ", ") + " and " + ss[len(ss)-1]
}

// stsError says why setup could not learn who it is: AWS answered and
// refused the credentials, there were none to send, or AWS could not be
// reached at all, which no credential fixes.
func stsError(err error) error {
	var apiErr smithy.APIError
	switch {
	case errors.As(err, &apiErr):
		return fmt.Errorf("AWS did not accept these credentials (sts:GetCallerIdentity): %w", err)
	case strings.Contains(err.Error(), "get credentials") || strings.Contains(err.Error(), "retrieve credentials"):
		return fmt.Errorf("found no AWS credentials: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run where a role provides them: %w", err)
	default:
		return fmt.Errorf("could not reach AWS to learn this account (sts:GetCallerIdentity); check the network and AWS_ENDPOINT_URL: %w", err)
	}
}

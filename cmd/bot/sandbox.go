package main

import (
	"context"
	"fmt"

	"go.uber.org/zap"

	"github.com/switchyard/switchyard/internal/sandbox"
)

func runSandbox(ctx context.Context, args []string, e env) error {
	fs := newFlags("sandbox", "Runs the bot with the AWS and Slack simulators, a store in a temporary directory and a\n"+
		"browser console, all in this process. No AWS account or Slack workspace needed.", e)
	addr := fs.String("addr", "127.0.0.1:8080", "console, Slack Web API (/api/) and control API (/_sim/)")
	awsAddr := fs.String("aws-addr", "127.0.0.1:4566", "AWS simulator endpoint, for any AWS client (aws --endpoint-url)")
	speed := fs.Float64("speed", sandbox.DefaultSpeed, "simulated seconds per real second")
	logLevel := fs.String("log-level", "warn", "debug, info, warn or error")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *speed <= 0 {
		return usagef("-speed must be above 0 (simulated seconds per real second)")
	}
	log, err := newLogger("console", *logLevel, e)
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()
	sb, err := sandbox.Start(sandbox.Options{Addr: *addr, AWSAddr: *awsAddr, Speed: *speed, Log: log})
	if err != nil {
		return fmt.Errorf("start the sandbox: %w", err)
	}
	defer sb.Close()
	if err := sb.StartBot(ctx, sandbox.BotOptions{}); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "sandbox ready: console %s slack-api %s aws %s\n", sb.URL(), sb.Slack.URL(), sb.AWS.URL())
	fmt.Fprintf(e.stdout, "open the console, pick alice and type: /deploy myapp v1.4   (Ctrl-C stops)\n")
	select {
	case <-ctx.Done():
		log.Info("stopping the sandbox")
		return nil
	case err := <-sb.Done():
		if err != nil {
			log.Error("the bot stopped", zap.Error(err))
		}
		return fmt.Errorf("the bot stopped: %v", err)
	}
}

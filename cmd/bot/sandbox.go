package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"go.uber.org/zap"

	"github.com/switchyard/switchyard/internal/sandbox"
)

func runSandbox(ctx context.Context, args []string, e env) error {
	fs := newFlags("sandbox", "Runs the bot with the AWS and Slack simulators, a store in a temporary directory and a\n"+
		"browser console, all in this process. No AWS account or Slack workspace needed.\n"+
		"With -dir, the store stays in DIR and DIR/switchyard.yaml lets 'bot run' processes join;\n"+
		"with -bots 0 as well, only those run the bot.", e)
	addr := fs.String("addr", "127.0.0.1:8080", "console, Slack Web API (/api/) and control API (/_sim/)")
	awsAddr := fs.String("aws-addr", "127.0.0.1:4566", "AWS simulator endpoint, for any AWS client (aws --endpoint-url)")
	speed := fs.Float64("speed", sandbox.DefaultSpeed, "simulated seconds per real second")
	bots := fs.Int("bots", 1, "bots run in this process: 1, or 0 for the simulators and console alone (needs -dir)")
	dir := fs.String("dir", "", "keep the store here and write DIR/switchyard.yaml for 'bot run' processes to join (default: a temporary directory, removed at exit)")
	logLevel := fs.String("log-level", "warn", "debug, info, warn or error")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case *speed <= 0:
		return usagef("-speed must be above 0 (simulated seconds per real second)")
	case *bots != 0 && *bots != 1:
		return usagef("-bots must be 0 or 1: more bots are 'bot run' processes that join with -dir's switchyard.yaml")
	case *bots == 0 && *dir == "":
		return usagef("-bots 0 needs -dir DIR, where the configuration for 'bot run' processes goes")
	}
	log, err := newLogger("console", *logLevel, e)
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()
	if *dir != "" {
		if *dir, err = filepath.Abs(*dir); err != nil {
			return err
		}
		if err := os.MkdirAll(*dir, 0o755); err != nil {
			return fmt.Errorf("make -dir: %w", err)
		}
	}
	sb, err := sandbox.Start(sandbox.Options{Addr: *addr, AWSAddr: *awsAddr, Speed: *speed, Dir: *dir, Log: log})
	if err != nil {
		return fmt.Errorf("start the sandbox: %w", err)
	}
	defer sb.Close()
	configNote := ""
	if *dir != "" {
		path, err := sb.WriteConfig()
		if err != nil {
			return err
		}
		configNote = " config " + path
	}
	if *bots == 1 {
		if err := sb.StartBot(ctx, sandbox.BotOptions{}); err != nil {
			return err
		}
	}
	fmt.Fprintf(e.stdout, "sandbox ready: console %s slack-api %s aws %s%s\n", sb.URL(), sb.Slack.URL(), sb.AWS.URL(), configNote)
	if *bots == 1 {
		fmt.Fprintf(e.stdout, "open the console, pick alice and type: /deploy myapp v1.4   (Ctrl-C stops)\n")
	} else {
		fmt.Fprintf(e.stdout, "no bot in this process: start 'bot run -config %s' with the environment its first lines name   (Ctrl-C stops)\n", configNote[len(" config "):])
	}
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

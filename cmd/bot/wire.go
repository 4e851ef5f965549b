package main

import (
	"context"
	"errors"

	"go.uber.org/zap"

	"github.com/switchyard/switchyard/internal/config"
)

// serve wires Slack, AWS, the store and the bot's components and runs them
// until ctx ends.
func serve(ctx context.Context, cfg *config.Config, tok tokens, log *zap.Logger) error {
	return errors.New("the bot's components are not wired in this build yet")
}

func runSandbox(ctx context.Context, args []string, e env) error {
	fs := newFlags("sandbox", "Runs the bot with the AWS and Slack simulators and a browser console, all on this machine.", e)
	fs.String("addr", "127.0.0.1:8080", "console, Slack Web API (/api/) and control API (/_sim/)")
	fs.String("aws-addr", "127.0.0.1:4566", "AWS simulator endpoint")
	fs.Float64("speed", 10, "simulated seconds per real second")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return errors.New("not wired in this build yet")
}

package main

import (
	"context"
	"fmt"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"go.uber.org/zap"

	"github.com/switchyard/switchyard/internal/app"
	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/store"
)

// serve runs the bot against real Slack and AWS until ctx ends.
func serve(ctx context.Context, cfg *config.Config, tok tokens, log *zap.Logger) error {
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(cfg.Events.Region))
	if err != nil {
		return fmt.Errorf("load AWS credentials: %w", err)
	}
	log.Info("starting", zap.String("version", buildVersion()), zap.Int("apps", len(cfg.Apps)), zap.String("store", store.Redact(cfg.Store)))
	err = app.Run(ctx, app.Deps{Config: cfg, BotToken: tok.bot, AppToken: tok.app, SlackAPIURL: tok.apiURL, AWS: awsCfg, Log: log})
	log.Info("stopped")
	return err
}

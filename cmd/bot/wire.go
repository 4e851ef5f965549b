package main

import (
	"context"
	"fmt"
	"net"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"go.uber.org/zap"

	"github.com/switchyard/switchyard/internal/app"
	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/metrics"
	"github.com/switchyard/switchyard/store"
)

// serve runs the bot against real Slack and AWS until ctx ends, with
// /healthz, /readyz and /metrics on httpAddr unless it is empty.
func serve(ctx context.Context, cfg *config.Config, tok tokens, httpAddr string, log *zap.Logger) error {
	var ln net.Listener
	if httpAddr != "" {
		var err error
		if ln, err = net.Listen("tcp", httpAddr); err != nil {
			return fmt.Errorf("listen for /healthz, /readyz and /metrics: %w", err)
		}
		log.Info("serving /healthz, /readyz and /metrics", zap.String("addr", ln.Addr().String()))
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(cfg.Events.Region))
	if err != nil {
		if ln != nil {
			ln.Close()
		}
		return fmt.Errorf("load AWS credentials: %w", err)
	}
	log.Info("starting", zap.String("version", buildVersion()), zap.Int("apps", len(cfg.Apps)), zap.String("store", store.Redact(cfg.Store)))
	err = app.Run(ctx, app.Deps{Config: cfg, BotToken: tok.bot, AppToken: tok.app, SlackAPIURL: tok.apiURL, AWS: awsCfg, Log: log,
		HTTP: ln, Metrics: metrics.New(metrics.Options{Version: buildVersion()})})
	log.Info("stopped")
	return err
}

package app

import (
	"context"
	"net"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"go.uber.org/zap"

	"github.com/switchyard/switchyard/internal/metrics"
	"github.com/switchyard/switchyard/internal/ops"
)

// probe is readiness as Run feeds it; without an HTTP listener it takes
// nothing and serves nothing.
type probe struct{ h *ops.Handler }

func (p probe) Attach(socket ops.Socket, store ops.Pinger) {
	if p.h != nil {
		p.h.Attach(socket, store)
	}
}

// serveOps serves /healthz, /readyz and /metrics on ln, if any, from now
// until stop, which Run calls when it returns: /healthz answers while the
// bot starts and while it drains, /readyz says "starting" until the probe
// is attached. stop shuts the server down and waits for it.
func serveOps(ctx context.Context, ln net.Listener, m *metrics.Metrics, log *zap.Logger) (p probe, stop func()) {
	if ln == nil {
		return probe{}, func() {}
	}
	log = log.Named("http")
	h := ops.New(m.Gatherer(), ops.Options{Log: log})
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := ops.Serve(ctx, ln, h); err != nil {
			log.Error("the /healthz, /readyz and /metrics server stopped", zap.Error(err))
		}
	}()
	return probe{h: h}, func() {
		cancel()
		<-done
	}
}

// counted returns a copy of cfg whose clients count every call in m.
func counted(cfg aws.Config, m *metrics.Metrics) aws.Config {
	out := cfg.Copy()
	// A new slice: appending to the caller's could write into an array
	// that another copy of its config shares.
	out.APIOptions = append(slices.Clone(cfg.APIOptions), m.AWSMiddleware())
	return out
}

package commands

import (
	"context"
	"runtime/debug"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/internal/blocks"
)

// job is the work of one acked envelope.
type job struct {
	user    string
	channel string
	what    string // for logs: "slash command", "click"
	run     func(ctx context.Context)
}

// pool is a fixed number of workers reading a bounded queue. Jobs get a
// context that outlives Run's by up to the drain timeout, so that a job
// that started (a deployment being created) finishes its writes.
type pool struct {
	ctx    context.Context
	cancel context.CancelFunc
	queue  chan job
	wg     sync.WaitGroup
	mu     sync.Mutex
	closed bool
}

func (h *Handler) startPool(parent context.Context) *pool {
	ctx, cancel := context.WithCancel(context.WithoutCancel(parent))
	p := &pool{ctx: ctx, cancel: cancel, queue: make(chan job, h.opts.QueueSize)}
	for range h.opts.Workers {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			for j := range p.queue {
				h.runJob(p.ctx, j)
			}
		}()
	}
	return p
}

// submit queues j without blocking: the envelope is already acked, and the
// loop must stay free to ack the next one. A full queue gets an apology.
func (p *pool) submit(h *Handler, j job) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	select {
	case p.queue <- j:
		return
	default:
	}
	h.log.Warn("work queue full", zap.String("user", j.user), zap.String("what", j.what))
	select {
	case h.busy <- struct{}{}:
		go func() {
			defer func() { <-h.busy }()
			h.tell(p.ctx, j.channel, j.user, blocks.TooBusy())
		}()
	default: // already telling many people; the log has it
	}
}

// drain stops taking jobs, lets the queued ones run, and cancels their
// context after timeout.
func (p *pool) drain(timeout time.Duration) {
	p.mu.Lock()
	p.closed = true
	close(p.queue)
	p.mu.Unlock()
	done := make(chan struct{})
	go func() {
		p.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(timeout):
		p.cancel()
		<-done
	}
	p.cancel()
}

// runJob runs j, turning a panic into a log line, an apology and an audit
// entry, so that one bad job never takes the bot down.
func (h *Handler) runJob(ctx context.Context, j job) {
	if h.jobDone != nil {
		defer h.jobDone()
	}
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		h.log.Error("job panicked", zap.String("what", j.what), zap.String("user", j.user),
			zap.String("channel", j.channel), zap.Any("panic", r), zap.ByteString("stack", debug.Stack()))
		h.tell(ctx, j.channel, j.user, blocks.Crashed())
		h.audit(ctx, switchyard.AuditEntry{User: j.user, Action: "panic", Channel: j.channel, Result: switchyard.ResultFailed, Detail: j.what})
	}()
	j.run(ctx)
}

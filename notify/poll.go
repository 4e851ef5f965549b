package notify

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/switchyard/switchyard"
)

// tracked is one deployment being watched. Its fields are guarded by
// Notifier.mu; a reconciliation of it runs at most once at a time.
type tracked struct {
	id      string
	next    time.Time // real time of the next poll
	running bool      // a reconciliation is in flight
	again   bool      // look again as soon as it finishes
	fails   int       // consecutive failed looks, for backoff
	// last is the deployment as last shown, to skip identical renders.
	last *switchyard.Deployment
	// observed is the clock time of the last successful look.
	observed time.Time
	// posted holds reply keys known to be recorded in the store.
	posted map[string]bool
}

// resume tracks every deployment the store says is in flight.
func (n *Notifier) resume(ctx context.Context) error {
	recs, err := n.store.ListActive(ctx)
	if err != nil {
		return err
	}
	for _, r := range recs {
		n.Watch(ctx, r.ID)
	}
	n.log.Info("resumed", zap.Int("deployments", len(recs)))
	return nil
}

// pollLoop starts a reconciliation for every deployment due or nudged,
// until ctx ends.
func (n *Notifier) pollLoop(ctx context.Context) {
	tick := min(max(n.opts.FastPoll/4, 5*time.Millisecond), 250*time.Millisecond)
	t := time.NewTicker(tick)
	defer t.Stop()
	sem := make(chan struct{}, n.opts.Workers)
	for {
		for _, id := range n.due() {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				n.drainWorkers(sem)
				return
			}
			go func() {
				defer func() { <-sem }()
				n.look(ctx, id)
			}()
		}
		select {
		case <-ctx.Done():
			n.drainWorkers(sem)
			return
		case <-t.C:
		case <-n.wake:
		}
	}
}

// drainWorkers waits for every running reconciliation.
func (n *Notifier) drainWorkers(sem chan struct{}) {
	for range cap(sem) {
		sem <- struct{}{}
	}
}

// due returns the ids to look at now and marks them running.
func (n *Notifier) due() []string {
	now := time.Now()
	n.mu.Lock()
	defer n.mu.Unlock()
	for id := range n.nudges {
		t := n.tracked[id]
		if t == nil {
			t = &tracked{id: id}
			n.tracked[id] = t
		}
		if t.running {
			t.again = true
		} else {
			t.next = time.Time{}
		}
	}
	clear(n.nudges)
	var ids []string
	for id, t := range n.tracked {
		if !t.running && !t.next.After(now) {
			t.running, t.again = true, false
			ids = append(ids, id)
		}
	}
	return ids
}

// look reconciles one deployment and schedules its next look.
func (n *Notifier) look(ctx context.Context, id string) {
	log := n.log.With(zap.String("deployment_id", id))
	next, err := n.reconcile(ctx, id)
	n.mu.Lock()
	defer n.mu.Unlock()
	t := n.tracked[id]
	if t == nil {
		return
	}
	t.running = false
	switch {
	case err != nil && ctx.Err() == nil:
		t.fails++
		wait := min(n.opts.FastPoll<<min(t.fails, 5), 4*n.opts.Poll)
		log.Warn("look at deployment", zap.Error(err), zap.Duration("retry_in", wait))
		t.next = time.Now().Add(wait)
	case next < 0:
		delete(n.tracked, id)
		return
	default:
		t.fails = 0
		t.next = time.Now().Add(next)
	}
	if t.again {
		t.next = time.Time{}
		select {
		case n.wake <- struct{}{}:
		default:
		}
	}
}

// trackedState returns a copy of what look needs from the tracker.
func (n *Notifier) trackedState(id string) (last *switchyard.Deployment, posted map[string]bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if t := n.tracked[id]; t != nil {
		return t.last, t.posted
	}
	return nil, nil
}

func (n *Notifier) setTrackedState(id string, d switchyard.Deployment, posted map[string]bool, observed time.Time) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if t := n.tracked[id]; t != nil {
		t.last, t.posted, t.observed = &d, posted, observed
	}
}

// CaughtUp reports whether the Notifier has shown everything as of asOf
// (a time of its clock, Options.Now): every deployment it watches was
// looked at then or later with no look running, no look is asked for, and
// every card edit and reply is sent. lagging names the deployments not
// looked at yet, for a caller that wants them looked at now (Watch). It
// lets tests and operators settle on what the Notifier did, not on time.
func (n *Notifier) CaughtUp(asOf time.Time) (lagging []string, ok bool) {
	n.mu.Lock()
	ok = len(n.nudges) == 0
	for id, t := range n.tracked {
		if t.running || t.observed.Before(asOf) {
			lagging = append(lagging, id)
		}
	}
	n.mu.Unlock()
	return lagging, ok && len(lagging) == 0 && n.out.Idle()
}

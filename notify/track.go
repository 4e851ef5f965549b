package notify

import (
	"context"
	"errors"
	"reflect"
	"time"

	"go.uber.org/zap"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/deployer"
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
	// held is set once the final result of a manual stop was held back for
	// one look, giving commands time to record who rolled back.
	held bool
}

// errUnchanged tells UpdateDeploymentIf to save nothing.
var errUnchanged = errors.New("unchanged")

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

// holdOnce reports true the first time it is asked for id.
func (n *Notifier) holdOnce(id string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	t := n.tracked[id]
	if t == nil || t.held {
		return false
	}
	t.held = true
	return true
}

func (n *Notifier) setTrackedState(id string, d switchyard.Deployment, posted map[string]bool, observed time.Time) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if t := n.tracked[id]; t != nil {
		t.last, t.posted, t.observed = &d, posted, observed
	}
}

// reconcile reads deployment id from AWS, merges it into the stored record,
// and publishes the card and the replies the new state calls for. It
// returns when to look again, or a negative duration to stop watching.
func (n *Notifier) reconcile(ctx context.Context, id string) (time.Duration, error) {
	rec, err := n.store.GetDeployment(ctx, id)
	if switchyard.ErrorCode(err) == switchyard.ENOTFOUND {
		return -1, nil
	}
	if err != nil {
		return 0, err
	}
	env, ok := n.envOf(rec)
	if !ok {
		n.log.Warn("deployment of an app or environment no longer configured; not watching it",
			zap.String("deployment_id", id), zap.String("app", rec.App), zap.String("env", rec.Env))
		return -1, nil
	}
	// The clock is read before AWS is: what Describe says is true at least
	// as of then.
	observed := n.opts.Now()
	st, err := n.describe.Describe(ctx, env, id)
	if err != nil {
		return 0, err
	}
	rec, err = n.merge(ctx, rec, st, observed)
	if err != nil {
		return 0, err
	}
	d := rec.Deployment
	d.Region, d.Creator, d.BlueAlive = env.Region, st.Creator, st.BlueAlive && !d.Status.Done()
	switch {
	case d.Status.Done():
	case st.Status == switchyard.StatusReady:
		d.Waiting = switchyard.WaitReady
	case st.TerminationWait:
		d.Waiting = switchyard.WaitTermination
	}
	last, posted := n.trackedState(id)
	// Alarm states are cached per group, but read afresh when the status
	// moves (an alarm may be why).
	d.Alarms = n.alarms.get(ctx, env, last == nil || last.Status != d.Status, n.log)
	if st.RollbackID != "" {
		n.adoptRollback(ctx, rec, env, st.RollbackID)
	}
	if posted == nil {
		got, err := n.store.Replies(ctx, id)
		if err != nil {
			return 0, err
		}
		posted = make(map[string]bool, len(got))
		for k, ts := range got {
			// A claimed reply without a ts was cut off before it was
			// posted. Only the final result is worth the risk of a repeat.
			if ts != "" || k != keyFinal {
				posted[k] = true
			}
		}
	}
	hold := d.Status == switchyard.StatusStopped && d.ErrorCode == "MANUAL_STOP" && d.RolledBackBy == "" && n.holdOnce(id)
	if err := n.show(ctx, rec, d, st, last, posted, hold); err != nil {
		return 0, err
	}
	n.setTrackedState(id, d, posted, observed)
	switch {
	case hold:
		return n.opts.FastPoll, nil
	case d.Status.Done():
		return -1, nil
	case n.fast(d):
		return n.opts.FastPoll, nil
	default:
		return n.opts.Poll, nil
	}
}

// fast reports whether a deployment is in a phase that changes quickly or
// that a person may end at any moment.
func (n *Notifier) fast(d switchyard.Deployment) bool {
	if d.Waiting != switchyard.WaitNone || (d.Traffic.Green > 0 && d.Traffic.Green < 100) {
		return true
	}
	for _, s := range d.Stages {
		if s.Name == switchyard.AllowTraffic && s.Status == switchyard.StageInProgress {
			return true
		}
	}
	return false
}

// merge saves what AWS reported into the stored record in one
// compare-and-set that keeps what only the bot knows (requester, confirmer,
// who rolled back) and never moves a finished deployment backwards.
func (n *Notifier) merge(ctx context.Context, rec switchyard.Record, st *deployer.Status, observed time.Time) (switchyard.Record, error) {
	var cur switchyard.Record
	out, err := n.store.UpdateDeploymentIf(ctx, rec.ID, switchyard.AnyRev, func(r *switchyard.Record) error {
		cur = *r
		if r.Status.Done() && !st.Status.Done() {
			return errUnchanged // a stale read: finished is final
		}
		if r.ObservedAt.After(observed) {
			return errUnchanged // someone saw a later state already
		}
		before := r.Deployment
		before.Stages = append([]switchyard.Stage(nil), r.Stages...)
		st.Apply(&r.Deployment)
		if r.Status.Done() && r.Completed.IsZero() {
			r.Completed = observed
		}
		if reflect.DeepEqual(before, r.Deployment) {
			return errUnchanged
		}
		r.ObservedAt = observed
		return nil
	})
	if errors.Is(err, errUnchanged) {
		return cur, nil
	}
	return out, err
}

// envOf finds the configured environment of a record.
func (n *Notifier) envOf(rec switchyard.Record) (switchyard.Environment, bool) {
	app, ok := n.cfg.Lookup(rec.App)
	if !ok {
		return switchyard.Environment{}, false
	}
	return app.Env(rec.Env)
}

package notify

import (
	"context"
	"errors"
	"reflect"
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

func (n *Notifier) setTrackedState(id string, d switchyard.Deployment, posted map[string]bool, observed time.Time) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if t := n.tracked[id]; t != nil {
		t.last, t.posted, t.observed = &d, posted, observed
	}
}

// reconcile reads deployment id from AWS, merges it into the stored record,
// and publishes the card and the replies the new state calls for. A
// deployment with no record yet gets one, from the request that started it
// (Watch names a deployment commands just started). It returns when to look
// again, or a negative duration to stop watching.
func (n *Notifier) reconcile(ctx context.Context, id string) (time.Duration, error) {
	rec, env, ok, err := n.recordOrRequest(ctx, id)
	if err != nil || !ok {
		return -1, err
	}
	// The clock is read before AWS is: what Describe says is true at least
	// as of then.
	observed := n.opts.Now()
	obs, err := n.describe.Describe(ctx, env, id)
	if err != nil {
		return 0, err
	}
	if rec.ID == "" {
		if rec, err = n.record(ctx, rec.App, env, obs); err != nil {
			return 0, err
		}
	}
	last, posted := n.trackedState(id)
	// Alarm states are cached per group, but read afresh when the status
	// moves (an alarm may be why).
	obs.Alarms = n.alarms.get(ctx, env, last == nil || last.Status != obs.Status, n.log)
	by, inFlight, err := n.rolledBack(ctx, id)
	if err != nil {
		return 0, err
	}
	rec, err = n.merge(ctx, rec, obs, by, observed)
	if err != nil {
		return 0, err
	}
	d := rec.Deployment
	if obs.RollbackID != "" {
		n.adoptRollback(ctx, rec, env, obs.RollbackID)
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
	// While a rollback of it waits for AWS's answer, the final result
	// waits too: it will name who rolled back, or not.
	if err := n.show(ctx, rec, d, obs, last, posted, inFlight); err != nil {
		return 0, err
	}
	n.setTrackedState(id, d, posted, observed)
	switch {
	case inFlight && d.Status.Done():
		return n.opts.FastPoll, nil
	case d.Status.Done():
		return -1, nil
	case n.fast(d):
		return n.opts.FastPoll, nil
	default:
		return n.opts.Poll, nil
	}
}

// recordOrRequest finds what reconcile starts from: the record of
// deployment id, or, when there is none yet, the request that started it
// (rec then has only App and Env). ok is false for an id that is neither
// (nothing to watch), or whose app or environment is no longer configured.
func (n *Notifier) recordOrRequest(ctx context.Context, id string) (rec switchyard.Record, env switchyard.Environment, ok bool, err error) {
	rec, err = n.store.GetDeployment(ctx, id)
	if switchyard.ErrorCode(err) == switchyard.ENOTFOUND {
		req, rerr := n.store.FindRequest(ctx, id)
		if switchyard.ErrorCode(rerr) == switchyard.ENOTFOUND {
			return rec, env, false, nil
		}
		if rerr != nil {
			return rec, env, false, rerr
		}
		rec = switchyard.Record{Deployment: switchyard.Deployment{App: req.App, Env: req.Env}}
	} else if err != nil {
		return rec, env, false, err
	}
	env, ok = n.envOf(rec)
	if !ok {
		n.log.Warn("deployment of an app or environment no longer configured; not watching it",
			zap.String("deployment_id", id), zap.String("app", rec.App), zap.String("env", rec.Env))
	}
	return rec, env, ok, nil
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

// merge saves what AWS reported, and who rolled the deployment back, into
// the stored record in one compare-and-set that keeps what only the bot
// knows (requester, confirmer) and never moves a finished deployment
// backwards.
func (n *Notifier) merge(ctx context.Context, rec switchyard.Record, obs *switchyard.Observation, rolledBackBy string, observed time.Time) (switchyard.Record, error) {
	var cur switchyard.Record
	out, err := n.store.UpdateDeploymentIf(ctx, rec.ID, switchyard.AnyRev, func(r *switchyard.Record) error {
		cur = *r
		if r.Status.Done() && !obs.Status.Done() {
			return errUnchanged // a stale read: finished is final
		}
		if r.ObservedAt.After(observed) {
			return errUnchanged // someone saw a later state already
		}
		before := r.Deployment
		before.Stages = append([]switchyard.Stage(nil), r.Stages...)
		obs.Apply(&r.Deployment)
		if rolledBackBy != "" {
			r.RolledBackBy = rolledBackBy
		}
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

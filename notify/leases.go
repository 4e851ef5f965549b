package notify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/switchyard/switchyard"
)

// Several replicas share one store; each deployment in flight is watched by
// one of them, the holder of its lease (a row in the store: owner, expiry,
// fence). Only the holder looks at the deployment and edits its card; the
// others keep it in view and claim its lease when it runs out, so a
// replica's death is made up for within a lease's time. The holder renews
// every third of it, and stops editing when it could not say it still
// holds the lease a margin before it runs out.

// leaseMargin is how long before its lease runs out a replica stops acting
// for a deployment when it could not renew it.
func (n *Notifier) leaseMargin() time.Duration { return n.opts.LeaseTTL / 5 }

// defaultReplica names this process among the replicas: its host, its
// process id and a random part, so that two processes never share a name.
func defaultReplica() string {
	host, _ := os.Hostname()
	var b [3]byte
	_, _ = rand.Read(b[:])
	return host + "-" + strconv.Itoa(os.Getpid()) + "-" + hex.EncodeToString(b[:])
}

// hold makes sure this replica holds deployment id's lease before a look:
// held at once when it does, claimed when the lease is free or ran out.
// When another replica holds it, held is false and retry is when its lease
// runs out (unless renewed), the moment to claim it again.
func (n *Notifier) hold(ctx context.Context, id string) (held bool, retry time.Time) {
	now := n.opts.RealNow()
	l := n.leaseOf(id)
	if l.Held(now.Add(n.leaseMargin())) {
		return true, time.Time{}
	}
	got, won, err := n.store.AcquireLease(ctx, id, n.opts.Replica, now, n.opts.LeaseTTL)
	if err != nil {
		n.log.Warn("claim the lease of a deployment", zap.String("deployment_id", id), zap.Error(err))
		n.setLease(id, switchyard.Lease{})
		return false, now.Add(n.opts.FastPoll)
	}
	if !won {
		n.setLease(id, switchyard.Lease{})
		return false, got.Expires
	}
	if l.Owner == "" && got.Fence > 1 {
		n.log.Info("took over a deployment", zap.String("deployment_id", id), zap.Int64("fence", got.Fence))
		n.opts.Observer.Takeover()
	}
	n.forget(id)
	n.setLease(id, got)
	return true, time.Time{}
}

// forget drops what this replica remembers of deployment id's card and
// thread, so that its next look reads them from the store. It is called
// whenever this replica comes to hold a lease it did not hold with time
// to spare: a new one, or its own again after it could not renew it. In
// between, its sender dropped what it was not allowed to send, and another
// replica may have told more; what it had queued is no longer a record of
// what was told.
func (n *Notifier) forget(id string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if t := n.tracked[id]; t != nil {
		t.last, t.posted = nil, nil
	}
}

// leaseOf is the lease this replica holds of key, the zero lease when none.
func (n *Notifier) leaseOf(key string) switchyard.Lease {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.leases[key]
}

// setLease records l as this replica's holding of its key; a zero lease
// (or one of another owner) forgets the key.
func (n *Notifier) setLease(key string, l switchyard.Lease) {
	n.mu.Lock()
	if l.Owner == n.opts.Replica {
		n.leases[key] = l
	} else {
		delete(n.leases, key)
	}
	held := 0
	for k := range n.leases {
		if k != discoverJob {
			held++
		}
	}
	n.mu.Unlock()
	n.opts.Observer.Tracked(held)
}

// holds reports whether this replica may act for key now: its lease runs
// for longer than the margin.
func (n *Notifier) holds(key string) bool {
	return n.leaseOf(key).Held(n.opts.RealNow().Add(n.leaseMargin()))
}

// renewLoop renews every lease this replica holds, every third of a
// lease's time, until ctx ends, then gives them all up so that other
// replicas take over at once.
func (n *Notifier) renewLoop(ctx context.Context) {
	t := time.NewTicker(n.opts.LeaseTTL / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			n.renew(ctx)
		}
	}
}

func (n *Notifier) renew(ctx context.Context) {
	n.mu.Lock()
	keys := make([]string, 0, len(n.leases))
	for k := range n.leases {
		keys = append(keys, k)
	}
	n.mu.Unlock()
	for _, k := range keys {
		now := n.opts.RealNow()
		lapsed := !n.leaseOf(k).Held(now.Add(n.leaseMargin()))
		got, won, err := n.store.AcquireLease(ctx, k, n.opts.Replica, now, n.opts.LeaseTTL)
		switch {
		case err != nil:
			// Keep the lease as it was: it still runs for a while, and
			// holds stops acting for it before it runs out.
			n.log.Warn("renew a lease", zap.String("key", k), zap.Error(err))
		case !won:
			n.log.Warn("lost a lease to another replica", zap.String("key", k), zap.String("holder", got.Owner))
			n.setLease(k, switchyard.Lease{})
		default:
			if lapsed {
				n.forget(k)
			}
			n.setLease(k, got)
		}
	}
}

// releaseAll gives up every lease this replica holds.
func (n *Notifier) releaseAll() {
	n.mu.Lock()
	keys := make([]string, 0, len(n.leases))
	for k := range n.leases {
		keys = append(keys, k)
	}
	n.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, k := range keys {
		if err := n.store.ReleaseLease(ctx, k, n.opts.Replica); err != nil {
			n.log.Warn("release a lease", zap.String("key", k), zap.Error(err))
		}
		n.setLease(k, switchyard.Lease{})
	}
}

// release gives up key's lease, when this replica is done with it.
func (n *Notifier) release(ctx context.Context, key string) {
	if n.leaseOf(key).Owner == "" {
		return
	}
	if err := n.store.ReleaseLease(ctx, key, n.opts.Replica); err != nil {
		n.log.Warn("release a lease", zap.String("key", key), zap.Error(err))
	}
	n.setLease(key, switchyard.Lease{})
}

// lost reports whether err says another replica holds the lease a write
// was made under, and forgets that lease if so.
func (n *Notifier) lost(key string, err error) bool {
	var ll *switchyard.LeaseLostError
	if !errors.As(err, &ll) {
		return false
	}
	n.log.Warn("another replica took this deployment over", zap.String("deployment_id", key), zap.String("holder", ll.Now.Owner))
	n.setLease(key, switchyard.Lease{})
	return true
}

// discoverJob is the lease key of discovery: one replica at a time lists
// the deployment groups' recent deployments, so that AWS reads do not grow
// with the number of replicas.
const discoverJob = "job:discover"

// holdJob makes sure this replica holds job's lease, claiming it when free.
func (n *Notifier) holdJob(ctx context.Context, job string) bool {
	if n.holds(job) {
		return true
	}
	got, won, err := n.store.AcquireLease(ctx, job, n.opts.Replica, n.opts.RealNow(), n.opts.LeaseTTL)
	if err != nil {
		n.log.Warn("claim a job's lease", zap.String("job", job), zap.Error(err))
		return false
	}
	if won {
		n.setLease(job, got)
	}
	return won
}

package notify

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/internal/simtest"
	"github.com/switchyard/switchyard/store"
)

// flakyStore is the rig's store with parts that can be switched off, as a
// database that a replica cannot reach for a while would be.
type flakyStore struct {
	*store.Store
	claims, leases atomic.Bool // true: MarkReply, AcquireLease fail
	claimFails     atomic.Int64
	acquired       atomic.Int64 // leases claimed or renewed
}

var errUnreachable = errors.New("store unreachable")

func (f *flakyStore) MarkReply(ctx context.Context, id, key, ts string) (bool, error) {
	if f.claims.Load() {
		f.claimFails.Add(1)
		return false, errUnreachable
	}
	return f.Store.MarkReply(ctx, id, key, ts)
}

func (f *flakyStore) AcquireLease(ctx context.Context, key, owner string, at time.Time, ttl time.Duration) (switchyard.Lease, bool, error) {
	if f.leases.Load() {
		return switchyard.Lease{}, false, errUnreachable
	}
	l, won, err := f.Store.AcquireLease(ctx, key, owner, at, ttl)
	if won && key == l.Key {
		f.acquired.Add(1)
	}
	return l, won, err
}

// A replica whose lease lapsed while it could not reach the store drops
// the replies it had queued (another replica may be telling them); when it
// holds the lease again it reads from the store what was told instead of
// trusting what it had queued, so the reply is told once, not lost.
func TestALapsedLeaseLosesNoReply(t *testing.T) {
	leaseClock := simtest.NewClock(time.Now())
	// Looks come only when asked for, so the test decides when.
	r := newRig(t, Options{Poll: time.Hour, FastPoll: time.Hour, Discover: time.Hour, QueueURL: "off", RealNow: leaseClock.Now})
	fs := &flakyStore{Store: r.store}
	r.stop()
	n := New(r.api, r.sqs, r.dep, fs, r.cfg, zap.NewNop(), r.opts)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = n.Run(ctx) })
	<-n.ready
	r.n, r.stop = n, func() { cancel(); wg.Wait() }
	t.Cleanup(r.stop)

	id, ts := r.deploy("myapp", "v1.4", "U0ALICE", "")
	r.run(10*time.Second, 10*time.Minute, func() bool { return r.record(id).Traffic.Green > 0 })
	before := r.record(id).Traffic.Green

	// The store takes no claim and no lease; the traffic moves on.
	fs.claims.Store(true)
	fs.leases.Store(true)
	r.aws.Advance(time.Minute)
	r.n.Watch(context.Background(), id)
	simtest.WaitFor(t, "the next traffic step merged and its reply tried", func() bool {
		return r.record(id).Traffic.Green > before && fs.claimFails.Load() > 0
	}, nil)
	step := switchyard.Percent(r.record(id).Traffic.Green) + "% of traffic on green"
	// The lease runs out (within its margin) unrenewed: the sender drops
	// the reply.
	leaseClock.Advance(13 * time.Second)
	simtest.WaitFor(t, "the sender to give up the reply", n.out.Idle, nil)

	// The store is back; the next look claims the lease again.
	fs.claims.Store(false)
	fs.leases.Store(false)
	acquired := fs.acquired.Load()
	r.n.Watch(context.Background(), id)
	simtest.WaitFor(t, "the lease claimed again", func() bool { return fs.acquired.Load() > acquired }, nil)
	r.settle()
	thread := simtest.Texts(r.thread(ts))
	if strings.Count(thread, step) != 1 {
		t.Errorf("the thread tells %q %d times, want once:\n%s", step, strings.Count(thread, step), thread)
	}
	simtest.NoDuplicates(t, r.thread(ts))
}

package awssim

import (
	"fmt"
	"regexp"
	"sync"
	"time"

	"go.uber.org/zap"
)

// A simulator holds one partition per (account, region): a *Sim with its
// own ECS, ECR, CloudWatch, CodeDeploy, EventBridge, SQS and CloudTrail
// state, as AWS keeps them apart. The front is what they share: the lock,
// the one simulated clock, the registry of partitions, and the global
// services, IAM roles and STS sessions. The *Sim that New returns is the
// root partition (Options.Account and Region); its Go API (Seed,
// PutService, SetAlarm, Deny, ...) acts there, as it always has, while
// Advance, Start, Close and URL act on the whole simulator from any
// partition. Partition reaches the others.
type front struct {
	mu    sync.Mutex // the world lock: every partition's state, the registry, IAM and STS
	clock *Clock
	log   *zap.Logger
	root  *Sim
	stop  chan struct{} // closed by Close; every partition's engine watches it

	parts map[partitionKey]*Sim
	order []*Sim // in creation order, so that Advance plays ties the same way each run
	// started is set once Start has run the engines: a partition made later
	// starts its own at once. closed stops that after Close.
	started, closed bool

	iam iamState
	sts stsState
	// wallNow is real time, which session expiry follows (see sts.go);
	// tests move it.
	wallNow func() time.Time
	// forwarding counts the event-bus hops of the event being forwarded
	// (see events_bus.go).
	forwarding int
}

type partitionKey struct{ account, region string }

// maxPartitions bounds how many (account, region) pairs requests may bring
// into being: each is made on first use, and keys and regions are the
// caller's to choose.
const maxPartitions = 256

var (
	accountRE = regexp.MustCompile(`^\d{12}$`)
	regionRE  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d{1,2}$`)
)

func newFront(clock *Clock, log *zap.Logger) *front {
	return &front{
		clock:   clock,
		log:     log,
		stop:    make(chan struct{}),
		parts:   map[partitionKey]*Sim{},
		iam:     iamState{roles: map[string]*iamRole{}},
		sts:     stsState{sessions: map[string]*stsSession{}},
		wallNow: time.Now,
	}
}

// newPartition builds and registers the partition of account in region.
// Call it with f.mu held, or before the simulator is shared.
func (f *front) newPartition(account, region string, log *zap.Logger) *Sim {
	s := &Sim{
		account: account,
		region:  region,
		log:     log,
		clock:   f.clock,
		front:   f,
		mu:      &f.mu,
		routes:  map[string]route{},
		stop:    f.stop,
	}
	s.initState()
	s.bus.created = f.clock.Now()
	f.parts[partitionKey{account, region}] = s
	f.order = append(f.order, s)
	if f.started && !f.closed {
		s.startEngine()
	}
	return s
}

// partitionLocked returns the partition of account in region, making it on
// first use; nil when the simulator already holds maxPartitions. Call it
// with f.mu held.
func (f *front) partitionLocked(account, region string) *Sim {
	if p := f.parts[partitionKey{account, region}]; p != nil {
		return p
	}
	if len(f.parts) >= maxPartitions {
		return nil
	}
	return f.newPartition(account, region, f.log.With(zap.String("account", account), zap.String("region", region)))
}

// lookupLocked returns the partition of account in region if it exists.
func (f *front) lookupLocked(account, region string) *Sim {
	return f.parts[partitionKey{account, region}]
}

// Partition returns the partition of account (12 digits) in region
// (us-east-1, eu-west-1, ...) of this simulator, making it if needed: an
// empty world that shares the clock, the endpoint, IAM roles and STS with
// every other partition. Requests reach it when signed for its region
// with a key of its account (see Config). Its Go API (Seed, PutService,
// PutImage, SetAlarm, Deny, Trail, ...) acts on it alone. It panics on a
// malformed account or region, which is a mistake in the calling code.
func (s *Sim) Partition(account, region string) *Sim {
	if !accountRE.MatchString(account) || !regionRE.MatchString(region) {
		panic(fmt.Sprintf("awssim: Partition(%q, %q): want a 12-digit account and a region such as us-east-1", account, region))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.front.partitionLocked(account, region)
	if p == nil {
		panic(fmt.Sprintf("awssim: more than %d partitions", maxPartitions))
	}
	return p
}

// Partitions returns every partition, the root first, then in the order
// they were made.
func (s *Sim) Partitions() []*Sim {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Sim(nil), s.front.order...)
}

// startEngines starts every partition's engine, and from now on each new
// partition's at its making.
func (f *front) startEngines() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.started = true
	for _, p := range f.order {
		p.startEngine()
	}
}

// waitEngines waits for the engines to stop after f.stop was closed.
func (f *front) waitEngines() {
	f.mu.Lock()
	f.closed = true
	parts := append([]*Sim(nil), f.order...)
	f.mu.Unlock()
	for _, p := range parts {
		if p != f.root { // the root's engine was waited for with its server
			p.wg.Wait()
		}
	}
}

// Advance moves the simulated clock forward by d, playing every due
// deployment transition of every partition in time order with the clock
// set to each transition's time, so timestamps are exact.
func (s *Sim) Advance(d time.Duration) {
	f := s.front
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.clock.Now()
	for _, p := range f.order {
		p.watchAlarmsLocked(now)
	}
	until := now.Add(d)
	// With steps due in several partitions, play them a moment at a time:
	// all that is due at the earliest moment, in every partition, then the
	// next, so that the shared clock never has to go back.
	for f.busyPartitionsLocked(until) > 1 {
		at, _ := f.nextDueLocked(until)
		for _, p := range f.order {
			p.runDueLocked(at, true)
		}
	}
	for _, p := range f.order {
		p.runDueLocked(until, true)
	}
	f.clock.set(until)
}

// busyPartitionsLocked counts the partitions with a step due by until.
func (f *front) busyPartitionsLocked(until time.Time) int {
	n := 0
	for _, p := range f.order {
		if _, ok := p.nextDueLocked(until); ok {
			n++
		}
	}
	return n
}

// nextDueLocked is the earliest time by until at which any partition has a
// step due.
func (f *front) nextDueLocked(until time.Time) (time.Time, bool) {
	var next time.Time
	found := false
	for _, p := range f.order {
		if t, ok := p.nextDueLocked(until); ok && (!found || t.Before(next)) {
			next, found = t, true
		}
	}
	return next, found
}

// nextDueLocked is the earliest due time by until of the deployments this
// partition's engine plays: the step runDueLocked would play next
// (engine.go), so it knows every kind of work there is.
func (s *Sim) nextDueLocked(until time.Time) (time.Time, bool) {
	at, _, ok := s.nextStepLocked(until)
	return at, ok
}

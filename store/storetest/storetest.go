// Package storetest is the conformance suite of the store: every behaviour
// the bot relies on, run against each implementation of store.Backend
// (SQLite, PostgreSQL) so that they cannot differ. An implementation's
// tests call Run with a Target:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, storetest.Target{Fresh: …, Open: …, Exec: …})
//	}
//
// Each case gets a new, empty database and a settable clock. The races
// (compare-and-set, transitions, replies, locks, cards, several handles on
// one database, several Opens of a fresh one) check that exactly one of the
// contenders wins, which is what a second replica needs.
package storetest

import (
	"context"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/store"
)

// Target is one store implementation under test.
type Target struct {
	// Fresh returns the address (file path, URL) of a new, empty database
	// that lives as long as t.
	Fresh func(t *testing.T) string
	// Open opens a store on the database at addr, creating its schema if
	// needed, with now as the clock for times left zero. The suite closes
	// what it opens. Nil means store.OpenOptions, which picks the
	// implementation by the address.
	Open func(ctx context.Context, addr string, now func() time.Time) (store.Backend, error)
	// Exec runs one SQL statement on the database at addr behind the
	// store's back, to prove what the database itself refuses.
	Exec func(ctx context.Context, addr, query string) error
}

// Run runs every case of the suite against target, each as a subtest.
func Run(t *testing.T, target Target) {
	if target.Open == nil {
		target.Open = func(ctx context.Context, addr string, now func() time.Time) (store.Backend, error) {
			return store.OpenOptions(ctx, addr, store.Options{Now: now})
		}
	}
	cases := []struct {
		name string
		fn   func(*testing.T, *env)
	}{
		{"CreateAndGetDeployment", testCreateAndGetDeployment},
		{"CreateDeploymentDefaultsCreatedToNow", testCreateDeploymentDefaultsCreatedToNow},
		{"CreateDeploymentRace", testCreateDeploymentRace},
		{"FindByCard", testFindByCard},
		{"ListActiveAndByApp", testListActiveAndByApp},
		{"ListUntold", testListUntold},
		{"UpdateDeploymentIf", testUpdateDeploymentIf},
		{"UpdateDeploymentIfConcurrent", testUpdateDeploymentIfConcurrent},
		{"CardRace", testCardRace},
		{"MarkReply", testMarkReply},
		{"TextRoundTrip", testTextRoundTrip},
		{"CreateAndGetPending", testCreateAndGetPending},
		{"Transitions", testTransitions},
		{"Expiry", testExpiry},
		{"DoubleConfirmAndConfirmVersusCancel", testDoubleConfirmAndConfirmVersusCancel},
		{"ConfirmRaceAcrossHandles", testConfirmRaceAcrossHandles},
		{"ConfirmRefusedByALockAndStartingRequests", testConfirmRefusedByALockAndStartingRequests},
		{"LockVersusConfirm", testLockVersusConfirm},
		{"RequestsOfADeployment", testRequestsOfADeployment},
		{"Leases", testLeases},
		{"LeaseRace", testLeaseRace},
		{"Locks", testLocks},
		{"LockRace", testLockRace},
		{"LockMessage", testLockMessage},
		{"Freezes", testFreezes},
		{"ConfirmRefusedByAFreeze", testConfirmRefusedByAFreeze},
		{"Queue", testQueue},
		{"HandOutHoldsTheTurn", testHandOutHoldsTheTurn},
		{"HandOutRaceAcrossHandles", testHandOutRaceAcrossHandles},
		{"EnqueueRace", testEnqueueRace},
		{"Audit", testAudit},
		{"Limits", testLimits},
		{"ReopenFindsEverything", testReopenFindsEverything},
		{"ConcurrentOpen", testConcurrentOpen},
		{"Ping", testPing},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.fn(t, newEnv(t, target)) })
	}
}

// env is one case's world: a fresh database, a store on it, a clock.
type env struct {
	target Target
	addr   string
	clock  *clock
	s      store.Backend
}

func newEnv(t *testing.T, target Target) *env {
	e := &env{target: target, addr: target.Fresh(t), clock: &clock{}}
	e.s = e.open(t)
	return e
}

// open opens another store on the case's database, as another process
// would, and closes it when the case ends.
func (e *env) open(t *testing.T) store.Backend {
	t.Helper()
	s, err := e.target.Open(context.Background(), e.addr, e.clock.Now)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// clock is a settable clock for the store's default times, kept as
// nanoseconds since t0.
type clock struct{ since atomic.Int64 }

func (c *clock) Now() time.Time { return t0.Add(time.Duration(c.since.Load())) }

func (c *clock) Advance(d time.Duration) { c.since.Add(int64(d)) }

// t0 has a millisecond part, so that lost precision shows.
var t0 = time.Date(2025, 3, 14, 9, 26, 53, 589_000_000, time.UTC)

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := switchyard.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

// race starts n calls of fn at the same moment and returns their errors
// in order.
func race(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	var start, wg sync.WaitGroup
	start.Add(1)
	for i := range n {
		wg.Go(func() {
			start.Wait()
			errs[i] = fn(i)
		})
	}
	start.Done()
	wg.Wait()
	return errs
}

// oneWinner fails unless exactly one error is nil and every other has code
// loser; it returns the winner's index.
func oneWinner(t *testing.T, errs []error, loser string) int {
	t.Helper()
	won := -1
	for i, err := range errs {
		switch {
		case err == nil && won >= 0:
			t.Fatalf("contenders %d and %d both won", won, i)
		case err == nil:
			won = i
		case switchyard.ErrorCode(err) != loser:
			t.Fatalf("contender %d: %v; want code %q", i, err, loser)
		}
	}
	if won < 0 {
		t.Fatalf("nobody won among %d: %v", len(errs), errs)
	}
	return won
}

func sampleRecord(id string) switchyard.Record {
	return switchyard.Record{Deployment: switchyard.Deployment{
		ID: id, App: "web", Env: "production", Version: "v1.4",
		ImageBefore: "123.dkr.ecr.eu-west-1.amazonaws.com/web:v1.3",
		ImageAfter:  "123.dkr.ecr.eu-west-1.amazonaws.com/web:v1.4",
		Config:      "CodeDeployDefault.ECSCanary10Percent5Minutes",
		Status:      switchyard.StatusInProgress,
		RequestedBy: "UALICE", ConfirmedBy: "UALICE",
		Stages: []switchyard.Stage{
			{Name: switchyard.BeforeInstall, Status: switchyard.StageSucceeded, Start: t0, End: t0.Add(3 * time.Second)},
			{Name: switchyard.Install, Status: switchyard.StageInProgress, Start: t0.Add(4 * time.Second)},
		},
		Traffic: switchyard.Traffic{Blue: 90, Green: 10},
		Created: t0,
		Region:  "eu-west-1", Creator: "user", Waiting: switchyard.WaitReady, BlueAlive: true,
		Alarms:         []switchyard.Alarm{{Name: "web-5xx", State: "OK"}},
		TaskDefinition: "web:14", PreviousTaskDefinition: "web:13", Reason: "fix <login> & co",
		Next: switchyard.Next{Kind: switchyard.NextTrafficStep, At: t0.Add(time.Minute), Percent: 40},
	}}
}

// fullRecord sets every field of the domain deployment, so that a round trip
// proves each one is stored.
func fullRecord(t *testing.T, id string) switchyard.Record {
	r := sampleRecord(id)
	r.RolledBackBy, r.RollbackID, r.RollbackOf = "UBOB", "d-RB", "d-PREV"
	r.ErrorCode, r.ErrorText, r.Completed = "HEALTH_CONSTRAINTS", "too many failed tasks", t0.Add(time.Hour)
	r.Backend = switchyard.BackendECS
	r.Pause = switchyard.PauseHook{ID: "ecs-pause-abc", Stage: "POST_TEST_TRAFFIC_SHIFT", Expires: t0.Add(time.Hour).UTC(), TimeoutAction: "ROLLBACK"}
	r.Stages = append(r.Stages, switchyard.Stage{Name: "PRODUCTION_TRAFFIC_SHIFT", Status: switchyard.StageSkipped, Percent: 25},
		switchyard.Stage{Name: "BAKE_TIME", Status: switchyard.StagePending, BakeMinutes: 15},
		switchyard.Stage{Name: "CLEAN_UP", Status: switchyard.StageInProgress, Back: true, Start: t0.Add(time.Minute)})
	r.FreezeOverride = "hotfix for checkout"
	v := reflect.ValueOf(r.Deployment)
	for i := range v.NumField() {
		if v.Field(i).IsZero() {
			t.Fatalf("switchyard.Deployment.%s is not set in the test record: set it, and store it", v.Type().Field(i).Name)
		}
	}
	return r
}

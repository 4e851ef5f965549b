package main

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/pgtest"
	"github.com/switchyard/switchyard/internal/slacksim"
)

// BenchmarkTakeoverAfterKill measures, with real processes, how long a
// deployment in flight goes without an owner when the replica holding it
// is killed with SIGKILL: from the kill to another replica's claim of the
// lease (a new fence in the leases table). Three `bot run` replicas on one
// PostgreSQL and the sandbox's simulators; after each kill a new replica
// joins, and the next kill comes at a random moment of the lease's renewal
// cycle. Takes about 15 s per kill; run it once:
//
//	go test -run '^$' -bench TakeoverAfterKill -benchtime 1x ./cmd/bot/
func BenchmarkTakeoverAfterKill(b *testing.B) {
	db := pgtest.Database(b)
	f := newFleet(b, db)
	f.clock(`{"speed":0}`)
	n := 0
	join := func() *replica {
		n++
		return f.join(fmt.Sprintf("replica %d", n))
	}
	live := []*replica{join(), join(), join()}
	card, id := f.deploy(live)
	f.clock(`{"advance":"1m"}`)
	f.settle(card, 10, live...) // traffic shifting: the deployment's owner polls it every 2 s
	lease := watchLease(b, db, id)
	var took []time.Duration
	for len(took) < max(b.N, 5) {
		// Renewals come every third of the lease; a kill anywhere in
		// that cycle is as likely as anywhere else.
		time.Sleep(rand.N(leaseTTL / 3))
		var d time.Duration
		live, _, _, d = killOwner(b, lease, live, nil)
		took = append(took, d)
		live = append(live, join())
	}
	slices.Sort(took)
	b.ReportMetric(took[len(took)/2].Seconds(), "p50-s")
	b.ReportMetric(took[len(took)-1].Seconds(), "max-s")
	b.ReportMetric(float64(len(took)), "kills")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkAckLatencyThreeReplicas measures how long the bot takes to ack
// a slash command, from the Slack simulator's first delivery of the
// envelope to the ack, with 200 commands in flight at once spread by
// Slack over three `bot run` replicas on one PostgreSQL. Each command
// (/deploy status myapp) reads the store after its ack and answers, so
// the replicas' pools are busy while acks go out.
//
//	go test -run '^$' -bench AckLatencyThreeReplicas -benchtime 3x ./cmd/bot/
func BenchmarkAckLatencyThreeReplicas(b *testing.B) {
	const inFlight = 200
	f := newFleet(b, pgtest.Database(b))
	live := []*replica{f.join("replica 1"), f.join("replica 2"), f.join("replica 3")}
	users := []string{"U0ALICE", "U0BOB", "U0CAROL", "U0DAVE"}
	var lat []time.Duration
	answered := 0
	for b.Loop() {
		before := len(f.acks())
		var wg sync.WaitGroup
		for i := range inFlight {
			wg.Go(func() {
				if err := f.trySlash(users[i%len(users)], "status myapp"); err != nil {
					b.Error(err)
				}
			})
		}
		wg.Wait()
		answered += inFlight
		f.waitChannel(fmt.Sprint(answered, " answers"), func(ms []slacksim.Message) bool {
			n := 0
			for _, m := range ms {
				if m.EphemeralTo != "" && m.Text == "Status of myapp" {
					n++
				}
			}
			return n >= answered
		})
		for _, a := range f.acks()[before:] {
			if a.Missing || a.Late {
				b.Fatalf("envelope %s missed its ack deadline", a.EnvelopeID)
			}
			lat = append(lat, a.Latency)
		}
	}
	share := 1.0
	for _, r := range live {
		got := r.metric(b, `switchyard_slack_envelopes_total{type="slash_commands"}`)
		share = min(share, got/float64(answered))
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
	b.ReportMetric(share, "least-replica-share")
	b.ReportMetric(0, "ns/op")
}

// acks is every envelope the Slack simulator has seen acked or missed.
func (f *fleet) acks() []slacksim.Ack {
	f.t.Helper()
	var acks []slacksim.Ack
	if err := getJSON(f.console+"/_sim/acks", &acks); err != nil {
		f.t.Fatal(err)
	}
	return acks
}

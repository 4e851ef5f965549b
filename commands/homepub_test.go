package commands

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// publishRun drives a homePublisher on a simulated clock: viewers open
// their tab at the start (and again whenever Recent runs out, as someone
// keeping it open would), deployments change what it shows every
// changeEvery each, and the publisher is asked what is due every Tick. It
// returns the publishes of every simulated minute.
func publishRun(opts HomeOptions, viewers, deployments int, changeEvery, length time.Duration) []int {
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	now := start
	opts.Now = func() time.Time { return now }
	p := newHomePublisher(opts, func(context.Context, string) error { return nil })
	perMinute := make([]int, int(length/time.Minute)+1)
	opened := map[string]time.Time{}
	nextChange := make([]time.Time, deployments)
	for i := range nextChange {
		// Deployments started one after another, not in lockstep.
		nextChange[i] = start.Add(time.Duration(i) * changeEvery / time.Duration(deployments))
	}
	for ; now.Before(start.Add(length)); now = now.Add(p.opts.Tick) {
		for v := range viewers {
			user := fmt.Sprintf("U%03d", v)
			if t, ok := opened[user]; !ok || now.Sub(t) >= p.opts.Recent {
				p.opened(user)
				opened[user] = now
			}
		}
		for i := range nextChange {
			for !nextChange[i].After(now) {
				p.changed()
				nextChange[i] = nextChange[i].Add(changeEvery)
			}
		}
		perMinute[int(now.Sub(start)/time.Minute)] += len(p.due(now))
	}
	return perMinute
}

// TestHomePublishesStayUnderSlacksLimit: with 50 deployments changing
// every 2 seconds (notify's fast poll) and 200 people keeping their Home
// tab open, views.publish stays at the configured rate, under Slack's
// Tier 4 (about 100 a minute); with a few viewers each tab is published
// at most once per Gap.
func TestHomePublishesStayUnderSlacksLimit(t *testing.T) {
	for _, viewers := range []int{3, 30, 200} {
		counts := publishRun(HomeOptions{}, viewers, 50, 2*time.Second, 20*time.Minute)
		most := 0
		for _, n := range counts {
			most = max(most, n)
		}
		// 60 a minute, and a burst of 6 that the first minute may add.
		if most > 66 {
			t.Errorf("%d viewers: %d publishes in one minute; the cap is 60 and a burst of 6 (Slack allows about 100)", viewers, most)
		}
		// Each of a few viewers: one publish per Gap at most, plus openings.
		if viewers == 3 && most > 3*(60/5+2) {
			t.Errorf("3 viewers: %d publishes in a minute; want each at most once per 5 s", most)
		}
		if counts[1] == 0 {
			t.Errorf("%d viewers: nothing published in the second minute: %v", viewers, counts)
		}
	}
}

// TestHomePublisherOpensAtOnceAndForgets: an opening is published at
// once, even right after a publish; a change waits for the Gap; a tab not
// opened for Recent is no longer published.
func TestHomePublisherOpensAtOnceAndForgets(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	p := newHomePublisher(HomeOptions{Now: func() time.Time { return now }}, nil)
	p.opened("U1")
	if got := p.due(now); len(got) != 1 || got[0] != "U1" {
		t.Fatalf("due after opening = %v", got)
	}
	p.changed()
	if got := p.due(now.Add(time.Second)); len(got) != 0 {
		t.Fatalf("a change one second after a publish is due: %v", got)
	}
	p.touch("U1")
	if got := p.due(now.Add(2 * time.Second)); len(got) != 1 {
		t.Fatalf("a button pressed is not published at once: %v", got)
	}
	p.changed()
	if got := p.due(now.Add(7 * time.Second)); len(got) != 1 {
		t.Fatalf("a change after the Gap is not published: %v", got)
	}
	p.changed()
	if got := p.due(now.Add(16 * time.Minute)); len(got) != 0 {
		t.Fatalf("a tab not opened for 16 minutes is published: %v", got)
	}
	p.touch("U1") // forgotten: nothing to touch
	if got := p.due(now.Add(17 * time.Minute)); len(got) != 0 {
		t.Fatalf("a forgotten tab is published: %v", got)
	}
}

// BenchmarkHomePublishes reports the most views.publish calls in one
// simulated minute with 50 deployments in flight (each changing every 2 s)
// and 200 people with their Home tab open, over 20 simulated minutes.
func BenchmarkHomePublishes(b *testing.B) {
	most := 0
	for b.Loop() {
		for _, n := range publishRun(HomeOptions{}, 200, 50, 2*time.Second, 20*time.Minute) {
			most = max(most, n)
		}
	}
	b.ReportMetric(float64(most), "publishes/min")
}

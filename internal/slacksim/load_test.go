package slacksim

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"
)

// TestLoadTenConnectionsThousandEnvelopes: ten replicas of an app share the
// load; every envelope reaches exactly one of them and is acked.
func TestLoadTenConnectionsThousandEnvelopes(t *testing.T) {
	const conns, envelopes = 10, 1000
	// Slack's own pacing: pings every few seconds, slack-go's default
	// patience of 30 s. Busy clients on a shared machine must not look dead.
	s := newSim(t, Options{PingInterval: 5 * time.Second})
	bots := make([]*testBot, conns)
	for i := range bots {
		bots[i] = startBot(t, s, func(b *testBot) { b.pingInterval = 30 * time.Second })
	}
	waitConns(t, s, conns)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(50)
	var mu sync.Mutex
	ids := map[string]bool{}
	users := []string{"U0ALICE", "U0BOB", "U0CAROL", "U0DAVE"}
	for i := 0; i < envelopes; i++ {
		g.Go(func() error {
			res, err := s.Slash(gctx, SlashRequest{UserID: users[i%4], ChannelID: "C0DEPLOYS", Command: "/deploy", Text: fmt.Sprint(i)})
			if err != nil {
				return fmt.Errorf("envelope %d: %w", i, err)
			}
			mu.Lock()
			defer mu.Unlock()
			if ids[res.EnvelopeID] {
				return fmt.Errorf("envelope id %s twice", res.EnvelopeID)
			}
			ids[res.EnvelopeID] = true
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d envelopes over %d connections in %v", envelopes, conns, time.Since(start))

	total := 0
	for i, b := range bots {
		b.mu.Lock()
		n := len(b.seen)
		for id, times := range b.seen {
			if times != 1 {
				t.Errorf("bot %d saw %s %d times", i, id, times)
			}
			if !ids[id] {
				t.Errorf("bot %d saw unknown envelope %s", i, id)
			}
		}
		b.mu.Unlock()
		if n == 0 {
			t.Errorf("bot %d got no envelope: the load is not shared", i)
		}
		total += n
	}
	if total != envelopes {
		t.Fatalf("bots saw %d envelopes, want %d", total, envelopes)
	}
	acks := s.Acks()
	if len(acks) != envelopes {
		t.Fatalf("%d acks recorded", len(acks))
	}
	for _, a := range acks {
		if a.Missing || a.Deliveries != 1 {
			t.Fatalf("ack %+v", a)
		}
	}
	if len(s.UserErrors()) != 0 {
		t.Fatalf("user errors: %+v", s.UserErrors())
	}
}

package commands

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/slacksim"
)

// BenchmarkAckLatency measures how long the bot takes to ack a slash
// command, from the simulator's first delivery of the envelope to the ack
// on the socket, with 200 commands in flight at once over one real Socket
// Mode connection. Each command does real work after its ack (a store read
// and an ephemeral answer), so the pool is busy while acks go out.
func BenchmarkAckLatency(b *testing.B) {
	w := newWorld(b, worldOptions{})
	const inFlight = 200
	var lat []time.Duration
	b.ResetTimer()
	for range b.N {
		before := len(w.slack.Acks())
		w.expect(inFlight)
		var wg sync.WaitGroup
		for i := range inFlight {
			wg.Add(1)
			go func() {
				defer wg.Done()
				user := []string{alice, bob, carol, dave}[i%4]
				if _, err := w.slack.Slash(context.Background(), slacksim.SlashRequest{
					UserID: user, ChannelID: deploys, Command: cmdName, Text: "status web"}); err != nil {
					b.Error(err)
				}
			}()
		}
		wg.Wait()
		w.settle()
		for _, a := range w.slack.Acks()[before:] {
			if a.Missing || a.Late {
				b.Fatalf("envelope %s missed its ack deadline", a.EnvelopeID)
			}
			lat = append(lat, a.Latency)
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
	b.ReportMetric(0, "ns/op")
}

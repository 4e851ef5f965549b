package notify

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"go.uber.org/zap"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/slacksim"
	"github.com/switchyard/switchyard/store"
)

// BenchmarkCardLatency measures the time from a simulated state change (a
// traffic step of a linear deployment) to the card edit that shows it, with
// the fast poll at 250 ms and no nudges: what a person watching sees.
func BenchmarkCardLatency(b *testing.B) {
	r := newRig(b, Options{Poll: time.Second, FastPoll: 250 * time.Millisecond})
	events, stop := r.slack.Subscribe()
	defer stop()
	var lat []time.Duration
	for len(lat) < max(b.N, 10) {
		id, ts := r.deploy("myapp", "v1.4", "U0ALICE", "")
		r.run(10*time.Second, 10*time.Minute, func() bool { return r.record(id).Traffic.Green > 0 })
		for r.record(id).Traffic.Green < 100 {
			drain(events)
			r.aws.Advance(time.Minute)
			t0 := time.Now()
			waitEdit(b, events, ts)
			lat = append(lat, time.Since(t0))
		}
		r.run(time.Minute, 30*time.Minute, r.finished(id))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Milliseconds()), "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Milliseconds()), "p99-ms")
}

func drain(ch <-chan slacksim.StreamEvent) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}

func waitEdit(b *testing.B, ch <-chan slacksim.StreamEvent, ts string) {
	timeout := time.After(10 * time.Second)
	for {
		select {
		case e := <-ch:
			if e.Kind == "update" && e.TS == ts {
				return
			}
		case <-timeout:
			b.Fatal("no card edit within 10s")
		}
	}
}

// BenchmarkCallsPerDeployment counts Slack and AWS calls notify makes for
// one deployment of each predefined config, looking once per 10 simulated
// seconds (what Poll 10s gives in real time; FastPoll would add more).
func BenchmarkCallsPerDeployment(b *testing.B) {
	for _, cfg := range config.PredefinedConfigs() {
		b.Run(strings.TrimPrefix(cfg, "CodeDeployDefault."), func(b *testing.B) {
			for range b.N {
				r := newRig(b, Options{Poll: time.Hour, FastPoll: time.Hour, Discover: time.Hour, QueueURL: "off"})
				r.settle()
				before := r.slack.Calls()
				id, ts := r.deploy("myapp", "v1.4", "U0ALICE", cfg)
				awsBefore := r.awsCalls.Load()
				r.run(10*time.Second, time.Hour, r.finished(id))
				after := r.slack.Calls()
				slackCalls := after["chat.update"] - before["chat.update"] + after["chat.postMessage"] - before["chat.postMessage"] - 1
				b.ReportMetric(float64(slackCalls), "slack-calls")
				b.ReportMetric(float64(r.awsCalls.Load()-awsBefore), "aws-calls")
				b.ReportMetric(float64(len(r.thread(ts))), "replies")
			}
		})
	}
}

// fakeAWS is a Describer whose deployments all follow one script, moved by
// the benchmark: what 100 or 500 deployments look like without 100 ECS
// services in the simulator.
type fakeAWS struct {
	phase atomic.Int32
	calls atomic.Int64
	start time.Time
}

func (f *fakeAWS) Describe(_ context.Context, env switchyard.Environment, id string) (*switchyard.Observation, error) {
	f.calls.Add(1)
	st := &switchyard.Observation{ID: id, Status: switchyard.StatusInProgress, Creator: "user", BlueAlive: true,
		Config: "CodeDeployDefault.ECSAllAtOnce", Created: f.start, Traffic: switchyard.Traffic{Blue: 100}}
	stage := func(name string, s switchyard.StageStatus) switchyard.Stage {
		return switchyard.Stage{Name: name, Status: s, Start: f.start, End: f.start.Add(time.Second)}
	}
	switch f.phase.Load() {
	case 0:
		st.Stages = []switchyard.Stage{stage(switchyard.BeforeInstall, switchyard.StageSucceeded), stage(switchyard.Install, switchyard.StageInProgress)}
	case 1:
		st.Stages = []switchyard.Stage{stage(switchyard.BeforeInstall, switchyard.StageSucceeded), stage(switchyard.Install, switchyard.StageSucceeded),
			stage(switchyard.AllowTraffic, switchyard.StageInProgress)}
		st.Traffic = switchyard.Traffic{Blue: 50, Green: 50}
	default:
		st.Status, st.Completed = switchyard.StatusSucceeded, f.start.Add(5*time.Minute)
		st.Stages = []switchyard.Stage{stage(switchyard.BeforeInstall, switchyard.StageSucceeded), stage(switchyard.Install, switchyard.StageSucceeded),
			stage(switchyard.AllowTraffic, switchyard.StageSucceeded)}
		st.Traffic = switchyard.Traffic{Green: 100}
	}
	return st, nil
}

func (f *fakeAWS) Recent(context.Context, switchyard.Environment, time.Time) ([]*switchyard.Observation, error) {
	return nil, nil
}

// fleet is n recorded deployments with cards in #deploys, watched by a
// Notifier over the fake AWS and the real slack-go on the simulator.
func fleet(b *testing.B, n int, rate slacksim.RateMode) (*fakeAWS, *slacksim.Server, *store.Store, []string, func()) {
	ctx := context.Background()
	ss := slacksim.New(slacksim.Options{})
	if err := ss.Start("127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(ss.Close)
	sc := slack.New(ss.BotToken(), slack.OptionAPIURL(ss.URL()))
	st, err := store.Open(ctx, filepath.Join(b.TempDir(), "s.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	cb, err := os.ReadFile("testdata/switchyard.yaml")
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := config.Parse("switchyard.yaml", cb)
	if err != nil {
		b.Fatal(err)
	}
	f := &fakeAWS{start: time.Now()}
	var ids []string
	for i := range n {
		id := fmt.Sprintf("d-%09d", i)
		_, ts, err := sc.PostMessageContext(ctx, channel, slack.MsgOptionText("Starting…", false))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := st.CreateDeployment(ctx, switchyard.Record{Deployment: switchyard.Deployment{ID: id, App: "myapp", Env: "production",
			Version: "v1." + strconv.Itoa(i), Status: switchyard.StatusCreated, RequestedBy: "U0ALICE"},
			CardChannel: channel, CardTS: ts}); err != nil {
			b.Fatal(err)
		}
		ids = append(ids, id)
	}
	ss.SetRateLimit(rate)
	nt := New(sc, nil, f, st, cfg, zap.NewNop(), Options{Poll: 2 * time.Second, FastPoll: time.Second, Discover: time.Hour})
	rctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { _ = nt.Run(rctx) })
	return f, ss, st, ids, func() { cancel(); wg.Wait() }
}

// Benchmark100Concurrent runs 100 deployments in one channel under
// Slack's real rate limits and reports how long until every final result
// is in its thread and on its card.
func Benchmark100Concurrent(b *testing.B) {
	for range b.N {
		f, ss, st, ids, stop := fleet(b, 100, slacksim.RateReal)
		t0 := time.Now()
		time.Sleep(3 * time.Second)
		f.phase.Store(1)
		time.Sleep(3 * time.Second)
		f.phase.Store(2)
		ctx := context.Background()
		for {
			done := 0
			for _, id := range ids {
				got, err := st.Replies(ctx, id)
				if err == nil && got[switchyard.KeyFinal] != "" {
					done++
				}
			}
			if done == len(ids) {
				break
			}
			if time.Since(t0) > 10*time.Minute {
				b.Fatalf("only %d of %d final results shown after 10 minutes", done, len(ids))
			}
			time.Sleep(500 * time.Millisecond)
		}
		b.ReportMetric(time.Since(t0).Seconds(), "s-to-all-final")
		stop()
		cards := 0
		for _, m := range ss.Messages(channel) {
			if m.ThreadTS == "" && strings.Contains(m.Text, "succeeded") {
				cards++
			}
		}
		if cards != len(ids) {
			b.Errorf("%d of %d cards show the final state", cards, len(ids))
		}
		calls := ss.Calls()
		b.ReportMetric(float64(calls["chat.postMessage"]-len(ids)), "posts")
		b.ReportMetric(float64(calls["chat.update"]), "updates")
		b.ReportMetric(float64(f.calls.Load())/float64(len(ids)), "describes/deployment")
	}
}

// BenchmarkMemory500 tracks 500 deployments in flight and reports the heap
// and the process's resident memory.
func BenchmarkMemory500(b *testing.B) {
	for range b.N {
		f, _, _, _, stop := fleet(b, 500, slacksim.RateOff)
		f.phase.Store(1)
		time.Sleep(8 * time.Second)
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "heap-MB")
		b.ReportMetric(rssMB(), "rss-MB")
		stop()
	}
}

// rssMB reads the resident set size from /proc (Linux); 0 elsewhere.
func rssMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

package notify

import (
	"context"
	"testing"
	"time"

	"github.com/switchyard/switchyard"
)

// BenchmarkCallsPerECSDeployment counts what BenchmarkCallsPerDeployment
// counts, for one deployment of checkout, which ECS deploys itself
// (linear in 25% steps a minute apart, a Lambda hook, a pause continued as
// soon as it shows, a two-minute bake), looking once per 10 simulated
// seconds. AWS calls include the deployer's Continue and the bot's reads of
// the deployment, its revisions and its alarms.
func BenchmarkCallsPerECSDeployment(b *testing.B) {
	for range b.N {
		r := newRig(b, Options{Poll: time.Hour, FastPoll: time.Hour, Discover: time.Hour, QueueURL: "off"})
		r.settle()
		before := r.slack.Calls()
		id, ts := r.deploy("checkout", "v2.1", "U0ALICE", "")
		awsBefore := r.awsCalls.Load()
		continued := false
		r.run(10*time.Second, time.Hour, func() bool {
			if rec := r.record(id); rec.Waiting == switchyard.WaitPause && !continued {
				if err := r.dep.ContinueHook(context.Background(), r.env("checkout"), id, rec.Pause.ID, switchyard.Actor{User: "U0ALICE"}); err != nil {
					b.Fatal(err)
				}
				continued = true
			}
			return r.finished(id)()
		})
		after := r.slack.Calls()
		slackCalls := after["chat.update"] - before["chat.update"] + after["chat.postMessage"] - before["chat.postMessage"] - 1
		b.ReportMetric(float64(slackCalls), "slack-calls")
		b.ReportMetric(float64(r.awsCalls.Load()-awsBefore), "aws-calls")
		b.ReportMetric(float64(len(r.thread(ts))), "replies")
	}
}

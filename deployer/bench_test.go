package deployer_test

import (
	"context"
	"testing"
	"time"

	"github.com/switchyard/switchyard"
)

// BenchmarkPlanToRunningDeployment measures what it costs to go from
// "deploy web v1.4" to a deployment CodeDeploy has accepted: Plan, then
// Start, against the simulator over HTTP with the real SDK clients. It
// reports the AWS calls each takes; the aim is at most 6 for Start.
func BenchmarkPlanToRunningDeployment(b *testing.B) {
	h := newHarness(b)
	ctx := context.Background()
	versions := []string{"v1.4", "v1.5"}
	var planCalls, startCalls, n int
	for b.Loop() {
		p, err := h.d.Plan(ctx, webEnv, versions[n%2], switchyard.PlanOptions{App: "web"})
		if err != nil {
			b.Fatal(err)
		}
		planCalls += len(h.rec.take())
		id, err := h.d.Start(ctx, p, switchyard.Actor{User: "alice", Channel: "#deploys"})
		if err != nil {
			b.Fatal(err)
		}
		startCalls += len(h.rec.take())
		n++

		b.StopTimer()
		// Play the deployment to its end (canary 5 minutes, termination
		// wait 5 minutes) so that the next one may start.
		h.sim.Advance(15 * time.Minute)
		st, err := h.d.Describe(ctx, webEnv, id)
		if err != nil || st.Status != switchyard.StatusSucceeded {
			b.Fatalf("deployment %s: %v %v", id, st, err)
		}
		h.rec.take()
		b.StartTimer()
	}
	b.ReportMetric(float64(planCalls)/float64(n), "plan-calls/op")
	b.ReportMetric(float64(startCalls)/float64(n), "start-calls/op")
	b.ReportMetric(float64(planCalls+startCalls)/float64(n), "aws-calls/op")
}

package deployer_test

import (
	"context"
	"testing"

	"github.com/switchyard/switchyard"
)

// BenchmarkRoleAssumptionPerDeployment measures the AWS calls that acting
// through an environment's role adds to a deployment: three people take
// turns deploying staging (another account and region) through its role,
// each Plan and Start against the simulator over HTTP with the real SDK
// clients. Every call STS gets is counted. The aim: at most one AssumeRole
// per person per hour per role (plus one for the bot's reads), so per
// deployment the figure falls towards zero as people deploy more.
func BenchmarkRoleAssumptionPerDeployment(b *testing.B) {
	a := newAccounts(b)
	ctx := context.Background()
	people := []string{"U0ALICE", "U0BOB", "U0CAROL"}
	versions := []string{"v2", "v3"}
	n := 0
	for b.Loop() {
		p, err := a.d.Plan(ctx, shopStaging, versions[n%2], switchyard.PlanOptions{App: "shop"})
		if err != nil {
			b.Fatal(err)
		}
		id, err := a.d.Start(ctx, p, switchyard.Actor{User: people[n%len(people)], Channel: "C0DEPLOYS"})
		if err != nil {
			b.Fatal(err)
		}
		n++
		b.StopTimer()
		a.finish(shopStaging, id)
		b.StartTimer()
	}
	calls := a.sts.count()
	b.ReportMetric(float64(calls)/float64(n), "sts-calls/deploy")
	b.ReportMetric(float64(calls), "sts-calls")
	if max := len(people) + 1; calls > max {
		b.Fatalf("%d AssumeRole calls for %d deployments by %d people, want at most %d", calls, n, len(people), max)
	}
}

package notify

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/slack-go/slack"
	"go.uber.org/zap"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/deployer"
	"github.com/switchyard/switchyard/internal/awssim"
	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/pgtest"
	"github.com/switchyard/switchyard/internal/setup"
	"github.com/switchyard/switchyard/internal/simtest"
	"github.com/switchyard/switchyard/internal/slacksim"
	"github.com/switchyard/switchyard/store"
)

// BenchmarkAWSReadsPerReplica counts the AWS read calls the bot makes in
// one real minute while 50 deployments shift traffic, with one replica and
// with three sharing one PostgreSQL: each replica is a Notifier with its
// own store connection, its own deployer (the real one, over HTTP to the
// AWS simulator) and its own events consumer, in one process. With the
// production intervals (a look every 2 s while traffic shifts, discovery
// every 30 s, 15 s leases), the same work should cost the same reads
// however many replicas share it. Takes about three minutes:
//
//	go test -run '^$' -bench AWSReadsPerReplica -benchtime 1x ./notify/
func BenchmarkAWSReadsPerReplica(b *testing.B) {
	const deployments = 50
	var perMin [2]float64
	for i, replicas := range []int{1, 3} {
		calls := readsPerMinute(b, deployments, replicas)
		total := 0
		var by []string
		for _, op := range slices.Sorted(maps.Keys(calls)) {
			total += calls[op]
			by = append(by, fmt.Sprint(op, " ", calls[op]))
		}
		b.Logf("%d replica(s): %d reads in a minute: %s", replicas, total, strings.Join(by, ", "))
		perMin[i] = float64(total)
	}
	b.ReportMetric(perMin[0], "reads/min-1-replica")
	b.ReportMetric(perMin[1], "reads/min-3-replicas")
	b.ReportMetric(perMin[1]/perMin[0], "ratio")
	b.ReportMetric(0, "ns/op")
}

// readsPerMinute starts n deployments, all shifting traffic, watched by
// the given number of replicas, and counts the read calls every replica
// made to AWS in the next minute, by operation.
func readsPerMinute(b *testing.B, n, replicas int) map[string]int {
	ctx := context.Background()
	worldYAML, cfgYAML := fleetOf(n)
	w, err := awssim.LoadWorld([]byte(worldYAML))
	if err != nil {
		b.Fatal(err)
	}
	sim := awssim.New(w.Options(awssim.Options{Start: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}))
	if err := sim.Seed(w); err != nil {
		b.Fatal(err)
	}
	if err := sim.Start("127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	defer sim.Close()
	cfg, err := config.Parse("fleet.yaml", []byte(cfgYAML))
	if err != nil {
		b.Fatal(err)
	}
	awsCfg := sim.Config()
	if _, err := setup.Run(ctx, cfg, eventbridge.NewFromConfig(awsCfg), sqs.NewFromConfig(awsCfg), setup.Options{}); err != nil {
		b.Fatal(err)
	}
	ss := simtest.Slack(b, slacksim.Options{})
	sc := slack.New(ss.BotToken(), slack.OptionAPIURL(ss.URL()))
	db := pgtest.Database(b)

	counters := make([]*opCounter, replicas)
	notifiers := make([]*Notifier, replicas)
	rctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	var st *store.Store
	for i := range replicas {
		s, err := store.OpenOptions(ctx, db, store.Options{Now: sim.Clock().Now})
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		st = s
		counters[i] = &opCounter{next: awshttp.NewBuildableClient(), n: map[string]int{}}
		rc := awsCfg.Copy()
		rc.HTTPClient = counters[i]
		dep := deployer.NewFromConfig(rc, zap.NewNop(), deployer.Options{Now: sim.Clock().Now})
		nt := New(sc, sqs.NewFromConfig(rc), dep, s, cfg, zap.NewNop(), Options{
			QueueURL: sim.QueueURL(cfg.Events.Queue), Now: sim.Clock().Now, Alarms: dep, Replica: fmt.Sprint("replica-", i+1)})
		notifiers[i] = nt
		wg.Go(func() { _ = nt.Run(rctx) })
	}

	// What commands does on Confirm, for each app: a confirmed request,
	// the deployment started, and a Watch by the replica that took the
	// click (any of them).
	starter := deployer.NewFromConfig(awsCfg, zap.NewNop(), deployer.Options{Now: sim.Clock().Now})
	var ids []string
	for i, a := range cfg.Apps {
		env, _ := a.Env("")
		plan, err := starter.Plan(ctx, env, "v2", switchyard.PlanOptions{App: a.Name})
		if err != nil {
			b.Fatal(err)
		}
		req, err := st.CreatePending(ctx, switchyard.Pending{App: a.Name, Env: env.Name, Version: plan.Version, Plan: plan,
			RequestedBy: "U0ALICE", Channel: channel, Expires: sim.Clock().Now().Add(time.Hour)})
		if err != nil {
			b.Fatal(err)
		}
		id, err := starter.Start(ctx, plan, switchyard.Actor{User: "U0ALICE", Channel: channel, Request: req.ID})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := st.Transition(ctx, req.ID, []switchyard.PendingState{switchyard.StatePending}, switchyard.StateConfirmed,
			switchyard.Change{By: "U0ALICE", DeploymentID: id}); err != nil {
			b.Fatal(err)
		}
		notifiers[i%replicas].Watch(ctx, id)
		ids = append(ids, id)
	}
	sim.Advance(time.Minute) // installed, traffic at 10% for as long as the clock stands
	simtest.WaitWithin(b, 2*time.Minute, "every card showing traffic shifting", func() bool {
		for _, id := range ids {
			rec, err := st.GetDeployment(ctx, id)
			if err != nil || rec.Traffic.Green != 10 || rec.CardTS == "" {
				return false
			}
		}
		return true
	}, nil)

	before := make([]map[string]int, replicas)
	for i, c := range counters {
		before[i] = c.snapshot()
	}
	time.Sleep(time.Minute) // the figure is per real minute
	out := map[string]int{}
	for i, c := range counters {
		for op, v := range c.snapshot() {
			if d := v - before[i][op]; d > 0 && isRead(op) {
				out[op] += d
			}
		}
	}
	return out
}

// isRead reports whether an operation only reads.
func isRead(op string) bool {
	_, name, _ := strings.Cut(op, ".")
	for _, p := range []string{"Get", "Describe", "List", "BatchGet", "ReceiveMessage"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// opCounter counts a replica's AWS calls by service and operation, as the
// request names them: X-Amz-Target for JSON protocols, the path's last part
// for CloudWatch's CBOR.
type opCounter struct {
	next interface {
		Do(*http.Request) (*http.Response, error)
	}
	mu sync.Mutex
	n  map[string]int
}

func (c *opCounter) Do(r *http.Request) (*http.Response, error) {
	op := r.Header.Get("X-Amz-Target")
	if op == "" {
		parts := strings.Split(r.URL.Path, "/")
		op = "CloudWatch." + parts[len(parts)-1]
	}
	if i := strings.LastIndexByte(op, '.'); i >= 0 {
		// CodeDeploy_20141006.GetDeployment → CodeDeploy.GetDeployment
		svc, _, _ := strings.Cut(op[:i], "_")
		op = svc + op[i:]
	}
	c.mu.Lock()
	c.n[op]++
	c.mu.Unlock()
	return c.next.Do(r)
}

func (c *opCounter) snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.n)
}

// fleetOf writes an AWS world of n blue/green services behind CodeDeploy,
// each with its alarm and its image v2, and the bot's configuration of n
// apps that deploy them from #deploys.
func fleetOf(n int) (world, cfg string) {
	var w, c strings.Builder
	w.WriteString("account: \"123456789012\"\nregion: us-east-1\nclusters:\n  - name: prod\n    services:\n")
	for i := range n {
		fmt.Fprintf(&w, `      - name: svc%02[1]d
        desiredCount: 2
        launchType: FARGATE
        loadBalancers:
          - targetGroupArn: arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/svc%02[1]d-blue/0123456789abcdef
            containerName: web
            containerPort: 8080
        taskDefinition:
          family: svc%02[1]d
          containerDefinitions:
            - name: web
              image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/svc%02[1]d:v1
              portMappings:
                - containerPort: 8080
`, i)
	}
	w.WriteString("repositories:\n")
	for i := range n {
		fmt.Fprintf(&w, "  - name: svc%02d\n    tags: [v1, v2]\n", i)
	}
	w.WriteString("alarms:\n")
	for i := range n {
		fmt.Fprintf(&w, "  - name: svc%02d-5xx\n    state: OK\n", i)
	}
	w.WriteString("applications:\n")
	for i := range n {
		fmt.Fprintf(&w, `  - name: app%02[1]d
    deploymentGroups:
      - name: grp%02[1]d
        service: {cluster: prod, name: svc%02[1]d}
        deploymentConfig: CodeDeployDefault.ECSLinear10PercentEvery1Minutes
        terminationWaitMinutes: 5
        alarms: [svc%02[1]d-5xx]
        autoRollback: {enabled: true, events: [DEPLOYMENT_FAILURE, DEPLOYMENT_STOP_ON_ALARM]}
        targetGroups: [svc%02[1]d-blue, svc%02[1]d-green]
`, i)
	}
	c.WriteString("region: us-east-1\nevents:\n  queue: switchyard-events\n  rule: switchyard-deployments\napps:\n")
	for i := range n {
		fmt.Fprintf(&c, `  - name: svc%02[1]d
    channels: [C0DEPLOYS]
    access:
      deploy: [U0ALICE]
    environments:
      - name: production
        cluster: prod
        service: svc%02[1]d
        container: web
        container_port: 8080
        codedeploy:
          application: app%02[1]d
          deployment_group: grp%02[1]d
`, i)
	}
	return w.String(), c.String()
}

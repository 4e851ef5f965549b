package main

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchyard/switchyard/internal/pgtest"
	"github.com/switchyard/switchyard/internal/simtest"
	"github.com/switchyard/switchyard/internal/slacksim"
)

// leaseTTL is the lease time `bot run` uses (notify's default): the aim
// for a takeover after the owner dies.
const leaseTTL = 15 * time.Second

// query is a read-only command typed while a replica is down, and the text
// of its answer, as a regular expression.
type query struct{ user, text, answer string }

var queries = []query{
	{"U0ALICE", "status myapp", `^Status of myapp$`},
	{"U0BOB", "list", `^\d+ apps$`},
	{"U0CAROL", "status", `^Status$`},
	{"U0DAVE", "history myapp", `^Deployments of myapp$`},
}

// TestThreeReplicasThroughKillsAndAnOutage runs the sandbox's simulators in
// their own process and three `bot run` replicas on one PostgreSQL. While
// alice's deployment shifts traffic, the replica that holds its lease is
// killed with SIGKILL, three times (each time a new replica joins, so three
// stay up), and commands are typed while it is down; then PostgreSQL itself
// stops and starts again on the same data. The deployment reaches success
// on the card alice confirmed, its thread tells every stage and traffic
// step once and in order; the lease only ever moves forward (a new fence
// for each new owner) and to a live replica within the lease's time; the
// card is edited and the thread written by one replica at a time, in the
// order they held the lease; every command is answered once; every replica
// answers /readyz 503 while the database is down and 200 again after.
func TestThreeReplicasThroughKillsAndAnOutage(t *testing.T) {
	ctx := context.Background()
	srv, err := pgtest.Start(ctx) // its own server: the test stops it
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	db, err := srv.CreateDatabase(ctx, "replicas")
	if err != nil {
		t.Fatal(err)
	}
	f := newFleet(t, db)
	f.clock(`{"speed":0}`) // the test moves simulated time, step by step
	var all []*replica     // every replica started, killed ones too
	join := func() *replica {
		r := f.join(fmt.Sprintf("replica %d", len(all)+1))
		all = append(all, r)
		return r
	}
	live := []*replica{join(), join(), join()}

	card, id := f.deploy(live)
	lease := watchLease(t, db, id)

	steps := 0 // traffic steps made so far, 10% each, a simulated minute apart
	step := func() {
		t.Helper()
		steps++
		f.clock(`{"advance":"1m"}`)
		f.settle(card, steps*10, live...)
	}
	step() // installed; the first traffic step

	var takeovers []time.Duration
	asked := map[query]int{}
	for kill := 1; kill <= 3; kill++ {
		var victim, heir *replica
		var took time.Duration
		live, victim, heir, took = killOwner(t, lease, live, func() {
			// Commands while the deployment has no owner; Slack hands
			// them to the sockets still open.
			var wg sync.WaitGroup
			errs := make(chan error, len(queries))
			for _, q := range queries {
				asked[q]++
				wg.Go(func() { errs <- f.trySlash(q.user, q.text) })
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Errorf("a command typed after kill %d: %v", kill, err)
				}
			}
		})
		takeovers = append(takeovers, took)
		t.Logf("kill %d: %s killed, %s took over in %v", kill, victim.name, heir.name, took)
		simtest.WaitFor(t, heir.name+" counting its takeover", func() bool {
			return heir.metric(t, "switchyard_lease_takeovers_total") >= 1 && heir.metric(t, "switchyard_deployments_tracked") == 1
		}, nil)
		live = append(live, join())
		step()
	}
	for _, took := range takeovers {
		// A lease renewed just before the kill runs for leaseTTL after it;
		// the rest is a poll tick and a loaded machine.
		if took > leaseTTL+5*time.Second {
			t.Errorf("a takeover took %v; the lease runs %v", took, leaseTTL)
		}
	}

	// The database stops: every replica says it is not ready, and the
	// owner fails to look at the deployment; AWS moves on meanwhile. It
	// starts again on the same data: nothing is lost.
	owner := ownerOf(live, lastRow(lease).owner)
	failedLooks := owner.log.count("look at deployment")
	if err := srv.Halt(); err != nil {
		t.Fatal(err)
	}
	down := time.Now()
	f.clock(`{"advance":"1m"}`)
	steps++
	for _, r := range live {
		r.waitReadyz(t, 503, storeDown)
	}
	simtest.WaitFor(t, owner.name+" failing to look at the deployment", func() bool {
		return owner.log.count("look at deployment") > failedLooks
	}, owner.log.String)
	if err := srv.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	for _, r := range live {
		r.waitReadyz(t, 200, allReady)
	}
	t.Logf("PostgreSQL was down for %v", time.Since(down).Round(time.Millisecond))
	f.settle(card, steps*10, live...)
	for steps < 10 {
		step()
	}
	f.clock(`{"advance":"30m"}`) // the termination wait, and the end
	msgs := f.waitChannel("the success broadcast", func(ms []slacksim.Message) bool {
		return strings.Contains(simtest.Texts(simtest.Thread(ms, card)), "is live in production")
	}, live...)

	if msgs[0].TS != card || !strings.Contains(msgs[0].Text, "succeeded") {
		t.Errorf("the card is %s %q, want the confirmed message %s, succeeded", msgs[0].TS, msgs[0].Text, card)
	}
	var top []string
	for _, m := range msgs {
		if m.EphemeralTo == "" && (m.ThreadTS == "" || m.ReplyBroadcast) {
			top = append(top, m.Text)
		}
	}
	if len(top) != 2 {
		t.Errorf("the channel shows %d messages, want the card and the broadcast:\n%s", len(top), strings.Join(top, "\n"))
	}
	told := threadLines(simtest.Thread(msgs, card))
	noDuplicateLines(t, told)
	want := []string{"*BeforeInstall* succeeded", "*Install* succeeded", "*AfterInstall* succeeded",
		"*BeforeAllowTraffic* succeeded", "*AllowTraffic* started"}
	for p := 10; p <= 100; p += 10 {
		want = append(want, fmt.Sprintf(" %d%% of traffic on green", p))
	}
	want = append(want, "*AllowTraffic* succeeded", "is live in production")
	simtest.InOrder(t, strings.Join(told, "\n"), want...)

	f.answeredOnce(asked)
	checkLeaseHistory(t, lease.seen(), all)
	oneWriterAtATime(t, card, lease.seen(), all)
	t.Logf("takeovers after SIGKILL: %v", takeovers)
}

// deploy has alice deploy myapp v1.4 and confirm it, and returns the card
// and the deployment's id.
func (f *fleet) deploy(logs []*replica) (card, id string) {
	f.t.Helper()
	f.slash("U0ALICE", "myapp v1.4")
	msgs := f.waitChannel("the confirmation card", func(ms []slacksim.Message) bool {
		return len(ms) > 0 && slices.Contains(simtest.Buttons(ms[0]), "confirm")
	}, logs...)
	card = msgs[0].TS
	f.click("U0ALICE", card, "confirm")
	f.waitChannel("the deployment card", func(ms []slacksim.Message) bool {
		return strings.Contains(ms[0].Text, "myapp v1.4 → production")
	}, logs...)
	return card, deploymentOnCard(f.t, f.db, card)
}

// killOwner kills with SIGKILL the live replica that holds the lease, runs
// meanwhile, and waits until another takes the lease over with a new
// fence. It returns the replicas still alive, the one killed, the heir,
// and the time from the kill to the takeover.
func killOwner(t testing.TB, lease *leaseWatch, live []*replica, meanwhile func()) (rest []*replica, victim, heir *replica, took time.Duration) {
	t.Helper()
	lease.waitFor(t, "an owner of the deployment", func(r leaseRow) bool { return r.owner != "" })
	held := lastRow(lease)
	victim = ownerOf(live, held.owner)
	if victim == nil {
		t.Fatalf("the lease is held by %q, none of the live replicas", held.owner)
	}
	killed := time.Now()
	victim.kill(t)
	rest = slices.DeleteFunc(slices.Clone(live), func(r *replica) bool { return r == victim })
	if meanwhile != nil {
		meanwhile()
	}
	next := lease.waitFor(t, "a takeover after killing "+victim.name, func(r leaseRow) bool {
		return r.fence > held.fence && r.owner != ""
	})
	if heir = ownerOf(rest, next.owner); heir == nil {
		t.Fatalf("the lease went to %q, not a live replica", next.owner)
	}
	return rest, victim, heir, next.at.Sub(killed)
}

// settle waits until the card and its thread show pct% of traffic on green.
func (f *fleet) settle(card string, pct int, logs ...*replica) {
	f.t.Helper()
	line, bar := fmt.Sprintf(" %d%% of traffic on green", pct), fmt.Sprintf("%d%% green", pct)
	f.waitChannel(line+" on the card and in its thread", func(ms []slacksim.Message) bool {
		return strings.Contains(simtest.Texts(simtest.Thread(ms, card)), line) && strings.Contains(simtest.Shown(ms[0]), bar)
	}, logs...)
}

// deploymentOnCard waits until the store links a deployment to the card
// and returns its id.
func deploymentOnCard(t testing.TB, db, card string) string {
	t.Helper()
	var id string
	simtest.WaitFor(t, "the deployment of card "+card+" in the store", func() bool {
		conn, err := pgx.Connect(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		err = conn.QueryRow(context.Background(), `SELECT id FROM deployments WHERE card_ts = $1`, card).Scan(&id)
		return err == nil
	}, nil)
	return id
}

// lastRow is the lease's latest state seen.
func lastRow(w *leaseWatch) leaseRow {
	rows := w.seen()
	return rows[len(rows)-1]
}

// ownerOf is the replica a lease's owner names, nil when none of rs.
func ownerOf(rs []*replica, owner string) *replica {
	for _, r := range rs {
		if r.owns(owner) {
			return r
		}
	}
	return nil
}

// threadLines splits a thread's replies into lines: the sender puts
// replies that are due together in one message.
func threadLines(ms []slacksim.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, strings.Split(m.Text, "\n")...)
	}
	return out
}

func noDuplicateLines(t testing.TB, lines []string) {
	t.Helper()
	seen := map[string]bool{}
	for _, l := range lines {
		if seen[l] {
			t.Errorf("told twice: %q in\n%s", l, strings.Join(lines, "\n"))
		}
		seen[l] = true
	}
}

// answeredOnce waits until every command asked has its answer, then wants
// exactly one answer per command: none lost, none doubled.
func (f *fleet) answeredOnce(asked map[query]int) {
	f.t.Helper()
	count := func(ms []slacksim.Message) map[query]int {
		got := map[query]int{}
		for _, m := range ms {
			for q := range asked {
				if m.EphemeralTo == q.user && regexp.MustCompile(q.answer).MatchString(m.Text) {
					got[q]++
				}
			}
		}
		return got
	}
	msgs := f.waitChannel("an answer to every command", func(ms []slacksim.Message) bool {
		got := count(ms)
		for q, n := range asked {
			if got[q] < n {
				return false
			}
		}
		return true
	})
	for q, n := range count(msgs) {
		if n != asked[q] {
			f.t.Errorf("/deploy %s by %s was answered %d times, asked %d", q.text, q.user, n, asked[q])
		}
	}
}

// checkLeaseHistory wants the lease to move only forward: the fence never
// goes back, and each fence has one owner, a replica of this test.
func checkLeaseHistory(t testing.TB, rows []leaseRow, all []*replica) {
	t.Helper()
	owners := map[int64]string{}
	for i, r := range rows {
		if i > 0 && r.fence < rows[i-1].fence {
			t.Errorf("the fence went back from %d to %d", rows[i-1].fence, r.fence)
		}
		if r.owner == "" {
			continue // given up
		}
		if o, ok := owners[r.fence]; ok && o != r.owner {
			t.Errorf("fence %d held by %q and by %q", r.fence, o, r.owner)
		}
		owners[r.fence] = r.owner
		if ownerOf(all, r.owner) == nil {
			t.Errorf("the lease is held by %q, no replica of this test", r.owner)
		}
	}
	if len(owners) < 4 {
		t.Errorf("the lease had %d owners, want the first and three that took over: %+v", len(owners), rows)
	}
}

// oneWriterAtATime wants the card's edits and its thread's replies to come
// from one replica at a time, never overlapping, in the order the replicas
// held the lease.
func oneWriterAtATime(t testing.TB, card string, rows []leaseRow, all []*replica) {
	t.Helper()
	type write struct {
		slackCall
		by *replica
	}
	var ws []write
	for _, r := range all {
		for _, c := range r.gate.recorded() {
			if c.ts == card || c.root == card {
				ws = append(ws, write{c, r})
			}
		}
	}
	slices.SortFunc(ws, func(a, b write) int { return a.start.Compare(b.start) })
	var order []*replica
	for i, w := range ws {
		if len(order) == 0 || order[len(order)-1] != w.by {
			if slices.Contains(order, w.by) {
				t.Errorf("%s wrote to the card again after another replica had", w.by.name)
			}
			order = append(order, w.by)
		}
		for _, o := range ws[:i] {
			if o.by != w.by && o.end.After(w.start) {
				t.Errorf("%s's %s (%v–%v) and %s's %s (%v–%v) were in flight at once", o.by.name, o.method, o.start, o.end,
					w.by.name, w.method, w.start, w.end)
			}
		}
	}
	var held []*replica
	for _, r := range rows {
		if o := ownerOf(all, r.owner); o != nil && (len(held) == 0 || held[len(held)-1] != o) {
			held = append(held, o)
		}
	}
	// Every writer held the lease, in that order (one may hold it and
	// have nothing to write).
	i := 0
	for _, w := range order {
		for i < len(held) && held[i] != w {
			i++
		}
		if i == len(held) {
			t.Errorf("the writers %v do not follow the lease's owners %v", names(order), names(held))
			return
		}
	}
	if len(order) < 4 {
		t.Errorf("the card was written by %v; want the first owner and the three that took over", names(order))
	}
}

func names(rs []*replica) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.name)
	}
	return out
}

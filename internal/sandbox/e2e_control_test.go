package sandbox

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard"
)

// post sends a JSON body to the sandbox and decodes the JSON answer.
func (e *e2e) post(path, body string) (int, map[string]any) {
	e.t.Helper()
	res, err := http.Post(e.sb.URL()+path, "application/json", strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		e.t.Fatalf("POST %s %s: the answer is not JSON: %v", path, body, err)
	}
	return res.StatusCode, out
}

// The break-things endpoints answer as documented, refuse what they cannot
// do with 400 or 404 and a reason, and really break things.
func TestE2EControlEndpoints(t *testing.T) {
	e := newE2E(t, Options{})

	res, err := http.Get(e.sb.URL() + "/_sim/world")
	if err != nil {
		t.Fatal(err)
	}
	var world struct {
		Apps   []string            `json:"apps"`
		Alarms []string            `json:"alarms"`
		Stages map[string][]string `json:"stages"`
		Speed  *float64            `json:"speed"`
	}
	if err := json.NewDecoder(res.Body).Decode(&world); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET /_sim/world: %d %v", res.StatusCode, err)
	}
	res.Body.Close()
	if strings.Join(world.Apps, ",") != "myapp,payments,checkout" || strings.Join(world.Alarms, ",") != "myapp-5xx,payments-errors,checkout-5xx" ||
		world.Speed == nil || *world.Speed != 0 {
		t.Errorf("world = %+v", world)
	}
	// Each app's fault panel offers its backend's stages.
	if !slices.Contains(world.Stages["myapp"], "AfterInstall") || !slices.Contains(world.Stages["checkout"], "POST_SCALE_UP") ||
		slices.Contains(world.Stages["checkout"], "AfterInstall") {
		t.Errorf("stages = %v", world.Stages)
	}

	for _, c := range []struct {
		path, body string
		status     int
		says       string
	}{
		{"/_sim/aws/fail", `not json`, http.StatusBadRequest, "app"},
		{"/_sim/aws/fail", `{"app":"nosuch","stage":"AfterInstall"}`, http.StatusNotFound, "nosuch"},
		{"/_sim/aws/fail", `{"app":"myapp","stage":"AllowTraffic"}`, http.StatusBadRequest, "hook stage"},
		{"/_sim/aws/fail", `{"app":"myapp","stage":"BAKE_TIME"}`, http.StatusBadRequest, "POST_SCALE_UP"},
		{"/_sim/aws/fail", `{"app":"myapp","stage":"POST_SCALE_UP"}`, http.StatusBadRequest, "not a service with ECS blue/green"},
		{"/_sim/aws/alarm", `{"name":`, http.StatusBadRequest, "state"},
		{"/_sim/aws/alarm", `{"name":"myapp-5xx","state":"INSUFFICIENT"}`, http.StatusBadRequest, "ALARM or OK"},
		{"/_sim/aws/alarm", `{"name":"nosuch-alarm","state":"ALARM"}`, http.StatusNotFound, "nosuch-alarm"},
	} {
		status, out := e.post(c.path, c.body)
		if msg, _ := out["error"].(string); status != c.status || !strings.Contains(msg, c.says) {
			t.Errorf("POST %s %s = %d %v, want %d and an error naming %q", c.path, c.body, status, out, c.status, c.says)
		}
	}

	// The socket drop: the bot's one connection goes, and it comes back.
	if status, out := e.post("/_sim/socket/drop", ``); status != http.StatusOK || out["dropped"] != float64(1) {
		t.Errorf("POST /_sim/socket/drop = %d %v, want 1 dropped", status, out)
	}
	e.waitFor("the bot to reconnect", func() bool { return e.sb.Slack.Connections() == 1 })

	// An armed failure fails the next deployment at that hook.
	if status, out := e.post("/_sim/aws/fail", `{"app":"web","stage":"AfterInstall"}`); status != http.StatusOK || out["app"] != "myapp" {
		t.Errorf("POST /_sim/aws/fail by alias = %d %v", status, out)
	}
	id, ts := e.deployMyapp("")
	d := e.advanceUntil("myapp", id, ts, 10*time.Second, 10*time.Minute, func(d switchyard.Deployment) bool { return d.Status.Done() })
	if d.Status != switchyard.StatusFailed {
		t.Fatalf("the armed failure did not fail the deployment: %s", d.Status)
	}
	// CodeDeploy rolls back; that deployment is told in the same thread.
	rollback := e.truth("myapp", id).RollbackID
	if rollback == "" {
		t.Fatal("the failed deployment was not rolled back")
	}
	for range 60 {
		if e.truth("myapp", rollback).Status.Done() {
			break
		}
		e.sb.AWS.Advance(10 * time.Second)
	}
	e.waitFor("the rollback's end in the thread", func() bool {
		return strings.Contains(replyTexts(e.thread(ts)), "Rollback of myapp in production finished")
	})
	th := e.thread(ts)
	noDuplicates(t, th)
	inOrder(t, replyTexts(th), "*AfterInstall* failed", "failure armed from the sandbox console",
		"myapp v1.4 failed in production: AfterInstall failed", "Rollback of myapp in production finished")

	// An alarm set over HTTP stops the next deployment mid-shift.
	id, ts = e.deployMyapp("")
	e.advanceUntil("myapp", id, ts, 10*time.Second, 10*time.Minute, func(d switchyard.Deployment) bool { return d.Traffic.Green >= 20 })
	if status, out := e.post("/_sim/aws/alarm", `{"name":"myapp-5xx","state":"ALARM"}`); status != http.StatusOK || out["state"] != "ALARM" {
		t.Fatalf("POST /_sim/aws/alarm = %d %v", status, out)
	}
	d = e.advanceUntil("myapp", id, ts, 5*time.Second, 10*time.Minute, func(d switchyard.Deployment) bool { return d.Status.Done() })
	if d.Status != switchyard.StatusStopped || d.ErrorCode != "ALARM_ACTIVE" {
		t.Fatalf("the alarm did not stop the deployment: %s %s", d.Status, d.ErrorCode)
	}
	e.waitFor("the alarm's rollback and the final result in the thread", func() bool {
		th := replyTexts(e.thread(ts))
		return strings.Contains(th, "Rollback of myapp in production finished") && strings.Contains(th, "was stopped")
	})
	th = e.thread(ts)
	noDuplicates(t, th)
	inOrder(t, replyTexts(th), "20% of traffic on green", "all traffic is back on blue", "was stopped: a watched alarm fired", "myapp-5xx")
	if !strings.Contains(string(e.message(ts).Blocks), "blue 100%") {
		t.Errorf("traffic is not back on blue: %s", e.message(ts).Blocks)
	}
	if status, _ := e.post("/_sim/aws/alarm", `{"name":"myapp-5xx","state":"OK"}`); status != http.StatusOK {
		t.Errorf("clearing the alarm = %d", status)
	}
}

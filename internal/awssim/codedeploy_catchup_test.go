package awssim

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestEveryCodeDeployCallPlaysWhatFellDue: with the clock running and no
// engine ticker (the simulator is served without Start), only a call's own
// catch-up can move a deployment. Every CodeDeploy operation must do it
// first, even one that then refuses its input.
func TestEveryCodeDeployCallPlaysWhatFellDue(t *testing.T) {
	sim := New(Options{Start: cdEpoch, Speed: 1e-9}) // running, too slowly to move by itself
	if err := sim.Seed(oneServiceWorld()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	defer srv.Close()
	f := cdFixtureAt(t, sim, srv.URL)
	const prefix = "CodeDeploy_20141006."
	ops := 0
	for target := range sim.routes {
		if !strings.HasPrefix(target, prefix) {
			continue
		}
		ops++
		id := f.deploy("web", "web-prod", "web")
		sim.clock.set(sim.clock.Now().Add(time.Hour))
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL, strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", target)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatalf("%s: %v", target, err)
		}
		_ = resp.Body.Close()
		sim.mu.Lock()
		status := sim.codedeploy.deployments[id].status
		sim.mu.Unlock()
		if status != "Succeeded" {
			t.Errorf("%s left deployment %s %s an hour after it was created", strings.TrimPrefix(target, prefix), id, status)
		}
	}
	if ops != 20 {
		t.Fatalf("%d CodeDeploy operations registered, want 20", ops)
	}
}

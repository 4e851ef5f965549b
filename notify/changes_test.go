package notify

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchyard/switchyard"
)

// changesSpy records what Options.Changes is told.
type changesSpy struct {
	mu   sync.Mutex
	seen []switchyard.Deployment
}

func (c *changesSpy) DeploymentChanged(_ context.Context, d switchyard.Deployment) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen = append(c.seen, d)
}

func (c *changesSpy) statuses(id string) []switchyard.Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []switchyard.Status
	for _, d := range c.seen {
		if d.ID == id && (len(out) == 0 || out[len(out)-1] != d.Status) {
			out = append(out, d.Status)
		}
	}
	return out
}

// TestChangesHearOfStartAndEnd: whoever listens through Options.Changes
// (the Home tab, the deploy queue) hears of a deployment when its record is
// made and when it ends; a deploy that went ahead during a freeze says so
// on its record and its card.
func TestChangesHearOfStartAndEnd(t *testing.T) {
	spy := &changesSpy{}
	r := newRig(t, Options{Changes: spy})
	id, ts := r.deployOverriding("myapp", "v1.4", "U0ALICE", "CodeDeployDefault.ECSAllAtOnce", "hotfix for checkout")
	r.run(time.Minute, 30*time.Minute, r.finished(id))
	got := spy.statuses(id)
	if len(got) < 2 || got[0].Done() || got[len(got)-1] != switchyard.StatusSucceeded {
		t.Fatalf("Changes heard %v; want the start, then the end", got)
	}
	if rec := r.record(id); rec.FreezeOverride != "hotfix for checkout" {
		t.Errorf("the record's override = %q", rec.FreezeOverride)
	}
	if s := string(r.card(ts).Blocks); !strings.Contains(s, "Deployed during a freeze. Override: hotfix for checkout") {
		t.Errorf("the card does not say it was deployed during a freeze:\n%s", s)
	}
}

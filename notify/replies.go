package notify

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/internal/blocks"
)

// Reply keys recorded with Store.MarkReply. Stage keys are
// "stage:<name>:<status>", traffic keys "traffic:<green percent>".
const (
	keyCard       = "card"
	keyFinal      = "final"
	keyRolledBack = "rolledback"
	keyBackOnBlue = "traffic:0"
)

// reply is one thread reply to post, recorded under deployment with key.
type reply struct {
	deployment string
	key        string
	text       string
	broadcast  bool
}

// repliesFor lists, in thread order, the replies the state d calls for that
// are not in posted, and adds their keys to posted. Only what is observed
// now is replied: a stage seen only once it had finished gets its result,
// not a late "started". child marks a CodeDeploy rollback deployment, which
// is told in its parent's thread.
func repliesFor(d switchyard.Deployment, child, holdFinal bool, posted map[string]bool, now time.Time) []reply {
	var out []reply
	add := func(key, text string, broadcast bool) {
		if posted[key] || text == "" {
			return
		}
		posted[key] = true
		out = append(out, reply{deployment: d.ID, key: key, text: text, broadcast: broadcast})
	}
	prefix := ""
	if child {
		prefix = blocks.RollbackDeploymentPrefix(d.ID)
	}
	if d.RolledBackBy != "" && !child && d.Status != switchyard.StatusSucceeded {
		add(keyRolledBack, blocks.RollbackReply(d.RolledBackBy, ""), false)
	}
	traffic := func() {
		if child || d.Traffic.Green <= 0 {
			return
		}
		add("traffic:"+percent(d.Traffic.Green), blocks.TrafficReply(d.Traffic), false)
	}
	for _, s := range d.Stages {
		key := "stage:" + s.Name + ":" + string(s.Status)
		switch s.Status {
		case switchyard.StageInProgress:
			add(key, prefix+blocks.StageReply(s, now), false)
			if s.Name == switchyard.AllowTraffic {
				traffic()
			}
		case switchyard.StageSucceeded, switchyard.StageFailed:
			if s.Name == switchyard.AllowTraffic && s.Status == switchyard.StageSucceeded {
				traffic()
			}
			add(key, prefix+blocks.StageReply(s, now), false)
		}
	}
	if !child && !holdFinal && d.Status.Done() && d.Status != switchyard.StatusSucceeded && d.Traffic.Green == 0 && shifted(posted) {
		add(keyBackOnBlue, blocks.BackOnBlueReply(d), false)
	}
	switch {
	case d.Status.Done():
	case d.Waiting == switchyard.WaitReady:
		add("wait:ready", blocks.WaitReply(switchyard.WaitReady), false)
	case d.Waiting == switchyard.WaitTermination:
		add("wait:termination", blocks.WaitReply(switchyard.WaitTermination), false)
	}
	if d.Status.Done() && !holdFinal {
		add(keyFinal, prefix+blocks.FinalReply(d), !child)
	}
	return out
}

// shifted reports whether a traffic step to green was told in the thread.
func shifted(posted map[string]bool) bool {
	for k := range posted {
		if strings.HasPrefix(k, "traffic:") && k != keyBackOnBlue {
			return true
		}
	}
	return false
}

func percent(f float64) string {
	if f == float64(int(f)) {
		return fmt.Sprintf("%d", int(f))
	}
	return fmt.Sprintf("%.1f", f)
}

// show publishes the card of d (unless it equals what was last shown) and
// the replies its state calls for.
func (n *Notifier) show(ctx context.Context, rec switchyard.Record, d switchyard.Deployment, obs *switchyard.Observation, last *switchyard.Deployment, posted map[string]bool, holdFinal bool) error {
	env, _ := n.envOf(rec)
	channel := ""
	if len(env.Channels) > 0 {
		channel = env.Channels[0]
	}
	// A rollback deployment that CodeDeploy started is told on the card and
	// in the thread of the deployment it rolls back.
	child := rec.CardTS == "" && rec.RollbackOf != "" && obs.Creator == switchyard.CreatorRollback
	owner := rec.ID
	if child {
		owner = rec.RollbackOf
	}
	var card *blocks.Message
	if !child && (last == nil || !reflect.DeepEqual(*last, d)) {
		m := blocks.DeploymentCard(d, n.opts.Now())
		card = &m
	}
	rs := repliesFor(d, child, holdFinal, posted, n.opts.Now())
	if !child && rec.RollbackOf != "" && n.claimOnce(rec.ID, "rollback-note") {
		// A redeployment of the previous version: say so under the card of
		// the deployment it undoes.
		n.cards.publish(ctx, rec.RollbackOf, "", nil, []reply{{deployment: rec.RollbackOf, key: keyRolledBack,
			text: blocks.RollbackReply(d.RequestedBy, d.ID)}})
	}
	if channel == "" && rec.CardTS == "" && !child {
		n.log.Warn("no channel to post the card in", zap.String("deployment_id", rec.ID), zap.String("app", rec.App))
	}
	n.cards.publish(ctx, owner, channel, card, rs)
	return nil
}

// claimOnce reports true the first time it is called for (id, what) in
// this process.
func (n *Notifier) claimOnce(id, what string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	k := what + ":" + id
	if n.known[k] {
		return false
	}
	n.known[k] = true
	return true
}

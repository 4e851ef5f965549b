package notify

import (
	"context"
	"reflect"

	"go.uber.org/zap"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/internal/blocks"
	"github.com/switchyard/switchyard/internal/slackout"
)

// show hands the card of d (unless it equals what was last shown) and the
// replies its state calls for to the sender. hold keeps back what follows
// the end while a rollback of it waits for AWS's answer.
func (n *Notifier) show(ctx context.Context, rec switchyard.Record, d switchyard.Deployment, obs *switchyard.Observation, last *switchyard.Deployment, posted map[string]bool, hold bool) {
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
	now := n.opts.Now()
	var card *blocks.Message
	if !child && (last == nil || !reflect.DeepEqual(*last, d)) {
		m := blocks.DeploymentCard(d, now)
		card = &m
	}
	var rs []slackout.Reply
	for _, r := range switchyard.ThreadReplies(d, posted, switchyard.ReplyOptions{Child: child, Hold: hold}) {
		rs = append(rs, slackout.Reply{Owner: d.ID, Key: r.Key, Text: blocks.ReplyText(r, d, child, now),
			Broadcast: r.Broadcast, Retry: r.Kind == switchyard.ReplyFinal})
	}
	if !child && rec.RollbackOf != "" && n.claimOnce(rec.ID, "rollback-note") {
		// A redeployment of the previous version: say so under the card of
		// the deployment it undoes.
		n.out.Publish(ctx, rec.RollbackOf, "", nil, []slackout.Reply{{Owner: rec.RollbackOf, Key: switchyard.KeyRolledBack,
			Text: blocks.RollbackReply(d.RequestedBy, d.ID)}})
	}
	if channel == "" && rec.CardTS == "" && !child {
		n.log.Warn("no channel to post the card in", zap.String("deployment_id", rec.ID), zap.String("app", rec.App))
	}
	n.out.Publish(ctx, owner, channel, card, rs)
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

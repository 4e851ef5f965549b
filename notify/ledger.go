package notify

import (
	"context"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/internal/slackout"
)

// ledger keeps, in the store, what the sender posted for each deployment:
// its card's location and the thread replies claimed and posted, so that
// none is posted twice, across restarts and processes.
type ledger struct{ st Store }

var _ slackout.Ledger = ledger{}

func (l ledger) Location(ctx context.Context, owner string) (string, string, error) {
	rec, err := l.st.GetDeployment(ctx, owner)
	return rec.CardChannel, rec.CardTS, err
}

func (l ledger) Claim(ctx context.Context, owner, key string) (bool, error) {
	return l.st.MarkReply(ctx, owner, key, "")
}

func (l ledger) Claimed(ctx context.Context, owner, key string) (string, error) {
	got, err := l.st.Replies(ctx, owner)
	return got[key], err
}

// Posted records the reply's ts and, for the card, its location on the
// deployment's record.
func (l ledger) Posted(ctx context.Context, owner, key, channel, ts string) error {
	if err := l.st.SetReplyTS(ctx, owner, key, ts); err != nil {
		return err
	}
	if key != slackout.CardKey {
		return nil
	}
	_, err := l.st.UpdateDeploymentIf(ctx, owner, switchyard.AnyRev, func(r *switchyard.Record) error {
		r.CardChannel, r.CardTS = channel, ts
		return nil
	})
	return err
}

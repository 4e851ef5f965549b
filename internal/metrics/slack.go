package metrics

import (
	"context"
	"errors"
	"time"

	"github.com/slack-go/slack"
)

// Slack is a slack-go client whose writes are counted in
// switchyard_slack_calls_total like internal/slackout's: the replies,
// confirmation cards and group look-ups that commands makes directly. Every
// other method is the client's own, uncounted.
type Slack struct {
	*slack.Client
	m *Metrics
}

// Slack wraps c so that its writes are counted.
func (m *Metrics) Slack(c *slack.Client) *Slack { return &Slack{Client: c, m: m} }

// PostMessageContext is chat.postMessage, counted.
func (s *Slack) PostMessageContext(ctx context.Context, channelID string, options ...slack.MsgOption) (string, string, error) {
	start := time.Now()
	ch, ts, err := s.Client.PostMessageContext(ctx, channelID, options...)
	s.m.SlackCall("chat.postMessage", SlackResult(err), time.Since(start))
	return ch, ts, err
}

// UpdateMessageContext is chat.update, counted.
func (s *Slack) UpdateMessageContext(ctx context.Context, channelID, timestamp string, options ...slack.MsgOption) (string, string, string, error) {
	start := time.Now()
	ch, ts, text, err := s.Client.UpdateMessageContext(ctx, channelID, timestamp, options...)
	s.m.SlackCall("chat.update", SlackResult(err), time.Since(start))
	return ch, ts, text, err
}

// PostEphemeralContext is chat.postEphemeral, counted.
func (s *Slack) PostEphemeralContext(ctx context.Context, channelID, userID string, options ...slack.MsgOption) (string, error) {
	start := time.Now()
	ts, err := s.Client.PostEphemeralContext(ctx, channelID, userID, options...)
	s.m.SlackCall("chat.postEphemeral", SlackResult(err), time.Since(start))
	return ts, err
}

// GetUserGroupMembersContext is usergroups.users.list, counted.
func (s *Slack) GetUserGroupMembersContext(ctx context.Context, userGroup string, options ...slack.GetUserGroupMembersOption) ([]string, error) {
	start := time.Now()
	users, err := s.Client.GetUserGroupMembersContext(ctx, userGroup, options...)
	s.m.SlackCall("usergroups.users.list", SlackResult(err), time.Since(start))
	return users, err
}

// SlackResult is the result label of a Slack call, as slackout reports
// it: "ok", "rate_limited" for a 429, Slack's error code, or "error" when
// no answer came.
func SlackResult(err error) string {
	if err == nil {
		return "ok"
	}
	if _, limited := errors.AsType[*slack.RateLimitedError](err); limited {
		return "rate_limited"
	}
	if refused, ok := errors.AsType[slack.SlackErrorResponse](err); ok && refused.Err != "" {
		return refused.Err
	}
	return "error"
}

package commands

import (
	"context"
	"fmt"

	"github.com/slack-go/slack"
	"go.uber.org/zap"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/internal/blocks"
)

// msgOptions turns a rendered message into chat.* options. The text is not
// escaped by slack-go: renderers escape outside text themselves, and
// escaping again would break mentions.
func msgOptions(m blocks.Message) []slack.MsgOption {
	return []slack.MsgOption{slack.MsgOptionText(m.Text, false), slack.MsgOptionBlocks(m.Blocks...)}
}

// tell shows m to user alone. Failures are logged: there is nobody else to
// tell.
func (h *Handler) tell(ctx context.Context, channel, user string, m blocks.Message) {
	if _, err := h.slack.PostEphemeralContext(ctx, channel, user, msgOptions(m)...); err != nil {
		h.log.Warn("post ephemeral", zap.String("channel", channel), zap.String("user", user), zap.Error(err))
	}
}

// post shows m in the channel and returns its ts.
func (h *Handler) post(ctx context.Context, channel string, m blocks.Message) (string, error) {
	_, ts, err := h.slack.PostMessageContext(ctx, channel, msgOptions(m)...)
	if err != nil {
		return "", fmt.Errorf("post in %s: %w", channel, err)
	}
	return ts, nil
}

// update rewrites a message the bot posted. An empty block list removes the
// blocks, so buttons disappear for good.
func (h *Handler) update(ctx context.Context, channel, ts string, m blocks.Message) error {
	if _, _, _, err := h.slack.UpdateMessageContext(ctx, channel, ts, msgOptions(m)...); err != nil {
		return fmt.Errorf("update %s/%s: %w", channel, ts, err)
	}
	return nil
}

// audit appends e to the trail; a failure is logged with the entry, so the
// record survives in the log at least.
func (h *Handler) audit(ctx context.Context, e switchyard.AuditEntry) {
	if e.At.IsZero() {
		e.At = h.now()
	}
	h.obs.Outcome(e.Action, e.Result)
	if _, err := h.st.Audit(ctx, e); err != nil {
		h.log.Error("audit failed", zap.String("user", e.User), zap.String("action", e.Action), zap.String("app", e.App),
			zap.String("env", e.Env), zap.String("channel", e.Channel), zap.String("message_ts", e.MessageTS),
			zap.String("result", string(e.Result)), zap.String("detail", e.Detail), zap.Error(err))
	}
}

// fail tells the person that an attempt failed, with the safe message,
// logs the cause and audits the failure.
func (h *Handler) fail(ctx context.Context, r request, action, app, env string, err error) {
	msg := switchyard.ErrorMessage(err)
	// A person's mistake (a tag that does not exist, a clash with what
	// runs) is theirs to fix and told to them: the operator is warned only
	// of what they may have to fix.
	// The audit files it as refused, as the bot's other answers to what
	// a person asked for that cannot be.
	level, result := zap.WarnLevel, switchyard.ResultFailed
	switch switchyard.ErrorCode(err) {
	case switchyard.EINVALID, switchyard.ENOTFOUND, switchyard.ECONFLICT:
		level, result = zap.InfoLevel, switchyard.ResultRefused
	}
	h.log.Log(level, "action failed", zap.String("action", action), zap.String("user", r.user), zap.String("app", app),
		zap.String("env", env), zap.String("code", switchyard.ErrorCode(err)), zap.Error(err))
	h.tell(ctx, r.channel, r.user, blocks.Problem(msg))
	h.audit(ctx, switchyard.AuditEntry{User: r.user, Action: action, App: app, Env: env, Channel: r.channel, MessageTS: r.ts,
		Result: result, Detail: msg})
}

// done audits a success.
func (h *Handler) done(ctx context.Context, r request, action, app, env, detail string) {
	h.audit(ctx, switchyard.AuditEntry{User: r.user, Action: action, App: app, Env: env, Channel: r.channel, MessageTS: r.ts,
		Result: switchyard.ResultOK, Detail: detail})
}

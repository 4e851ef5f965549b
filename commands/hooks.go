package commands

import (
	"context"
	"slices"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/internal/blocks"
	"github.com/switchyard/switchyard/internal/config"
)

// HookAnswerer lets an ECS deployment waiting at a pause hook go on. The
// hook is named, so that a click answers the pause it was shown for and
// no later one. Errors are *switchyard.Error: ECONFLICT when the hook no
// longer awaits action.
type HookAnswerer interface {
	ContinueHook(ctx context.Context, env switchyard.Environment, id, hookID string, by switchyard.Actor) error
}

// Audit actions of a pause hook's buttons: continuing it, and rolling
// back there (audited as a rollback).
const actContinueHook = "continue_hook"

// hookClick handles Continue and Roll back on the card of an ECS
// deployment waiting at a pause hook; hookID is the button's value.
// Continue is allowed to whoever may approve where the environment needs
// approval, else to whoever may deploy: going on is the decision a deploy
// or an approval makes. Roll back is allowed to them too, and to whoever may
// roll back. Both are checked here, on the server, whatever the card shows.
func (h *Handler) hookClick(ctx context.Context, r request, action, id, hookID string) {
	act := actContinueHook
	if action == blocks.ActionRollbackHook {
		act = actRollback
	}
	rec, a, env, ok := h.cardOf(ctx, r, act, id)
	if !ok {
		return
	}
	answer, listName := answerList(a, env)
	if action == blocks.ActionRollbackHook {
		if h.permit(ctx, r, actRollback, a, env.Name, append(slices.Clone(answer), rollbackList(a)...)) {
			h.rollback(ctx, r, a, env, rec.ID)
		}
		return
	}
	ok, gerr := h.allowed(ctx, r.user, answer)
	if !ok {
		why := blocks.NotOnList(blocks.ActContinue, a.Name, env.Name, listName)
		if gerr != nil {
			why = blocks.GroupsUnchecked(blocks.ActContinue, a.Name, env.Name)
		}
		h.refuse(ctx, r, act, a.Name, env.Name, why)
		return
	}
	err := h.dep.ContinueHook(ctx, env, id, hookID, r.actor(""))
	switch {
	case switchyard.ErrorCode(err) == switchyard.ECONFLICT:
		h.refuse(ctx, r, act, a.Name, env.Name, switchyard.ErrorMessage(err))
		h.watch.Watch(ctx, id) // the card still shows a pause that ended: redraw it
		return
	case err != nil:
		h.fail(ctx, r, act, a.Name, env.Name, err)
		return
	}
	h.tell(ctx, r.channel, r.user, blocks.HookContinued(id))
	h.done(ctx, r, act, a.Name, env.Name, id+" hook "+hookID)
	h.watch.Watch(ctx, id)
}

// answerList is who may let a paused deployment go on in env, and the
// list's name in the config: approvers where a second person must approve
// deploys, deployers elsewhere.
func answerList(a *config.App, env switchyard.Environment) ([]string, string) {
	if env.RequireApproval {
		return a.Access.Approve, "approve"
	}
	return a.Access.Deploy, "deploy"
}

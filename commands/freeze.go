package commands

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/internal/blocks"
	"github.com/switchyard/switchyard/internal/config"
)

// Freezes keeps the freezes people make with /deploy freeze; the config's
// windows are the config's.
type Freezes interface {
	Freeze(ctx context.Context, f switchyard.Freeze) (switchyard.Freeze, error)
	Unfreeze(ctx context.Context, app string, at time.Time) ([]switchyard.Freeze, error)
	ListFreezes(ctx context.Context, at time.Time) ([]switchyard.Freeze, error)
}

// Actions of the audit trail for freezes.
const (
	actFreeze   = "freeze"
	actUnfreeze = "unfreeze"
)

// frozenAt returns the freeze that stops a deploy of app at t: one a
// person made, or a window of the config.
func (h *Handler) frozenAt(ctx context.Context, app string, t time.Time) (*switchyard.Freeze, error) {
	stored, err := h.st.ListFreezes(ctx, t)
	if err != nil {
		return nil, err
	}
	f, ok := switchyard.FreezeAt(app, t, stored, h.cfg.FreezesOf(app))
	if !ok {
		return nil, nil
	}
	return &f, nil
}

func freezeInfo(f switchyard.Freeze) blocks.FreezeInfo {
	return blocks.FreezeInfo{App: f.App, Window: f.Window, Reason: f.Reason, By: f.By, End: f.End}
}

// frozenOut tells the person that freeze f stops what they asked, and
// audits the refusal. offer, when not empty, is the Queue me button's.
func (h *Handler) frozenOut(ctx context.Context, r request, action, app, env string, f switchyard.Freeze, offer string) {
	h.held(ctx, r, action, app, env, blocks.FrozenRefusal(freezeInfo(f)), offer,
		fmt.Sprintf("frozen until %s: %s", f.End.Format(time.RFC3339), f.Reason))
}

// freezeScope resolves the apps a freeze or unfreeze is about and checks,
// for each, the channel and that the person may lock it: a freeze is a
// lock with an end. all needs every app.
func (h *Handler) freezeScope(ctx context.Context, r request, action string, c Command) ([]*config.App, bool) {
	var apps []*config.App
	if c.All {
		for i := range h.cfg.Apps {
			apps = append(apps, &h.cfg.Apps[i])
		}
	} else {
		a, ok := h.lookupApp(ctx, r, action, c.App)
		if !ok {
			return nil, false
		}
		apps = append(apps, a)
	}
	var here bool
	for _, a := range apps {
		if slices.Contains(appChannels(a), r.channel) {
			here = true
		}
	}
	if !here {
		a := apps[0]
		h.refuse(ctx, r, action, a.Name, "", blocks.NotHere(a.Name, "", appChannels(a), len(r.channel) > 0 && r.channel[0] == 'D'))
		return nil, false
	}
	if !c.All {
		return apps, h.permit(ctx, r, action, apps[0], "", apps[0].Access.Lock)
	}
	// Every app: the refusal names each app whose lock list stops it,
	// not just the first.
	var denied []string
	for _, a := range apps {
		ok, err := h.allowed(ctx, r.user, a.Access.Lock)
		if err != nil && !ok {
			h.log.Warn("user group lookup failed", zap.String("user", r.user), zap.Error(err))
			h.refuse(ctx, r, action, c.App, "", blocks.GroupsUnchecked(actOf(action), "", ""))
			return nil, false
		}
		if !ok {
			denied = append(denied, a.Name)
		}
	}
	if len(denied) > 0 {
		h.refuse(ctx, r, action, c.App, "", blocks.NotOnLockLists(actOf(action), denied))
		return nil, false
	}
	return apps, true
}

// appChannels lists every channel any environment of a is deployed from.
func appChannels(a *config.App) []string {
	var out []string
	for _, n := range a.EnvNames() {
		for _, ch := range a.Environments[n].Channels {
			if !slices.Contains(out, ch) {
				out = append(out, ch)
			}
		}
	}
	return out
}

// freeze handles "/deploy freeze <app|all> <duration> <reason>".
func (h *Handler) freeze(ctx context.Context, r request, c Command) {
	apps, ok := h.freezeScope(ctx, r, actFreeze, c)
	if !ok {
		return
	}
	now := h.now()
	f, err := h.st.Freeze(ctx, switchyard.Freeze{App: c.App, Reason: c.Reason, By: r.user, Start: now, End: now.Add(c.For)})
	if err != nil {
		h.fail(ctx, r, actFreeze, c.App, "", err)
		return
	}
	h.announce(ctx, r, blocks.FreezeTaken(freezeInfo(f)))
	h.done(ctx, r, actFreeze, c.App, "", fmt.Sprintf("until %s: %s", f.End.Format(time.RFC3339), c.Reason))
	for _, a := range apps {
		h.changed(a.Name)
	}
}

// unfreeze handles "/deploy unfreeze <app|all>": it lifts the freezes
// people made; a window of the config stays, and the person is told.
func (h *Handler) unfreeze(ctx context.Context, r request, c Command) {
	apps, ok := h.freezeScope(ctx, r, actUnfreeze, c)
	if !ok {
		return
	}
	lifted, err := h.st.Unfreeze(ctx, c.App, h.now())
	if switchyard.ErrorCode(err) == switchyard.ENOTFOUND {
		why := switchyard.ErrorMessage(err)
		if f, ferr := h.frozenAt(ctx, apps[0].Name, h.now()); ferr == nil && f != nil && f.Window != "" {
			why = blocks.FreezeConfigWindow(freezeInfo(*f))
		}
		h.refuse(ctx, r, actUnfreeze, c.App, "", why)
		return
	}
	if err != nil {
		h.fail(ctx, r, actUnfreeze, c.App, "", err)
		return
	}
	h.announce(ctx, r, blocks.FreezeLifted(freezeInfo(lifted[len(lifted)-1]), r.user))
	h.done(ctx, r, actUnfreeze, c.App, "", fmt.Sprintf("%d lifted", len(lifted)))
	for _, a := range apps {
		h.changed(a.Name)
	}
	h.kickQueues()
}

// confirmFrozen reports whether err is a Confirm refused by a freeze, and
// if so tells the person.
func (h *Handler) confirmFrozen(ctx context.Context, r request, action string, p switchyard.Pending, err error) bool {
	var fe *switchyard.FrozenError
	if !errors.As(err, &fe) {
		return false
	}
	h.frozenOut(ctx, r, action, p.App, p.Env, fe.Freeze, "")
	return true
}

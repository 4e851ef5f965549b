package commands

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"sync"

	"github.com/slack-go/slack"
	"go.uber.org/zap"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/internal/blocks"
	"github.com/switchyard/switchyard/internal/config"
)

// modalMeta is what the bot's modals keep in private_metadata: the channel
// the deploy modal was opened from ("" from a shortcut or the Home tab: the
// card then goes to the environment's first channel), the app chosen when
// the view was made (a menu's initial choice is not in the state Slack
// sends until it is touched), the app a lock modal locks. It comes back
// from Slack, so it is checked like input.
type modalMeta struct {
	Channel string `json:"channel,omitempty"`
	App     string `json:"app,omitempty"`
}

var channelIDRE = regexp.MustCompile(`^[CGD][A-Z0-9]{2,20}$`)

func (m modalMeta) String() string {
	b, _ := json.Marshal(m)
	return string(b)
}

func readMeta(s string) modalMeta {
	var m modalMeta
	if len(s) > 3000 || json.Unmarshal([]byte(s), &m) != nil {
		return modalMeta{}
	}
	if !channelIDRE.MatchString(m.Channel) {
		m.Channel = ""
	}
	if !appRE.MatchString(m.App) {
		m.App = ""
	}
	return m
}

// deployForm is what the deploy modal offers user: the apps they may
// deploy from channel (from anywhere when channel is ""), and for app,
// when it is one of them, its environments and the configs.
func (h *Handler) deployForm(ctx context.Context, user, channel, app string) blocks.DeployForm {
	f := blocks.DeployForm{Channel: channel, Metadata: modalMeta{Channel: channel}.String()}
	var chosen *config.App
	for i := range h.cfg.Apps {
		a := &h.cfg.Apps[i]
		if len(envsFrom(a, channel)) == 0 {
			continue
		}
		ok, err := h.allowed(ctx, user, a.Access.Deploy)
		if err != nil {
			h.log.Warn("user group lookup failed", zap.String("user", user), zap.Error(err))
		}
		if !ok {
			continue
		}
		f.Apps = append(f.Apps, a.Name)
		if a.Name == app {
			chosen = a
		}
	}
	if chosen == nil {
		return f
	}
	f.App = chosen.Name
	f.Metadata = modalMeta{Channel: channel, App: chosen.Name}.String()
	for _, e := range envsFrom(chosen, channel) {
		f.Envs = append(f.Envs, blocks.EnvChoice{Name: e.Name, Channels: e.Channels})
		if e.Name == chosen.DefaultEnv || f.Env == "" {
			f.Env, f.DefaultConfig = e.Name, e.DeploymentConfig
		}
	}
	f.Configs = append(config.PredefinedConfigs(), h.cfg.CustomConfigs...)
	return f
}

// envsFrom lists the environments of a deployed from channel, all of them
// when channel is "", the default first.
func envsFrom(a *config.App, channel string) []switchyard.Environment {
	var out []switchyard.Environment
	for _, n := range a.EnvNames() {
		e := a.Environments[n]
		if channel == "" || slices.Contains(e.Channels, channel) {
			if n == a.DefaultEnv {
				out = append([]switchyard.Environment{e}, out...)
			} else {
				out = append(out, e)
			}
		}
	}
	return out
}

// openDeployModal opens the deploy modal for user with the trigger of what
// they did (Slack takes it within 3 s), app chosen when given.
func (h *Handler) openDeployModal(ctx context.Context, user, trigger, channel, app string) {
	view := blocks.DeployModal(h.deployForm(ctx, user, channel, app))
	if _, err := h.slack.OpenViewContext(ctx, trigger, view); err != nil {
		h.log.Warn("open the deploy modal", zap.String("user", user), zap.Error(err))
		if channel != "" {
			h.tell(ctx, channel, user, blocks.Problem("Slack did not open the deploy form in time; try again, or type `/deploy <app> <version>`."))
		}
	}
}

// modalAppChosen fills the deploy modal in for the app just chosen:
// environments, versions and configs follow.
func (h *Handler) modalAppChosen(ctx context.Context, cb slack.InteractionCallback, app string) {
	meta := readMeta(cb.View.PrivateMetadata)
	view := blocks.DeployModal(h.deployForm(ctx, cb.User.ID, meta.Channel, app))
	if _, err := h.slack.UpdateViewContext(ctx, view, "", cb.View.Hash, cb.View.ID); err != nil {
		h.log.Warn("update the deploy modal", zap.String("user", cb.User.ID), zap.Error(err))
	}
}

// selected reads the value chosen or typed in an input of a view; the
// app, when untouched, is the one the view was made for.
func selected(v slack.View, id string) string {
	if v.State != nil {
		a := v.State.Values[id][id]
		if a.SelectedOption.Value != "" {
			return a.SelectedOption.Value
		}
		if a.Value != "" {
			return a.Value
		}
	}
	if id == blocks.FieldAppID {
		return readMeta(v.PrivateMetadata).App
	}
	return ""
}

// chosenEnv is the environment chosen in the deploy modal, or, untouched,
// the one it offered first.
func chosenEnv(a *config.App, v slack.View) (switchyard.Environment, bool) {
	if name := selected(v, blocks.FieldEnvID); name != "" {
		return a.Env(name)
	}
	if envs := envsFrom(a, readMeta(v.PrivateMetadata).Channel); len(envs) > 0 {
		return envs[0], true
	}
	return switchyard.Environment{}, false
}

// suggest answers the version menu's typeahead: the images of the chosen
// environment's repository that match, newest first, with the
// environments that run them. Only someone who may deploy the app is
// offered its versions.
func (h *Handler) suggest(ctx context.Context, cb slack.InteractionCallback) any {
	none := slack.OptionsResponse{Options: []*slack.OptionBlockObject{}}
	if cb.ActionID != blocks.FieldVersionID {
		return none
	}
	a, ok := h.cfg.Lookup(selected(cb.View, blocks.FieldAppID))
	if !ok {
		return none
	}
	if ok, _ := h.allowed(ctx, cb.User.ID, a.Access.Deploy); !ok {
		return none
	}
	env, ok := chosenEnv(a, cb.View)
	if !ok {
		return none
	}
	running := map[string]*switchyard.Versions{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, n := range a.EnvNames() {
		wg.Go(func() {
			vs, err := h.versions.get(ctx, a.Name, a.Environments[n], false)
			if err != nil {
				h.log.Warn("list versions", zap.String("app", a.Name), zap.String("env", n), zap.Error(err))
				return
			}
			mu.Lock()
			running[n] = vs
			mu.Unlock()
		})
	}
	wg.Wait()
	return blocks.VersionOptions(versionChoices(cb.Value, running[env.Name], running, a.EnvNames()))
}

// submitted answers a modal's submission: the errors to show under its
// fields, or nothing (the modal closes) and the work to do afterwards.
func (h *Handler) submitted(ctx context.Context, cb slack.InteractionCallback) (any, func(context.Context)) {
	switch cb.View.CallbackID {
	case blocks.CallbackDeploy:
		return h.submitDeploy(ctx, cb)
	case blocks.CallbackLock:
		return h.submitLock(cb)
	}
	return nil, nil
}

// submitDeploy checks a submitted deploy modal the way /deploy checks a
// typed command, field by field, before the ack: a bad field is answered
// under it and nothing is posted. What passes is asked for exactly as the
// typed command is (requestDeploy), which checks everything again and
// posts the same card, or the same refusal.
func (h *Handler) submitDeploy(ctx context.Context, cb slack.InteractionCallback) (any, func(context.Context)) {
	user, meta := cb.User.ID, readMeta(cb.View.PrivateMetadata)
	errs := map[string]string{}
	a, ok := h.cfg.Lookup(selected(cb.View, blocks.FieldAppID))
	if !ok {
		return fieldErrors(cb.View, map[string]string{blocks.FieldAppID: blocks.FieldChooseApp()}), nil
	}
	env, ok := chosenEnv(a, cb.View)
	if !ok {
		return fieldErrors(cb.View, map[string]string{blocks.FieldEnvID: blocks.FieldUnknownEnv(a.Name, selected(cb.View, blocks.FieldEnvID))}), nil
	}
	r := request{user: user, channel: meta.Channel, team: teamOf(cb)}
	if r.channel == "" && len(env.Channels) > 0 {
		r.channel = env.Channels[0]
	}
	if ok, _ := h.allowed(ctx, user, a.Access.Deploy); !ok {
		errs[blocks.FieldAppID] = blocks.FieldNotOnList(a.Name)
	} else if !slices.Contains(env.Channels, r.channel) {
		errs[blocks.FieldEnvID] = blocks.FieldNotHere(a.Name, env.Name)
	}
	c := Command{Kind: KindDeploy, App: a.Name, Env: env.Name}
	if why := h.checkModalVersion(ctx, a.Name, env, selected(cb.View, blocks.FieldVersionID), &c); why != "" {
		errs[blocks.FieldVersionID] = why
	}
	if cfg := selected(cb.View, blocks.FieldConfigID); cfg != "" && cfg != blocks.DefaultConfig {
		if name, bad := checkConfig(cfg); bad != "" || !h.knownConfig(name) {
			errs[blocks.FieldConfigID] = blocks.FieldUnknownConfig(cfg)
		} else {
			c.Config = name
		}
	}
	reason := selected(cb.View, blocks.FieldReasonID)
	var bad string
	if c.Reason, bad = readReason([]token{{raw: reason, val: reason, quoted: true}}); bad != "" {
		errs[blocks.FieldReasonID] = blocks.FieldReason()
	}
	if len(errs) > 0 {
		return fieldErrors(cb.View, errs), nil
	}
	return nil, func(ctx context.Context) { h.requestDeploy(ctx, r, c) }
}

// checkModalVersion reads the version chosen in the modal into c and
// checks that the environment's repository has it; it returns the field's
// error, or "". A list of versions that cannot be read leaves the check to
// the plan, as for a typed command.
func (h *Handler) checkModalVersion(ctx context.Context, app string, env switchyard.Environment, version string, c *Command) string {
	if version == "" {
		return blocks.FieldChooseVersion()
	}
	var bad string
	if c.Version, c.VersionKind, bad = checkVersion(version); bad != "" {
		return blocks.FieldBadVersion()
	}
	if c.VersionKind == VersionImage {
		return ""
	}
	for _, fresh := range []bool{false, true} { // an image pushed since the list was read
		vs, err := h.versions.get(ctx, app, env, fresh)
		if err != nil || vs.Repository == "" {
			return ""
		}
		if _, ok := vs.Find(c.Version); ok {
			return ""
		}
		if fresh {
			return blocks.FieldNoImage(c.Version, vs.Repository)
		}
	}
	return ""
}

// fieldErrors is the errors answer of a submission: errors for fields the
// view does not show (an app chosen before the view followed) go under the
// app.
func fieldErrors(v slack.View, errs map[string]string) *slack.ViewSubmissionResponse {
	shown := map[string]bool{}
	for _, b := range v.Blocks.BlockSet {
		if in, ok := b.(*slack.InputBlock); ok {
			shown[in.BlockID] = true
		}
	}
	out := map[string]string{}
	for id, why := range errs {
		if !shown[id] {
			id = blocks.FieldAppID
		}
		if out[id] == "" {
			out[id] = why
		}
	}
	return slack.NewErrorsViewSubmissionResponse(out)
}

// submitLock answers the Home tab's lock modal: a reason is needed; the
// lock itself is taken as /deploy lock takes it, in the app's channel.
func (h *Handler) submitLock(cb slack.InteractionCallback) (any, func(context.Context)) {
	meta := readMeta(cb.View.PrivateMetadata)
	a, ok := h.cfg.Lookup(meta.App)
	if !ok {
		return nil, nil
	}
	raw := selected(cb.View, blocks.FieldReasonID)
	reason, bad := readReason([]token{{raw: raw, val: raw, quoted: true}})
	if bad != "" || reason == "" {
		return fieldErrors(cb.View, map[string]string{blocks.FieldReasonID: blocks.FieldLockReason()}), nil
	}
	channels := appChannels(a)
	if len(channels) == 0 {
		return nil, nil
	}
	r := request{user: cb.User.ID, channel: channels[0], team: teamOf(cb)}
	return nil, func(ctx context.Context) { h.lock(ctx, r, Command{Kind: KindLock, App: a.Name, Reason: reason}) }
}

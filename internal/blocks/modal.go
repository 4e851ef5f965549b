package blocks

import (
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"
)

// The deploy modal: callback and the IDs of its inputs. Each input's block
// and action share a name, so that a view_submission's values and an
// errors answer name the same field.
const (
	CallbackDeploy = "deploy"
	CallbackLock   = "lock"

	FieldAppID     = "app"
	FieldEnvID     = "env"
	FieldVersionID = "version"
	FieldConfigID  = "config"
	FieldReasonID  = "reason"

	// DefaultConfig is the config menu's value for "the environment's own
	// deployment config".
	DefaultConfig = "default"
)

// Slack's limits on what a modal holds.
const (
	maxTitle       = 24
	maxOptionText  = 75
	maxOptionValue = 150
	maxOptions     = 100
)

// EnvChoice is an environment in the deploy modal.
type EnvChoice struct {
	Name     string
	Channels []string // where its cards go
}

// DeployForm is what the deploy modal offers one person: the apps they may
// deploy from where they are, and for the chosen one its environments and
// configs. Channel is where the card goes ("" when the modal was opened
// from a shortcut or the Home tab: then each environment's first channel).
type DeployForm struct {
	Apps    []string
	App     string
	Envs    []EnvChoice
	Env     string // the default environment, chosen first
	Configs []string
	// DefaultConfig names the chosen app's default environment's
	// configured deployment config, "" for the deployment group's.
	DefaultConfig string
	Channel       string
	// Metadata is the private_metadata the handler reads back.
	Metadata string
}

// DeployModal renders the deploy modal. With no app to offer it says so
// and has nothing to submit.
func DeployModal(f DeployForm) slack.ModalViewRequest {
	v := slack.ModalViewRequest{
		Type: slack.VTModal, CallbackID: CallbackDeploy, PrivateMetadata: f.Metadata,
		Title: plain("Deploy"), Close: plain("Cancel"),
	}
	if len(f.Apps) == 0 {
		where := "from this channel"
		if f.Channel == "" {
			where = "anywhere"
		}
		v.Close = plain("Close")
		v.Blocks.BlockSet = []slack.Block{section(fmt.Sprintf(":no_entry: You may not deploy any app %s: you are on no app's deploy list for it in the bot's config. `/deploy status` shows what runs.", where))}
		return v
	}
	v.Submit = plain("Ask to deploy")
	bl := []slack.Block{context(":rocket: The confirmation card is posted in the channel; you confirm there, as with `/deploy`.")}

	appSel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Choose an app"), FieldAppID, options(f.Apps)...)
	if f.App != "" {
		appSel.InitialOption = option(f.App, f.App, "")
	}
	app := slack.NewInputBlock(FieldAppID, plain("App"), nil, appSel)
	app.DispatchAction = true
	bl = append(bl, app)
	if f.App == "" {
		bl = append(bl, context("Choose an app: its environments and versions follow."))
		v.Blocks.BlockSet = bl
		return v
	}

	var envNames []string
	for _, e := range f.Envs {
		envNames = append(envNames, e.Name)
	}
	envSel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Environment"), FieldEnvID, options(envNames)...)
	if f.Env != "" {
		envSel.InitialOption = option(f.Env, f.Env, "")
	}
	bl = append(bl, slack.NewInputBlock(FieldEnvID, plain("Environment"), nil, envSel))

	one := 1
	verSel := slack.NewOptionsSelectBlockElement(slack.OptTypeExternal, plain("Type a tag or digest: v1…"), FieldVersionID)
	verSel.MinQueryLength = &one
	bl = append(bl, slack.NewInputBlock(FieldVersionID, plain("Version"),
		plain("Images in ECR, newest first; the one each environment runs is marked."), verSel))

	def := "The environment's default"
	defNote := "the deployment group's own config"
	if f.DefaultConfig != "" {
		defNote = f.DefaultConfig
	}
	cfgOpts := []*slack.OptionBlockObject{option(DefaultConfig, def, defNote)}
	for _, c := range f.Configs {
		cfgOpts = append(cfgOpts, option(c, c, ""))
	}
	cfgSel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Deployment config"), FieldConfigID, cfgOpts...)
	cfgSel.InitialOption = cfgOpts[0]
	bl = append(bl, slack.NewInputBlock(FieldConfigID, plain("Deployment config"), nil, cfgSel))

	reason := slack.NewPlainTextInputBlockElement(plain("Why, for the card and the history"), FieldReasonID)
	reason.MaxLength = 500
	in := slack.NewInputBlock(FieldReasonID, plain("Reason"), nil, reason)
	in.Optional = true
	bl = append(bl, in)

	bl = append(bl, context(cardPlace(f)))
	v.Blocks.BlockSet = bl
	return v
}

// cardPlace says where the card will be posted.
func cardPlace(f DeployForm) string {
	if f.Channel != "" {
		return "The card goes to <#" + f.Channel + ">."
	}
	var parts []string
	for _, e := range f.Envs {
		if len(e.Channels) > 0 {
			parts = append(parts, fmt.Sprintf("%s to <#%s>", Escape(e.Name), e.Channels[0]))
		}
	}
	return "The card goes to the environment's channel: " + strings.Join(parts, ", ") + "."
}

func options(values []string) []*slack.OptionBlockObject {
	var out []*slack.OptionBlockObject
	for _, v := range values {
		out = append(out, option(v, v, ""))
	}
	return out
}

// option is a menu option, its text and description cut to Slack's limits.
func option(value, text, description string) *slack.OptionBlockObject {
	var desc *slack.TextBlockObject
	if description != "" {
		desc = plain(truncate(description, maxOptionText))
	}
	return slack.NewOptionBlockObject(value, plain(truncate(text, maxOptionText)), desc)
}

// VersionChoice is an image offered in the version menu.
type VersionChoice struct {
	// Value is what a submission carries back: a tag, or a digest.
	Value  string
	Tags   []string
	Digest string
	Pushed time.Time
	// RunsIn lists the environments that run it now.
	RunsIn []string
	// Typed marks what the person typed, offered as it is because no
	// listed image matched it: the submission checks it.
	Typed bool
}

// VersionOptions is the answer to the version menu's typeahead, at most
// Slack's hundred options.
func VersionOptions(choices []VersionChoice) slack.OptionsResponse {
	out := slack.OptionsResponse{Options: []*slack.OptionBlockObject{}}
	for _, c := range choices {
		if len(out.Options) == maxOptions || len(c.Value) > maxOptionValue {
			continue
		}
		out.Options = append(out.Options, option(c.Value, versionText(c), versionNote(c)))
	}
	return out
}

func versionText(c VersionChoice) string {
	label := c.Value
	if len(c.Tags) > 0 {
		label = c.Tags[0]
		if len(c.Tags) > 1 {
			label += " (also " + strings.Join(c.Tags[1:], ", ") + ")"
		}
	} else if c.Digest != "" {
		label = shortDigest(c.Digest) + " (untagged)"
	}
	if c.Typed {
		return label + " (as typed)"
	}
	if len(c.RunsIn) > 0 {
		// Cut the label, never the mark.
		mark := " · runs in " + strings.Join(c.RunsIn, ", ")
		return truncate(label, max(maxOptionText-len([]rune(mark)), 10)) + mark
	}
	return label
}

func versionNote(c VersionChoice) string {
	if c.Typed {
		return "Not among the images listed; checked when you submit"
	}
	note := ""
	if !c.Pushed.IsZero() {
		note = "pushed " + c.Pushed.UTC().Format("2006-01-02 15:04 UTC")
	}
	if c.Digest != "" && len(c.Tags) > 0 {
		note += " · " + shortDigest(c.Digest)
	}
	return note
}

func shortDigest(d string) string {
	if len(d) > len("sha256:")+12 {
		return d[:len("sha256:")+12]
	}
	return d
}

// LockModal asks for the reason of a lock taken from the Home tab.
func LockModal(app, metadata string) slack.ModalViewRequest {
	reason := slack.NewPlainTextInputBlockElement(plain("Incident 42: checkout errors"), FieldReasonID)
	reason.MaxLength = 500
	return slack.ModalViewRequest{
		Type: slack.VTModal, CallbackID: CallbackLock, PrivateMetadata: metadata,
		Title: plain(truncate("Lock "+app, maxTitle)), Submit: plain("Lock"), Close: plain("Cancel"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			section(fmt.Sprintf("Deploys of *%s* are refused until someone unlocks it; rollbacks still work. The lock is announced in its channel.", Escape(app))),
			slack.NewInputBlock(FieldReasonID, plain("Reason"), nil, reason),
		}},
	}
}

// The errors the deploy modal shows under a field. Slack shows them as
// plain text, so they carry no markup.

// FieldChooseApp asks for an app.
func FieldChooseApp() string { return "Choose an app." }

// FieldNotOnList says the person may not deploy app.
func FieldNotOnList(app string) string {
	return fmt.Sprintf("You are not on the deploy list of %s.", app)
}

// FieldNotHere says env of app is deployed from other channels.
func FieldNotHere(app, env string) string {
	return fmt.Sprintf("%s in %s is deployed from another channel; run /deploy there.", app, env)
}

// FieldUnknownEnv says app has no environment env.
func FieldUnknownEnv(app, env string) string {
	return fmt.Sprintf("%s has no environment %s.", app, env)
}

// FieldChooseVersion asks for a version.
func FieldChooseVersion() string { return "Type a tag or digest and choose it." }

// FieldBadVersion says what was chosen is no version.
func FieldBadVersion() string {
	return "That is not an image tag, digest or reference I can read."
}

// FieldNoImage says repository has no image version.
func FieldNoImage(version, repository string) string {
	return fmt.Sprintf("There is no image %s in the ECR repository %s.", version, repository)
}

// FieldUnknownConfig says config is no deployment config the bot knows.
func FieldUnknownConfig(config string) string {
	return fmt.Sprintf("I don't know the deployment config %s.", config)
}

// FieldReason says why a reason was refused; why is a parser reply.
func FieldReason() string { return "Keep the reason under 1,000 characters." }

// FieldLockReason asks for the reason of a lock.
func FieldLockReason() string { return "Say why, for everyone who is refused." }

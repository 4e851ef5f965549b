package slacksim

import "errors"

// Errors of the user-side Go API (Slash, Click, SubmitView, CloseView,
// ViewAction, Suggest, OpenHome, Shortcut). The control API turns them into
// HTTP statuses (ctlStatus).
var (
	// ErrNoSuchButton: the message has no button with that action_id, or
	// the user cannot see the message.
	ErrNoSuchButton = errors.New("no such button on that message")
	// ErrUnknownUser: no such user in the workspace.
	ErrUnknownUser = errors.New("no such user")
	// ErrUnknownChannel: no such channel.
	ErrUnknownChannel = errors.New("no such channel")
	// ErrNotInChannel: Slack offers "Join channel" instead of a composer,
	// so a user cannot run a command in a channel they are not in.
	ErrNotInChannel = errors.New("user is not a member of the channel")
	// ErrInThread: Slack refuses slash commands typed in a thread
	// ("/deploy is not supported in threads. Sorry!").
	ErrInThread = errors.New("slash commands are not supported in threads")
	// ErrNoAck: the app did not ack within the ack deadline; for an
	// interaction the user has been shown dispatch_failed.
	ErrNoAck = errors.New("app did not acknowledge within 3 seconds")
	// ErrNoSuchView: the user has no such view in front of them (a modal
	// under another one cannot be touched).
	ErrNoSuchView = errors.New("no such view open for that user")
	// ErrNoSuchElement: the view has no element with that block_id or
	// action_id, or not one that can do what was asked.
	ErrNoSuchElement = errors.New("no such element in that view")
	// ErrInvalidValue: the element does not offer that value (an option
	// not in the menu, a user who does not exist, a malformed date).
	ErrInvalidValue = errors.New("value not accepted")
	// ErrInputRequired: Slack does not send a submission while a required
	// input is empty; it shows the user which ones.
	ErrInputRequired = errors.New("required inputs are empty")
	// ErrQueryTooShort: Slack asks for suggestions only once the user has
	// typed min_query_length characters (3 unless the element says).
	ErrQueryTooShort = errors.New("typed text is shorter than min_query_length")
	// ErrBadAck: the app acked with a payload Slack refuses; the user saw a
	// generic error and the view did not change.
	ErrBadAck = errors.New("the app's ack was refused")
)

// errClosed ends the calls still waiting when the simulator closes.
var errClosed = errors.New("slack simulator closed")

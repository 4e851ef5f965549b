// Package slacksim is an in-process Slack: the Web API methods a ChatOps bot
// calls (messages, views.open/push/update/publish), Socket Mode over a real
// websocket, and a control API that plays the users (slash commands, button
// clicks, modals, the Home tab, global shortcuts) for tests and the sandbox.
//
// The workspace clock (Options.Now, the sandbox's simulated clock) stamps
// message, action and event ts and every time the simulator reports; each
// ts stays unique and increasing even when that clock stands still.
// trigger_ids, ack deadlines and rate limits run on real time.
//
// It behaves as the project's Slack reference describes real Slack: the same
// wire shapes, error names, rate limits, Block Kit limits and Socket Mode
// delivery rules, so that slack-go and Slack's own Node SDK both work against
// it unchanged.
//
// Where Slack's behaviour is not documented, the simulator chooses, and tests
// elsewhere must not lean on the choice:
//
//   - chat.postMessage with a thread_ts that names no message answers
//     thread_not_found; a thread_ts naming a reply joins the parent's thread.
//   - msg_blocks_too_long is answered past 13,000 characters of text across
//     all blocks (reports put Slack's limit a little above 12,000).
//   - action_id must be unique within the whole message, not only its block,
//     so that a (message, action_id) pair names one button.
//   - Blocks without block_id get one ("b000", "b001", …) when stored, as
//     Slack assigns its own, so every action carries a block_id.
//   - A response_url failure is HTTP 200 with ok:false and expired_url,
//     used_url, invalid_blocks, no_text or message_not_found; refused calls do
//     not use up one of its five uses. For a slash command, replace_original
//     and delete_original act on the last answer shown for that command.
//   - A slash command from a user in a channel they have not joined is
//     refused (ErrNotInChannel): Slack shows such a user "Join channel"
//     instead of a composer. One typed in a thread is refused (ErrInThread),
//     as Slack answers "/deploy is not supported in threads".
//   - block_actions from an ephemeral message carry container.is_ephemeral
//     and no message body.
//   - Socket Mode delivery is at least once: an envelope whose link dies
//     before its ack goes again to another link (or the next one to open),
//     within the same 3 s deadline. Acks are matched by envelope_id on any
//     link, because slack-go sends acks queued before a reconnect on the new
//     link.
//   - An eleventh link gets a disconnect message with reason
//     too_many_websockets and is closed, with no hello.
//   - A message's buttons may be clicked without naming the channel: the
//     message is found by ts among those the user can see, which is how an
//     ephemeral message is named.
//
// Modals, the Home tab and shortcuts:
//
//   - trigger_ids are minted for one user by slash commands, block_actions
//     (messages, modals, Home), shortcuts and view_submission (Bolt's
//     ViewSubmitAction has one). They expire 3 s of real time after they
//     were minted (TriggerTTL) and open one view; a call refused for its
//     view, its external_id or its stack does not use the trigger up.
//   - views.open while the user has modals open replaces them, without
//     view_closed (Slack's clients do so "by chance"). views.push needs a
//     trigger from an interaction in a modal still open, else not_found.
//   - View checks answer invalid_arguments with json-pointers under /view
//     (not invalid_blocks), view_too_large past 250 kB. A menu of static
//     options needs at least one; action_id is unique in the whole view. A
//     Home view needs blocks and has no title, submit or close.
//   - external_id is unique among open views and free again once its view
//     closes. views.update keeps the view's ID and may name a Home view;
//     views.publish keeps one Home view ID per user. The hash changes with
//     every update or publish, not when the user types.
//   - Blocks and elements without block_id or action_id get generated ones,
//     new with each version of the view, so such inputs lose what the user
//     typed on update.
//   - view.state.values holds what the user entered. In a view_submission
//     every input block's element is there, holding its initial value or
//     null when untouched; elements outside input blocks appear once used.
//     block_actions from a view carry the state both in state and in
//     view.state, and no response_url.
//   - An input block's element sends block_actions only with dispatch_action;
//     without it the value is kept for the submission and nothing is sent.
//   - A submission with a required input empty is not sent: Slack's client
//     marks it ("Please complete this required field.", ErrInputRequired).
//   - An empty view_submission ack closes the submitted view and any pushed
//     above it; clear closes the stack. Neither sends view_closed. errors
//     naming anything but an input block, an unknown response_action, an
//     update or push with a view that fails the checks, or a push past three
//     views, leave the view as it was; the user sees a generic error
//     (UserErrors) and the caller ErrBadAck.
//   - view_closed is sent for the view the user closed (the top one) when it
//     has notify_on_close; is_cleared is true when the ✕ closed more than
//     that one view.
//   - An external select asks for suggestions from min_query_length (3 by
//     default) typed characters, offers only what the app last answered, and
//     an empty ack offers nothing. Options past Slack's limits (100 items,
//     text 75, value 150) are refused: ErrBadAck.
//   - views.publish is for people only: the bot or an unknown user is
//     invalid_arguments ("invalid `user_id`"). app_home_opened names the
//     user's DM with the bot, made on first use; an events_api envelope not
//     acked in time goes again at once, after a minute and after five, with
//     retry_attempt and retry_reason "timeout", and no user sees an error.
//   - Global shortcuts are delivered for any callback_id: the simulator does
//     not read the app's manifest.
package slacksim

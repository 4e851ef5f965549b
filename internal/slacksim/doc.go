// Package slacksim is an in-process Slack: the Web API methods a ChatOps bot
// calls, Socket Mode over a real websocket, and a control API that plays the
// users (slash commands and button clicks) for tests and the sandbox.
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
package slacksim

// Drives the Slack simulator with Slack's official Node SDK. The Go test
// starts it with SLACK_API_URL, SLACK_BOT_TOKEN and SLACK_APP_TOKEN, reads
// one JSON object per line from stdout, and asserts on them.
import { WebClient } from '@slack/web-api';
import { SocketModeClient } from '@slack/socket-mode';

const apiURL = process.env.SLACK_API_URL;
const say = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');

const web = new WebClient(process.env.SLACK_BOT_TOKEN, { slackApiUrl: apiURL, retryConfig: { retries: 0 } });
const auth = await web.auth.test();
const posted = await web.chat.postMessage({
  channel: 'C0DEPLOYS',
  text: 'hello from node',
  blocks: [
    { type: 'section', text: { type: 'mrkdwn', text: '*node* says hello' } },
    { type: 'actions', block_id: 'node_actions', elements: [
      { type: 'button', action_id: 'node_ok', text: { type: 'plain_text', text: 'OK' }, style: 'primary', value: 'v1' },
    ] },
  ],
});
const updated = await web.chat.update({ channel: posted.channel, ts: posted.ts, text: 'hello from node, edited' });
let refused = '';
try {
  await web.chat.postMessage({ channel: 'C0NOPE', text: 'x' });
} catch (err) {
  refused = err.data?.error ?? String(err);
}
say({ step: 'web', user_id: auth.user_id, channel: posted.channel, ts: posted.ts, updated_text: updated.text, refused });

const socket = new SocketModeClient({
  appToken: process.env.SLACK_APP_TOKEN,
  clientOptions: { slackApiUrl: apiURL },
  logLevel: 'error',
});
const seen = [];
const finish = async () => {
  say({ step: 'done', seen });
  await socket.disconnect();
  process.exit(0);
};
socket.on('slash_commands', async ({ ack, body, envelope_id }) => {
  seen.push({ type: 'slash_commands', envelope_id, command: body.command, text: body.text, user_id: body.user_id });
  await ack({ text: `node got ${body.text}` });
});
socket.on('interactive', async ({ ack, body, envelope_id }) => {
  const a = body.actions?.[0] ?? {};
  // The click's trigger opens a modal: views.* go form-encoded, the view a
  // JSON string.
  const modal = {
    type: 'modal', callback_id: 'node_modal', title: { type: 'plain_text', text: 'From node' },
    submit: { type: 'plain_text', text: 'Go' },
    blocks: [{ type: 'input', block_id: 'why', label: { type: 'plain_text', text: 'Why' },
      element: { type: 'plain_text_input', action_id: 'why' } }],
  };
  const opened = await web.views.open({ trigger_id: body.trigger_id, view: modal });
  let reused = '';
  try {
    await web.views.open({ trigger_id: body.trigger_id, view: modal });
  } catch (err) {
    reused = err.data?.error ?? String(err);
  }
  const home = await web.views.publish({ user_id: body.user.id, view: { type: 'home',
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*node* home' } }] } });
  seen.push({ type: body.type, envelope_id, action_id: a.action_id, block_id: a.block_id, value: a.value, user_id: body.user?.id,
    view_id: opened.view.id, view_state: opened.view.state, reused, home_id: home.view.id, home_type: home.view.type });
  await ack();
  await finish();
});
socket.on('connected', () => say({ step: 'connected' }));
setTimeout(() => { say({ step: 'timeout', seen }); process.exit(2); }, 20000).unref();
await socket.start();

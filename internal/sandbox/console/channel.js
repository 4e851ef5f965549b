// The channel and its thread pane. Messages are drawn once and patched by
// ts as they change, block by block, so that a button a person is about to
// click is not swapped for a copy under the pointer.
import { $, el, markup, sync } from "./dom.js";
import { mrkdwn, dateSpan } from "./mrkdwn.js";
import { syncBlocks } from "./blocks.js";

// ui is set by init: the console's state and what a button press does.
let ui = null;

export function initChannel(deps) {
  ui = deps;
  $("#close-thread").addEventListener("click", () => { ui.state.thread = ""; renderThread(); });
  $("#thread-expand").addEventListener("click", () => {
    const p = $("#thread-parent");
    p.classList.toggle("collapsed");
    $("#thread-expand").textContent = p.classList.contains("collapsed") ? "Show the whole message" : "Show less";
  });
}

const visible = (m) => !m.ephemeral_to || m.ephemeral_to === ui.state.user;
const isReply = (m) => m.thread_ts && m.thread_ts !== m.ts;

function replyCount(ts) {
  return ui.state.messages.filter((m) => m.thread_ts === ts && m.ts !== ts && visible(m)).length;
}

// A message with no blocks is drawn as one section of its text.
function blocksOf(m) {
  return m.blocks && m.blocks.length ? m.blocks : [{ type: "section", block_id: "text", text: { type: "mrkdwn", text: m.text || "" } }];
}

function blockCtx(m) {
  return { ...ui.blockCtx, act: (e) => ui.pressButton(m.ts, e) };
}

function meta(m) {
  const who = m.bot_id ? "switchyard" : ui.userName(m.user);
  const secs = Number(String(m.ts).split(".")[0]);
  const d = markup("div", { class: "meta" }, dateSpan(secs, "{time}", ""));
  d.prepend(el("b", {}, who));
  if (m.edits && m.edits.length) d.append(el("span", { class: "edited" }, "(edited)"));
  return d;
}

function renderMessage(m, inThread) {
  const who = m.bot_id ? "switchyard" : ui.userName(m.user);
  const body = el("div", { class: "body" }, meta(m));
  if (m.ephemeral_to) body.append(el("div", { class: "only-you" }, "Only visible to you"));
  const blocks = el("div", { class: "blocks" });
  syncBlocks(blocks, blocksOf(m), blockCtx(m));
  body.append(blocks);
  if (!inThread && isReply(m)) {
    body.append(el("span", { class: "thread-note", onclick: () => openThread(m.thread_ts) }, "replied to a thread"));
  }
  const node = el("div", { class: "msg" + (m.ephemeral_to ? " ephemeral" : ""), "data-ts": m.ts },
    el("div", { class: "avatar" + (m.bot_id ? " bot" : "") }, who.slice(0, 1).toUpperCase()), body);
  patchReplies(node, m, inThread);
  return node;
}

// patchMessage brings a drawn message up to date in place.
function patchMessage(node, m, inThread) {
  const body = node.querySelector(".body");
  body.querySelector(".meta").replaceWith(meta(m));
  syncBlocks(body.querySelector(".blocks"), blocksOf(m), blockCtx(m));
  patchReplies(node, m, inThread);
}

// patchReplies shows how many replies a channel message has, when it has
// some.
function patchReplies(node, m, inThread) {
  const body = node.querySelector(":scope > .body");
  let link = body.querySelector(":scope > .replies-link");
  const n = inThread || isReply(m) ? 0 : replyCount(m.ts);
  if (n === 0) {
    if (link) link.remove();
    return;
  }
  if (!link) {
    link = el("span", { class: "replies-link", "data-thread": m.ts, onclick: () => openThread(m.ts) });
    body.append(link);
  }
  link.textContent = `${n} ${n === 1 ? "reply" : "replies"}`;
}

function syncMessages(container, list, inThread) {
  sync(container, list, {
    key: (m) => m.ts,
    sig: (m) => JSON.stringify([m.text, m.blocks, (m.edits || []).length, m.ephemeral_to, inThread ? 0 : replyCount(m.ts)]),
    create: (m) => renderMessage(m, inThread),
    update: (node, m) => patchMessage(node, m, inThread),
  });
}

// renderChannel draws what the chosen user sees of the channel.
export function renderChannel() {
  const list = $("#messages");
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 60;
  const shown = ui.state.messages.filter((m) => visible(m) && (!isReply(m) || m.reply_broadcast));
  syncMessages(list, shown, false);
  $("#empty-hint").hidden = shown.length > 0;
  if (atBottom) list.scrollTop = list.scrollHeight;
  renderThread();
}

export function renderThread() {
  const pane = $("#thread");
  const s = ui.state;
  if (!s.thread) {
    pane.hidden = true;
    return;
  }
  const opening = pane.hidden || pane.dataset.thread !== s.thread;
  pane.hidden = false;
  pane.dataset.thread = s.thread;
  const parent = s.messages.find((m) => m.ts === s.thread);
  syncMessages($("#thread-parent-msg"), parent ? [parent] : [], true);
  if (opening) {
    $("#thread-parent").classList.add("collapsed");
    $("#thread-expand").textContent = "Show the whole message";
  }
  const replies = $("#thread-replies");
  const atBottom = replies.scrollHeight - replies.scrollTop - replies.clientHeight < 60;
  syncMessages(replies, s.messages.filter((m) => m.thread_ts === s.thread && m.ts !== s.thread && visible(m)), true);
  if (opening || atBottom) replies.scrollTop = replies.scrollHeight;
}

export function openThread(ts) {
  ui.state.thread = ts;
  renderThread();
}

// whatToTry is the hint an empty channel shows: who may do what, and a
// command to start with.
export function renderHint(roles) {
  const tips = {
    deploy: "try <code>/deploy myapp v1.4</code>, then Confirm",
    rollback: "press Rollback on a running deployment's card",
    approve: "press Approve when a payments deploy waits for a second person",
    watch: "try <code>/deploy status</code>, or press a button to see a refusal",
  };
  const items = roles.map((r) => {
    const actions = new Set(Object.values(r.apps || {}).flat());
    const tip = actions.has("deploy") ? tips.deploy : actions.has("rollback") ? tips.rollback : actions.has("approve") ? tips.approve : tips.watch;
    const li = markup("li", { "data-user": r.id }, `<b></b> ${mrkdwn(r.summary)}: ${tip}.`);
    li.querySelector("b").textContent = r.name;
    return li;
  });
  const hint = $("#empty-hint");
  hint.replaceChildren(
    el("h3", {}, "Nothing here yet: what to try"),
    el("ul", {}, ...items),
    markup("p", {}, "Anyone: <code>/deploy help</code> lists the commands; ⚡ by the composer runs the Deploy… shortcut; the Home tab is under Apps. Click a command to type it as that person."),
  );
  for (const li of hint.querySelectorAll("li")) {
    for (const c of li.querySelectorAll("code")) c.addEventListener("click", () => ui.typeAs(li.dataset.user, c.textContent));
  }
}

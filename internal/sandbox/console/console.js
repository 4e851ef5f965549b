// The sandbox console: #deploys as Slack shows it, drawn from the Slack
// simulator's control API, with live updates over server-sent events.
"use strict";

const state = {
  users: [],
  usersById: {},
  channel: "C0DEPLOYS",
  channels: [],
  user: localStorage.getItem("switchyard.user") || "",
  messages: [],
  thread: "",
};

const EMOJI = {
  white_check_mark: "✅", x: "❌", arrows_counterclockwise: "🔄", white_circle: "⚪", fast_forward: "⏩",
  octagonal_sign: "🛑", double_vertical_bar: "⏸️", large_green_circle: "🟢", large_blue_circle: "🔵",
  red_circle: "🔴", rewind: "⏪", hourglass: "⌛", hourglass_flowing_sand: "⏳", no_entry_sign: "🚫",
  lock: "🔒", unlock: "🔓", information_source: "ℹ️", warning: "⚠️", rocket: "🚀", wave: "👋",
  mag: "🔍", clipboard: "📋", scroll: "📜", no_entry: "⛔", question: "❓",
};

const $ = (sel) => document.querySelector(sel);

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null) e.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

function escapeHTML(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

// mrkdwn renders Slack's markup safely: the text is escaped first, then
// Slack's own entities (&lt; &gt; &amp; stay literal) and markup applied.
function mrkdwn(text) {
  let s = escapeHTML(text);
  // Slack's control sequences arrive escaped as &lt;…&gt; now.
  s = s.replace(/&lt;@([UW][A-Z0-9]+)&gt;/g, (_, id) => `<span class="mention">@${escapeHTML(nameOf(id))}</span>`);
  s = s.replace(/&lt;!date\^(\d+)\^[^|]*\|([^&]*)&gt;/g, (_, epoch) => new Date(Number(epoch) * 1000).toLocaleString());
  s = s.replace(/&lt;(https?:[^|&]+)\|([^&]+)&gt;/g, (_, url, label) => `<a href="${url}" target="_blank" rel="noopener">${label}</a>`);
  s = s.replace(/&lt;(https?:[^&]+)&gt;/g, (_, url) => `<a href="${url}" target="_blank" rel="noopener">${url}</a>`);
  // &amp;lt; etc. were the bot's own escapes of < > &: show them as characters.
  s = s.replace(/&amp;(lt|gt|amp);/g, "&$1;");
  s = s.replace(/`([^`]+)`/g, "<code>$1</code>");
  s = s.replace(/(^|[\s(])\*([^*\n]+)\*/g, "$1<b>$2</b>");
  s = s.replace(/(^|[\s(])_([^_\n]+)_/g, "$1<i>$2</i>");
  s = s.replace(/(^|[\s(])~([^~\n]+)~/g, "$1<s>$2</s>");
  s = s.replace(/:([a-z0-9_+-]+):/g, (m, name) => EMOJI[name] || m);
  return s;
}

function plainText(t) {
  if (!t) return "";
  const s = escapeHTML(t.text || "");
  return t.emoji === false ? s : s.replace(/:([a-z0-9_+-]+):/g, (m, n) => EMOJI[n] || m);
}

function textObj(t) {
  if (!t) return "";
  return t.type === "mrkdwn" ? mrkdwn(t.text || "") : plainText(t);
}

function nameOf(id) {
  const u = state.usersById[id];
  return u ? u.name : id;
}

function renderBlocks(msg) {
  const frag = document.createDocumentFragment();
  for (const b of msg.blocks || []) {
    switch (b.type) {
      case "header": {
        const h = el("div", { class: "block-header" });
        h.innerHTML = plainText(b.text);
        frag.append(h);
        break;
      }
      case "section": {
        if (b.text) {
          const d = el("div", { class: "block-section" });
          d.innerHTML = textObj(b.text);
          frag.append(d);
        }
        if (b.fields && b.fields.length) {
          const g = el("div", { class: "block-fields" });
          for (const f of b.fields) {
            const d = el("div");
            d.innerHTML = textObj(f);
            g.append(d);
          }
          frag.append(g);
        }
        break;
      }
      case "context": {
        const d = el("div", { class: "block-context" });
        d.innerHTML = (b.elements || []).map((e) => (e.type === "image" ? "" : textObj(e))).join("  ");
        frag.append(d);
        break;
      }
      case "divider":
        frag.append(el("hr", { class: "block-divider" }));
        break;
      case "actions": {
        const row = el("div", { class: "block-actions" });
        for (const e of b.elements || []) {
          if (e.type !== "button") continue;
          const btn = el("button", {
            type: "button",
            class: e.style || "",
            "data-action-id": e.action_id,
            "data-ts": msg.ts,
            onclick: () => pressButton(msg, e),
          });
          btn.innerHTML = plainText(e.text);
          row.append(btn);
        }
        frag.append(row);
        break;
      }
      default: {
        const d = el("div", { class: "block-context" }, `[${b.type} block]`);
        frag.append(d);
      }
    }
  }
  return frag;
}

function renderMessage(msg, inThread) {
  const who = msg.bot_id ? "switchyard" : nameOf(msg.user);
  const body = el("div", { class: "body" });
  const meta = el("div", { class: "meta" }, el("b", {}, who), tsToTime(msg.ts));
  if (msg.edits && msg.edits.length) meta.append(el("span", { class: "edited" }, "(edited)"));
  body.append(meta);
  if (msg.ephemeral_to) body.append(el("div", { class: "only-you" }, "Only visible to you"));
  if (msg.blocks && msg.blocks.length) {
    body.append(renderBlocks(msg));
  } else {
    const t = el("div", { class: "block-section" });
    t.innerHTML = mrkdwn(msg.text || "");
    body.append(t);
  }
  if (!inThread) {
    const n = state.messages.filter((m) => m.thread_ts === msg.ts && m.ts !== msg.ts && visible(m)).length;
    if (n > 0) {
      body.append(el("span", { class: "replies-link", "data-thread": msg.ts, onclick: () => openThread(msg.ts) },
        `${n} ${n === 1 ? "reply" : "replies"}`));
    }
  }
  return el("div", { class: "msg" + (msg.ephemeral_to ? " ephemeral" : ""), "data-ts": msg.ts },
    el("div", { class: "avatar" + (msg.bot_id ? " bot" : "") }, who.slice(0, 1).toUpperCase()), body);
}

function tsToTime(ts) {
  return new Date(Number(ts.split(".")[0]) * 1000).toLocaleTimeString();
}

function visible(m) {
  return !m.ephemeral_to || m.ephemeral_to === state.user;
}

function render() {
  const list = $("#messages");
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 60;
  list.replaceChildren();
  for (const m of state.messages) {
    if (!visible(m)) continue;
    const isReply = m.thread_ts && m.thread_ts !== m.ts;
    if (isReply && !m.reply_broadcast) continue;
    list.append(renderMessage(m, false));
  }
  if (atBottom) list.scrollTop = list.scrollHeight;
  renderThread();
}

function renderThread() {
  const pane = $("#thread");
  if (!state.thread) {
    pane.hidden = true;
    return;
  }
  pane.hidden = false;
  const parent = state.messages.find((m) => m.ts === state.thread);
  $("#thread-parent").replaceChildren(parent ? renderMessage(parent, true) : "");
  const replies = $("#thread-replies");
  replies.replaceChildren();
  for (const m of state.messages) {
    if (m.thread_ts === state.thread && m.ts !== state.thread && visible(m)) replies.append(renderMessage(m, true));
  }
  replies.scrollTop = replies.scrollHeight;
}

function openThread(ts) {
  state.thread = ts;
  renderThread();
}

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: body ? { "Content-Type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  let data = null;
  try { data = await res.json(); } catch (_) { /* empty */ }
  if (!res.ok) throw new Error((data && data.error) || `${res.status} ${res.statusText}`);
  return data;
}

let refreshing = null;
let again = false;
async function refresh() {
  if (refreshing) { again = true; return refreshing; }
  refreshing = (async () => {
    try {
      state.messages = await api("GET", `/_sim/messages?channel=${encodeURIComponent(state.channel)}`);
      render();
    } catch (e) {
      $("#composer-status").textContent = "Cannot read the channel: " + e.message;
    }
  })();
  await refreshing;
  refreshing = null;
  if (again) { again = false; refresh(); }
}

function confirmFirst(confirm) {
  return new Promise((resolve) => {
    const dlg = $("#confirm-dialog");
    $("#confirm-title").innerHTML = plainText(confirm.title);
    $("#confirm-text").innerHTML = textObj(confirm.text);
    const ok = $("#confirm-ok");
    const deny = $("#confirm-deny");
    ok.innerHTML = plainText(confirm.confirm);
    deny.innerHTML = plainText(confirm.deny);
    ok.className = confirm.style === "danger" ? "danger" : "primary";
    dlg.hidden = false;
    const done = (v) => { dlg.hidden = true; ok.onclick = deny.onclick = null; resolve(v); };
    ok.onclick = () => done(true);
    deny.onclick = () => done(false);
  });
}

async function pressButton(msg, button) {
  if (!state.user) { $("#composer-status").textContent = "Pick a user first."; return; }
  if (button.confirm && !(await confirmFirst(button.confirm))) return;
  $("#composer-status").textContent = "";
  try {
    await api("POST", "/_sim/click", {
      user_id: state.user, channel_id: state.channel, message_ts: msg.ts, action_id: button.action_id,
    });
  } catch (e) {
    $("#composer-status").textContent = "Slack would show an error: " + e.message;
  }
  refresh();
}

async function send(ev) {
  ev.preventDefault();
  const input = $("#composer-input");
  const text = input.value.trim();
  if (!text) return;
  const status = $("#composer-status");
  status.textContent = "";
  const m = text.match(/^(\/[a-z_-]+)\s*(.*)$/s);
  if (!m) {
    status.textContent = "The console sends slash commands only: try /deploy help";
    return;
  }
  input.value = "";
  try {
    await api("POST", "/_sim/slash", { user_id: state.user, channel_id: state.channel, command: m[1], text: m[2] });
  } catch (e) {
    status.textContent = "Slack would show an error: " + e.message;
    input.value = text;
  }
  refresh();
}

async function fault(path, body, what) {
  const status = $("#fault-status");
  try {
    await api("POST", path, body);
    status.textContent = what;
  } catch (e) {
    status.textContent = "Failed: " + e.message;
  }
}

async function init() {
  const [users, channels, world] = await Promise.all([
    api("GET", "/_sim/users"), api("GET", "/_sim/channels"), api("GET", "/_sim/world").catch(() => ({})),
  ]);
  state.users = users.filter((u) => !u.is_bot);
  for (const u of users) state.usersById[u.id] = u;
  const picker = $("#user-picker");
  for (const u of state.users) picker.append(el("option", { value: u.id }, `${u.name} — ${u.real_name || ""}`));
  if (!state.users.some((u) => u.id === state.user)) state.user = state.users.length ? state.users[0].id : "";
  picker.value = state.user;
  picker.addEventListener("change", () => {
    state.user = picker.value;
    localStorage.setItem("switchyard.user", state.user);
    render();
  });
  state.channels = channels.filter((c) => !c.is_im);
  const list = $("#channels");
  for (const c of state.channels) {
    const li = el("li", { "data-channel": c.id, class: c.id === state.channel ? "active" : "" }, `# ${c.name}`);
    li.addEventListener("click", () => {
      state.channel = c.id;
      state.thread = "";
      $("#channel-header").textContent = `# ${c.name}`;
      for (const x of list.children) x.classList.toggle("active", x.dataset.channel === c.id);
      refresh();
    });
    list.append(li);
  }
  for (const a of world.apps || []) $("#fail-app").append(el("option", {}, a));
  for (const a of world.alarms || []) $("#alarm-name").append(el("option", {}, a));
  $("#fail-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const f = new FormData(ev.target);
    fault("/_sim/aws/fail", { app: f.get("app"), stage: f.get("stage") }, `The next ${f.get("app")} deployment fails at ${f.get("stage")}.`);
  });
  $("#alarm-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const f = new FormData(ev.target);
    fault("/_sim/aws/alarm", { name: f.get("name"), state: f.get("state") }, `${f.get("name")} is ${f.get("state")}.`);
  });
  $("#drop-socket").addEventListener("click", () => fault("/_sim/socket/drop", {}, "Dropped the bot's socket; it reconnects."));
  $("#composer").addEventListener("submit", send);
  $("#close-thread").addEventListener("click", () => { state.thread = ""; renderThread(); });

  const stream = new EventSource("/_sim/stream");
  stream.onmessage = () => refresh();
  await refresh();
  document.body.dataset.ready = "true";
}

init();

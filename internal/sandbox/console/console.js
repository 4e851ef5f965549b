// The sandbox console: #deploys as Slack shows it, drawn from the Slack
// simulator's control API, with live updates over server-sent events; the
// chosen user's modals and Home tab; the sandbox's simulated clock.
import { $, el, api } from "./dom.js";
import { env, plainText, textObj, refreshDates, formatDate } from "./mrkdwn.js";
import { initChannel, renderChannel, renderHint } from "./channel.js";
import { initViews, refreshViews, openHome } from "./views.js";

const state = {
  users: [],
  usersById: {},
  channels: [],
  channelsById: {},
  roles: [],
  channel: "C0DEPLOYS",
  user: localStorage.getItem("switchyard.user") || "",
  tab: "channel", // or home
  messages: [],
  thread: "",
  clock: { simMs: Date.now(), realMs: Date.now(), speed: 0 },
};

const userName = (id) => (state.usersById[id] ? state.usersById[id].name : id);

env.userName = userName;
env.channelName = (id) => (state.channelsById[id] ? state.channelsById[id].name : "");
env.tz = () => (state.usersById[state.user] || {}).tz;
env.now = () => state.clock.simMs + (Date.now() - state.clock.realMs) * state.clock.speed;

// blockCtx is what every surface's blocks need.
const blockCtx = {
  confirm: confirmFirst,
  users: () => state.users,
  channels: (channelsOnly) => state.channels
    .filter((c) => !channelsOnly || !c.is_im)
    .map((c) => ({ id: c.id, label: c.is_im ? `@${userName(c.user)}` : `#${c.name}` })),
  suggest: () => Promise.reject(new Error("not in a view")),
};

function status(text) {
  $("#composer-status").textContent = text;
}

function confirmFirst(confirm) {
  return new Promise((resolve) => {
    const dlg = $("#confirm-dialog");
    $("#confirm-title").innerHTML = plainText(confirm.title);
    $("#confirm-text").innerHTML = textObj(confirm.text);
    const ok = $("#confirm-ok");
    const deny = $("#confirm-deny");
    ok.innerHTML = confirm.confirm ? plainText(confirm.confirm) : "Yes";
    deny.innerHTML = confirm.deny ? plainText(confirm.deny) : "Cancel";
    ok.className = confirm.style === "danger" ? "danger" : "primary";
    dlg.hidden = false;
    const done = (v) => { dlg.hidden = true; ok.onclick = deny.onclick = null; resolve(v); };
    ok.onclick = () => done(true);
    deny.onclick = () => done(false);
  });
}

async function pressButton(ts, button) {
  if (!state.user) { status("Pick a user first."); return; }
  status("");
  try {
    await api("POST", "/_sim/click", { user_id: state.user, channel_id: state.channel, message_ts: ts, action_id: button.action_id });
  } catch (e) {
    status("Slack would show an error: " + e.message);
  }
  refresh();
}

let refreshing = null;
let again = false;
// refresh reads the channel and patches what changed. Calls made while one
// runs fold into one more.
async function refresh() {
  if (refreshing) { again = true; return refreshing; }
  refreshing = (async () => {
    try {
      state.messages = await api("GET", `/_sim/messages?channel=${encodeURIComponent(state.channel)}`);
      renderChannel();
    } catch (e) {
      status("Cannot read the channel: " + e.message);
    }
  })();
  await refreshing;
  refreshing = null;
  if (again) { again = false; await refresh(); }
}

async function send(ev) {
  ev.preventDefault();
  const input = $("#composer-input");
  const text = input.value.trim();
  if (!text) return;
  status("");
  const m = text.match(/^(\/[a-z_-]+)\s*(.*)$/s);
  if (!m) {
    status("The console sends slash commands only: try /deploy help");
    return;
  }
  input.value = "";
  try {
    await api("POST", "/_sim/slash", { user_id: state.user, channel_id: state.channel, command: m[1], text: m[2] });
  } catch (e) {
    status("Slack would show an error: " + e.message);
    input.value = text;
  }
  refresh();
}

async function shortcut(callbackID) {
  $("#shortcut-menu").hidden = true;
  status("");
  try {
    await api("POST", "/_sim/shortcut", { user_id: state.user, callback_id: callbackID });
  } catch (e) {
    status("Slack would show an error: " + e.message);
  }
  refreshViews();
}

async function fault(path, body, what) {
  const out = $("#fault-status");
  try {
    await api("POST", path, body);
    out.textContent = what;
  } catch (e) {
    out.textContent = "Failed: " + e.message;
  }
}

// The clock: read every second, moved on between reads at its speed.
async function tick() {
  try {
    const c = await api("GET", "/_sim/clock");
    state.clock = { simMs: c.unix_ms, realMs: Date.now(), speed: c.speed };
  } catch (_) { /* the sandbox is going away */ }
  drawClock();
  refreshDates(document, true);
}

// drawClock shows simulated time in the chosen user's time zone.
function drawClock() {
  const speed = state.clock.speed ? ` · ×${state.clock.speed}` : " · stopped";
  const tz = env.tz();
  $("#clock").textContent = `${formatDate(env.now() / 1000, "{date_short} {time_secs}")}${tz ? ` (${tz})` : ""}${speed}`;
  $("#clock").title = "The sandbox's simulated time";
}

function selectUser(id) {
  state.user = id;
  $("#user-picker").value = id;
  localStorage.setItem("switchyard.user", id);
  const u = state.usersById[id] || {};
  const role = state.roles.find((r) => r.id === id);
  $("#user-role").textContent = `${u.real_name || ""}${u.tz ? " · " + u.tz : ""}${role ? " · " + role.summary : ""}`;
  renderChannel();
  drawClock();
  refreshDates(document, false);
  refreshViews();
  if (state.tab === "home") openHome();
}

function showTab(tab) {
  state.tab = tab;
  document.body.dataset.tab = tab;
  for (const x of document.querySelectorAll("#channels li, #apps li")) {
    x.classList.toggle("active", tab === "home" ? x.id === "home-tab" : x.dataset.channel === state.channel);
  }
  if (tab === "home") openHome();
}

function selectChannel(id) {
  const c = state.channelsById[id];
  if (!c) return;
  state.channel = id;
  state.thread = "";
  $("#channel-header-name").textContent = `# ${c.name}`;
  showTab("channel");
  refresh();
}

// typeAs picks a user and puts a command in the composer, from the hint.
function typeAs(user, text) {
  selectUser(user);
  $("#composer-input").value = text;
  $("#composer-input").focus();
}

async function init() {
  const [users, channels, world, roles] = await Promise.all([
    api("GET", "/_sim/users"), api("GET", "/_sim/channels"), api("GET", "/_sim/world").catch(() => ({})),
    api("GET", "/_sim/roles").catch(() => []),
  ]);
  state.users = users.filter((u) => !u.is_bot);
  for (const u of users) state.usersById[u.id] = u;
  state.roles = roles;
  const picker = $("#user-picker");
  for (const u of state.users) {
    const role = roles.find((r) => r.id === u.id);
    picker.append(el("option", { value: u.id }, `${u.name} — ${role ? role.summary : u.real_name || ""}`));
  }
  if (!state.users.some((u) => u.id === state.user)) state.user = state.users.length ? state.users[0].id : "";
  picker.addEventListener("change", () => selectUser(picker.value));
  state.channels = channels;
  for (const c of channels) state.channelsById[c.id] = c;
  const list = $("#channels");
  for (const c of channels.filter((c) => !c.is_im)) {
    list.append(el("li", { "data-channel": c.id, onclick: () => selectChannel(c.id) }, `# ${c.name}`));
  }
  $("#home-tab").addEventListener("click", () => showTab("home"));
  // A channel named in a message leads there, as in Slack.
  document.addEventListener("click", (ev) => {
    const m = ev.target.closest && ev.target.closest(".channel-mention");
    if (m && state.channelsById[m.dataset.channel] && !state.channelsById[m.dataset.channel].is_im) selectChannel(m.dataset.channel);
  });
  for (const a of world.apps || []) $("#fail-app").append(el("option", {}, a));
  // Each app fails at its backend's stages: CodeDeploy's hook events, or
  // ECS's own for an app ECS deploys itself.
  const stages = () => {
    const list = (world.stages || {})[$("#fail-app").value];
    if (!list) return;
    const sel = $("#fail-stage");
    sel.replaceChildren(...list.map((s) => el("option", {}, s)));
    const preferred = ["BeforeAllowTraffic", "POST_SCALE_UP"].find((s) => list.includes(s));
    if (preferred) sel.value = preferred;
  };
  $("#fail-app").addEventListener("change", stages);
  stages();
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
  $("#shortcut-button").addEventListener("click", () => { $("#shortcut-menu").hidden = !$("#shortcut-menu").hidden; });
  for (const b of document.querySelectorAll("#shortcut-menu [data-callback-id]")) b.addEventListener("click", () => shortcut(b.dataset.callbackId));

  initChannel({ state, userName, blockCtx, pressButton, typeAs });
  initViews({ state, blockCtx });
  renderHint(roles);
  await tick();
  setInterval(tick, 1000);

  // The stream says what changed: the channel's messages, or someone's
  // views. Either is read again and patched in place.
  const stream = new EventSource("/_sim/stream");
  stream.onopen = () => { refresh(); refreshViews(); };
  stream.onmessage = (ev) => {
    let e = {};
    try { e = JSON.parse(ev.data); } catch (_) { /* not ours */ }
    if (e.view_id) {
      if (e.user_id === state.user) refreshViews();
    } else if (!e.channel || e.channel === state.channel) {
      refresh();
    }
  };
  selectUser(state.user);
  showTab("channel");
  await refresh();
  await refreshViews();
  document.body.dataset.ready = "true";
}

init();

// Modals and the Home tab of the chosen user, read from the Slack
// simulator (GET /_sim/views) and acted on through its control API:
// submit, close, block actions and suggestions, as Slack's client would.
import { $, el, markup, sync, api } from "./dom.js";
import { plainText } from "./mrkdwn.js";
import { syncBlocks, renderBlock } from "./blocks.js";
import { readInputs, carry } from "./inputs.js";

let ui = null;
let views = []; // the chosen user's open modals, root first, then their Home tab
const latest = new Map(); // view id → the view as last read

export function initViews(deps) {
  ui = deps;
}

let running = null;
let again = false;

// refreshViews reads the chosen user's views and draws them. Calls made
// while one runs fold into one more.
export async function refreshViews() {
  if (running) { again = true; return running; }
  running = (async () => {
    const user = ui.state.user;
    let got = [];
    try { got = user ? await api("GET", `/_sim/views?user_id=${encodeURIComponent(user)}`) : []; } catch (_) { got = []; }
    if (user !== ui.state.user) return;
    views = got;
    for (const v of views) latest.set(v.id, v);
    renderModals();
    renderHome();
  })();
  await running;
  running = null;
  if (again) { again = false; await refreshViews(); }
}

function viewCtx(id) {
  const cur = () => latest.get(id) || {};
  const user = () => ui.state.user;
  const ctx = {
    ...ui.blockCtx,
    stateOf: (block, action) => {
      const vals = cur().state && cur().state.values;
      return vals && vals[block] ? vals[block][action] : undefined;
    },
    act: (e, _b, value) => viewCall("/_sim/views/action", { user_id: user(), view_id: id, action_id: e.action_id, value: value ?? "" }, id),
    suggest: (e, _b, q) => api("POST", "/_sim/views/suggest", { user_id: user(), view_id: id, action_id: e.action_id, value: q }),
    // A changed block is drawn again, keeping what the user entered.
    updateBlock: (node, b) => {
      const fresh = renderBlock(b, ctx);
      carry(node, fresh);
      node.className = fresh.className;
      for (const a of [...node.attributes]) if (a.name.startsWith("data-") && a.name !== "data-key") node.removeAttribute(a.name);
      for (const a of [...fresh.attributes]) if (a.name.startsWith("data-")) node.setAttribute(a.name, a.value);
      node.replaceChildren(...fresh.childNodes);
    },
  };
  return ctx;
}

// viewCall makes a user-side call on a view and shows what went wrong
// where the user is looking.
async function viewCall(path, body, id) {
  try {
    const res = await api("POST", path, body);
    showErrors(id, res && res.errors);
    return res;
  } catch (err) {
    if (err.body && err.body.errors) showErrors(id, err.body.errors);
    else showProblem(id, err.status === 422 ? `We had some trouble connecting. Try again? (${err.message})` : `Slack would show an error: ${err.message}`);
    return null;
  } finally {
    refreshViews();
  }
}

function surfaceOf(id) {
  return document.querySelector(`.modal[data-view-id="${CSS.escape(id)}"]`) || (latest.get(id) && latest.get(id).type === "home" ? $("#home") : null);
}

// showErrors shows the errors Slack puts under inputs (none clears them).
function showErrors(id, errors) {
  const root = surfaceOf(id);
  if (!root) return;
  showErrorsIn(root, errors || {});
  if (errors) showProblem(id, "");
}

function showProblem(id, text) {
  const root = surfaceOf(id);
  const box = root && root.querySelector(".view-problem");
  if (!box) return;
  box.textContent = text;
  box.hidden = !text;
}

function renderModals() {
  const stack = views.filter((v) => v.type === "modal" && v.open);
  const layer = $("#view-layer");
  layer.hidden = stack.length === 0;
  sync(layer, stack.map((v, i) => ({ v, top: i === stack.length - 1 })), {
    key: ({ v }) => v.id,
    sig: ({ v, top }) => JSON.stringify([v.hash, v.errors || null, top, v.title, v.submit, v.close]),
    create: createModal,
    update: patchModal,
  });
}

function createModal(item) {
  const v = item.v;
  const node = el("div", { class: "modal", role: "dialog", "aria-modal": "true", "data-view-id": v.id, "data-callback-id": v.callback_id },
    el("header", {},
      el("h2", { class: "modal-title" }),
      el("button", { type: "button", class: "modal-x", "aria-label": "Close", onclick: () => close(v.id, true) }, "✕")),
    el("div", { class: "view-problem", role: "alert", hidden: true }),
    el("div", { class: "modal-body" }),
    el("footer", {},
      el("button", { type: "button", class: "modal-close", onclick: () => close(v.id, false) }),
      el("button", { type: "button", class: "primary modal-submit", onclick: () => submit(v.id, node) })));
  patchModal(node, item);
  return node;
}

function patchModal(node, { v, top }) {
  node.classList.toggle("under", !top);
  node.inert = !top;
  node.querySelector(".modal-title").innerHTML = plainText({ text: v.title });
  node.querySelector(".modal-close").textContent = v.close || "Cancel";
  const submitBtn = node.querySelector(".modal-submit");
  submitBtn.textContent = v.submit || "";
  submitBtn.hidden = !v.submit;
  if (node.dataset.hash !== v.hash) {
    node.dataset.hash = v.hash;
    syncBlocks(node.querySelector(".modal-body"), v.blocks, viewCtx(v.id));
  }
  // The simulator keeps the errors of the last refused submission.
  if (v.errors) showErrorsIn(node, v.errors);
}

function showErrorsIn(node, errors) {
  for (const b of node.querySelectorAll(".block-input")) {
    const msg = errors[b.dataset.blockId] || "";
    b.classList.toggle("has-error", !!msg);
    b.querySelector(".input-error").textContent = msg;
  }
}

async function submit(id, node) {
  const btn = node.querySelector(".modal-submit");
  btn.disabled = true;
  try {
    await viewCall("/_sim/views/submit", { user_id: ui.state.user, view_id: id, values: readInputs(node.querySelector(".modal-body")) }, id);
  } finally {
    btn.disabled = false;
  }
}

function close(id, clear) {
  return viewCall("/_sim/views/close", { user_id: ui.state.user, view_id: id, clear }, id);
}

// openHome shows the app's Home tab: Slack sends app_home_opened on every
// visit, and the app may publish a new view in answer.
export async function openHome() {
  $("#home-status").textContent = "";
  renderHome();
  try {
    await api("POST", "/_sim/home", { user_id: ui.state.user });
  } catch (err) {
    $("#home-status").textContent = `Slack would show: ${err.message}`;
  }
  await refreshViews();
}

function renderHome() {
  if (ui.state.tab !== "home") return;
  const home = views.find((v) => v.type === "home");
  $("#home-empty").hidden = !!home;
  const body = $("#home-body");
  if (!home) {
    body.replaceChildren();
    delete body.dataset.hash;
    return;
  }
  $("#home").dataset.viewId = home.id;
  if (body.dataset.hash !== home.hash) {
    body.dataset.hash = home.hash;
    syncBlocks(body, home.blocks, viewCtx(home.id));
  }
}

// Block Kit's interactive elements. Each element's wrapper keeps a
// controller that reads and writes its value in Slack's state shape
// ({"value":…}, {"selected_option":{…}}, …), so that a modal can submit it
// and keep it across an update. ctx.act sends an act to Slack (a button
// pressed, a choice made where Slack reports it at once).
import { el, markup } from "./dom.js";
import { plainText, textObj } from "./mrkdwn.js";

const controls = new WeakMap();

// kinds: which state key an element keeps, and whether it is a list.
const kinds = {
  plain_text_input: ["value"], email_text_input: ["value"], url_text_input: ["value"], number_input: ["value"],
  static_select: ["selected_option"], external_select: ["selected_option"], radio_buttons: ["selected_option"],
  multi_static_select: ["selected_options", true], multi_external_select: ["selected_options", true],
  checkboxes: ["selected_options", true],
  users_select: ["selected_user"], multi_users_select: ["selected_users", true],
  conversations_select: ["selected_conversation"], multi_conversations_select: ["selected_conversations", true],
  channels_select: ["selected_channel"], multi_channels_select: ["selected_channels", true],
  datepicker: ["selected_date"], timepicker: ["selected_time"], datetimepicker: ["selected_date_time"],
};

const initialKey = {
  value: "initial_value", selected_option: "initial_option", selected_options: "initial_options",
  selected_user: "initial_user", selected_users: "initial_users", selected_conversation: "initial_conversation",
  selected_conversations: "initial_conversations", selected_channel: "initial_channel",
  selected_channels: "initial_channels", selected_date: "initial_date", selected_time: "initial_time",
  selected_date_time: "initial_date_time",
};

export function stateKey(type) {
  return Object.hasOwn(kinds, type) ? kinds[type][0] : null;
}

// readInputs collects the values of every input under root, as
// view.state.values: block_id → action_id → value.
export function readInputs(root) {
  const out = {};
  for (const w of root.querySelectorAll(".block-input > .element[data-action-id]")) {
    const c = controls.get(w);
    const block = w.closest(".block-input").dataset.blockId;
    if (!c || !block) continue;
    (out[block] = out[block] || {})[w.dataset.actionId] = c.get();
  }
  return out;
}

// carry gives a redrawn element what the user had entered in the old one,
// as Slack keeps inputs whose block_id and action_id stay.
export function carry(oldRoot, newRoot) {
  for (const w of newRoot.querySelectorAll(".element[data-action-id]")) {
    const prev = oldRoot.querySelector(`.element[data-action-id="${CSS.escape(w.dataset.actionId)}"][data-type="${CSS.escape(w.dataset.type)}"]`);
    if (prev && controls.get(prev) && controls.get(w)) controls.get(w).set(controls.get(prev).get());
  }
}

const optText = (o) => (o && o.text ? o.text.text || "" : "");

function options(e) {
  if (e.option_groups) return e.option_groups.flatMap((g) => g.options || []);
  return e.options || [];
}

// renderElement draws element e of block b. opts.inInput: the element of an
// input block; opts.dispatch: that block reports acts at once.
export function renderElement(e, b, ctx, opts) {
  const now = !opts.inInput || opts.dispatch; // Slack reports this element's acts as they happen
  const act = (value) => (now ? ctx.act(e, b, value) : undefined);
  const wrap = (child, ctl) => {
    const w = el("div", { class: `element el-${e.type}`, "data-action-id": e.action_id || "", "data-type": e.type }, child);
    if (ctl) {
      controls.set(w, ctl);
      const key = stateKey(e.type);
      const given = ctx.stateOf ? ctx.stateOf(b.block_id, e.action_id) : undefined;
      const init = given !== undefined ? given : { [key]: e[initialKey[key]] ?? null };
      if (init[key] !== undefined && init[key] !== null) ctl.set(init);
    }
    return w;
  };
  switch (e.type) {
    case "button":
      return wrap(button(e, ctx));
    case "overflow":
      return wrap(overflow(e, act));
    case "plain_text_input": case "email_text_input": case "url_text_input": case "number_input":
      return wrap(...textInput(e, act, opts.dispatch));
    case "static_select": case "multi_static_select":
      return wrap(...nativeSelect(e, options(e).map((o) => [o.value, optText(o)]), act, e.option_groups));
    case "users_select": case "multi_users_select":
      return wrap(...nativeSelect(e, ctx.users().map((u) => [u.id, u.name]), act));
    case "conversations_select": case "multi_conversations_select": case "channels_select": case "multi_channels_select":
      return wrap(...nativeSelect(e, ctx.channels(e.type.includes("channels")).map((c) => [c.id, c.label]), act));
    case "external_select": case "multi_external_select":
      return wrap(...typeahead(e, b, ctx, act));
    case "checkboxes": case "radio_buttons":
      return wrap(...choices(e, act));
    case "datepicker": case "timepicker":
      return wrap(...picker(e, act));
    default:
      return wrap(el("span", { class: "block-context" }, `[${e.type}]`));
  }
}

function button(e, ctx) {
  const btn = el("button", { type: "button", class: e.style || "", "data-action-id": e.action_id });
  btn.innerHTML = plainText(e.text);
  btn.addEventListener("click", async () => {
    if (e.confirm && !(await ctx.confirm(e.confirm))) return;
    if (e.url) window.open(e.url, "_blank", "noopener");
    ctx.act(e, null);
  });
  return btn;
}

function overflow(e, act) {
  const menu = el("select", { class: "overflow", "aria-label": "More actions" }, el("option", { value: "" }, "⋯"));
  for (const o of e.options || []) menu.append(el("option", { value: o.value }, optText(o)));
  menu.addEventListener("change", () => { const v = menu.value; menu.value = ""; if (v) act(v); });
  return menu;
}

function textInput(e, act, dispatch) {
  const type = { email_text_input: "email", url_text_input: "url", number_input: "number" }[e.type] || "text";
  const input = e.multiline
    ? el("textarea", { rows: 3, maxlength: e.max_length })
    : el("input", { type, maxlength: e.max_length, autocomplete: "off" });
  if (e.placeholder) input.placeholder = e.placeholder.text || "";
  if (dispatch) {
    const on = (e.dispatch_action_config && e.dispatch_action_config.trigger_actions_on) || ["on_enter_pressed"];
    if (on.includes("on_enter_pressed")) input.addEventListener("keydown", (ev) => { if (ev.key === "Enter" && !e.multiline) { ev.preventDefault(); act(input.value); } });
    if (on.includes("on_character_entered")) input.addEventListener("input", () => act(input.value));
  }
  return [input, { get: () => ({ value: input.value }), set: (v) => { input.value = v.value ?? ""; } }];
}

function nativeSelect(e, items, act, groups) {
  const multi = e.type.startsWith("multi_");
  const key = stateKey(e.type);
  const sel = el("select", { multiple: multi, "aria-label": e.placeholder ? e.placeholder.text : e.action_id });
  if (!multi) sel.append(el("option", { value: "" }, e.placeholder ? e.placeholder.text : "Select…"));
  if (groups) {
    for (const g of groups) {
      const og = el("optgroup", { label: optText({ text: g.label }) });
      for (const o of g.options || []) og.append(el("option", { value: o.value }, optText(o)));
      sel.append(og);
    }
  } else {
    for (const [v, label] of items) sel.append(el("option", { value: v }, label));
  }
  const isOption = key.startsWith("selected_option");
  const chosen = () => [...sel.selectedOptions].map((o) => o.value).filter(Boolean);
  let before = chosen();
  sel.addEventListener("change", () => {
    const now = chosen();
    const toggled = multi ? [...now.filter((v) => !before.includes(v)), ...before.filter((v) => !now.includes(v))] : now.slice(0, 1);
    before = now;
    for (const v of toggled) act(v);
  });
  const get = () => {
    const vs = chosen();
    const wrapV = (v) => (isOption ? { value: v } : v);
    return { [key]: multi ? vs.map(wrapV) : vs.length ? wrapV(vs[0]) : null };
  };
  const set = (v) => {
    const raw = v[key];
    const list = (Array.isArray(raw) ? raw : [raw]).filter((x) => x !== null && x !== undefined).map((x) => (typeof x === "object" ? x.value : x));
    for (const o of sel.options) o.selected = list.includes(o.value);
    if (!multi && !list.length) sel.value = "";
    before = chosen();
  };
  return [sel, { get, set }];
}

// typeahead is an external select: what the user types goes to the app
// (block_suggestion) from min_query_length characters; the options it
// answers are offered.
function typeahead(e, b, ctx, act) {
  const multi = e.type.startsWith("multi_");
  const min = e.min_query_length ?? 3;
  const input = el("input", { type: "text", role: "combobox", autocomplete: "off", "aria-expanded": "false", placeholder: e.placeholder ? e.placeholder.text : "Type to search" });
  const list = el("ul", { class: "typeahead-options", role: "listbox", hidden: true });
  const note = el("div", { class: "typeahead-note" });
  const chips = el("div", { class: "chips" });
  let chosen = []; // options {value, text}
  let timer = null;
  let asked = 0;
  const drawChips = () => {
    chips.replaceChildren(...(multi ? chosen.map((o) => el("span", { class: "chip" }, optText(o),
      el("button", { type: "button", "aria-label": "Remove", onclick: () => { chosen = chosen.filter((x) => x.value !== o.value); drawChips(); act(o.value); } }, "✕"))) : []));
  };
  const choose = (o) => {
    if (multi) { if (!chosen.some((x) => x.value === o.value)) chosen.push(o); input.value = ""; } else { chosen = [o]; input.value = optText(o); }
    drawChips();
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    note.textContent = "";
    act(o.value);
  };
  const show = (res) => {
    list.replaceChildren();
    const add = (o) => list.append(el("li", { class: "option", role: "option", "data-value": o.value, onmousedown: (ev) => { ev.preventDefault(); choose(o); } },
      markup("span", {}, textObj(o.text)), o.description ? markup("small", {}, textObj(o.description)) : null));
    for (const g of res.option_groups || []) {
      list.append(el("li", { class: "group", role: "presentation" }, optText({ text: g.label })));
      (g.options || []).forEach(add);
    }
    (res.options || []).forEach(add);
    note.textContent = list.children.length ? "" : "No results";
    list.hidden = !list.children.length;
    input.setAttribute("aria-expanded", String(!list.hidden));
  };
  input.addEventListener("input", () => {
    if (!multi) chosen = [];
    clearTimeout(timer);
    const q = input.value;
    if ([...q].length < min) {
      list.hidden = true;
      note.textContent = q ? `Type at least ${min} characters` : "";
      return;
    }
    timer = setTimeout(async () => {
      const mine = ++asked;
      note.textContent = "Searching…";
      try {
        const res = await ctx.suggest(e, b, q);
        if (mine === asked) show(res);
      } catch (err) {
        if (mine === asked) { list.hidden = true; note.textContent = `Slack would show: ${err.message}`; }
      }
    }, 200);
  });
  input.addEventListener("blur", () => { setTimeout(() => { list.hidden = true; }, 150); });
  const key = stateKey(e.type);
  const get = () => ({ [key]: multi ? chosen.map((o) => ({ value: o.value })) : chosen.length ? { value: chosen[0].value } : null });
  const set = (v) => {
    const raw = v[key];
    chosen = (Array.isArray(raw) ? raw : raw ? [raw] : []).filter((o) => o && o.value !== undefined);
    input.value = multi || !chosen.length ? "" : optText(chosen[0]);
    drawChips();
  };
  return [el("div", { class: "typeahead" }, chips, input, list, note), { get, set }];
}

function choices(e, act) {
  const radio = e.type === "radio_buttons";
  const name = `c-${e.action_id}-${Math.random().toString(36).slice(2)}`;
  const box = el("div", { class: "choices" });
  for (const o of e.options || []) {
    const input = el("input", { type: radio ? "radio" : "checkbox", name, value: o.value });
    input.addEventListener("change", () => act(o.value));
    box.append(el("label", { class: "choice" }, input, markup("span", {}, textObj(o.text))));
  }
  const inputs = () => [...box.querySelectorAll("input")];
  const key = stateKey(e.type);
  const get = () => {
    const vs = inputs().filter((i) => i.checked).map((i) => ({ value: i.value }));
    return { [key]: radio ? vs[0] || null : vs };
  };
  const set = (v) => {
    const raw = v[key];
    const list = (Array.isArray(raw) ? raw : [raw]).filter(Boolean).map((o) => o.value);
    for (const i of inputs()) i.checked = list.includes(i.value);
  };
  return [box, { get, set }];
}

function picker(e, act) {
  const date = e.type === "datepicker";
  const input = el("input", { type: date ? "date" : "time" });
  input.addEventListener("change", () => act(input.value));
  const key = stateKey(e.type);
  return [input, { get: () => ({ [key]: input.value || null }), set: (v) => { input.value = v[key] || ""; } }];
}

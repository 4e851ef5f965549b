// Slack's text as Slack shows it: mrkdwn (bold, italic, strike, code,
// quotes), the control sequences <@U…>, <#C…>, <!here>, <!date^…>, links,
// and emoji codes. Everything that reaches the page is escaped here first:
// message text is untrusted.
//
// Where Slack's documentation is silent, the console chooses: {time} is on
// a 12-hour clock; "today", "yesterday" and "tomorrow" are capitalised when
// they open the text; {ago} says "just now" under a minute, else "N
// minutes ago" or "in N hours" (months are 30 days); a <…> that is no
// control sequence (<app>) is shown as typed; links to a deployment in the
// AWS console lead to the sandbox's own view of it.
import { EMOJI } from "./emoji.js";

// env is what rendering needs to know of the world; console.js fills it in.
export const env = {
  userName: (id) => id,
  channelName: (_id) => "",
  tz: () => undefined, // the viewer's IANA time zone
  now: () => Date.now(), // the sandbox's simulated clock, in ms
};

export function escapeHTML(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

// decode undoes Slack's three escapes, once: "&amp;lt;" stays "&lt;".
export function decode(s) {
  return String(s).replace(/&(lt|gt|amp);/g, (_, e) => ({ lt: "<", gt: ">", amp: "&" }[e]));
}

function emojiHTML(name) {
  const glyph = Object.hasOwn(EMOJI, name) ? EMOJI[name] : null;
  return glyph ? `<span class="emoji" title=":${escapeHTML(name)}:">${glyph}</span>` : null;
}

// Placeholders keep rendered pieces out of the later passes: each pass
// uses its own pair of private-use characters, stripped from the input.
const PRIVATE = /[\uE000-\uE005]/g;
function holder(open, close) {
  const slots = [];
  return {
    hold: (html) => `${open}${slots.push(html) - 1}${close}`,
    restore: (s) => s.replace(new RegExp(`${open}(\\d+)${close}`, "g"), (_, i) => slots[Number(i)]),
  };
}

// mrkdwn renders Slack mrkdwn text as HTML.
export function mrkdwn(text) {
  const code = holder("\uE000", "\uE001");
  let s = String(text ?? "").replace(PRIVATE, "\uFFFD");
  s = s.replace(/```\n?([\s\S]+?)```/g, (_, c) => code.hold(`<pre class="code-block">${inline(c, false)}</pre>`));
  s = s.replace(/`([^`\n]+)`/g, (_, c) => code.hold(`<code>${inline(c, false)}</code>`));
  return code.restore(inline(s, true));
}

// inline renders control sequences, escapes the rest, and with format
// applies emphasis, quotes and emoji.
function inline(text, format) {
  const ctl = holder("\uE002", "\uE003");
  let s = text.replace(/<([^<>\n]+)>/g, (_, inner) => ctl.hold(control(inner)));
  s = escapeHTML(decode(s));
  if (format) {
    const emo = holder("\uE004", "\uE005");
    s = s.replace(/^&gt; ?(.*)$/gm, '<span class="quote">$1</span>');
    s = emphasis(s);
    s = s.replace(/:([a-z0-9_+'-]+):/g, (m, name) => { const h = emojiHTML(name); return h ? emo.hold(h) : m; });
    s = emo.restore(s);
  }
  return ctl.restore(s);
}

// emphasis: *bold*, _italic_, ~strike~ between non-word characters, as
// Slack matches them (snake_case and 2*3*4 stay as they are).
function emphasis(s) {
  const rule = (mark, tag) => {
    const m = mark === "*" ? "\\*" : mark;
    const re = new RegExp(`(^|[^\\w${m}])${m}(?=\\S)([^${m}\\n]*?\\S)${m}(?![\\w${m}])`, "g");
    s = s.replace(re, `$1<${tag}>$2</${tag}>`);
  };
  rule("*", "b");
  rule("_", "i");
  rule("~", "s");
  return s;
}

// control renders one <…> sequence.
function control(inner) {
  const bar = inner.indexOf("|");
  const target = bar < 0 ? inner : inner.slice(0, bar);
  const label = bar < 0 ? "" : decode(inner.slice(bar + 1));
  if (/^@[UW][A-Z0-9]+$/.test(target)) {
    return `<span class="mention">@${escapeHTML(env.userName(target.slice(1)) || label || target.slice(1))}</span>`;
  }
  if (/^#C[A-Z0-9]+$/.test(target) || /^#[GD][A-Z0-9]+$/.test(target)) {
    const id = target.slice(1);
    const name = env.channelName(id) || label || id;
    return `<span class="channel-mention" data-channel="${escapeHTML(id)}">#${escapeHTML(name)}</span>`;
  }
  if (target.startsWith("!")) return special(target.slice(1), label);
  if (/^(https?:\/\/|mailto:)/i.test(target)) {
    const url = sandboxURL(decode(target));
    const external = !url.startsWith("/");
    return `<a href="${escapeHTML(url)}"${external ? ' rel="noopener noreferrer"' : ""} target="_blank">${escapeHTML(label || decode(target))}</a>`;
  }
  return escapeHTML(`<${decode(inner)}>`); // not a control sequence: Slack's text as typed
}

// special renders <!here>, <!channel>, <!everyone>, <!subteam^…> and
// <!date^…>.
function special(cmd, label) {
  if (/^(here|channel|everyone)$/.test(cmd)) return `<span class="mention broadcast">@${cmd}</span>`;
  if (cmd.startsWith("subteam^")) {
    return `<span class="mention">${escapeHTML(label || "@" + cmd.slice(8))}</span>`;
  }
  const m = cmd.match(/^date\^(-?\d+)\^([^^]*)(?:\^(.*))?$/);
  if (m) {
    const span = dateSpan(Number(m[1]), m[2], label);
    return m[3] && /^https?:\/\//.test(m[3]) ? `<a href="${escapeHTML(m[3])}" target="_blank" rel="noopener noreferrer">${span}</a>` : span;
  }
  return escapeHTML(label);
}

// sandboxURL points links to the AWS console at the sandbox's own view of
// the deployment (CodeDeploy) or of the service's deployments (ECS): the
// real console knows nothing of the simulator's.
export function sandboxURL(url) {
  const m = url.match(/^https:\/\/[a-z0-9-]+\.console\.aws\.amazon\.com\/codesuite\/codedeploy\/deployments\/(d-[A-Z0-9]+)(?:[/?#]|$)/);
  if (m) return `/aws/deployments/${m[1]}`;
  const e = url.match(/^https:\/\/[a-z0-9-]+\.console\.aws\.amazon\.com\/ecs\/v2\/clusters\/([\w-]+)\/services\/([\w-]+)\/deployments(?:[/?#]|$)/);
  return e ? `/aws/services/${e[1]}/${e[2]}` : url;
}

export function dateSpan(epoch, format, fallback) {
  const text = formatDate(epoch, format) ?? fallback;
  return `<span class="sl-date" data-epoch="${epoch}" data-format="${escapeHTML(format)}" title="${escapeHTML(fallback || "")}">${escapeHTML(text)}</span>`;
}

// refreshDates formats the dates under root again: the viewer or the clock
// changed. With liveOnly, only those that say how long ago or "today".
export function refreshDates(root, liveOnly) {
  for (const e of root.querySelectorAll(".sl-date")) {
    const f = e.dataset.format;
    if (liveOnly && !/\{ago\}|_pretty\}/.test(f)) continue;
    const text = formatDate(Number(e.dataset.epoch), f);
    if (text !== null && e.textContent !== text) e.textContent = text;
  }
}

const formatters = new Map();
function fmt(tz) {
  let f = formatters.get(tz || "");
  if (!f) {
    const opts = { year: "numeric", month: "2-digit", day: "2-digit", weekday: "long", hour: "numeric", minute: "2-digit", second: "2-digit", hour12: true };
    try { f = new Intl.DateTimeFormat("en-US", { ...opts, timeZone: tz }); } catch (_) { f = new Intl.DateTimeFormat("en-US", opts); }
    formatters.set(tz || "", f);
  }
  return f;
}

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

function parts(ms) {
  const o = {};
  for (const p of fmt(env.tz()).formatToParts(new Date(ms))) o[p.type] = p.value;
  o.month = Number(o.month);
  o.day = Number(o.day);
  return o;
}

function ordinal(n) {
  const s = n % 100 >= 11 && n % 100 <= 13 ? "th" : ({ 1: "st", 2: "nd", 3: "rd" }[n % 10] || "th");
  return n + s;
}

// formatDate applies Slack's date tokens, in the viewer's time zone, with
// "today" and "ago" measured on the sandbox's clock; null when the epoch
// is no date.
export function formatDate(epoch, format) {
  const ms = epoch * 1000;
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return null;
  const p = parts(ms);
  const month = MONTHS[p.month - 1];
  const date = `${month} ${ordinal(p.day)}, ${p.year}`;
  const short = `${month.slice(0, 3)} ${p.day}, ${p.year}`;
  const long = `${p.weekday}, ${date}`;
  const relative = () => {
    const day = (t) => { const q = parts(t); return `${q.year}-${q.month}-${q.day}`; };
    const now = env.now();
    const here = `${p.year}-${p.month}-${p.day}`;
    if (here === day(now)) return "today";
    if (here === day(now - 864e5)) return "yesterday";
    if (here === day(now + 864e5)) return "tomorrow";
    return null;
  };
  const pretty = (plain) => relative() ?? plain;
  const tokens = {
    date_num: `${p.year}-${String(p.month).padStart(2, "0")}-${String(p.day).padStart(2, "0")}`,
    date, date_short: short, date_long: long,
    date_pretty: () => pretty(date), date_short_pretty: () => pretty(short), date_long_pretty: () => pretty(long),
    time: `${p.hour}:${p.minute} ${p.dayPeriod}`,
    time_secs: `${p.hour}:${p.minute}:${p.second} ${p.dayPeriod}`,
    ago: () => ago(ms - env.now()),
  };
  const out = format.replace(/\{(\w+)\}/g, (m, t) => {
    const v = Object.hasOwn(tokens, t) ? tokens[t] : undefined;
    return v === undefined ? m : typeof v === "function" ? v() : v;
  });
  // A relative day opening the text is capitalised: "Today 9:14 AM".
  return out.replace(/^(today|yesterday|tomorrow)/, (w) => w[0].toUpperCase() + w.slice(1));
}

// ago says how far a moment is from now: "just now", "3 minutes ago", "in
// 2 hours".
export function ago(deltaMs) {
  const s = Math.round(Math.abs(deltaMs) / 1000);
  if (s < 60) return "just now";
  const units = [["year", 365 * 86400], ["month", 30 * 86400], ["day", 86400], ["hour", 3600], ["minute", 60]];
  const [unit, size] = units.find(([, n]) => s >= n);
  const n = Math.floor(s / size);
  const text = `${n} ${unit}${n === 1 ? "" : "s"}`;
  return deltaMs < 0 ? `${text} ago` : `in ${text}`;
}

// plainText renders a plain_text object: escaped, emoji codes shown unless
// emoji is false.
export function plainText(t) {
  if (!t) return "";
  const s = escapeHTML(t.text || "");
  return t.emoji === false ? s : s.replace(/:([a-z0-9_+'-]+):/g, (m, n) => emojiHTML(n) || m);
}

export function textObj(t) {
  if (!t) return "";
  return t.type === "mrkdwn" ? mrkdwn(t.text || "") : plainText(t);
}

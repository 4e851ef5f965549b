// Block Kit, drawn as Slack draws it, for messages, modals and the Home
// tab. Interactive elements come from inputs.js; what a click does is the
// caller's (ctx.act).
import { el, markup, sync } from "./dom.js";
import { mrkdwn, plainText, textObj, escapeHTML } from "./mrkdwn.js";
import { renderElement } from "./inputs.js";

// blockKey names a block among its siblings: its block_id, else its place.
export function blockKey(b, i) {
  return b.block_id ? `b:${b.block_id}` : `i:${i}`;
}

// syncBlocks draws blocks into container, keeping the blocks that did not
// change (and what the user typed in them) as they are.
export function syncBlocks(container, blocks, ctx) {
  const items = (blocks || []).map((b, i) => ({ b, i }));
  sync(container, items, {
    key: ({ b, i }) => blockKey(b, i),
    sig: ({ b }) => JSON.stringify(b),
    create: ({ b }) => renderBlock(b, ctx),
    update: ctx.updateBlock ? (node, { b }) => ctx.updateBlock(node, b) : undefined,
  });
}

// renderBlock draws one block.
export function renderBlock(b, ctx) {
  switch (b.type) {
    case "header":
      return markup("div", { class: "block-header" }, plainText(b.text));
    case "section":
      return section(b, ctx);
    case "context": {
      const html = (b.elements || []).map((e) => (e.type === "image" ? imageAlt(e) : textObj(e))).join(" ");
      return markup("div", { class: "block-context" }, html);
    }
    case "divider":
      return el("hr", { class: "block-divider" });
    case "actions": {
      const row = el("div", { class: "block-actions" });
      for (const e of b.elements || []) row.append(renderElement(e, b, ctx, { inInput: false }));
      return row;
    }
    case "input":
      return inputBlock(b, ctx);
    case "image":
      return el("figure", { class: "block-image" }, markup("span", {}, imageAlt(b)),
        b.title ? markup("figcaption", {}, plainText(b.title)) : null);
    case "rich_text":
      return markup("div", { class: "block-section" }, richText(b.elements || []));
    default:
      return el("div", { class: "block-context" }, `[${b.type} block]`);
  }
}

function section(b, ctx) {
  const d = el("div", { class: "block-section-wrap" });
  const main = el("div", { class: "block-main" });
  if (b.text) main.append(markup("div", { class: "block-section" }, textObj(b.text)));
  if (b.fields && b.fields.length) {
    const g = el("div", { class: "block-fields" });
    for (const f of b.fields) g.append(markup("div", {}, textObj(f)));
    main.append(g);
  }
  d.append(main);
  if (b.accessory) {
    const acc = b.accessory.type === "image"
      ? markup("span", { class: "accessory-image" }, imageAlt(b.accessory))
      : renderElement(b.accessory, b, ctx, { inInput: false });
    d.append(el("div", { class: "block-accessory" }, acc));
  }
  return d;
}

// inputBlock draws a labelled input, with its hint and the error Slack
// shows under it after a refused submission.
function inputBlock(b, ctx) {
  const label = el("label", { class: "input-label" });
  label.innerHTML = plainText(b.label) + (b.optional ? ' <span class="optional">(optional)</span>' : "");
  const input = renderElement(b.element || {}, b, ctx, { inInput: true, dispatch: !!b.dispatch_action });
  return el("div", { class: "block-input", "data-block-id": b.block_id || "" },
    label, input,
    b.hint ? markup("div", { class: "input-hint" }, plainText(b.hint)) : null,
    el("div", { class: "input-error", role: "alert" }));
}

// Images from the internet do not load in a sandbox: their alt text
// stands in.
function imageAlt(e) {
  return `<span class="image-alt" title="${escapeHTML(e.image_url || "")}">🖼 ${escapeHTML(e.alt_text || "image")}</span>`;
}

// richText draws the common rich_text elements.
function richText(elements) {
  const inlineEl = (x) => {
    switch (x.type) {
      case "text": {
        let h = escapeHTML(x.text || "");
        const s = x.style || {};
        if (s.code) h = `<code>${h}</code>`;
        if (s.bold) h = `<b>${h}</b>`;
        if (s.italic) h = `<i>${h}</i>`;
        if (s.strike) h = `<s>${h}</s>`;
        return h;
      }
      case "link": return mrkdwn(`<${x.url}|${(x.text || x.url).replace(/[<>|]/g, "")}>`);
      case "user": return mrkdwn(`<@${x.user_id}>`);
      case "channel": return mrkdwn(`<#${x.channel_id}>`);
      case "emoji": return mrkdwn(`:${x.name}:`);
      case "broadcast": return mrkdwn(`<!${x.range}>`);
      default: return "";
    }
  };
  const section = (s) => (s.elements || []).map(inlineEl).join("");
  return elements.map((s) => {
    switch (s.type) {
      case "rich_text_preformatted": return `<pre class="code-block">${section(s)}</pre>`;
      case "rich_text_quote": return `<span class="quote">${section(s)}</span>`;
      case "rich_text_list": {
        const tag = s.style === "ordered" ? "ol" : "ul";
        return `<${tag}>${(s.elements || []).map((i) => `<li>${section(i)}</li>`).join("")}</${tag}>`;
      }
      default: return section(s);
    }
  }).join("");
}

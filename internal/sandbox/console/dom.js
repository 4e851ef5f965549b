// DOM and HTTP helpers shared by the console's modules.

export const $ = (sel, root = document) => root.querySelector(sel);

// el builds an element: attributes (on… are listeners), then children.
export function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) e.append(c);
  return e;
}

// markup builds an element from HTML the renderers made out of escaped text.
export function markup(tag, attrs, html) {
  const e = el(tag, attrs);
  e.innerHTML = html;
  return e;
}

const sigs = new WeakMap();

// sync makes container's children match items, in order, keyed by
// key(item). A child whose signature is unchanged stays as it is, so a click
// on it still lands; a changed one is patched by update (or replaced when
// there is none); children no longer wanted go.
export function sync(container, items, { key, sig, create, update }) {
  const old = new Map();
  for (const c of [...container.children]) {
    if (c.dataset.key !== undefined) old.set(c.dataset.key, c);
    else c.remove();
  }
  const wanted = new Set();
  let prev = null;
  for (const item of items) {
    const k = String(key(item));
    const s = sig(item);
    wanted.add(k);
    let node = old.get(k);
    if (!node) {
      node = create(item);
      node.dataset.key = k;
    } else if (sigs.get(node) !== s) {
      if (update) {
        update(node, item);
      } else {
        const fresh = create(item);
        fresh.dataset.key = k;
        node.replaceWith(fresh);
        node = fresh;
      }
    }
    sigs.set(node, s);
    const at = prev ? prev.nextElementSibling : container.firstElementChild;
    if (at !== node) container.insertBefore(node, at);
    prev = node;
  }
  for (const [k, n] of old) if (!wanted.has(k)) n.remove();
}

// api calls the sandbox; an error carries the answer's body (the errors a
// modal shows under its inputs, for one).
export async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: body ? { "Content-Type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  let data = null;
  try { data = await res.json(); } catch (_) { /* no body */ }
  if (!res.ok) {
    const err = new Error((data && data.error) || `${res.status} ${res.statusText}`);
    err.status = res.status;
    err.body = data || {};
    throw err;
  }
  return data;
}

// Helpers shared by the pages. Everything is built with DOM calls and
// textContent, never parsed as markup: what the API returns (manifest text,
// messages, names) can never become markup, and nothing needs an inline
// style the Content-Security-Policy would refuse.

/** h builds an HTML element: h('a', {href: '/'}, 'text', child, ...). */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

const SVGNS = 'http://www.w3.org/2000/svg';

/** s builds an SVG element, its attributes set with setAttribute. */
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVGNS, tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function setAttrs(el, attrs) {
  if (!attrs) return;
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.setAttribute('class', Array.isArray(v) ? v.filter(Boolean).join(' ') : v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** clear empties el and appends children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** APIError carries the status and the server's message. */
export class APIError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function check(res) {
  if (res.ok) return res;
  let msg = res.statusText || 'request failed';
  try {
    const text = await res.text();
    try {
      const j = JSON.parse(text);
      msg = j.error || j.message || (j.diagnostics && j.diagnostics[0] && j.diagnostics[0].message) || text;
    } catch {
      if (text.trim()) msg = text.trim();
    }
  } catch { /* keep statusText */ }
  throw new APIError(res.status, `${res.status}: ${msg}`);
}

/** getJSON fetches a JSON document from the API. */
export async function getJSON(url, opts = {}) {
  const res = await check(await fetch(url, {headers: {Accept: 'application/json'}, ...opts}));
  return res.json();
}

/** getText fetches bytes from the API as text. */
export async function getText(url, opts = {}) {
  const res = await check(await fetch(url, opts));
  return res.text();
}

/** postJSON sends body as text and reads a JSON answer, whatever its status
 * when the answer is JSON (a 422 with a report is still a report). */
export async function postText(url, body, opts = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: {'Content-Type': 'text/plain; charset=utf-8', Accept: 'application/json'},
    body,
    ...opts,
  });
  const ct = res.headers.get('Content-Type') || '';
  if (ct.includes('json')) {
    const j = await res.json();
    if (!res.ok && !('diagnostics' in j) && !('valid' in j) && !('artifacts' in j)) {
      throw new APIError(res.status, `${res.status}: ${j.error || j.message || res.statusText}`);
    }
    return j;
  }
  await check(res);
  throw new APIError(res.status, `${res.status}: not JSON`);
}

/** apiPath encodes an artifact path for a URL, segment by segment. */
export function apiPath(p) {
  return p.split('/').map(encodeURIComponent).join('/');
}

/** artifactHref is the page of one artifact. */
export function artifactHref(p) {
  return '/artifact/' + apiPath(p);
}

/** short shortens a commit id to 12 hex digits, as small prints them. */
export function short(id) {
  return id ? String(id).slice(0, 12) : '';
}

/** when renders an RFC 3339 date as "2026-01-15 09:00 UTC", keeping the
 * original in a <time datetime> for copying. */
export function when(iso) {
  if (!iso) return h('span', {class: 'muted'}, '—');
  const d = new Date(iso);
  let text = iso;
  if (!isNaN(d)) {
    const p = (n) => String(n).padStart(2, '0');
    text = `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())} UTC`;
  }
  return h('time', {datetime: iso, title: iso}, text);
}

/** actor renders who did something: a person, or an agent, clearly marked. */
export function actor(a) {
  if (!a) return h('span', {class: 'muted'}, 'unknown');
  const agent = a.type === 'agent';
  return h('span', {class: ['actor', agent ? 'agent' : 'human']},
    h('span', {class: 'actor-type'}, agent ? 'agent' : 'human'),
    ' ',
    h('span', {class: 'actor-name'}, a.name || a.email || '?'),
    a.email ? h('span', {class: 'actor-email'}, ` <${a.email}>`) : null);
}

/** stateBadge renders a lifecycle state. */
export function stateBadge(state) {
  return h('span', {class: ['state', 'state-' + stateClass(state)]}, state || '—');
}

/** stateClass maps a state name to one of the colour classes; unknown
 * names (a repository defines its own) get a stable one from a hash. */
export function stateClass(state) {
  const known = ['draft', 'review', 'approved', 'published', 'deprecated', 'archived', 'retracted'];
  if (known.includes(state)) return state;
  let n = 0;
  for (const ch of String(state || '')) n = (n * 31 + ch.codePointAt(0)) >>> 0;
  return 'c' + (n % 6);
}

/** errorBox renders a failed request where its answer would have been. */
export function errorBox(err) {
  return h('p', {class: 'error', role: 'alert'}, String(err && err.message ? err.message : err));
}

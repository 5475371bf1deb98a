// The playground: pick a kind, write a manifest, and see as you type what
// POST /v1/validate says of it, each finding at its line, and what
// POST /v1/render would build from it.
import {h, fill, getJSON, postText, errorBox, apiPath} from './common.js';

const $ = (id) => document.getElementById(id);
const ui = {
  kind: $('kind'), path: $('path'), skeleton: $('skeleton'),
  editor: $('editor'), gutter: $('gutter'), backdrop: $('backdrop'),
  verdict: $('verdict'), diagnostics: $('diagnostics'), render: $('render'),
};

const DEBOUNCE_MS = 250;
const REPAINT_EACH_KEY = 64 * 1024; // characters
let kinds = [];            // names of the kinds, from /v1/kinds
const schemas = new Map(); // kind -> its JSON Schema
let lastSkeleton = '';     // the text the editor was last filled with
let autoPath = true;       // the path follows the kind until the user edits it
let diags = [];            // the findings shown, for the current text
let timer = 0;
let seq = 0;               // the number of the latest check; older answers are dropped
let inflight = null;
let lastBuilt = null;       // the last rendering of a valid text

// ---- kinds and skeletons -------------------------------------------------

async function loadKinds() {
  try {
    const j = await getJSON('/v1/kinds');
    const list = Array.isArray(j) ? j : (j.kinds || []);
    kinds = list.map((k) => (typeof k === 'string' ? k : k.name)).filter(Boolean);
  } catch (err) {
    fill(ui.kind, h('option', {}, 'no kinds'));
    setVerdict('error', 'Could not list the kinds: ' + err.message);
    return;
  }
  fill(ui.kind, kinds.map((k) => h('option', {value: k}, k)));
  ui.kind.disabled = kinds.length === 0;
  if (kinds.length === 0) {
    setVerdict('error', 'This repository defines no kinds (schemas/).');
    return;
  }
  const want = new URLSearchParams(location.search).get('kind');
  ui.kind.value = kinds.includes(want) ? want : kinds[0];
  setAutoPath();
  await loadSkeleton(ui.kind.value);
}

async function schemaOf(kind) {
  if (!schemas.has(kind)) schemas.set(kind, await getJSON(`/v1/kinds/${apiPath(kind)}/schema`));
  return schemas.get(kind);
}

async function loadSkeleton(kind) {
  try {
    const text = skeleton(kind, await schemaOf(kind));
    lastSkeleton = text;
    lastBuilt = null;
    ui.editor.value = text;
    ui.editor.setSelectionRange(0, 0);
    ui.editor.scrollTop = 0;
    paint();
    check();
  } catch (err) {
    setVerdict('error', `Could not read the schema of ${kind}: ${err.message}`);
  }
}

function plural(word) {
  if (/(s|x|z|ch|sh)$/.test(word)) return word + 'es';
  if (/[^aeiou]y$/.test(word)) return word.slice(0, -1) + 'ies';
  return word + 's';
}

function setAutoPath() {
  if (!autoPath) return;
  const k = (ui.kind.value || 'entry').toLowerCase();
  const ext = /^\s*[{[]/.test(ui.editor.value) ? '.json' : '.yaml';
  ui.path.value = `manifests/${plural(k)}/my-${k}${ext}`;
}

/**
 * skeleton writes a manifest to fill in, from a kind's JSON Schema, as
 * small new does from the CUE definition: the kind; every required field
 * empty and marked TODO with what it takes; fields with a default set to
 * it; optional fields as comments.
 */
export function skeleton(kind, js) {
  const out = [];
  if (js.description) for (const l of String(js.description).split('\n')) out.push('# ' + l);
  out.push(`# A new ${kind}: fill in each TODO.`);
  out.push(`kind: ${kind}`);
  fields(js, js, '', out, true);
  return out.join('\n') + '\n';
}

function resolve(root, sch) {
  let guard = 0;
  while (sch && sch.$ref && guard++ < 16) {
    const m = /^#\/\$defs\/(.+)$/.exec(sch.$ref);
    const target = m && root.$defs ? root.$defs[decodeURIComponent(m[1])] : null;
    if (!target) break;
    const {$ref, ...rest} = sch;
    sch = {...target, ...rest};
  }
  return sch || {};
}

function fields(root, obj, indent, out, top) {
  const props = obj.properties || {};
  const req = new Set(obj.required || []);
  for (const [name, raw] of Object.entries(props)) {
    if (top && name === 'kind') continue;
    const sch = resolve(root, raw);
    const key = /^[A-Za-z_][\w-]*$/.test(name) ? name : JSON.stringify(name);
    if (top && name === 'id') {
      out.push(`${indent}# id:  # the file name, when left out`);
      continue;
    }
    if (top && name === 'status') {
      const d = sch.default !== undefined ? ' ' + sch.default : '';
      out.push(`${indent}# status:${d}  # the lifecycle state; default: the initial one`);
      continue;
    }
    if (sch.description) {
      for (const l of String(sch.description).split('\n')) out.push(`${indent}# ${l}`);
    }
    const what = describe(root, sch);
    if (req.has(name) && sch.type === 'object' && sch.properties) {
      out.push(`${indent}${key}:`);
      fields(root, sch, indent + '  ', out, false);
    } else if (req.has(name)) {
      // What the field takes goes on the line above, so that the line
      // itself stays short and a finding's message fits beside it.
      out.push(`${indent}# ${name} (required): ${what}`);
      out.push(`${indent}${key}:  # TODO`);
    } else if (sch.default !== undefined && !isEmpty(sch.default)) {
      out.push(`${indent}${key}: ${JSON.stringify(sch.default)}  # default; ${what}`);
    } else {
      out.push(`${indent}# ${key}:  # optional ${what}`);
    }
  }
}

function isEmpty(v) {
  return (Array.isArray(v) && v.length === 0) || (v && typeof v === 'object' && Object.keys(v).length === 0);
}

function describe(root, sch) {
  sch = resolve(root, sch);
  const parts = [];
  const enm = sch.enum || (sch.anyOf && sch.anyOf.find((a) => a.enum) || {}).enum;
  if (sch.type === 'array') {
    const it = resolve(root, sch.items || {});
    parts.push(`list of ${it.type || 'value'}`);
    if (sch.minItems !== undefined) parts.push(`at least ${sch.minItems} items`);
    if (sch.maxItems !== undefined) parts.push(`at most ${sch.maxItems} items`);
    const each = describe(root, it);
    if (each && each !== it.type) parts.push('each item: ' + each.replace(/^\w+, /, ''));
  } else {
    parts.push(sch.type || (enm ? typeof enm[0] : 'value'));
  }
  if (enm) parts.push('one of ' + enm.map((v) => JSON.stringify(v)).join(', '));
  if (sch.const !== undefined) parts.push('exactly ' + JSON.stringify(sch.const));
  if (sch.minLength !== undefined) parts.push(`at least ${sch.minLength} characters`);
  if (sch.maxLength !== undefined) parts.push(`at most ${sch.maxLength} characters`);
  if (sch.minimum !== undefined) parts.push(`at least ${sch.minimum}`);
  if (sch.maximum !== undefined) parts.push(`at most ${sch.maximum}`);
  if (sch.format === 'date-time') parts.push('an RFC 3339 date and time, e.g. 2006-01-02T15:04:05Z');
  else if (sch.pattern) parts.push('matches ' + sch.pattern);
  return parts.join(', ');
}

// ---- checking ------------------------------------------------------------

function schedule() {
  clearTimeout(timer);
  ui.verdict.classList.add('busy');
  timer = setTimeout(check, DEBOUNCE_MS);
}

async function check() {
  clearTimeout(timer);
  const text = ui.editor.value;
  const path = ui.path.value.trim();
  const n = ++seq;
  if (inflight) inflight.abort();
  inflight = new AbortController();
  const signal = inflight.signal;
  ui.verdict.classList.add('busy');
  if (!path) {
    show(n, null, 'Give the path the manifest would have.');
    return;
  }
  const q = '?path=' + encodeURIComponent(path);
  let report;
  try {
    report = await postText('/v1/validate' + q, text, {signal});
  } catch (err) {
    if (err.name === 'AbortError') return;
    show(n, null, err.message);
    return;
  }
  if (n !== seq) return;
  show(n, report);
  if (report.valid) {
    let built;
    try {
      built = await postText('/v1/render' + q, text, {signal});
    } catch (err) {
      if (err.name === 'AbortError' || n !== seq) return;
      fill(ui.render, errorBox(err));
      return;
    }
    if (n !== seq) return;
    showRender(built);
  } else if (lastBuilt) {
    // Keep what the last valid text built in view, marked as such, so the
    // artifact does not vanish at every typo.
    showRender(lastBuilt, true);
  } else {
    fill(ui.render, h('p', {class: 'muted empty'},
      'Nothing to build yet: ', (report.diagnostics || []).length === 1 ? 'fix the finding' : 'fix the findings',
      ' on the left and the artifact appears here.'));
  }
}

function setVerdict(state, text) {
  ui.verdict.classList.remove('busy', 'ok', 'bad', 'pending', 'error');
  ui.verdict.classList.add(state);
  ui.verdict.textContent = text;
}

function show(n, report, failure) {
  if (n !== seq) return;
  if (!report) {
    diags = [];
    setVerdict('error', failure);
    ui.editor.setAttribute('aria-invalid', 'false');
    fill(ui.diagnostics);
    fill(ui.render);
    paint();
    return;
  }
  diags = (report.diagnostics || []).slice();
  const errs = diags.filter((d) => d.severity !== 'warning' && d.severity !== 'info').length;
  if (report.valid) {
    const extra = diags.length ? ` (${diags.length} note${diags.length > 1 ? 's' : ''})` : '';
    setVerdict('ok', `Valid: no findings${extra}`);
  } else {
    const count = diags.length || errs;
    setVerdict('bad', `Invalid: ${count} finding${count === 1 ? '' : 's'}`);
  }
  ui.editor.setAttribute('aria-invalid', report.valid ? 'false' : 'true');
  fill(ui.diagnostics, diags.map(diagItem));
  if (!diags.length) fill(ui.diagnostics, h('li', {class: 'none'}, 'No findings.'));
  paint();
}

function diagItem(d) {
  const where = d.line ? `Line ${d.line}${d.column ? ', column ' + d.column : ''}` : 'Whole manifest';
  const btn = h('button', {type: 'button', class: 'diag-jump', title: 'Go to this place in the manifest'},
    h('span', {class: 'diag-where'}, where),
    d.path ? h('code', {class: 'diag-path'}, d.path) : null,
    h('span', {class: 'diag-msg'}, d.message),
    h('code', {class: 'diag-code'}, d.code));
  btn.addEventListener('click', () => jump(d.line, d.column));
  return h('li', {class: ['diag', 'sev-' + (d.severity || 'error')], 'data-line': d.line || 0}, btn);
}

function jump(line, col) {
  if (!line) { ui.editor.focus(); return; }
  const lines = ui.editor.value.split('\n');
  let off = 0;
  for (let i = 0; i < line - 1 && i < lines.length; i++) off += lines[i].length + 1;
  const l = lines[line - 1] || '';
  off += Math.min(Math.max((col || 1) - 1, 0), l.length);
  ui.editor.focus();
  ui.editor.setSelectionRange(off, off);
  const lh = parseFloat(getComputedStyle(ui.editor).lineHeight) || 20;
  const top = (line - 1) * lh;
  if (top < ui.editor.scrollTop || top > ui.editor.scrollTop + ui.editor.clientHeight - 2 * lh) {
    ui.editor.scrollTop = Math.max(0, top - ui.editor.clientHeight / 3);
  }
  sync();
}

function showRender(built, stale) {
  if (!stale) lastBuilt = built;
  const arts = built.artifacts || (built.artifact ? [built.artifact] : []);
  const out = [];
  if (stale) {
    out.push(h('p', {class: 'stale-note'}, 'The manifest has findings now: below is what its last valid version built.'));
  }
  for (const a of arts) {
    let content = a.content;
    if (content !== undefined && typeof content !== 'string') content = JSON.stringify(content, null, 2);
    out.push(h('figure', {class: 'built'},
      h('figcaption', {}, h('code', {}, a.path || a.artifact || '(artifact)'),
        a.kind ? h('span', {class: 'muted'}, ` ${a.kind}${a.id ? '/' + a.id : ''}`) : null),
      h('pre', {class: 'code-block', tabindex: '0'}, content === undefined ? '' : content)));
  }
  if (!out.length) out.push(h('p', {class: 'muted empty'}, 'The manifest is valid, and builds no artifact.'));
  const notes = (built.diagnostics || []);
  if (notes.length) out.push(h('ul', {class: 'notes'}, notes.map((d) => h('li', {}, `${d.code}: ${d.message}`))));
  fill(ui.render, out);
  ui.render.classList.toggle('stale', !!stale);
}

// ---- drawing the editor --------------------------------------------------

/** paint redraws the line numbers, the markers and the messages beside
 * their lines, from the text and the findings. The textarea stays the
 * only thing the user edits; the backdrop behind it carries the tints and
 * the messages, line for line. */
function paint() {
  const lines = ui.editor.value.split('\n');
  const byLine = new Map();
  for (const d of diags) {
    const l = d.line > 0 ? Math.min(d.line, lines.length) : 0;
    if (!l) continue;
    if (!byLine.has(l)) byLine.set(l, []);
    byLine.get(l).push(d);
  }
  const g = [];
  const b = [];
  lines.forEach((text, i) => {
    const n = i + 1;
    const ds = byLine.get(n);
    g.push(h('div', {class: ['gl', ds && 'err'], 'data-line': n, title: ds ? ds.map((d) => d.message).join('\n') : null},
      h('span', {class: 'mark'}, ds ? '●' : ''), h('span', {class: 'num'}, String(n))));
    b.push(backdropLine(text, ds));
  });
  fill(ui.gutter, g, h('div', {class: 'gl pad'}));
  fill(ui.backdrop, b, h('div', {class: 'bl pad'}));
  sync();
}

function backdropLine(text, ds) {
  if (!ds) return h('div', {class: 'bl'}, text || '\u200b');
  const chars = Array.from(text);
  const col = Math.max(1, ds[0].column || 1) - 1;
  let end = col;
  if (col < chars.length) {
    // Underline the value the finding names: from its column to the end of
    // the token (a quoted string, or up to a space), or to the line's end.
    if (chars[col] === '"' || chars[col] === "'") {
      end = col + 1;
      while (end < chars.length && chars[end] !== chars[col]) end++;
      end = Math.min(end + 1, chars.length);
    } else {
      end = chars.length;
      const hash = chars.indexOf('#', col);
      if (hash > col && chars[hash - 1] === ' ') end = hash;
      while (end > col && chars[end - 1] === ' ') end--;
    }
  }
  const before = chars.slice(0, col).join('');
  const bad = chars.slice(col, end).join('');
  const after = chars.slice(end).join('');
  const msg = ds.map((d) => d.message).join(' · ');
  return h('div', {class: 'bl err'},
    h('span', {}, before), bad ? h('span', {class: 'squiggle'}, bad) : null, h('span', {}, after),
    h('span', {class: 'lens'}, (text ? '   ' : '') + '● ' + msg));
}

/** sync keeps the gutter and the backdrop scrolled with the textarea. */
function sync() {
  ui.gutter.scrollTop = ui.editor.scrollTop;
  ui.backdrop.scrollTop = ui.editor.scrollTop;
  ui.backdrop.scrollLeft = ui.editor.scrollLeft;
}

// ---- wiring --------------------------------------------------------------

function kindInText(text) {
  const m = /^kind:\s*["']?([A-Za-z_][\w-]*)["']?\s*(#.*)?$/m.exec(text) || /"kind"\s*:\s*"([^"]+)"/.exec(text);
  return m ? m[1] : '';
}

ui.editor.addEventListener('input', () => {
  const k = kindInText(ui.editor.value);
  if (k && kinds.includes(k) && k !== ui.kind.value) ui.kind.value = k;
  setAutoPath();
  // Keep the old findings in place while the new text is checked, so the
  // lines don't flicker as one types; paint moves them with the text. A
  // long text is repainted only when its check comes back.
  if (ui.editor.value.length <= REPAINT_EACH_KEY) paint();
  schedule();
});
ui.editor.addEventListener('scroll', sync);
ui.path.addEventListener('input', () => { autoPath = ui.path.value.trim() === ''; schedule(); });
ui.kind.addEventListener('change', () => {
  setAutoPath();
  const pristine = ui.editor.value.trim() === '' || ui.editor.value === lastSkeleton;
  if (pristine) loadSkeleton(ui.kind.value);
  else schedule();
});
ui.skeleton.addEventListener('click', () => loadSkeleton(ui.kind.value));
document.getElementById('controls').addEventListener('submit', (e) => e.preventDefault());
window.addEventListener('resize', sync);

loadKinds();

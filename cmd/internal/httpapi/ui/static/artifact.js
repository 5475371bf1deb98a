// An artifact's page: its lineage chain (artifact <- build commit <-
// manifest commit <- author, human or agent) and its lifecycle history,
// each drawn as SVG with the same facts as text beside it, its versions,
// and its bytes as built. Everything comes from the API: /v1/lineage,
// /v1/history, /v1/status, /v1/artifacts and the kind's JSON Schema.
import {h, s, fill, getJSON, getText, errorBox, apiPath, when, actor, stateBadge, stateClass, short} from './common.js';

const $ = (id) => document.getElementById(id);

function artifactPath() {
  const rest = location.pathname.replace(/^\/artifact\//, '');
  try {
    return rest.split('/').map(decodeURIComponent).join('/');
  } catch {
    return rest;
  }
}

const path = artifactPath();
const enc = apiPath(path);

async function main() {
  document.title = `${path} · small`;
  fill($('title'), path);
  fill($('crumb'), path);

  const lineageP = getJSON(`/v1/lineage/${enc}?all=true`);
  const historyP = getJSON(`/v1/history/${enc}`);
  const statusP = getJSON('/v1/status').catch(() => null);
  const bytesP = getText(`/v1/artifacts/${enc}`);

  let lin = null;
  try {
    lin = await lineageP;
  } catch (err) {
    fill($('lineage'), errorBox(err));
    fill($('versions'), errorBox(err));
  }
  const st = await statusP;
  // The path may be Kind/id: the lineage names the artifact's own path.
  const canonical = (lin && lin.artifact) || path;
  const entry = st && (st.artifacts || []).find((a) => a.artifact === canonical || `${a.kind}/${a.id}` === path);
  if (canonical !== path) {
    document.title = `${canonical} · small`;
    fill($('title'), canonical);
    fill($('crumb'), canonical);
  }
  facts(entry, lin);
  if (lin) {
    const versions = lin.versions || [];
    if (versions.length) {
      fill($('lineage'), chain(versions[0]), chainFacts(versions[0]));
    } else {
      fill($('lineage'), h('p', {class: 'muted'}, 'No lineage recorded.'));
    }
    fill($('versions'), versionTable(versions));
  }

  try {
    const hist = await historyP;
    const kind = (entry && entry.kind) || ((hist.events || []).find((e) => e.kind) || {}).kind;
    let life = {states: []};
    if (kind) {
      try {
        life = (await getJSON(`/v1/kinds/${apiPath(kind)}`)).lifecycle || life;
      } catch {
        try {
          life = {states: statesOf(await getJSON(`/v1/kinds/${apiPath(kind)}/schema`))};
        } catch { /* fall back to the states the events name */ }
      }
    }
    const events = hist.events || [];
    if (!events.length) fill($('history'), h('p', {class: 'muted'}, 'No lifecycle events recorded.'));
    else fill($('history'), timeline(events, life, entry), eventTable(events));
  } catch (err) {
    fill($('history'), errorBox(err));
  }

  try {
    const bytes = await bytesP;
    fill($('bytes'),
      h('pre', {class: 'code-block', tabindex: '0', 'aria-label': `The bytes of ${path}`}, bytes),
      h('p', {class: 'links'},
        h('a', {href: `/v1/artifacts/${enc}`}, 'raw bytes'), ' · ',
        h('a', {href: `/v1/lineage/${enc}?all=true`}, 'lineage JSON'), ' · ',
        h('a', {href: `/v1/history/${enc}`}, 'history JSON')));
  } catch (err) {
    fill($('bytes'), err.status === 404
      ? h('p', {class: 'muted'}, 'Not on the artifact branch now (retracted); its earlier versions are in the lineage above.')
      : errorBox(err));
  }
}

function facts(entry, lin) {
  const v = lin && lin.versions && lin.versions[0];
  const items = [];
  if (entry) {
    items.push(h('span', {class: 'fact'}, h('span', {class: 'k'}, 'kind'), ` ${entry.kind}/${entry.id}`));
    items.push(h('span', {class: 'fact'}, h('span', {class: 'k'}, 'state'), ' ', stateBadge(entry.state), ' since ', when(entry.since)));
    const nx = entry.next || [];
    items.push(h('span', {class: 'fact'}, h('span', {class: 'k'}, 'next'), ' ',
      nx.length ? nx.map((n, i) => [i ? ' ' : '', stateBadge(n)]) : h('span', {class: 'muted'}, 'none')));
  }
  if (v) items.push(h('span', {class: 'fact'}, h('span', {class: 'k'}, 'versions'), ` ${lin.versions.length}`));
  fill($('facts'), items);
}

// ---- lineage --------------------------------------------------------------

const NODE_W = 232;
const NODE_H = 112;
const GAP = 64;

function clip(text, n) {
  text = String(text || '');
  return text.length > n ? text.slice(0, n - 1) + '…' : text;
}

/** node draws one box of the chain: a heading and lines of text, each
 * line's full value in its <title> for when it is clipped. */
function node(x, title, lines, cls) {
  const g = s('g', {class: ['node', cls], transform: `translate(${x},0)`});
  g.append(s('rect', {x: 0.5, y: 0.5, width: NODE_W - 1, height: NODE_H - 1, rx: 10}));
  g.append(s('rect', {class: 'node-band', x: 0.5, y: 0.5, width: 6, height: NODE_H - 1, rx: 3}));
  g.append(s('text', {class: 'node-title', x: 18, y: 24}, title));
  lines.forEach((l, i) => {
    // The full value goes in a <title> beside the text, not inside it, so
    // that the text selected and copied is what is shown.
    g.append(s('g', {}, l.full ? s('title', {}, l.full) : null,
      s('text', {class: ['node-line', l.cls], x: 18, y: 48 + i * 20}, clip(l.text, l.max || 30))));
  });
  return g;
}

function arrow(x1, x2, label) {
  const y = NODE_H / 2;
  const g = s('g', {class: 'edge'});
  g.append(s('line', {x1: x2 - 2, y1: y, x2: x1 + 4, y2: y, 'marker-end': 'url(#arrowhead)'}));
  g.append(s('text', {class: 'edge-label', x: (x1 + x2) / 2, y: y - 8, 'text-anchor': 'middle'}, label));
  return g;
}

/** chain draws artifact <- build commit <- manifest commit <- author. */
function chain(v) {
  const m = v.manifest || {};
  const c = m.commit || {};
  const b = v.build || {};
  const a = v.actor || {};
  const agent = a.type === 'agent';
  const W = 4 * NODE_W + 3 * GAP;
  const svg = s('svg', {class: 'chain', viewBox: `0 0 ${W} ${NODE_H + 2}`, width: W, height: NODE_H + 2, role: 'img',
    'aria-labelledby': 'chain-title'});
  svg.append(s('title', {id: 'chain-title'},
    `${v.artifact} was written by build ${short(b.id)}, built from manifest commit ${short(c.id)}, made by ${agent ? 'the agent' : ''} ${a.name || c.author || ''}`));
  svg.append(s('defs', {}, s('marker', {id: 'arrowhead', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 8, markerHeight: 8, orient: 'auto-start-reverse'},
    s('path', {class: 'arrowhead', d: 'M0,0 L10,5 L0,10 z'}))));
  const x = (i) => i * (NODE_W + GAP);
  svg.append(node(x(0), 'ARTIFACT', [
    {text: v.artifact, cls: 'strong', full: v.artifact, max: 28},
    {text: `${v.action || ''}`, cls: 'muted'},
    {text: `sha256 ${(v.sha256 || '').slice(0, 16)}…`, cls: 'mono', full: v.sha256},
  ], 'n-artifact'));
  svg.append(node(x(1), 'BUILD COMMIT', [
    {text: short(b.id), cls: 'mono strong', full: b.id},
    {text: (b.date || '').replace('T', ' ').replace('Z', ' UTC'), cls: 'muted', full: b.date},
    {text: v.builder || '', cls: 'muted', full: v.builder},
  ], 'n-build'));
  svg.append(node(x(2), 'MANIFEST COMMIT', [
    {text: short(c.id), cls: 'mono strong', full: c.id},
    {text: c.subject || '', full: c.subject, max: 30},
    {text: m.path || '', cls: 'mono muted', full: m.path, max: 30},
  ], 'n-manifest'));
  const who = [
    {text: a.name || '?', cls: 'strong', full: a.name},
    {text: a.email || '', cls: 'muted', full: a.email},
  ];
  if (agent && c.author) who.push({text: `commit by ${c.author.replace(/\s*<.*$/, '')}`, cls: 'muted', full: c.author});
  else who.push({text: (c.date || '').replace('T', ' ').replace('Z', ' UTC'), cls: 'muted', full: c.date});
  svg.append(node(x(3), agent ? 'AUTHOR · AGENT' : 'AUTHOR · HUMAN', who, agent ? 'n-agent' : 'n-human'));
  svg.append(arrow(x(0) + NODE_W, x(1), 'wrote'));
  svg.append(arrow(x(1) + NODE_W, x(2), 'built from'));
  svg.append(arrow(x(2) + NODE_W, x(3), agent ? 'proposed by' : 'made by'));
  return h('div', {class: 'svg-scroll'}, svg);
}

/** chainFacts repeats the chain as text, every id in full. */
function chainFacts(v) {
  const m = v.manifest || {};
  const c = m.commit || {};
  const b = v.build || {};
  const row = (k, val, id) => [h('dt', {}, k), h('dd', {id}, val)];
  return h('dl', {class: 'chain-facts'},
    row('Artifact', h('code', {}, v.artifact)),
    row('Blob · sha256', [h('code', {}, v.blob || ''), ' · ', h('code', {class: 'wrap'}, v.sha256 || '')]),
    row('Build commit', h('code', {id: 'build-commit'}, b.id || '')),
    row('Built', [when(b.date), ' by ', h('code', {}, v.builder || ''), v.schemaDigest ? [' under schemas ', h('code', {class: 'wrap', title: v.schemaDigest}, v.schemaDigest.slice(0, 19) + '…')] : '']),
    row('Manifest commit', h('code', {id: 'manifest-commit'}, c.id || '')),
    row('Commit', [c.subject ? h('q', {}, c.subject) : '', ' ', when(c.date), c.author ? [' · ', c.author] : '']),
    row('Manifest', [h('code', {}, m.path || ''), m.blob ? [' blob ', h('code', {}, short(m.blob))] : '']),
    row('Actor', actor(v.actor)));
}

function versionTable(versions) {
  if (!versions.length) return h('p', {class: 'muted'}, 'No versions.');
  return h('table', {class: 'grid'},
    h('caption', {class: 'sr-only'}, 'Every version of this artifact, newest first'),
    h('thead', {}, h('tr', {},
      ['Change', 'Build commit', 'Manifest commit', 'Subject', 'By', 'Date'].map((t) => h('th', {scope: 'col'}, t)))),
    h('tbody', {}, versions.map((v) => {
      const c = (v.manifest || {}).commit || {};
      return h('tr', {},
        h('td', {}, h('span', {class: ['action', 'action-' + v.action]}, v.action)),
        h('td', {}, h('code', {title: (v.build || {}).id}, short((v.build || {}).id))),
        h('td', {}, h('code', {title: c.id}, short(c.id))),
        h('td', {}, c.subject || ''),
        h('td', {}, actor(v.actor)),
        h('td', {}, when(c.date)));
    })));
}

// ---- lifecycle ------------------------------------------------------------

/** statesOf reads a kind's states, in their declared order, from its
 * JSON Schema's status field. */
function statesOf(js) {
  const st = (js.properties || {}).status || {};
  const enm = st.enum || ((st.anyOf || []).find((a) => a.enum) || {}).enum || [];
  return enm.filter((x) => typeof x === 'string' && x !== '');
}

const LANE = 34;
const COL = 104;
const LEFT = 118;
const TOP = 30;

function timeline(events, life, entry) {
  // The lanes: the kind's states in order, then any state an event names
  // that the schema no longer declares.
  const states = [...(life.states || [])];
  const humanOnly = new Set(life.humanOnly || []);
  const add = (x) => { if (x && !states.includes(x)) states.push(x); };
  for (const e of events) { add(e.from); add(e.to); }
  const next = (entry && entry.next) || [];
  next.forEach(add);
  if (!states.length) states.push('(no state)');
  const laneY = (st) => TOP + states.indexOf(st) * LANE + LANE / 2;

  const n = events.length;
  const nextCol = next.length ? 1 : 0;
  const W = LEFT + (n + nextCol) * COL + 24;
  const H = TOP + states.length * LANE + 64;
  const svg = s('svg', {class: 'timeline', viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-labelledby': 'tl-title'});
  svg.append(s('title', {id: 'tl-title'}, `Lifecycle of ${path}: ${events.map((e) => e.event + (e.to ? ' to ' + e.to : '')).join(', ')}`));
  svg.append(s('defs', {}, s('marker', {id: 'nexthead', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse'},
    s('path', {class: 'nexthead', d: 'M0,0 L10,5 L0,10 z'}))));

  // Lanes and their labels.
  let cur = '';
  const at = [];
  for (const e of events) {
    if (e.to) cur = e.to;
    else if (e.event === 'retracted') cur = cur || '';
    at.push(cur);
  }
  const current = (entry && entry.state) || cur;
  states.forEach((st, i) => {
    const y = TOP + i * LANE;
    svg.append(s('rect', {class: ['lane', i % 2 ? 'odd' : 'even'], x: 0, y, width: W, height: LANE}));
    const label = s('text', {class: ['lane-label', st === current && 'current'], x: LEFT - 14, y: y + LANE / 2 + 4, 'text-anchor': 'end'}, st);
    const notes = [];
    if (st === life.initial) notes.push('the initial state');
    if (humanOnly.has(st)) notes.push('only a human may enter it');
    if (life.transitions && life.transitions[st]) notes.push('may go to ' + (life.transitions[st].join(', ') || 'nothing'));
    svg.append(s('g', {}, notes.length ? s('title', {}, `${st}: ${notes.join('; ')}`) : null, label));
    svg.append(s('circle', {class: ['lane-dot', 'state-fill-' + stateClass(st)], cx: 12, cy: y + LANE / 2, r: 4}));
  });

  const colX = (j) => LEFT + j * COL + COL / 2;

  // The track: the state the artifact was in, stepping as it moved.
  let d = '';
  events.forEach((e, j) => {
    const st = at[j];
    if (!st) return;
    const x = colX(j);
    const y = laneY(st);
    if (!d) d = `M${x - COL / 2 + 10},${y} L${x},${y}`;
    else {
      const prev = at[j - 1];
      d += prev && prev !== st ? ` L${x - 18},${laneY(prev)} L${x},${y}` : ` L${x},${y}`;
    }
  });
  if (d) svg.append(s('path', {class: 'track', d}));

  // Next: dashed arrows from the current state to each allowed one.
  if (next.length && current && states.includes(current)) {
    const x0 = colX(n - 1) + 10;
    const x1 = colX(n) - 8;
    svg.append(s('text', {class: 'col-label muted', x: colX(n), y: TOP - 12, 'text-anchor': 'middle'}, 'may go next'));
    for (const st of next) {
      const y0 = laneY(current);
      const y1 = laneY(st);
      svg.append(s('path', {class: 'next-edge', d: `M${x0},${y0} C${x0 + 40},${y0} ${x1 - 40},${y1} ${x1},${y1}`, 'marker-end': 'url(#nexthead)'}));
      svg.append(s('circle', {class: ['next-dot', 'state-stroke-' + stateClass(st)], cx: x1 + 6, cy: y1, r: 5}));
    }
  }

  // The events: a marker on the track, and below, what and who.
  const base = TOP + states.length * LANE;
  events.forEach((e, j) => {
    const x = colX(j);
    const st = at[j];
    const y = st ? laneY(st) : base - LANE / 2;
    const agent = e.actor && e.actor.type === 'agent';
    const g = s('g', {class: ['ev', 'ev-' + kindOf(e), agent && 'agent']});
    const tip = `${e.event}${e.from ? ' ' + e.from + ' → ' + e.to : e.to ? ' → ' + e.to : ''}\n` +
      `${e.actor ? (agent ? 'agent ' : '') + (e.actor.name || '') : ''}\n${e.time || ''}\nmanifest commit ${e.manifestCommit || ''}` +
      (e.message ? `\n“${e.message}”` : '');
    g.append(s('title', {}, tip));
    g.append(s('line', {class: 'col-rule', x1: x, y1: TOP, x2: x, y2: base}));
    g.append(marker(e, x, y));
    g.append(s('text', {class: 'ev-name', x, y: base + 18, 'text-anchor': 'middle'}, e.event));
    g.append(s('text', {class: 'ev-commit mono', x, y: base + 34, 'text-anchor': 'middle'}, short(e.manifestCommit).slice(0, 10)));
    g.append(s('text', {class: ['ev-actor', agent && 'agent'], x, y: base + 50, 'text-anchor': 'middle'},
      (agent ? '⚙ ' : '') + clip(e.actor ? e.actor.name : '', 14)));
    svg.append(g);
  });
  return h('div', {class: 'svg-scroll'}, svg,
    h('p', {class: 'legend', 'aria-hidden': 'true'},
      legend('created', 'created'), legend('transitioned', 'changed state'), legend('updated', 'content updated'),
      legend('observed', 'observation'), legend('retracted', 'retracted'), legend('agent', 'by an agent')));
}

function kindOf(e) {
  if (['created', 'transitioned', 'updated', 'retracted', 'rolledback'].includes(e.event)) return e.event;
  return 'observed';
}

function marker(e, x, y) {
  switch (kindOf(e)) {
    case 'created': return s('circle', {class: 'mk', cx: x, cy: y, r: 7});
    case 'transitioned': return s('g', {}, s('circle', {class: 'mk ring', cx: x, cy: y, r: 9}), s('circle', {class: 'mk', cx: x, cy: y, r: 5}));
    case 'updated': return s('circle', {class: 'mk hollow', cx: x, cy: y, r: 5});
    case 'retracted': return s('path', {class: 'mk cross', d: `M${x - 6},${y - 6} L${x + 6},${y + 6} M${x + 6},${y - 6} L${x - 6},${y + 6}`});
    case 'rolledback': return s('path', {class: 'mk', d: `M${x},${y - 7} L${x + 7},${y + 6} L${x - 7},${y + 6} z`});
    default: return s('rect', {class: 'mk diamond', x: x - 6, y: y - 6, width: 12, height: 12, transform: `rotate(45 ${x} ${y})`});
  }
}

function legend(cls, text) {
  const sv = s('svg', {width: 16, height: 16, viewBox: '-8 -8 16 16', class: ['legend-mk', 'ev-' + cls, cls === 'agent' && 'agent']});
  if (cls === 'agent') sv.append(s('circle', {class: 'mk', cx: 0, cy: 0, r: 5}));
  else sv.append(marker({event: cls === 'observed' ? 'deployed' : cls}, 0, 0));
  return h('span', {class: 'legend-item'}, sv, ' ', text);
}

function eventTable(events) {
  return h('details', {class: 'events'},
    h('summary', {}, `All ${events.length} event${events.length === 1 ? '' : 's'} as a table`),
    h('table', {class: 'grid'},
      h('thead', {}, h('tr', {}, ['#', 'Time', 'Event', 'State', 'By', 'Manifest commit', 'Note'].map((t) => h('th', {scope: 'col'}, t)))),
      h('tbody', {}, events.map((e, i) => h('tr', {},
        h('td', {}, String(i + 1)),
        h('td', {}, when(e.time)),
        h('td', {}, e.event),
        h('td', {}, e.from ? [stateBadge(e.from), ' → ', stateBadge(e.to)] : e.to ? stateBadge(e.to) : ''),
        h('td', {}, actor(e.actor)),
        h('td', {}, h('code', {title: e.manifestCommit}, short(e.manifestCommit))),
        h('td', {}, e.message || ''))))));
}

main().catch((err) => fill($('lineage'), errorBox(err)));

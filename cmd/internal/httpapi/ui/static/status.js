// The status page: GET /v1/status as a table, each artifact linked to its
// page, with the transitions its lifecycle allows next; and the verdict of
// GET /v1/verify, asked after the table is drawn since it rebuilds history.
import {h, fill, getJSON, errorBox, artifactHref, when, actor, stateBadge, short} from './common.js';

const $ = (id) => document.getElementById(id);

async function main() {
  let st;
  try {
    st = await getJSON('/v1/status');
  } catch (err) {
    fill($('status'), errorBox(err));
    return;
  }
  const arts = st.artifacts || [];
  summary(arts);
  if (!arts.length) {
    fill($('status'), h('p', {class: 'muted empty'}, 'No artifacts yet: ', h('code', {}, 'small build'), ' makes them from the committed manifests.'));
  } else {
    fill($('status'), table(arts));
  }
  verify();
}

function summary(arts) {
  const counts = new Map();
  for (const a of arts) counts.set(a.state, (counts.get(a.state) || 0) + 1);
  const kinds = new Set(arts.map((a) => a.kind));
  fill($('summary'),
    h('span', {class: 'count'}, h('strong', {}, String(arts.length)), arts.length === 1 ? ' artifact' : ' artifacts'),
    h('span', {class: 'count'}, h('strong', {}, String(kinds.size)), kinds.size === 1 ? ' kind' : ' kinds'),
    [...counts].map(([state, n]) => h('span', {class: 'count'}, stateBadge(state), ` ${n}`)));
}

function table(arts) {
  return h('table', {class: 'grid'},
    h('caption', {class: 'sr-only'}, 'Artifacts, their lifecycle state and the transitions allowed next'),
    h('thead', {}, h('tr', {},
      h('th', {scope: 'col'}, 'Artifact'),
      h('th', {scope: 'col'}, 'Kind'),
      h('th', {scope: 'col'}, 'State'),
      h('th', {scope: 'col'}, 'Since'),
      h('th', {scope: 'col'}, 'By'),
      h('th', {scope: 'col'}, 'Next'),
      h('th', {scope: 'col'}, 'Manifest'))),
    h('tbody', {}, arts.map((a) => h('tr', {class: a.retracted ? 'retracted' : null},
      h('th', {scope: 'row'}, h('a', {href: artifactHref(a.artifact)}, a.artifact)),
      h('td', {}, a.kind),
      h('td', {}, stateBadge(a.state)),
      h('td', {}, when(a.since)),
      h('td', {}, actor(a.by)),
      h('td', {}, next(a.next)),
      h('td', {}, a.manifest ? h('code', {class: 'path'}, a.manifest) : h('span', {class: 'muted'}, '—'))))));
}

function next(states) {
  if (!states || !states.length) return h('span', {class: 'muted'}, 'nothing: a final state');
  return h('span', {class: 'next'}, states.map((s, i) => [i ? ' ' : '', h('span', {class: 'arrow', 'aria-hidden': 'true'}, '→'), stateBadge(s)]));
}

async function verify() {
  const box = $('verify');
  fill(box, h('p', {class: 'muted'}, 'Verifying the artifact branch (small verify)…'));
  let v;
  try {
    v = await getJSON('/v1/verify');
  } catch (err) {
    if (err.status === 404) { fill(box); return; }
    fill(box, errorBox(err));
    return;
  }
  const failed = (v.clauses || []).filter((c) => !c.pass);
  fill(box, h('div', {class: ['verify', v.compliant ? 'ok' : 'bad']},
    h('strong', {}, v.compliant ? 'Compliant with small/v1' : 'Not compliant with small/v1'),
    h('span', {}, ` · ${v.builds || 0} build${v.builds === 1 ? '' : 's'} rebuilt`,
      v.exact !== undefined ? `, ${v.exact} bit for bit` : '',
      v.to ? ' · tip ' : '', v.to ? h('code', {}, short(v.to)) : null),
    failed.length ? h('ul', {}, failed.map((c) => h('li', {}, `${c.title}: ${(c.findings || []).map((f) => f.message).join('; ') || 'failed'}`))) : null,
    h('a', {class: 'raw', href: '/v1/verify'}, 'JSON')));
}

main();

// A model's audit log: who did what and when, oldest first, as the hub keeps it.
import {api, q} from '../api.js';
import {formatTime, formatValue, h} from '../dom.js';

/** What changed, in words: `staging → production`, `v2 → v3`, the changed fields. */
function change(entry) {
  const parts = [];
  if (entry.alias) parts.push(`alias ${entry.alias}`);
  if (entry.from !== undefined && entry.from !== null) parts.push(`${formatValue(entry.from)} → ${formatValue(entry.to)}`);
  else if (entry.to !== undefined && entry.to !== null) parts.push(`→ ${formatValue(entry.to)}`);
  return parts.join(' ');
}

export async function auditPanel(model, me) {
  let entries = [];
  try {
    let after = '';
    // The log pages by id; a model's history is short, so the page reads it all (up to 1000 lines).
    for (let page = 0; page < 10; page++) {
      const answer = await api('GET', `/mlhub/v1/models/${q(model.id)}/audit?limit=100${after ? '&after=' + q(after) : ''}`);
      entries = entries.concat(answer.items);
      if (!answer.nextAfter) break;
      after = answer.nextAfter;
    }
  } catch (error) {
    return h('p', {class: 'error', id: 'model-audit'}, error.message);
  }
  if (entries.length === 0) return h('p', {class: 'muted', id: 'model-audit'}, 'Nothing yet.');
  return h('div', {class: 'scroll'}, h('table', {class: 'grid', id: 'model-audit'},
    h('thead', {}, h('tr', {}, ['When', 'Who', 'What', 'Version', 'Change'].map((title) => h('th', {}, title)))),
    h('tbody', {}, entries.map((entry) => h('tr', {dataset: {action: entry.action, version: entry.version ?? ''}},
      h('td', {}, formatTime(entry.at)),
      h('td', {class: 'mono'}, entry.actor === me.id ? 'you' : entry.actor),
      h('td', {}, entry.action),
      h('td', {}, entry.version ? `v${entry.version}` : ''),
      h('td', {}, change(entry)))))));
}

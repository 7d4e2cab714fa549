// One model of the hub (`/models/<id>[?version=<n>]`): its facts, its versions, and the chosen
// version (default the latest) with its stage and aliases (changeable by the project's editors),
// lineage, files, a leaderboard and a Deploy link; the model's audit log and labels.
import {api, q} from '../api.js';
import {fill, formatTime, formatValue, h} from '../dom.js';
import {tagPanel} from '../tags.js';
import {auditPanel} from '../hub/audit.js';
import {filesPanel} from '../hub/files.js';
import {leaderboardPanel} from '../hub/leaderboard.js';
import {lineagePanel} from '../hub/lineage.js';
import {stageBadge, versionControls} from '../hub/version-controls.js';

/** The caller's role on the project: data says it (`yourRole`); null for a public model's outsider. */
async function roleOn(projectId) {
  try {
    return (await api('GET', `/data/v1/projects/${q(projectId)}`)).yourRole || null;
  } catch (error) {
    return null;
  }
}

async function allVersions(modelId) {
  let versions = [];
  let after = '';
  for (;;) {
    const answer = await api('GET', `/mlhub/v1/models/${q(modelId)}/versions?limit=500${after ? '&after=' + q(after) : ''}`);
    versions = versions.concat(answer.items);
    if (!answer.nextAfter) return versions;
    after = answer.nextAfter;
  }
}

/** A version can be deployed when its card said how to run it (ingested packages). */
export function isDeployable(version) {
  const deploy = version.deploy;
  return Boolean(deploy && (deploy.command || deploy.image || deploy.template));
}

function metricsText(metrics) {
  return Object.keys(metrics || {}).sort().map((key) => `${key} ${formatValue(metrics[key])}`).join(', ');
}

function facts(pairs) {
  return h('dl', {class: 'facts'}, pairs.filter(([, value]) => value !== null && value !== undefined && value !== '')
    .map(([label, value, id]) => [h('dt', {}, label), h('dd', {id}, value)]));
}

function versionsTable(model, versions, selected) {
  return h('div', {class: 'scroll'}, h('table', {class: 'grid', id: 'model-versions'},
    h('thead', {}, h('tr', {}, ['Version', 'Label', 'Stage', 'Aliases', 'Metrics', 'Created', 'Deploys']
      .map((title) => h('th', {}, title)))),
    h('tbody', {}, versions.slice().reverse().map((version) => h('tr', {
      class: version.number === selected.number ? 'selected' : null,
      dataset: {version: version.number, versionId: version.id, stage: version.stage}},
    h('td', {}, h('a', {href: `/models/${q(model.id)}?version=${version.number}`}, `v${version.number}`)),
    h('td', {}, version.label || ''),
    h('td', {}, stageBadge(version.stage)),
    h('td', {}, version.aliases.join(', ')),
    h('td', {}, metricsText(version.metrics)),
    h('td', {}, formatTime(version.createdAt)),
    h('td', {class: 'num'}, String(version.deployCount ?? 0)))))));
}

export async function modelPage(main, {me, params: [modelId]}) {
  const wanted = new URLSearchParams(location.search).get('version');

  async function render() {
    const model = await api('GET', `/mlhub/v1/models/${q(modelId)}`);
    const [versions, role] = await Promise.all([allVersions(model.id), roleOn(model.projectId)]);
    const canEdit = role === 'editor' || role === 'owner';
    const selected = versions.find((version) => String(version.number) === wanted || version.aliases.includes(wanted))
      || versions[versions.length - 1];
    const deployable = selected && isDeployable(selected);
    const controls = selected ? versionControls(model, selected, canEdit, render) : null;
    const [lineage, files, audit] = await Promise.all([
      selected ? lineagePanel(model, selected) : null,
      selected ? filesPanel(model, selected) : null,
      auditPanel(model, me)]);
    const leaderboard = selected ? leaderboardPanel(model, selected) : null;
    // Drawn before the page is replaced, so a redraw after a change does not flash an empty board.
    if (leaderboard) await leaderboard.loaded;

    fill(main,
      h('p', {class: 'crumbs'}, h('a', {href: '/hub'}, 'Hub'), ' / ',
        role ? [h('a', {href: `/projects/${q(model.projectId)}`, id: 'model-project'}, 'Project'), ' / '] : null),
      h('h1', {id: 'model-name'}, model.name),
      h('p', {id: 'model-description', class: 'hub-description'}, model.description || ''),
      h('section', {class: 'card', id: 'model-facts'}, facts([
        ['Task', model.task],
        ['Framework', model.framework],
        ['License', model.license],
        ['Authors', (model.authors || []).join(', ')],
        ['Visibility', model.public ? 'public' : 'project members only', 'model-public'],
        ['Project', role ? h('a', {href: `/projects/${q(model.projectId)}`}, model.projectId)
          : h('span', {class: 'mono'}, model.projectId)],
        ['Owner', model.owner === me.id ? 'you' : h('span', {class: 'mono'}, model.owner)],
        ['Your role', role || 'none (public model)'],
        ['Deploys', String(model.deployCount ?? 0)],
        ['Created', formatTime(model.createdAt)],
      ])),
      h('section', {class: 'card'}, h('h2', {}, 'Versions'),
        versions.length ? versionsTable(model, versions, selected) : h('p', {class: 'muted'}, 'No versions yet.')),
      selected ? h('section', {class: 'card', id: 'version', dataset: {version: selected.number, versionId: selected.id}},
        h('div', {class: 'hub-version-head'},
          h('h2', {}, `Version ${selected.number}`, selected.label ? ` · ${selected.label}` : ''),
          deployable ? h('a', {class: 'hub-button', id: 'deploy-link',
            href: `/models/${q(model.id)}/versions/${selected.number}/deploy`}, 'Deploy…') : null),
        selected.description ? h('p', {class: 'hub-description', id: 'version-description'}, selected.description) : null,
        facts([
          ['Stage', controls.stage],
          ['Aliases', controls.aliases],
          ['Metrics', metricsText(selected.metrics), 'version-metrics'],
          ['Created', `${formatTime(selected.createdAt)} by ${selected.createdBy === me.id ? 'you' : selected.createdBy}`],
          ['Deploys', String(selected.deployCount ?? 0)],
          ['Runs as', deployable ? (selected.deploy.command || []).join(' ') || selected.deploy.image
            || `template ${selected.deploy.template}` : 'not deployable (no run instructions)', 'version-runs-as'],
        ]),
        controls.message,
        // The version's own labels (the model's are in the page's main panel below).
        tagPanel('modelVersion', selected.id, model.projectId, {secondary: true})) : null,
      selected ? h('div', {class: 'columns'},
        h('section', {class: 'card'}, h('h2', {}, 'Lineage'), lineage),
        h('section', {class: 'card'}, h('h2', {}, 'Files'), files)) : null,
      selected ? h('section', {class: 'card'}, h('h2', {}, 'Leaderboard'), leaderboard) : null,
      h('section', {class: 'card'}, h('h2', {}, 'Audit log'), audit),
      tagPanel('model', model.id, model.projectId));
  }

  await render();
}

// Configuration templates: the list (everyone sees the global ones and those of their
// projects), one template's details, and the create / edit form. Managing is shown only to
// those compute lets manage: administrators for global templates, a project's owners for its
// own (the project's `yourRole` from data says which).
import {api, q} from '../api.js';
import {errorBox, fill, formatTime, h} from '../dom.js';
import {formatCpus, formatMB, formatResources} from '../compute/format.js';
import {RESOURCES, templateForm} from '../compute/template-form.js';

/** Every template the caller may use (with `projectId`: the global ones and that project's). */
async function allTemplates(projectId) {
  const items = [];
  let after = '';
  do {
    const page = await api('GET', `/compute/v1/templates?limit=500${projectId ? `&projectId=${q(projectId)}` : ''}`
      + (after ? `&after=${q(after)}` : ''));
    items.push(...page.items);
    after = page.nextAfter || '';
  } while (after);
  return items;
}

/** Each project's name and the caller's role on it (null for one the caller cannot see). */
async function projectsByID(ids) {
  const unique = [...new Set(ids.filter(Boolean))];
  const found = await Promise.all(unique.map((id) =>
    api('GET', `/data/v1/projects/${q(id)}`).catch(() => null)));
  return new Map(unique.map((id, index) => [id, found[index]]));
}

/** The projects the caller owns, where they may add templates ({id, name}). */
async function ownedProjects() {
  const listed = (await api('GET', '/data/v1/projects?limit=100')).items;
  const roles = await projectsByID(listed.map((p) => p.id));
  return listed.filter((p) => roles.get(p.id)?.yourRole === 'owner').map((p) => ({id: p.id, name: p.name}));
}

function canManage(template, me, projects) {
  if (me && me.role === 'admin') return true;
  return Boolean(template.projectId) && projects.get(template.projectId)?.yourRole === 'owner';
}

function runsOn(template) {
  return template.image ? h('span', {class: 'mono'}, template.image) : 'host (the node’s own system)';
}

function rangeText(bounds, format) {
  if (!bounds || (bounds.min === undefined && bounds.max === undefined)) return 'any';
  if (bounds.min !== undefined && bounds.max !== undefined) {
    return bounds.min === bounds.max ? `${format(bounds.min)} only` : `${format(bounds.min)}–${format(bounds.max)}`;
  }
  return bounds.min !== undefined ? `≥ ${format(bounds.min)}` : `≤ ${format(bounds.max)}`;
}

const formats = {cpus: formatCpus, memoryMB: formatMB, gpus: String, diskMB: formatMB};

/** Each resource's range, e.g. ['CPUs 0.25–32', 'Memory 128 MB–128 GB']. */
function rangesText(ranges) {
  const parts = RESOURCES.filter((r) => ranges && ranges[r.key])
    .map((r) => `${r.label.replace(/ \(MB\)/, '')} ${rangeText(ranges[r.key], formats[r.key])}`);
  return parts.length ? parts : ['any'];
}

/** Short items that wrap between, never inside, each other. */
function pieces(texts) {
  return texts.map((text) => h('span', {class: 'piece'}, text));
}

function scopeChip(template, projects) {
  if (!template.projectId) return h('span', {class: 'template-scope global'}, 'global');
  const project = projects.get(template.projectId);
  return h('span', {class: 'template-scope project'}, 'project ',
    h('a', {href: `/projects/${template.projectId}`}, project ? project.name : template.projectId));
}

export async function templatesPage(main, {me}) {
  const projectId = new URLSearchParams(location.search).get('projectId') || '';
  const isAdmin = me && me.role === 'admin';
  const [templates, owned] = await Promise.all([allTemplates(projectId), isAdmin ? [] : ownedProjects()]);
  const projects = await projectsByID(templates.map((t) => t.projectId).concat(projectId));
  const mayCreate = isAdmin || owned.length > 0;
  const table = h('table', {class: 'grid templates-table', id: 'templates-table'},
    h('thead', {}, h('tr', {}, ['Name', 'Description', 'Runs on', 'Defaults', 'Ranges', 'For'].map((title) =>
      h('th', {}, title)))),
    h('tbody', {}, templates.map((template) => h('tr', {
      dataset: {template: template.name, scope: template.projectId ? 'project' : 'global',
        manage: canManage(template, me, projects) ? 'true' : 'false'}},
    h('td', {class: 'template-name', dataset: {label: 'Name'}},
      h('a', {href: `/templates/${q(template.name)}`, class: 'template-link'}, template.name)),
    h('td', {class: 'template-description', dataset: {label: 'Description'}}, template.description || ''),
    h('td', {dataset: {label: 'Runs on'}}, runsOn(template)),
    h('td', {dataset: {label: 'Defaults'}}, pieces(formatResources(template.defaultResources).split(' · '))),
    h('td', {dataset: {label: 'Ranges'}}, pieces(rangesText(template.ranges))),
    h('td', {dataset: {label: 'For'}}, scopeChip(template, projects))))));
  const forProject = projectId ? projects.get(projectId) : null;
  fill(main,
    h('h1', {}, projectId ? `Templates for ${forProject ? forProject.name : projectId}` : 'Templates'),
    h('p', {class: 'muted'}, 'A template is the environment a job starts from: a container image or the node’s ',
      'own system, setup commands, environment, default resources and the ranges a job must stay in.'),
    mayCreate ? h('div', {class: 'template-actions'},
      h('a', {href: '/templates/new' + (projectId ? `?projectId=${q(projectId)}` : ''), id: 'template-new'},
        '+ New template')) : null,
    projectId ? h('p', {}, h('a', {href: '/templates'}, 'All templates')) : null,
    templates.length ? h('div', {class: 'scroll'}, table) : h('p', {class: 'muted'}, 'No templates yet.'));
}

export async function templatePage(main, {me, params}) {
  const name = params[0];
  const search = new URLSearchParams(location.search);
  const isAdmin = me && me.role === 'admin';
  if (name === 'new') {
    const owned = await ownedProjects();
    if (!isAdmin && owned.length === 0) {
      return fill(main, h('h1', {}, 'New template'),
        h('p', {class: 'muted'}, 'Global templates are made by administrators; a project’s by its owners. ',
          'You own no project yet.'));
    }
    return fill(main, h('p', {}, h('a', {href: '/templates'}, '← Templates')),
      templateForm({existing: null, scopes: owned, allowGlobal: isAdmin, preset: search.get('projectId')}));
  }

  const template = await api('GET', `/compute/v1/templates/${q(name)}`);
  const projects = await projectsByID([template.projectId]);
  const manage = canManage(template, me, projects);
  if (search.get('edit') === '1' && manage) {
    const owned = await ownedProjects();
    return fill(main, h('p', {}, h('a', {href: `/templates/${q(name)}`}, `← ${name}`)),
      templateForm({existing: template, scopes: owned, allowGlobal: isAdmin}));
  }
  fill(main,
    h('p', {}, h('a', {href: '/templates'}, '← Templates')),
    h('h1', {id: 'template-title', dataset: {template: template.name}}, template.name, ' ', scopeChip(template, projects)),
    template.description ? h('p', {id: 'template-description'}, template.description) : null,
    h('div', {class: 'template-actions'},
      h('a', {id: 'template-use', href: '/jobs/new?' + (template.projectId ? `projectId=${q(template.projectId)}&` : '')
        + `template=${q(template.name)}`}, 'Submit a job with it'),
      manage ? h('a', {href: `/templates/${q(name)}?edit=1`, id: 'template-edit'}, 'Edit') : null,
      manage ? deleteControl(template) : null),
    details(template, me));
}

/** Delete asks once more in the page (no browser dialog), then goes back to the list. */
function deleteControl(template) {
  const message = h('span', {});
  const confirm = h('span', {class: 'hidden', id: 'template-delete-ask'},
    `Delete ${template.name}? Jobs already submitted keep what they got. `,
    h('button', {type: 'button', class: 'trash', id: 'template-delete-confirm', onclick: async () => {
      try {
        await api('DELETE', `/compute/v1/templates/${q(template.name)}`);
        location.assign('/templates');
      } catch (error) { fill(message, errorBox(error)); }
    }}, 'Delete for good'));
  return h('span', {},
    h('button', {type: 'button', class: 'trash', id: 'template-delete', onclick: (event) => {
      event.currentTarget.classList.add('hidden');
      confirm.classList.remove('hidden');
    }}, 'Delete'), confirm, message);
}

function details(template, me) {
  const env = Object.entries(template.env || {});
  const ranges = template.ranges || {};
  return h('div', {class: 'columns'},
    h('section', {class: 'card'},
      h('h2', {}, 'Environment'),
      h('dl', {class: 'facts'},
        h('dt', {}, 'Runs on'), h('dd', {id: 'template-runs-on'}, runsOn(template)),
        h('dt', {}, 'Created'), h('dd', {}, `${formatTime(template.createdAt)} by `,
          me && template.createdBy === me.id ? 'you' : h('span', {class: 'mono'}, template.createdBy || '')),
        h('dt', {}, 'Updated'), h('dd', {}, formatTime(template.updatedAt))),
      h('h3', {}, 'Setup'),
      template.setup && template.setup.length
        ? h('ol', {class: 'template-setup', id: 'template-setup-list'}, template.setup.map((line) => h('li', {}, line)))
        : h('p', {class: 'muted'}, 'No setup commands.'),
      h('h3', {}, 'Variables'),
      env.length
        ? h('div', {class: 'scroll'}, h('table', {class: 'grid', id: 'template-env-table'},
          h('tbody', {}, env.map(([key, value]) => h('tr', {}, h('td', {class: 'mono'}, key),
            h('td', {class: 'mono'}, value))))))
        : h('p', {class: 'muted'}, 'None.')),
    h('section', {class: 'card'},
      h('h2', {}, 'Resources'),
      h('div', {class: 'scroll'}, h('table', {class: 'grid', id: 'template-resources'},
        h('thead', {}, h('tr', {}, h('th', {}, ''), h('th', {}, 'Default'), h('th', {}, 'Allowed'))),
        h('tbody', {}, RESOURCES.map((r) => h('tr', {dataset: {resource: r.key}},
          h('th', {}, r.label.replace(/ \(MB\)/, '')),
          h('td', {class: 'num'}, (template.defaultResources || {})[r.key] !== undefined
            ? formats[r.key](template.defaultResources[r.key]) : 'platform default'),
          h('td', {class: 'num'}, rangeText(ranges[r.key], formats[r.key])))))))));
}
